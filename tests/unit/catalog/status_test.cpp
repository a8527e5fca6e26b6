#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/tempdir.hpp"
#include "catalog/catalog.hpp"

using namespace cairn;
using namespace cairn::catalog;
namespace fs = std::filesystem;

namespace {

const std::string kRepo = std::string(64, 'a');
constexpr std::int64_t kS = 1'000'000'000;
fs::path fixtures() { return fs::path(CAIRN_SOURCE_DIR) / "tests/data/catalogs"; }

struct Scratch {
  TempDir tmp = TempDir::create("cairn-catstatus-").value();
  fs::path dir = tmp.path();
  fs::path db() const { return dir / "cat.db"; }
};

// Builds the file `db` from a frozen catalog under tests/data/catalogs.
void load_fixture(const std::string& name, const fs::path& db) {
  std::ifstream in(fixtures() / name);
  REQUIRE(in);
  std::stringstream sql;
  sql << in.rdbuf();
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
  const int rc = sqlite3_exec(raw, sql.str().c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  REQUIRE(rc == SQLITE_OK);
}

Catalog open_ok(const fs::path& p) {
  auto c = Catalog::open(p, kRepo);
  if (!c) FAIL(c.error().message);
  return std::move(c).value();
}

hash::SetId set_id(std::uint8_t a) {
  hash::SetId id;
  id.d.b.fill(0x11);
  id.d.b[0] = a;
  return id;
}

SetRecord make_set(std::uint8_t n, std::string source, std::string cls, std::int64_t started_ns) {
  SetRecord r;
  r.id = set_id(n);
  r.seq = n;
  r.source = std::move(source);
  r.host = "h";
  r.retention_class = std::move(cls);
  r.started_ns = started_ns;
  r.ended_ns = started_ns + 1;
  return r;
}

RunRecord run(std::string tool, std::string source, std::string cls, std::int64_t started,
              std::optional<int> exit_code) {
  RunRecord r;
  r.tool = std::move(tool);
  r.source = std::move(source);
  r.retention_class = std::move(cls);
  r.started_ns = started;
  if (exit_code) {
    r.ended_ns = started + 10;
    r.exit_code = exit_code;
  }
  return r;
}

VerifyRecord verify(std::optional<std::uint8_t> set, VerifyKind kind, std::int64_t started, bool ok,
                    std::optional<std::uint64_t> restore_ms = std::nullopt) {
  VerifyRecord v;
  if (set) v.set_id = set_id(*set);
  v.kind = kind;
  v.started_ns = started;
  v.ok = ok;
  v.restore_ms = restore_ms;
  return v;
}

}  // namespace

TEST_CASE("catalog::Catalog: a frozen version 1 catalog migrates forward with nothing lost",
          "[catalog]") {
  Scratch s;
  load_fixture("v1.sql", s.db());
  Catalog c = open_ok(s.db());
  auto sets = c.list_sets().value();
  REQUIRE(sets.size() == 2);
  CHECK(sets[1].legal_hold);
  CHECK(sets[1].hold_reason == "case 42");
  CHECK(sets[1].parent == sets[0].id);
  auto runs = c.runs_since(0).value();
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].exit_code == 0);
  CHECK(runs[0].source.empty());  // version 1 did not record it
  CHECK_FALSE(runs[1].ended_ns.has_value());
  CHECK(c.verifies(sets[1].id).value().at(0).restore_ms == 1200u);
  CHECK(c.placements_of(sets[1].id).value().size() == 1);
  CHECK(c.audit_log().value().size() == 1);

  // The new columns work on the migrated file.
  REQUIRE(c.record_run(run("cairn-pack", "app", "daily", 1700090001000000000, 0)));
  auto t = c.run_tallies(0, 1700090000500000000).value();
  REQUIRE(t.size() == 2);
  CHECK(t[0] == RunTally{"cairn-pack", "", "", 1, 0, 0, 1, 0});
  CHECK(t[1] == RunTally{"cairn-pack", "app", "daily", 1, 0, 0, 0, 0});
}

