#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "monitor/performance.hpp"

using namespace cairn;
using namespace cairn::monitor;

namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kT = 1'800'000'000 * kS;  // 2027-01-15T08:00:00Z

catalog::RunRecord run(std::optional<int> exit_code, std::uint64_t ms, std::uint64_t bytes) {
  catalog::RunRecord r;
  r.tool = "cairn-pack";
  r.started_ns = kT;
  r.ended_ns = kT + static_cast<std::int64_t>(ms) * 1'000'000;
  r.exit_code = exit_code;
  r.source = "app";
  r.retention_class = "daily";
  r.metrics.duration_ms = ms;
  r.metrics.bytes = bytes;
  return r;
}

policy::Performance perf(std::optional<double> slow, std::optional<std::uint64_t> min_rate) {
  policy::Performance p;
  p.line = 1;
  p.slow_run = slow;
  p.min_throughput = min_rate;
  p.min_transfer_rate = min_rate;
  return p;
}

}  // namespace

TEST_CASE("monitor::run_baseline: the median of up to 10 earlier runs, at least 3", "[monitor]") {
  CHECK_FALSE(run_baseline({}).median_ms);
  CHECK_FALSE(run_baseline({100, 200}).median_ms);
  CHECK(run_baseline({100, 200}).runs == 2);
  CHECK(run_baseline({300, 100, 200}).median_ms == 200u);
  CHECK(run_baseline({400, 100, 300, 200}).median_ms == 250u);  // even: the mean of the middle two
  // Only the 10 newest count: the 11th (a huge one) is left out.
  std::vector<std::uint64_t> many(10, 60'000);
  many.push_back(1'000'000'000);
  CHECK(run_baseline(many).runs == 10);
  CHECK(run_baseline(many).median_ms == 60'000u);
}

TEST_CASE("monitor::run_warnings: slow-run against the median, min-throughput, min-duration",
          "[monitor]") {
  const RunBaseline b = run_baseline({100'000, 100'000, 120'000});  // median 100 s
  // 5x the median: slow with slow-run 3, not with slow-run 6.
  auto w =
      run_warnings(run(0, 500'000, 1), b, perf(3, std::nullopt), "cairn-pack of 'app' (daily)");
  REQUIRE(w.size() == 1);
  CHECK(w[0] ==
        "slow run: cairn-pack of 'app' (daily) at 2027-01-15T08:00:00Z took 8m20s, 5.0x the median "
        "1m40s of its 3 successful runs before (slow-run 3)");
  CHECK(run_warnings(run(0, 500'000, 1), b, perf(6, std::nullopt), "x").empty());
  CHECK(run_warnings(run(3, 500'000, 1), b, perf(3, std::nullopt), "x").size() == 1);  // exit 3 ran
  // A failed run is a failure, not a slow run; an unfinished one is neither.
  CHECK(run_warnings(run(1, 500'000, 1), b, perf(3, std::nullopt), "x").empty());
  CHECK(run_warnings(run(std::nullopt, 500'000, 1), b, perf(3, std::nullopt), "x").empty());
  // No baseline yet: no slow-run warning.
  CHECK(run_warnings(run(0, 500'000, 1), run_baseline({1000}), perf(3, std::nullopt), "x").empty());
  // min-throughput: 100 MiB in 100 s is 1 MiB/s.
  const std::uint64_t mib = 1 << 20;
  auto t = run_warnings(run(0, 100'000, 100 * mib), b, perf(std::nullopt, 2 * mib), "x");
  REQUIRE(t.size() == 1);
  CHECK(t[0] ==
        "slow run: x at 2027-01-15T08:00:00Z read 1.0MiB/s in 1m40s, below min-throughput "
        "2.0MiB/s");
  CHECK(run_warnings(run(0, 100'000, 100 * mib), b, perf(std::nullopt, mib), "x").empty());
  // Both at once.
  CHECK(run_warnings(run(0, 500'000, 100 * mib), b, perf(3, 2 * mib), "x").size() == 2);
  // Shorter than min-duration (default 1m): never slow, however it compares.
  CHECK(run_warnings(run(0, 59'000, 1), run_baseline({1, 1, 1}), perf(3, mib), "x").empty());
  auto shorter = perf(3, mib);
  shorter.min_duration_ns = 10 * kS;
  CHECK(run_warnings(run(0, 59'000, 1), run_baseline({1000, 1000, 1000}), shorter, "x").size() ==
        2);
}

TEST_CASE("monitor::transfer_warning: below min-transfer-rate, long enough", "[monitor]") {
  catalog::LastTransfer t;
  t.tool = "cairn-push";
  t.started_ns = kT;
  t.transfer = {"sftp://nas/cairn", catalog::Direction::push, 30u << 20, 60'000};  // 512 KiB/s
  CHECK(transfer_warning(t, perf(std::nullopt, 1 << 20)).value_or("") ==
        "slow push: cairn-push to 'sftp://nas/cairn' at 2027-01-15T08:00:00Z moved 512.0KiB/s in "
        "1m, below min-transfer-rate 1.0MiB/s");
  CHECK_FALSE(transfer_warning(t, perf(std::nullopt, 512 << 10)));
  CHECK_FALSE(transfer_warning(t, perf(3, std::nullopt)));  // no min-transfer-rate
  t.transfer.direction = catalog::Direction::restore;
  t.tool = "cairn-restore";
  CHECK(transfer_warning(t, perf(std::nullopt, 1 << 20))
            ->starts_with("slow restore: cairn-restore from 'sftp://nas/cairn' at "));
  t.transfer.duration_ms = 30'000;  // shorter than a minute
  t.transfer.bytes = 1;
  CHECK_FALSE(transfer_warning(t, perf(std::nullopt, 1 << 20)));
  t.transfer.duration_ms = 0;
  CHECK_FALSE(transfer_warning(t, perf(std::nullopt, 1 << 20)));
}
