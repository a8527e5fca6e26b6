#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "base/tempdir.hpp"
#include "monitor/capacity.hpp"
#include "monitor/status.hpp"

using namespace cairn;
using namespace cairn::monitor;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kD = 86400 * kS;
constexpr std::int64_t kNow = 1'800'000'000 * kS;

catalog::SetRecord make_set(std::uint8_t n, std::string source, std::int64_t started_ns,
                            std::uint64_t stored) {
  catalog::SetRecord r;
  r.id.d.b.fill(0x33);
  r.id.d.b[0] = n;
  r.seq = n;
  r.source = std::move(source);
  r.host = "h";
  r.retention_class = "daily";
  r.started_ns = started_ns;
  r.ended_ns = started_ns + kS;
  r.bytes_read = stored * 2;
  r.bytes_stored = stored;
  r.first_seen_ns = started_ns;
  return r;
}

// An empty catalog in `tmp`.
catalog::Catalog open_catalog(const TempDir& tmp) {
  auto opened = catalog::Catalog::open(tmp.path() / "cat.db", std::string(64, 'c'));
  REQUIRE(opened);
  return std::move(opened).value();
}

policy::Policy parsed(std::string_view toml) {
  auto p = policy::parse(toml, "t");
  REQUIRE(p);
  return *p;
}

}  // namespace

TEST_CASE("monitor::time_to_full_ns: free bytes over the daily growth; no growth is never",
          "[monitor][capacity]") {
  CHECK(time_to_full_ns(1000, 100) == 10 * kD);
  CHECK(time_to_full_ns(150, 100) == 36 * 3600 * kS);
  CHECK(time_to_full_ns(0, 100) == 0);
  CHECK(time_to_full_ns(0, 0) == 0);  // already full, growing or not
  CHECK_FALSE(time_to_full_ns(1000, 0));
  CHECK_FALSE(time_to_full_ns(1000, -50));  // shrinking
  CHECK_FALSE(time_to_full_ns(1000, std::nan("")));
  CHECK_FALSE(time_to_full_ns(UINT64_MAX, 1));  // beyond 100 years
  // 500 years (52 GiB free at 300 KiB a day) is never, not an int64 overflow that reads "full".
  CHECK_FALSE(time_to_full_ns(56'000'000'000, 307'000));
  CHECK(time_to_full_ns(99 * 365, 1) == 99 * 365 * kD);
}

TEST_CASE("monitor::growth_per_day: the window's bytes over the window or the sets' age",
          "[monitor][capacity]") {
  CHECK(growth_per_day(3000, kNow - 60 * kD, kNow) == 100);  // 30-day window
  CHECK(growth_per_day(3000, kNow - 10 * kD, kNow) == 300);  // first set 10 days ago
  CHECK(growth_per_day(3000, kNow - kS, kNow) == 3000);      // at least one day
  CHECK(growth_per_day(3000, std::nullopt, kNow) == 0);
  CHECK(growth_per_day(0, kNow - 5 * kD, kNow) == 0);
}

TEST_CASE("monitor::monthly_cost: GiB stored times the price", "[monitor][capacity]") {
  CHECK(monthly_cost(3ULL << 30, 0.5) == 1.5);
  CHECK(monthly_cost(0, 10) == 0);
  CHECK(monthly_cost(1ULL << 29, 0.02) == Approx(0.01));
}