TEST_CASE(
    "catalog::Catalog: a frozen version 2 catalog migrates to first_seen_ns; future sets are never "
    "latest",
    "[catalog]") {
  Scratch s;
  load_fixture("v2.sql", s.db());
  const std::int64_t before =
      now_ns() / 1'000'000'000 * 1'000'000'000;  // the migration has seconds
  Catalog c = open_ok(s.db());
  const std::int64_t after = now_ns();
  auto sets = c.list_sets().value();
  REQUIRE(sets.size() == 3);
  CHECK(sets[1].hold_reason == "case 42");  // nothing lost
  for (const auto& r : sets) {
    REQUIRE(r.first_seen_ns);  // the time of the migration
    CHECK(*r.first_seen_ns >= before);
    CHECK(*r.first_seen_ns <= after);
  }
  // Old sets stay as old as they claim; the far-future one is as old as the migration.
  CHECK(age_base_ns(sets[0]) == sets[0].started_ns);
  CHECK(age_base_ns(sets[2]) == *sets[2].first_seen_ns);
  // The set dated in 2096 is never the latest; a reader whose clock is there sees it.
  CHECK(c.latest("app").value()->id == sets[1].id);
  CHECK(c.at_or_before(std::nullopt, INT64_MAX).value()->id == sets[1].id);
  CHECK(c.latest("app", std::nullopt, 4000000000000000000).value()->id == sets[2].id);
  CHECK(from_the_future(sets[2], after));
  CHECK_FALSE(from_the_future(sets[2], sets[2].started_ns - kFutureSkewNs));
}

TEST_CASE(
    "catalog::Catalog: a frozen version 3 catalog migrates to set_seen with nothing lost; each "
    "place keeps its own list",
    "[catalog]") {
  Scratch s;
  load_fixture("v3.sql", s.db());
  Catalog c = open_ok(s.db());
  auto sets = c.list_sets().value();
  REQUIRE(sets.size() == 4);
  CHECK(c.get_set(set_id(0x02)).value()->hold_reason == "case 42");
  CHECK(c.get_set(set_id(0x01)).value()->first_seen_ns == 1700090000000000000);
  CHECK(c.get_set(set_id(0x04)).value()->status == SetStatus::pruned);
  CHECK(c.seen_at("/srv/repo").value().empty());  // nothing listed yet
  REQUIRE(c.set_seen("/srv/repo", {set_id(0x02), set_id(0x01)}));
  REQUIRE(c.set_seen("/mnt/copy", {set_id(0x01)}));
  CHECK(c.seen_at("/srv/repo").value() == std::vector<hash::SetId>{set_id(0x01), set_id(0x02)});
  REQUIRE(c.set_seen("/srv/repo", {set_id(0x09)}));  // replaced, and any id may be named
  CHECK(c.seen_at("/srv/repo").value() == std::vector<hash::SetId>{set_id(0x09)});
  CHECK(c.seen_at("/mnt/copy").value() == std::vector<hash::SetId>{set_id(0x01)});
}

TEST_CASE(
    "catalog::Catalog: a frozen version 4 catalog migrates to tags with nothing lost; tags are "
    "stored sorted and select sets",
    "[catalog]") {
  Scratch s;
  load_fixture("v4.sql", s.db());
  Catalog c = open_ok(s.db());
  auto sets = c.list_sets().value();
  REQUIRE(sets.size() == 4);
  for (const auto& r : sets) CHECK(r.tags.empty());  // older rows have none
  CHECK(c.get_set(set_id(0x02)).value()->hold_reason == "case 42");
  CHECK(c.seen_at("/srv/repo").value() == std::vector<hash::SetId>{set_id(0x02)});
  CHECK_FALSE(c.latest_tagged("app", "gold").value());
  REQUIRE(c.set_tags(set_id(0x01), {"gold", "a.b-c_d", "gold"}));
  CHECK(c.get_set(set_id(0x01)).value()->tags == std::vector<std::string>{"a.b-c_d", "gold"});
  CHECK(c.latest_tagged("app", "gold").value()->id == set_id(0x01));
  CHECK(c.latest_tagged("", "gold").value()->id == set_id(0x01));
  CHECK_FALSE(c.latest_tagged("app", "gol").value());  // whole tags only
  CHECK_FALSE(c.latest_tagged("app", "a_b-c_d").value());
  CHECK(resolve_set(c, "app@tag:gold").value().id == set_id(0x01));
  CHECK(resolve_set(c, "@tag:a.b-c_d").value().id == set_id(0x01));
  CHECK(resolve_set(c, "app@tag:bad/tag").error().code == Errc::usage);
  CHECK(resolve_set(c, "app@tag:silver").error().code == Errc::not_found);
  CHECK(c.set_tags(set_id(0x77), {"x"}).error().code == Errc::not_found);
  SetRecord r = sets[0];
  r.id = set_id(0x55);
  r.tags = {"z", "y"};
  REQUIRE(c.insert_set(r, {}));
  CHECK(c.get_set(set_id(0x55)).value()->tags == std::vector<std::string>{"y", "z"});
}

