#include "monitor/performance.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/text.hpp"
#include "base/time.hpp"

namespace cairn::monitor {
namespace {

constexpr std::int64_t kMsNs = 1'000'000;

std::string took(std::uint64_t ms) {
  if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000);
  return format_duration_short(static_cast<std::int64_t>(ms) * kMsNs);
}

std::string per_second(double bytes) {
  return format_bytes(static_cast<std::uint64_t>(bytes), "") + "/s";
}

bool long_enough(std::uint64_t ms, const policy::Performance& p) {
  return static_cast<std::int64_t>(ms) * kMsNs >= p.min_duration();
}

}  // namespace

RunBaseline run_baseline(const std::vector<std::uint64_t>& earlier_ms) {
  RunBaseline b;
  b.runs = std::min<std::size_t>(earlier_ms.size(), kBaselineRuns);
  if (b.runs < kMinBaselineRuns) return b;
  std::vector<std::uint64_t> v(earlier_ms.begin(), earlier_ms.begin() + b.runs);
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  b.median_ms = v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return b;
}

std::vector<std::string> run_warnings(const catalog::RunRecord& run, const RunBaseline& b,
                                      const policy::Performance& p, std::string_view what) {
  std::vector<std::string> out;
  const auto& m = run.metrics;
  const bool ok = run.exit_code && (*run.exit_code == 0 || *run.exit_code == 3);
  if (!ok || !m.duration_ms || !long_enough(*m.duration_ms, p)) return out;
  const std::string when = format_time(run.started_ns);
  if (p.slow_run && b.median_ms && *b.median_ms > 0) {
    const double times = static_cast<double>(*m.duration_ms) / static_cast<double>(*b.median_ms);
    if (times > *p.slow_run)
      out.push_back(fmt::format(
          "slow run: {} at {} took {}, {:.1f}x the median {} of its {} successful runs before "
          "(slow-run {:g})",
          what, when, took(*m.duration_ms), times, took(*b.median_ms), b.runs, *p.slow_run));
  }
  if (p.min_throughput && m.bytes && *m.duration_ms > 0) {
    const double rate = static_cast<double>(*m.bytes) * 1000 / static_cast<double>(*m.duration_ms);
    if (rate < static_cast<double>(*p.min_throughput))
      out.push_back(fmt::format("slow run: {} at {} read {} in {}, below min-throughput {}", what,
                                when, per_second(rate), took(*m.duration_ms),
                                per_second(static_cast<double>(*p.min_throughput))));
  }
  return out;
}

std::optional<std::string> transfer_warning(const catalog::LastTransfer& t,
                                            const policy::Performance& p) {
  const auto& x = t.transfer;
  if (!p.min_transfer_rate || x.duration_ms == 0 || !long_enough(x.duration_ms, p))
    return std::nullopt;
  const double rate = static_cast<double>(x.bytes) * 1000 / static_cast<double>(x.duration_ms);
  if (rate >= static_cast<double>(*p.min_transfer_rate)) return std::nullopt;
  return fmt::format("slow {}: {} {} '{}' at {} moved {} in {}, below min-transfer-rate {}",
                     catalog::to_string(x.direction), t.tool,
                     x.direction == catalog::Direction::push ? "to" : "from", x.destination,
                     format_time(t.started_ns), per_second(rate), took(x.duration_ms),
                     per_second(static_cast<double>(*p.min_transfer_rate)));
}

}  // namespace cairn::monitor
