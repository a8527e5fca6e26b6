// lib/cli/summary.hpp: a tool's closing summary (cairn(7) SUMMARY), as one human line for
// stderr and as one JSON object (schema cairn.summary/1, or cairn.backup/1 for `cairn backup
// --json`). cli::Tool prints it for every tool; nothing else formats it.
// Depends on: base, ops (Tally). Threads: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cli/log.hpp"
#include "ops/outcome.hpp"

namespace cairn::cli {

// What the counts of a tool's Observer mean: "files" and "written" for cairn-restore. An
// empty `bytes` verb leaves the bytes out (cairn-diff counts only entries).
struct SummaryWords {
  std::string items = "items";
  std::string bytes = "read";
};

// "cairn-pack: set 0123456789ab (incremental): 12 files, 3.0 MiB read, 1.0 MiB new,
// 512 KiB stored, in 1.2s (2.5 MiB/s)", or without a set "cairn-restore: 12 files,
// 3.0 MiB written, in 1.2s (2.5 MiB/s)".
std::string summary_line(std::string_view label, const ops::Tally& t, const SummaryWords& w,
                         std::int64_t duration_ns);

// The same as one JSON object, keys in this order: schema, tool, [set, source, kind], the
// items ("files"), "bytes_<verb>", [bytes_new, bytes_stored], duration_ms, and when `exit` is
// given, warnings and exit_code.
// The same keys after "tool", as fields (the "summary" record of --log-format json).
LogFields summary_fields(const ops::Tally& t, const SummaryWords& w, std::int64_t duration_ns);

struct SummaryExit {
  std::uint64_t warnings = 0;
  int exit_code = 0;
};
std::string summary_json(std::string_view schema, std::string_view tool, const ops::Tally& t,
                         const SummaryWords& w, std::int64_t duration_ns,
                         std::optional<SummaryExit> exit);

}  // namespace cairn::cli