TEST_CASE("catalog::Catalog: sequence numbers above 2^48 are refused and ignored, naming the set",
          "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  SetRecord r;
  r.id.d.b.fill(0x44);
  r.seq = 3;
  r.source = "app";
  REQUIRE(c.insert_set(r, {}));
  SetRecord bad = r;
  bad.id.d.b.fill(0x45);
  bad.seq = (std::uint64_t{1} << 63) - 1;
  auto st = c.insert_set(bad, {});
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::corrupt);
  CHECK(st.error().message.find(bad.id.hex()) != std::string::npos);
  CHECK(c.max_seq().value() == 3);
  // A row forged into the file (CHECK allows it) does not move the sequence either.
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(s.db().c_str(), &raw) == SQLITE_OK);
  const std::string sql =
      "UPDATE backup_set SET seq = 9223372036854775807 WHERE id = '" + r.id.hex() + "'";
  const int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  REQUIRE(rc == SQLITE_OK);
  CHECK(c.max_seq().value() == 0);
  SetRecord next = r;
  next.id.d.b.fill(0x46);
  next.seq = 4;
  CHECK(c.insert_set(next, {}));  // unrelated sets are still recorded
}

TEST_CASE("catalog::Catalog::run_tallies: counts runs per tool, source and class by outcome",
          "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  REQUIRE(c.record_run(run("cairn-pack", "app", "daily", 50, 1)));  // before the window
  REQUIRE(c.record_run(run("cairn-pack", "app", "daily", 100, 0)));
  REQUIRE(c.record_run(run("cairn-pack", "app", "daily", 110, 0)));
  REQUIRE(c.record_run(run("cairn-pack", "app", "daily", 120, 3)));
  REQUIRE(c.record_run(run("cairn-pack", "app", "daily", 130, 1)));
  REQUIRE(c.record_run(run("cairn-pack", "app", "daily", 140, 130)));
  REQUIRE(c.record_run(run("cairn-pack", "app", "daily", 150, std::nullopt)));  // killed long ago
  REQUIRE(c.record_run(run("cairn-pack", "app", "daily", 300, std::nullopt)));  // still running
  REQUIRE(c.record_run(run("cairn-pack", "app", "hourly", 160, 0)));
  REQUIRE(c.record_run(run("cairn-verify", "", "", 170, 4)));
  auto id = c.record_run(run("cairn-pack", "db", "daily", 180, std::nullopt)).value();
  REQUIRE(c.finish_run(id, 190, 0, std::nullopt, "ok"));

  auto t = c.run_tallies(100, 200).value();
  REQUIRE(t.size() == 4);
  CHECK(t[0] == RunTally{"cairn-pack", "app", "daily", 2, 1, 2, 1, 1});
  CHECK(t[1] == RunTally{"cairn-pack", "app", "hourly", 1, 0, 0, 0, 0});
  CHECK(t[2] == RunTally{"cairn-pack", "db", "daily", 1, 0, 0, 0, 0});
  CHECK(t[3] == RunTally{"cairn-verify", "", "", 0, 0, 1, 0, 0});
  CHECK(c.run_tallies(1000, 0).value().empty());
}

