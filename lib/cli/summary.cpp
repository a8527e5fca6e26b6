#include "cli/summary.hpp"

#include <fmt/format.h>

#include "base/text.hpp"
#include "base/time.hpp"

namespace cairn::cli {

namespace {

std::uint64_t rate_of(std::uint64_t bytes, std::int64_t ns) {
  const double secs = static_cast<double>(ns) / 1e9;
  return secs > 0 ? static_cast<std::uint64_t>(static_cast<double>(bytes) / secs) : bytes;
}

}  // namespace

std::string summary_line(std::string_view label, const ops::Tally& t, const SummaryWords& w,
                         std::int64_t duration_ns) {
  std::string line(label);
  line += ": ";
  if (!t.set.empty()) line += fmt::format("set {} ({}): ", t.set.substr(0, 12), t.kind);
  line += fmt::format("{} {}", t.files, w.items);
  if (!w.bytes.empty()) line += fmt::format(", {} {}", format_bytes(t.bytes), w.bytes);
  if (t.bytes_new) line += fmt::format(", {} new", format_bytes(*t.bytes_new));
  if (t.bytes_stored) line += fmt::format(", {} stored", format_bytes(*t.bytes_stored));
  const double secs = static_cast<double>(duration_ns) / 1e9;
  line += fmt::format(
      ", in {}", secs < 60 ? fmt::format("{:.1f}s", secs) : format_duration_short(duration_ns));
  // No rate for a run that moved no bytes (cairn-snap walking a tree, an unchanged backup):
  // "(0 B/s)" read like a stall.
  if (!w.bytes.empty() && t.bytes > 0)
    line += fmt::format(" ({}/s)", format_bytes(rate_of(t.bytes, duration_ns)));
  return line;
}

LogFields summary_fields(const ops::Tally& t, const SummaryWords& w, std::int64_t duration_ns) {
  LogFields f;
  if (!t.set.empty()) {
    f.push_back({"set", t.set});
    f.push_back({"source", t.source});
    f.push_back({"kind", t.kind});
  }
  f.push_back({w.items, std::uint64_t{t.files}});
  if (!w.bytes.empty()) f.push_back({"bytes_" + w.bytes, std::uint64_t{t.bytes}});
  if (t.bytes_new) f.push_back({"bytes_new", std::uint64_t{*t.bytes_new}});
  if (t.bytes_stored) f.push_back({"bytes_stored", std::uint64_t{*t.bytes_stored}});
  f.push_back({"duration_ms", std::int64_t{duration_ns / 1'000'000}});
  return f;
}

std::string summary_json(std::string_view schema, std::string_view tool, const ops::Tally& t,
                         const SummaryWords& w, std::int64_t duration_ns,
                         std::optional<SummaryExit> exit) {
  std::string j = "{\"schema\":";
  append_json_string(j, schema);
  j += ",\"tool\":";
  append_json_string(j, tool);
  append_json_fields(j, summary_fields(t, w, duration_ns));
  if (exit) j += fmt::format(",\"warnings\":{},\"exit_code\":{}", exit->warnings, exit->exit_code);
  return j + "}";
}

}  // namespace cairn::cli
