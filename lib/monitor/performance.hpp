// lib/monitor/performance.hpp: slow runs (cairn-policy(5) "Performance"). `cairn status`
// compares the newest backup run of each source and class with the successful runs before
// it (slow-run: more than N times their median duration), and with a floor on what it read a
// second (min-throughput); the newest push to and restore from each destination with a floor
// on its rate (min-transfer-rate). Each finding is a warning: `cairn status` exits 3 and
// `--alert` routes it to the policy's warning targets.
// Depends on: catalog, policy. Threads: plain functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.hpp"
#include "policy/policy.hpp"

namespace cairn::monitor {

// How many successful runs before the newest one make its baseline, and how many at least.
inline constexpr int kBaselineRuns = 10;
inline constexpr std::size_t kMinBaselineRuns = 3;

// The median duration of the successful runs before the newest (exit 0 or 3, newest first,
// at most kBaselineRuns): unset with fewer than kMinBaselineRuns of them.
struct RunBaseline {
  std::optional<std::uint64_t> median_ms;
  std::size_t runs = 0;
};
RunBaseline run_baseline(const std::vector<std::uint64_t>& earlier_ms);

// One slow run or transfer. `key` names it in the catalog's alert_state
// ("performance/SOURCE/CLASS", "performance/destination/DEST/DIRECTION").
struct PerformanceWarning {
  std::string key;
  std::string source, retention_class;  // of a backup run
  std::string destination;              // of a transfer
  std::string message;                  // "slow run: ..."
};

// The warnings of the newest run `run` of a source and class, named `what` ("cairn-pack of
// 'app' (daily)"): only a successful run that lasted at least p.min_duration() is checked.
std::vector<std::string> run_warnings(const catalog::RunRecord& run, const RunBaseline& b,
                                      const policy::Performance& p, std::string_view what);

// The warning of the newest transfer to or from a destination, when its rate is below
// min-transfer-rate (a transfer of at least p.min_duration() only).
std::optional<std::string> transfer_warning(const catalog::LastTransfer& t,
                                            const policy::Performance& p);

}  // namespace cairn::monitor