TEST_CASE(
    "catalog::Catalog::verify_summaries: the newest good verification and the newest drill per "
    "source and class",
    "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  REQUIRE(c.insert_set(make_set(1, "app", "daily", 10), {}));
  REQUIRE(c.insert_set(make_set(2, "app", "daily", 20), {}));
  REQUIRE(c.insert_set(make_set(3, "app", "weekly", 30), {}));
  REQUIRE(c.insert_set(make_set(4, "db", "daily", 40), {}));
  REQUIRE(c.record_verify(verify(1, VerifyKind::drill, 100, true, 700)));
  REQUIRE(c.record_verify(verify(2, VerifyKind::structure, 200, true)));
  REQUIRE(c.record_verify(verify(2, VerifyKind::drill, 300, false)));      // newest drill failed
  REQUIRE(c.record_verify(verify(1, VerifyKind::read_data, 400, false)));  // newest verify failed
  REQUIRE(c.record_verify(verify(3, VerifyKind::structure, 150, false)));  // never a good one
  REQUIRE(c.record_verify(
      verify(std::nullopt, VerifyKind::structure, 999, true)));  // the whole repository
  hash::SetId unknown = set_id(9);
  VerifyRecord orphan = verify(9, VerifyKind::drill, 500, true, 1);
  orphan.set_id = unknown;
  REQUIRE(c.record_verify(orphan));  // a set the catalog does not know

  auto v = c.verify_summaries().value();
  REQUIRE(v.size() == 2);
  CHECK(v[0].source == "app");
  CHECK(v[0].retention_class == "daily");
  REQUIRE(v[0].last_ok);
  CHECK(v[0].last_ok->started_ns == 200);
  CHECK(v[0].last_ok->kind == VerifyKind::structure);
  REQUIRE(v[0].last_drill);
  CHECK(v[0].last_drill->started_ns == 300);
  CHECK_FALSE(v[0].last_drill->ok);
  CHECK(v[1].source == "app");
  CHECK(v[1].retention_class == "weekly");
  CHECK_FALSE(v[1].last_ok);
  CHECK_FALSE(v[1].last_drill);

  // A newer good drill is both the last good verification and the last drill.
  REQUIRE(c.record_verify(verify(2, VerifyKind::drill, 600, true, 1234)));
  v = c.verify_summaries().value();
  REQUIRE(v[0].last_ok);
  CHECK(v[0].last_ok->started_ns == 600);
  REQUIRE(v[0].last_drill);
  CHECK(v[0].last_drill->restore_ms == 1234u);
  CHECK(v[0].last_drill->set_id == set_id(2));
}

TEST_CASE(
    "catalog::Catalog::destination_drills: the newest drill per destination, kept apart from the "
    "local repository's",
    "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  REQUIRE(c.insert_set(make_set(1, "app", "daily", 10), {}));
  CHECK(c.destination_drills().value().empty());
  REQUIRE(c.record_verify(verify(1, VerifyKind::drill, 100, true, 700)));  // local
  VerifyRecord at_a = verify(1, VerifyKind::drill, 200, true, 900);
  at_a.target = "file:///dest/a";
  REQUIRE(c.record_verify(at_a));
  VerifyRecord failed_at_a = verify(1, VerifyKind::drill, 300, false);
  failed_at_a.target = "file:///dest/a";
  failed_at_a.detail = "restore failed: pack damaged";
  REQUIRE(c.record_verify(failed_at_a));
  VerifyRecord structure_at_a = verify(1, VerifyKind::structure, 400, true);
  structure_at_a.target = "file:///dest/a";
  REQUIRE(c.record_verify(structure_at_a));  // not a drill
  // A set the catalog does not know (pushed by another host): recorded and listed all the same.
  VerifyRecord at_b = verify(9, VerifyKind::drill, 250, true, 50);
  at_b.target = "s3://bucket/b";
  REQUIRE(c.record_verify(at_b));

  const auto d = c.destination_drills().value();
  REQUIRE(d.size() == 2);
  CHECK(d[0].target == "file:///dest/a");
  CHECK(d[0].started_ns == 300);
  CHECK_FALSE(d[0].ok);
  CHECK(d[0].detail == "restore failed: pack damaged");
  CHECK_FALSE(d[0].restore_ms);
  CHECK(d[1].target == "s3://bucket/b");
  CHECK(d[1].set_id == set_id(9));
  CHECK(d[1].restore_ms == 50u);

  // The group's own drill stays the local one; a drill at a destination still verifies a set.
  const auto v = c.verify_summaries().value();
  REQUIRE(v.size() == 1);
  REQUIRE(v[0].last_drill);
  CHECK(v[0].last_drill->started_ns == 100);
  CHECK(v[0].last_drill->target.empty());
  REQUIRE(v[0].last_ok);
  CHECK(v[0].last_ok->started_ns == 400);
}

