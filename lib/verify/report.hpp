// lib/verify/report.hpp: the lines cairn-verify writes to stdout, as text (one finding a
// line) or JSON Lines whose first key is "schema":"cairn.verify/1" (cairn-verify(1) OUTPUT).
// Depends on: io, hash. Threads: one user at a time (the verify driver thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "hash/hash.hpp"
#include "io/file.hpp"

namespace cairn::verify {

inline constexpr std::string_view kSchema = "cairn.verify/1";

struct Summary {
  std::uint64_t sets = 0;           // sets checked
  std::uint64_t packs_checked = 0;  // packs whose presence and index were checked
  std::uint64_t packs_read = 0;     // packs read whole (--read-data)
  std::uint64_t bytes_read = 0;
  std::uint64_t damaged = 0;  // damaged or missing objects, failed drills
  std::uint64_t garbage = 0;  // packs no set references
  std::uint64_t garbage_bytes = 0;
  std::uint64_t warnings = 0;
  bool read_data = false;
};

struct DrillLine {
  hash::SetId set;
  std::string source;
  std::int64_t started_ns = 0;
  bool ok = false;
  std::string detail;  // failure reason; empty when ok
  std::uint64_t files = 0, bytes = 0;
  std::uint64_t restore_ms = 0, check_ms = 0;
  std::optional<std::uint64_t> app_check_ms;  // --check ran and passed in this time
};

class Report {
 public:
  Report(io::Writer& out, bool json) : out_(out), json_(json) {}

  // "damaged pack <id>: <reason>", "missing set <id>: <reason>", ...
  // state: "damaged" or "missing"; object: "pack", "set", "chunk", "key", "index".
  Status object(std::string_view state, std::string_view object, std::string_view id,
                std::string_view reason);
  // "affected set <id> (<source> <time>)"
  Status affected_set(const hash::SetId& id, std::string_view source, std::int64_t started_ns);
  // "affected file <set-prefix> <path>"
  Status affected_file(const hash::SetId& id, std::string_view path);
  Status warning(std::string_view message);  // "warning: ..."
  Status note(std::string_view message);     // "note: ..."
  // "drill <id> (<source> <time>): ok, ..." / "...: failed: <reason>"
  Status drill(const DrillLine& d);
  // "drill mismatch <set-prefix> <path>: <reason>"
  Status drill_file(const hash::SetId& id, std::string_view path, std::string_view reason);
  // "stale source '<s>': newest set is <age> old (max <max>)"; no age: the source has no good
  // set; an empty source: the catalog has no sets at all.
  Status stale(std::string_view source, std::optional<std::int64_t> age_ns, std::string_view max);
  // "checked N sets, M packs (X bytes read): K damaged, G garbage"
  Status summary(const Summary& s);
  Status flush() { return out_.flush(); }

 private:
  Status line(std::string text);
  io::Writer& out_;
  bool json_;
};

// A path as one printable token: bytes below 0x20, 0x7f and '\' become \xHH.
std::string printable_path(std::string_view path);
// The short form of a set id used in per-file lines (12 hex digits, as cairn ls prints).
std::string set_prefix(const hash::SetId& id);

}  // namespace cairn::verify