TEST_CASE("monitor::gather_capacity: quota, file system, thresholds and cost",
          "[monitor][capacity]") {
  TempDir tmp = TempDir::create("cairn-capacity-").value();
  catalog::Catalog cat = open_catalog(tmp);
  // app: 2000 bytes 10 and 5 days ago, pushed to s3; db: 1000 bytes 40 days ago (outside the
  // window) and one pruned set of 500 bytes 2 days ago (counts for growth, not as stored).
  const auto a1 = make_set(1, "app", kNow - 10 * kD, 2000);
  const auto a2 = make_set(2, "app", kNow - 5 * kD, 2000);
  auto d1 = make_set(3, "db", kNow - 40 * kD, 1000);
  auto d2 = make_set(4, "db", kNow - 2 * kD, 500);
  d2.status = catalog::SetStatus::pruned;
  for (const auto& s : {a1, a2, d1, d2}) REQUIRE(cat.insert_set(s, {}));
  for (const auto& s : {a1, a2})
    REQUIRE(cat.record_placement({s.id, "s3://bucket/c", kNow - kD, std::nullopt}));
  const auto pol = parsed(R"([capacity]
warn = "50%"
warn-within = "14d"
[repository]
price-gb-month = 2
[destination."s3://bucket/c"]
quota = "10K"
warn = "90%"
price-gb-month = 1
[class.daily]
destinations = ["sftp://host/backups"]
)");
  std::filesystem::path probed;
  const FsProbe probe = [&](const fs::path& p) -> std::optional<FsFigures> {
    probed = p;
    return FsFigures{100'000, 30'000, 60'000};
  };
  auto r = gather_capacity(cat, pol, "/srv/repo", probe, kNow);
  REQUIRE(r);
  REQUIRE(r->places.size() == 3);
  CHECK(probed == "/srv/repo");

  const auto& repo = r->places[0];
  CHECK(repo.repository);
  CHECK(repo.target == "repository");
  CHECK(repo.size_from == SizeFrom::filesystem);
  CHECK(repo.size == 100'000u);
  CHECK(repo.used == 30'000u);
  CHECK(repo.free == 60'000u);
  CHECK(repo.stored == 5000u);
  CHECK(repo.used_ratio == Approx(30.0 / 90.0));
  // The window holds 2000 + 2000 + 500 bytes over 30 days (the first set is 40 days old).
  CHECK(repo.growth_per_day == Approx(4500.0 / 30));
  CHECK(repo.full_in_ns == time_to_full_ns(60'000, 4500.0 / 30));
  CHECK(repo.warnings.empty());  // 33% < 50%; full in 400 days
  CHECK(repo.cost_monthly == Approx(5000.0 / kGiB * 2));

  const auto& s3 = r->places[1];  // by name: s3:// before sftp://
  CHECK(s3.target == "s3://bucket/c");
  CHECK(s3.size_from == SizeFrom::quota);
  CHECK(s3.size == 10240u);
  CHECK(s3.used == 4000u);
  CHECK(s3.free == 6240u);
  CHECK(s3.warn_percent == 90.0);                      // its own
  CHECK(s3.warn_within_ns == 14 * kD);                 // from [capacity]
  CHECK(s3.growth_per_day == Approx(400));             // 4000 bytes since 10 days
  CHECK(s3.full_in_ns == time_to_full_ns(6240, 400));  // 15.6 days: no warning yet
  CHECK(s3.warnings.empty());

  const auto& sftp = r->places[2];
  CHECK(sftp.target == "sftp://host/backups");
  CHECK(sftp.size_from == SizeFrom::unknown);  // remote, no quota: nothing probed
  CHECK_FALSE(sftp.size);
  CHECK_FALSE(sftp.full_in_ns);
  CHECK(sftp.stored == 0);
  CHECK(sftp.warnings.empty());

  REQUIRE(r->priced);
  REQUIRE(r->costs.size() == 2);
  CHECK(r->costs[0].source == "app");
  CHECK(r->costs[0].monthly == Approx(4000.0 / kGiB * 2 + 4000.0 / kGiB * 1));
  CHECK(r->costs[1].source == "db");
  CHECK(r->costs[1].monthly == Approx(1000.0 / kGiB * 2));
  CHECK(r->warnings() == 0);

  // Two days later with one more set of 2000 at s3: 6000 of 10240 is 58%, and 4240 bytes
  // left at 6000/12 a day is 8.5 days: within 14 days.
  const auto a3 = make_set(5, "app", kNow + kD, 2000);
  REQUIRE(cat.insert_set(a3, {}));
  REQUIRE(cat.record_placement({a3.id, "s3://bucket/c", kNow + kD, std::nullopt}));
  auto later = gather_capacity(cat, pol, "/srv/repo", probe, kNow + 2 * kD);
  REQUIRE(later);
  const auto& s3b = later->places[1];
  CHECK(s3b.growth_per_day == Approx(6000.0 / 12));
  REQUIRE(s3b.full_in_ns);
  CHECK(*s3b.full_in_ns == *time_to_full_ns(4240, 500));
  REQUIRE(s3b.warnings.size() == 1);
  CHECK_THAT(s3b.warnings[0], Catch::StartsWith("capacity of destination 's3://bucket/c': full in "
                                                "8d11h") &&
                                  Catch::EndsWith("warn-within 2w"));
  CHECK(later->warnings() == 1);

  // A threshold on the share used: the file system at 33% crosses warn = "30%".
  const auto tight = parsed("[repository]\nwarn = \"30%\"\n");
  auto full = gather_capacity(cat, tight, "/srv/repo", probe, kNow);
  REQUIRE(full);
  REQUIRE(full->places[0].warnings.size() == 1);
  CHECK(full->places[0].warnings[0] ==
        "capacity of the repository: 33.3% used (29.3KiB of 87.9KiB), warn 30%");
  CHECK_FALSE(full->priced);
  CHECK(full->costs.empty());
}

TEST_CASE("monitor::format_status_*: capacity and cost in the table, JSON and Prometheus",
          "[monitor][capacity]") {
  StatusReport r;
  r.generated_ns = kNow;
  CapacityReport cap;
  CapacityLine l;
  l.repository = true;
  l.target = "repository";
  l.size_from = SizeFrom::quota;
  l.size = 1000;
  l.used = 900;
  l.free = 100;
  l.used_ratio = 0.9;
  l.growth_per_day = 0;
  l.warn_percent = 80;
  l.warnings = {"capacity of the repository: 90.0% used (900B of 1000B), warn 80%"};
  cap.places.push_back(l);
  cap.costs.push_back({"app", "daily", 1.25});
  cap.priced = true;
  r.capacity = cap;
  const std::string table = format_status_table(r, true);
  CHECK_THAT(table, Catch::Contains("PLACE") && Catch::Contains("FULL-IN"));
  CHECK_THAT(table, Catch::Contains("repository  quota      0       900   1000  90%  0           "
                                    "never    -           -        warning"));
  CHECK_THAT(table, Catch::Contains("warning: capacity of the repository: 90.0% used"));
  const std::string json = format_status_json(r);
  CHECK_THAT(json, Catch::Contains(R"("schema":"cairn.status.capacity/1","place":"repository")"));
  CHECK_THAT(json, Catch::Contains(R"("full_seconds":null)"));
  const std::string prom = format_status_prometheus(r);
  CHECK_THAT(prom, Catch::Contains("cairn_capacity_full_seconds{target=\"repository\"} +Inf\n"));
  CHECK_THAT(prom, Catch::Contains("cairn_capacity_used_bytes{target=\"repository\"} 900\n"));
  CHECK_THAT(prom, Catch::Contains("cairn_capacity_warning{target=\"repository\"} 1\n"));
  CHECK_THAT(prom, Catch::Contains("cairn_cost_monthly{source=\"app\",class=\"daily\"} 1.25\n"));
}

TEST_CASE("monitor::gather_capacity: uploads and reads at request prices", "[monitor][capacity]") {
  TempDir tmp = TempDir::create("cairn-capacity-").value();
  catalog::Catalog cat = open_catalog(tmp);
  const auto pack = [](std::uint8_t n) {
    hash::PackId p;
    p.d.b.fill(0x44);
    p.d.b[0] = n;
    return p;
  };
  // Oldest first: db's set of 40 days ago needs P4 (before the window); app's sets of 10 and
  // 5 days ago need P1 P2, then P1 P3; db's pruned set of 2 days ago needs P4 P5. Uploads in
  // the window: P1 P2 P3 (app) and P5 (db); packs the sets not pruned need: P1 to P4.
  auto d2 = make_set(4, "db", kNow - 2 * kD, 500);
  d2.status = catalog::SetStatus::pruned;
  REQUIRE(cat.insert_set(make_set(3, "db", kNow - 40 * kD, 1000), {pack(4)}));
  REQUIRE(cat.insert_set(make_set(1, "app", kNow - 10 * kD, 2000), {pack(1), pack(2)}));
  REQUIRE(cat.insert_set(make_set(2, "app", kNow - 5 * kD, 2000), {pack(1), pack(3)}));
  REQUIRE(cat.insert_set(d2, {pack(4), pack(5)}));
  const auto pol = parsed(R"([repository]
price-put-1000 = 1000
price-get-1000 = 2000
price-gb-out = 3
)");
  auto r = gather_capacity(cat, pol, "/srv/repo", FsProbe{}, kNow);
  REQUIRE(r);
  const auto& repo = r->places.at(0);
  CHECK(repo.objects == 4);
  CHECK(repo.puts_per_month == Approx(4.0 / 30 * 30));  // the first set is 40 days old
  REQUIRE(repo.cost_monthly);
  CHECK(*repo.cost_monthly == Approx(4.0 / 1000 * 1000));
  REQUIRE(repo.restore_cost);
  CHECK(*repo.restore_cost == Approx(5000.0 / kGiB * 3 + 4.0 / 1000 * 2000));
  REQUIRE(r->priced);
  REQUIRE(r->costs.size() == 2);
  CHECK(r->costs[0].monthly == Approx(3.0 / 4 * 4));  // app caused 3 of the 4 uploads
  CHECK(r->costs[1].monthly == Approx(1.0 / 4 * 4));
  // Without a request price no pack is counted.
  auto plain = gather_capacity(cat, parsed("[repository]\nprice-gb-month = 1\n"), "/srv/repo",
                               FsProbe{}, kNow);
  REQUIRE(plain);
  CHECK(plain->places[0].objects == 0);
  CHECK_FALSE(plain->places[0].restore_cost);
  CHECK(*plain->places[0].cost_monthly == Approx(5000.0 / kGiB));
}

TEST_CASE("monitor::gather_capacity: a destination's space as the newest push recorded it",
          "[monitor][capacity]") {
  TempDir tmp = TempDir::create("cairn-capacity-").value();
  catalog::Catalog cat = open_catalog(tmp);
  const auto a1 = make_set(1, "app", kNow - 10 * kD, 2000);
  REQUIRE(cat.insert_set(a1, {}));
  for (const char* d : {"sftp://nas/backups", "s3://bucket/c", "sftp://quota/b"})
    REQUIRE(cat.record_placement({a1.id, d, kNow - kD, std::nullopt}));
  // An older figure replaced by a newer one; a bucket never has one.
  REQUIRE(cat.record_space({"sftp://nas/backups", 1, 1, 0, kNow - 3 * kD}));
  REQUIRE(cat.record_space({"sftp://nas/backups", 100'000, 40'000, 50'000, kNow - 2 * kD}));
  REQUIRE(cat.record_space({"sftp://quota/b", 100'000, 90'000, 10'000, kNow - kD}));
  REQUIRE(cat.record_space({"file:///mnt/gone", 8000, 2000, 6000, kNow - kD}));
  auto spaces = cat.destination_spaces();
  REQUIRE(spaces);
  REQUIRE(spaces->size() == 3);
  CHECK(spaces->at(1) ==
        catalog::DestinationSpace{"sftp://nas/backups", 100'000, 40'000, 50'000, kNow - 2 * kD});
  const auto pol = parsed(R"([capacity]
warn = "50%"
[destination."sftp://quota/b"]
quota = "10K"
[destination."file:///mnt/gone"]
[destination."file:///mnt/here"]
)");
  // The probe reads /mnt/here now and cannot read /mnt/gone.
  const FsProbe probe = [](const fs::path& p) -> std::optional<FsFigures> {
    if (p == "/mnt/here") return FsFigures{9000, 3000, 6000};
    if (p == "/srv/repo") return FsFigures{100, 10, 90};
    return std::nullopt;
  };
  auto r = gather_capacity(cat, pol, "/srv/repo", probe, kNow);
  REQUIRE(r);
  REQUIRE(r->places.size() == 6);
  const auto place = [&](std::string_view target) -> const CapacityLine& {
    for (const auto& l : r->places)
      if (l.target == target) return l;
    FAIL("no place " << target);
    return r->places.front();
  };
  const auto& gone = place("file:///mnt/gone");  // statvfs fails now: the recorded figures
  CHECK(gone.size_from == SizeFrom::filesystem);
  CHECK(gone.size == 8000u);
  CHECK(gone.measured_ns == kNow - kD);
  const auto& here = place("file:///mnt/here");  // read now: no time of measurement
  CHECK(here.size_from == SizeFrom::filesystem);
  CHECK(here.size == 9000u);
  CHECK_FALSE(here.measured_ns);
  CHECK_FALSE(here.stale);
  const auto& s3 = place("s3://bucket/c");
  CHECK(s3.size_from == SizeFrom::unknown);
  CHECK_FALSE(s3.size);
  CHECK_FALSE(s3.measured_ns);
  const auto& nas = place("sftp://nas/backups");
  CHECK(nas.size_from == SizeFrom::filesystem);
  CHECK(nas.size == 100'000u);
  CHECK(nas.used == 40'000u);
  CHECK(nas.free == 50'000u);
  CHECK(nas.used_ratio == Approx(40.0 / 90.0));
  CHECK(nas.measured_ns == kNow - 2 * kD);
  CHECK_FALSE(nas.stale);
  CHECK(nas.warnings.empty());                  // 44% < 50%
  const auto& quota = place("sftp://quota/b");  // the quota wins over the measured 90%
  CHECK(quota.size_from == SizeFrom::quota);
  CHECK(quota.size == 10240u);
  CHECK(quota.used == 2000u);
  CHECK_FALSE(quota.measured_ns);

  // Six days later the figures are 8 days old: still shown, flagged stale.
  auto later = gather_capacity(cat, pol, "/srv/repo", probe, kNow + 6 * kD);
  REQUIRE(later);
  for (const auto& l : later->places) {
    if (l.target != "sftp://nas/backups") continue;
    CHECK(l.size == 100'000u);
    CHECK(l.stale);
    StatusReport sr;
    sr.generated_ns = kNow + 6 * kD;
    CapacityReport cap;
    cap.places.push_back(l);
    sr.capacity = cap;
    const std::string when = format_time(kNow - 2 * kD);
    CHECK_THAT(format_status_table(sr, true),
               Catch::Contains("filesystem as of " + when + " (stale)"));
    CHECK_THAT(format_status_json(sr),
               Catch::Contains(R"("measured_time":")" + when + R"(","measured_stale":true)"));
    CHECK_THAT(
        format_status_prometheus(sr),
        Catch::Contains(fmt::format(
            "cairn_capacity_measured_timestamp_seconds{{target=\"sftp://nas/backups\"}} {}\n",
            (kNow - 2 * kD) / kS)));
  }
}