TEST_CASE(
    "catalog::Catalog: a frozen version 5 catalog migrates to run metrics with nothing lost; "
    "older runs measured nothing",
    "[catalog]") {
  Scratch s;
  load_fixture("v5.sql", s.db());
  Catalog c = open_ok(s.db());
  CHECK(c.get_set(set_id(0x02)).value()->tags == std::vector<std::string>{"gold", "monthly"});
  auto runs = c.runs_since(INT64_MIN).value();
  REQUIRE(runs.size() == 3);
  for (const auto& r : runs) {
    CHECK(r.metrics == RunMetrics{});  // NULL: not measured
    CHECK(r.transfers.empty());
  }
  CHECK(runs[2].source == "app");
  CHECK(runs[2].exit_code == 0);
  CHECK(runs[2].set_id == set_id(0x03));
  CHECK(c.last_runs("cairn-pack").value().empty());  // none has a duration
  CHECK(c.last_transfers().value().empty());
  // The next run of app measures itself and is the last one.
  const auto id = c.record_run(run("cairn-pack", "app", "daily", 1700096000000000000, {})).value();
  RunMetrics m{1500, 12, 4096, 1024, 512};
  REQUIRE(c.finish_run(id, 1700096001500000000, 0, set_id(0x03), "ok", m));
  auto last = c.last_runs("cairn-pack").value();
  REQUIRE(last.size() == 1);
  CHECK(last[0].id == id);
  CHECK(last[0].metrics == m);
}

TEST_CASE(
    "catalog::Catalog: runs keep what they measured and moved; the last run per source and "
    "class, the last transfer per destination and direction",
    "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  const std::string nas = "file:///mnt/nas", s3 = "s3://bucket/cairn";
  // app: an older measured run, a newer measured failure, and a newest unfinished one.
  auto a1 = c.record_run(run("cairn-pack", "app", "daily", 100 * kS, {})).value();
  REQUIRE(c.finish_run(a1, 101 * kS, 0, set_id(0x01), "ok", RunMetrics{1000, 3, 3000, 300, 200}));
  auto a2 = c.record_run(run("cairn-pack", "app", "daily", 200 * kS, {})).value();
  REQUIRE(
      c.finish_run(a2, 202 * kS, 1, std::nullopt, "disk full", RunMetrics{2000, 1, 10, {}, {}}));
  REQUIRE(c.record_run(run("cairn-pack", "app", "daily", 300 * kS, {})));  // still running
  // db: measured once; a push of it to two destinations, then a newer one to one of them.
  auto d1 = c.record_run(run("cairn-pack", "db", "weekly", 150 * kS, {})).value();
  REQUIRE(c.finish_run(d1, 151 * kS, 3, std::nullopt, "ok", RunMetrics{500, 2, 100, 100, 90}));
  auto p1 = c.record_run(run("cairn-push", "", "", 160 * kS, {})).value();
  const std::vector<TransferRecord> first{{s3, Direction::push, 9000, 300},
                                          {nas, Direction::push, 8000, 200}};
  REQUIRE(
      c.finish_run(p1, 161 * kS, 0, std::nullopt, "ok", RunMetrics{900, 4, 17000, {}, {}}, first));
  auto p2 = c.record_run(run("cairn-push", "", "", 170 * kS, {})).value();
  REQUIRE(c.finish_run(p2, 171 * kS, 0, std::nullopt, "ok", RunMetrics{400, 1, 100, {}, {}},
                       {{nas, Direction::push, 100, 0}}));
  auto r1 = c.record_run(run("cairn-restore", "", "", 180 * kS, {})).value();
  REQUIRE(c.finish_run(r1, 182 * kS, 0, set_id(0x01), "ok", RunMetrics{2000, 3, 3000, {}, {}},
                       {{nas, Direction::restore, 3000, 1900}}));
  // The same destination and direction twice in one run is refused (the primary key), and
  // the run stays unfinished with nothing moved: the end is recorded whole or not at all.
  auto dup = c.record_run(run("cairn-push", "", "", 190 * kS, {})).value();
  CHECK_FALSE(c.finish_run(dup, 191 * kS, 0, std::nullopt, "ok", {},
                           {{nas, Direction::push, 1, 1}, {nas, Direction::push, 2, 2}}));

  // by start: a1 100, d1 150, p1 160, p2 170, r1 180, dup 190, a2 200, the running one 300
  auto runs = c.runs_since(INT64_MIN).value();
  REQUIRE(runs.size() == 8);
  CHECK(runs[0].metrics == RunMetrics{1000, 3, 3000, 300, 200});
  CHECK(runs[1].metrics == RunMetrics{500, 2, 100, 100, 90});
  // by destination, then direction, whatever order they were given in
  CHECK(runs[2].transfers == std::vector<TransferRecord>{first[1], first[0]});
  CHECK(runs[5].id == dup);
  CHECK(runs[5].ended_ns == std::nullopt);
  CHECK(runs[5].transfers.empty());
  CHECK(runs[6].metrics == RunMetrics{2000, 1, 10, {}, {}});
  CHECK(runs.back().ended_ns == std::nullopt);
  CHECK(runs.back().metrics == RunMetrics{});

  auto last = c.last_runs("cairn-pack").value();
  REQUIRE(last.size() == 2);
  CHECK(last[0].source == "app");
  CHECK(last[0].id == a2);  // the newest finished one with a duration, failed or not
  CHECK(last[0].exit_code == 1);
  CHECK(last[0].metrics.bytes_new == std::nullopt);
  CHECK(last[1].source == "db");
  CHECK(last[1].metrics.duration_ms == 500u);
  CHECK(c.last_runs("cairn-push").value().size() == 1);  // one group: source ""
  // The two newest per group, newest first: app's failure, then its older success.
  auto two = c.last_runs("cairn-pack", 2).value();
  REQUIRE(two.size() == 3);
  CHECK(two[0].id == a2);
  CHECK(two[1].id == a1);
  CHECK(two[2].id == d1);

  auto moved = c.last_transfers().value();
  REQUIRE(moved.size() == 3);
  CHECK(moved[0].transfer == TransferRecord{nas, Direction::push, 100, 0});
  CHECK(moved[0].run_id == p2);
  CHECK(moved[0].tool == "cairn-push");
  CHECK(moved[0].started_ns == 170 * kS);
  CHECK(moved[0].exit_code == 0);
  CHECK(moved[1].transfer == TransferRecord{nas, Direction::restore, 3000, 1900});
  CHECK(moved[1].tool == "cairn-restore");
  CHECK(moved[2].transfer == TransferRecord{s3, Direction::push, 9000, 300});
  CHECK(moved[2].run_id == p1);

  // A run copied whole (cairn catalog rebuild) keeps its metrics and transfers.
  Scratch other;
  Catalog copy = open_ok(other.db());
  for (const auto& r : runs) REQUIRE(copy.record_run(r));
  auto copied = copy.runs_since(INT64_MIN).value();
  REQUIRE(copied.size() == runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    CHECK(copied[i].metrics == runs[i].metrics);
    CHECK(copied[i].transfers == runs[i].transfers);
  }
  auto copied_moved = copy.last_transfers().value();
  REQUIRE(copied_moved.size() == moved.size());
  for (std::size_t i = 0; i < moved.size(); ++i)
    CHECK(copied_moved[i].transfer == moved[i].transfer);
}
