#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "base/tempdir.hpp"
#include "monitor/status.hpp"

using namespace cairn;
using namespace cairn::monitor;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kH = 3600 * kS;
constexpr std::int64_t kD = 24 * kH;
constexpr std::int64_t kNow = 1'800'000'000 * kS;

hash::SetId set_id(std::uint8_t a) {
  hash::SetId id;
  id.d.b.fill(0x22);
  id.d.b[0] = a;
  return id;
}

catalog::SetRecord make_set(std::uint8_t n, std::string source, std::string cls,
                            std::int64_t started_ns) {
  catalog::SetRecord r;
  r.id = set_id(n);
  r.seq = n;
  r.source = std::move(source);
  r.host = "h";
  r.retention_class = std::move(cls);
  r.started_ns = started_ns;
  r.ended_ns = started_ns + kS;
  r.bytes_read = 4000;
  r.bytes_stored = 1000;
  r.first_seen_ns = started_ns;  // as if recorded when made (the tests' clock is kNow)
  return r;
}

StatusFacts facts_with_set(std::int64_t age_ns) {
  StatusFacts f;
  f.source = "app";
  f.retention_class = "daily";
  f.last_good = make_set(1, "app", "daily", kNow - age_ns);
  f.sets = 1;
  f.first_ns = kNow - age_ns;
  f.bytes_read = 4000;
  f.bytes_stored = 1000;
  f.window_stored = 1000;
  return f;
}

catalog::VerifyRecord drill(std::int64_t started, bool ok, std::optional<std::uint64_t> ms) {
  catalog::VerifyRecord v;
  v.kind = catalog::VerifyKind::drill;
  v.started_ns = started;
  v.ok = ok;
  v.restore_ms = ms;
  v.detail = ok ? "ok" : "3 files differ";
  return v;
}

ObjectiveState state(const StatusLine& l, Objective o) {
  for (const auto& r : l.objectives)
    if (r.objective == o) return r.state;
  FAIL("objective missing");
  return ObjectiveState::unset;
}

struct Scratch {
  TempDir tmp = TempDir::create("cairn-status-").value();
  fs::path dir = tmp.path();
};

// A strict reader of the text exposition format: every sample's metric has a TYPE line
// before it, names and label names are valid, label values are properly quoted and escaped,
// values parse as floats. Returns metric -> samples ("name{labels}" -> value).
std::map<std::string, double> parse_exposition(const std::string& text,
                                               std::set<std::string>& typed) {
  static const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
  static const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$)");
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (\S+)$)");
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, help)) continue;
    if (std::regex_match(line, m, type)) {
      INFO(line);
      CHECK(typed.insert(m[1]).second);  // one TYPE per metric
      continue;
    }
    INFO(line);
    REQUIRE(std::regex_match(line, m, sample));
    CHECK(typed.count(m[1]) == 1);
    const std::string value = m[7];
    std::size_t used = 0;
    const double v = std::stod(value, &used);
    CHECK(used == value.size());
    out[line.substr(0, line.rfind(' '))] = v;
  }
  return out;
}

}  // namespace

TEST_CASE("monitor::evaluate_status: a newest set older than the rpo violates it", "[monitor]") {
  policy::Class cls;
  cls.rpo_ns = 26 * kH;
  auto fresh = evaluate_status(facts_with_set(2 * kH), &cls, kNow);
  CHECK(state(fresh, Objective::rpo) == ObjectiveState::ok);
  CHECK(fresh.violated() == 0);
  CHECK(fresh.age_ns == 2 * kH);
  auto stale = evaluate_status(facts_with_set(27 * kH), &cls, kNow);
  CHECK(state(stale, Objective::rpo) == ObjectiveState::violated);
  CHECK(stale.violated() == 1);
  CHECK_THAT(stale.objectives[0].detail, Catch::Contains("1d3h old") && Catch::Contains("rpo 26h"));
  // No good set at all (every one damaged) violates it as well.
  StatusFacts none = facts_with_set(kH);
  none.last_good.reset();
  none.damaged = 1;
  auto broken = evaluate_status(none, &cls, kNow);
  CHECK(state(broken, Objective::rpo) == ObjectiveState::violated);
  CHECK_THAT(broken.objectives[0].detail, Catch::Contains("damaged"));
  // Without a class, nothing is checked.
  auto free = evaluate_status(facts_with_set(400 * kD), nullptr, kNow);
  CHECK(free.violated() == 0);
  CHECK_FALSE(free.class_in_policy);
  for (const auto& o : free.objectives) CHECK(o.state == ObjectiveState::unset);
}

TEST_CASE("monitor::evaluate_status: the last drill's restore time is checked against the rto",
          "[monitor]") {
  policy::Class cls;
  cls.rto_ns = 2 * kH;
  StatusFacts f = facts_with_set(kH);
  auto none = evaluate_status(f, &cls, kNow);
  CHECK(state(none, Objective::rto) == ObjectiveState::unknown);
  CHECK(none.violated() == 0);

  f.last_drill = drill(kNow - kH, true, 90 * 60 * 1000);  // 90 minutes
  CHECK(state(evaluate_status(f, &cls, kNow), Objective::rto) == ObjectiveState::ok);
  f.last_drill = drill(kNow - kH, true, 3 * 3600 * 1000);  // 3 hours
  auto slow = evaluate_status(f, &cls, kNow);
  CHECK(state(slow, Objective::rto) == ObjectiveState::violated);
  CHECK_THAT(slow.objectives[1].detail, Catch::Contains("took 3h") && Catch::Contains("rto 2h"));
  f.last_drill = drill(kNow - kH, false, std::nullopt);
  auto failed = evaluate_status(f, &cls, kNow);
  CHECK(state(failed, Objective::rto) == ObjectiveState::violated);
  CHECK_THAT(failed.objectives[1].detail, Catch::Contains("failed: 3 files differ"));

  // No drill ever: unknown, until verify-every has passed since the first set.
  cls.verify_every_ns = 7 * kD;
  f.last_drill.reset();
  f.first_ns = kNow - 6 * kD;
  CHECK(state(evaluate_status(f, &cls, kNow), Objective::rto) == ObjectiveState::unknown);
  f.first_ns = kNow - 8 * kD;
  CHECK(state(evaluate_status(f, &cls, kNow), Objective::rto) == ObjectiveState::violated);
}

TEST_CASE(
    "monitor::evaluate_status: verify cadence counts from the last good verification, else the "
    "first set",
    "[monitor]") {
  policy::Class cls;
  cls.verify_every_ns = 7 * kD;
  StatusFacts f = facts_with_set(kH);
  f.first_ns = kNow - 3 * kD;
  CHECK(state(evaluate_status(f, &cls, kNow), Objective::verify) == ObjectiveState::ok);
  f.first_ns = kNow - 10 * kD;
  auto never = evaluate_status(f, &cls, kNow);
  CHECK(state(never, Objective::verify) == ObjectiveState::violated);
  CHECK_THAT(never.objectives[2].detail, Catch::Contains("never verified"));
  catalog::VerifyRecord v;
  v.kind = catalog::VerifyKind::structure;
  v.ok = true;
  v.started_ns = kNow - 2 * kD;
  f.last_verify = v;
  CHECK(state(evaluate_status(f, &cls, kNow), Objective::verify) == ObjectiveState::ok);
  f.last_verify->started_ns = kNow - 8 * kD;
  auto old = evaluate_status(f, &cls, kNow);
  CHECK(state(old, Objective::verify) == ObjectiveState::violated);
  CHECK_THAT(old.objectives[2].detail, Catch::Contains("8d ago"));
}

TEST_CASE(
    "monitor::evaluate_status: copies are the local repository plus each destination holding the "
    "newest set",
    "[monitor]") {
  policy::Class cls;
  cls.min_copies = 3;
  cls.destinations = {"s3://dr-east/app", "sftp://nas/app"};
  StatusFacts f = facts_with_set(kH);
  f.destinations = {"s3://dr-east/app"};
  auto one_short = evaluate_status(f, &cls, kNow);
  CHECK(one_short.copies == 2);
  CHECK(state(one_short, Objective::copies) == ObjectiveState::violated);
  CHECK(one_short.missing_destinations == std::vector<std::string>{"sftp://nas/app"});
  CHECK_THAT(one_short.objectives[3].detail,
             Catch::Contains("2 copies") && Catch::Contains("not on sftp://nas/app"));
  f.destinations = {"file:///mnt/usb", "s3://dr-east/app"};
  auto enough = evaluate_status(f, &cls, kNow);
  CHECK(enough.copies == 3);
  CHECK(state(enough, Objective::copies) == ObjectiveState::ok);
  f.last_good.reset();
  CHECK(evaluate_status(f, &cls, kNow).copies == 0);
}

TEST_CASE("monitor::evaluate_status: success rate, dedup ratio and growth per day", "[monitor]") {
  StatusFacts f = facts_with_set(kH);
  f.runs.ok = 6;
  f.runs.warnings = 1;
  f.runs.failed = 2;
  f.runs.abandoned = 1;
  f.runs.running = 5;  // not counted
  f.bytes_read = 10'000;
  f.bytes_stored = 2'500;
  f.first_ns = kNow - 10 * kD;
  f.window_stored = 5'000;
  auto l = evaluate_status(f, nullptr, kNow);
  REQUIRE(l.success_rate);
  CHECK(*l.success_rate == Approx(0.7));
  REQUIRE(l.dedup_ratio);
  CHECK(*l.dedup_ratio == Approx(4.0));
  CHECK(l.growth_per_day == Approx(500.0));
  f.first_ns = kNow - kH;  // a new source: at least a day
  CHECK(evaluate_status(f, nullptr, kNow).growth_per_day == Approx(5000.0));
  f.first_ns = kNow - 300 * kD;  // at most the 30-day window
  CHECK(evaluate_status(f, nullptr, kNow).growth_per_day == Approx(5000.0 / 30));
  f.runs = {};
  f.bytes_stored = 0;
  auto empty = evaluate_status(f, nullptr, kNow);
  CHECK_FALSE(empty.success_rate);
  CHECK_FALSE(empty.dedup_ratio);
}

TEST_CASE("monitor::prometheus_label_value: escapes backslash, quote and newline, and stays UTF-8",
          "[monitor]") {
  CHECK(prometheus_label_value("plain") == "plain");
  CHECK(prometheus_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(prometheus_label_value("r\xc3\xa9sum\xc3\xa9") == "r\xc3\xa9sum\xc3\xa9");  // UTF-8 kept
  CHECK(prometheus_label_value("latin1-\xe9\xff") == "latin1-??");
}

TEST_CASE("monitor::gather_status: reads sets, runs, drills and placements per source and class",
          "[monitor]") {
  Scratch s;
  auto opened = catalog::Catalog::open(s.dir / "cat.db", std::string(64, 'c'));
  REQUIRE(opened);
  catalog::Catalog& cat = *opened;
  REQUIRE(cat.insert_set(make_set(1, "app", "daily", kNow - 3 * kD), {}));
  REQUIRE(cat.insert_set(make_set(2, "app", "daily", kNow - 2 * kH), {}));
  auto damaged = make_set(3, "app", "daily", kNow - kH);  // newer, but damaged
  damaged.status = catalog::SetStatus::damaged;
  REQUIRE(cat.insert_set(damaged, {}));
  REQUIRE(cat.insert_set(make_set(4, "pg", "critical", kNow - 5 * kH), {}));
  auto gone = make_set(5, "old", "daily", kNow - 90 * kD);  // pruned away: not reported
  gone.status = catalog::SetStatus::pruned;
  REQUIRE(cat.insert_set(gone, {}));
  REQUIRE(cat.record_placement({set_id(2), "s3://b/app", kNow - kH, std::nullopt}));
  REQUIRE(cat.record_placement(
      {set_id(2), "sftp://nas/app", std::nullopt, std::nullopt}));  // never arrived
  catalog::VerifyRecord d = drill(kNow - kH, true, 1500);
  d.set_id = set_id(2);
  REQUIRE(cat.record_verify(d));
  const auto pack_run = [&](std::string source, std::string cls, std::optional<int> code,
                            std::int64_t at) {
    catalog::RunRecord r;
    r.tool = "cairn-pack";
    r.source = std::move(source);
    r.retention_class = std::move(cls);
    r.started_ns = at;
    if (code) {
      r.ended_ns = at + kS;
      r.exit_code = code;
    }
    REQUIRE(cat.record_run(r));
  };
  pack_run("app", "daily", 0, kNow - 2 * kH);
  pack_run("app", "daily", 1, kNow - 3 * kH);
  pack_run("app", "daily", 0, kNow - 40 * kD);  // outside the window
  pack_run("new", "daily", 1, kNow - 4 * kH);   // a source whose every pack failed
  pack_run("", "", 1, kNow - 4 * kH);           // the stream had no header: no source

  auto pol =
      policy::parse("[class.daily]\nrpo = \"26h\"\nrto = \"1h\"\nmin-copies = 2\n", "p.toml");
  REQUIRE(pol);
  auto r = gather_status(cat, &*pol, kNow);
  REQUIRE(r);
  REQUIRE(r->lines.size() == 3);
  const StatusLine& app = r->lines[0];
  CHECK(app.facts.source == "app");
  REQUIRE(app.facts.last_good);
  CHECK(app.facts.last_good->id == set_id(2));
  CHECK(app.facts.sets == 3);
  CHECK(app.facts.damaged == 1);
  CHECK(app.facts.destinations == std::vector<std::string>{"s3://b/app"});
  CHECK(app.copies == 2);
  REQUIRE(app.success_rate);
  CHECK(*app.success_rate == Approx(0.5));
  REQUIRE(app.facts.last_drill);
  CHECK(app.facts.last_drill->restore_ms == 1500u);
  CHECK(state(app, Objective::rpo) == ObjectiveState::ok);
  CHECK(state(app, Objective::rto) == ObjectiveState::ok);
  CHECK(state(app, Objective::copies) == ObjectiveState::ok);

  const StatusLine& fresh = r->lines[1];
  CHECK(fresh.facts.source == "new");
  CHECK_FALSE(fresh.facts.last_good);
  REQUIRE(fresh.success_rate);
  CHECK(*fresh.success_rate == 0.0);
  CHECK(state(fresh, Objective::rpo) == ObjectiveState::violated);
  CHECK(state(fresh, Objective::copies) == ObjectiveState::violated);

  const StatusLine& pg = r->lines[2];
  CHECK(pg.facts.source == "pg");
  CHECK_FALSE(pg.class_in_policy);
  CHECK(pg.violated() == 0);
  REQUIRE(r->warnings.size() == 1);
  CHECK_THAT(r->warnings[0],
             Catch::Contains("class 'critical' of source 'pg' is not in policy 'p.toml'"));
  CHECK(r->violated() == 2);
  REQUIRE(r->runs_total.size() == 1);
  CHECK(r->runs_total[0].tool == "cairn-pack");
  CHECK(r->runs_total[0].ok == 2);
  CHECK(r->runs_total[0].failed == 3);

  const std::string table = format_status_table(*r);
  CHECK_THAT(table, Catch::Contains("violated: rpo of 'new' (daily): no set yet"));
  CHECK_THAT(table, Catch::Contains("1.5s/1h"));
  CHECK_THAT(table, Catch::Contains("warning: class 'critical'"));
  CHECK_THAT(table, Catch::EndsWith("\n2 objectives violated\n"));
  const std::string json = format_status_json(*r);
  CHECK(std::count(json.begin(), json.end(), '\n') == 3);
  CHECK_THAT(json, Catch::StartsWith("{\"schema\":\"cairn.status/1\",\"source\":\"app\""));
}

TEST_CASE("monitor::format_status_prometheus: valid exposition format with every metric typed",
          "[monitor]") {
  StatusReport r;
  r.generated_ns = kNow;
  r.policy_file = "/etc/cairn/policy.toml";
  policy::Class cls;
  cls.rpo_ns = 26 * kH;
  cls.rto_ns = 2 * kH;
  cls.verify_every_ns = 7 * kD;
  cls.min_copies = 2;
  StatusFacts f = facts_with_set(30 * kH);
  f.source = "we\"ird\\na\nme";
  f.last_drill = drill(kNow - kH, true, 1234);
  f.runs.ok = 3;
  f.runs.failed = 1;
  r.lines.push_back(evaluate_status(f, &cls, kNow));
  catalog::RunTally t;
  t.tool = "cairn-pack";
  t.ok = 3;
  t.failed = 1;
  t.abandoned = 1;
  r.runs_total.push_back(t);

  const std::string text = format_status_prometheus(r);
  std::set<std::string> typed;
  auto samples = parse_exposition(text, typed);
  for (const char* name :
       {"cairn_status_generated_timestamp_seconds", "cairn_last_success_timestamp_seconds",
        "cairn_last_set_age_seconds", "cairn_rpo_seconds", "cairn_rto_seconds",
        "cairn_last_drill_restore_seconds", "cairn_last_verify_timestamp_seconds",
        "cairn_stored_bytes", "cairn_dedup_ratio", "cairn_growth_bytes_per_day", "cairn_copies",
        "cairn_min_copies", "cairn_objective_violated", "cairn_runs_total", "cairn_success_ratio"})
    CHECK(typed.count(name) == 1);
  const std::string l = R"({source="we\"ird\\na\nme",class="daily"})";
  CHECK(samples.at("cairn_status_generated_timestamp_seconds") == Approx(1.8e9));
  CHECK(samples.at("cairn_last_set_age_seconds" + l) == Approx(30 * 3600.0));
  CHECK(samples.at("cairn_rpo_seconds" + l) == Approx(26 * 3600.0));
  CHECK(samples.at("cairn_last_drill_restore_seconds" + l) == Approx(1.234));
  CHECK(samples.at("cairn_success_ratio" + l) == Approx(0.75));
  CHECK(samples.at("cairn_copies" + l) == 1);
  CHECK(
      samples.at(
          R"(cairn_objective_violated{source="we\"ird\\na\nme",class="daily",objective="rpo"})") ==
      1);
  CHECK(
      samples.at(
          R"(cairn_objective_violated{source="we\"ird\\na\nme",class="daily",objective="rto"})") ==
      0);
  CHECK(
      samples.at(
          R"(cairn_objective_violated{source="we\"ird\\na\nme",class="daily",objective="copies"})") ==
      1);
  CHECK(samples.at(R"(cairn_runs_total{tool="cairn-pack",result="failed"})") == 2);
  CHECK(samples.at(R"(cairn_runs_total{tool="cairn-pack",result="ok"})") == 3);
  CHECK(text.find("# TYPE cairn_runs_total counter\n") != std::string::npos);
}

TEST_CASE(
    "monitor::evaluate_destination: the newest drill at a destination against the rto and "
    "verify-every of the drilled set's class, else of the class that lists the destination",
    "[monitor]") {
  const auto pol = policy::parse(
                       "[class.daily]\nrto = \"2h\"\nverify-every = \"7d\"\n"
                       "[class.weekly]\nrto = \"4h\"\ndestinations = [\"/mnt/nas/cairn\"]\n",
                       "p.toml")
                       .value();
  auto at = [](std::int64_t started, bool ok, std::optional<std::uint64_t> ms) {
    auto v = drill(started, ok, ms);
    v.set_id = set_id(1);
    v.target = "file:///mnt/nas/cairn";
    return v;
  };
  const auto set = make_set(1, "app", "daily", kNow - 2 * kD);

  // The drilled set's class.
  auto good = evaluate_destination(at(kNow - kH, true, 90 * 60 * 1000), set, &pol, kNow);
  CHECK(good.destination == "file:///mnt/nas/cairn");
  CHECK(good.retention_class == "daily");
  CHECK(good.objectives[0].state == ObjectiveState::ok);
  CHECK(good.objectives[1].state == ObjectiveState::ok);
  CHECK(good.violated() == 0);
  auto slow = evaluate_destination(at(kNow - kH, true, 3 * 3600 * 1000), set, &pol, kNow);
  CHECK(slow.objectives[0].state == ObjectiveState::violated);
  CHECK_THAT(slow.objectives[0].detail, Catch::Contains("took 3h") && Catch::Contains("rto 2h"));
  auto failed = evaluate_destination(at(kNow - kH, false, std::nullopt), set, &pol, kNow);
  CHECK(failed.objectives[0].state == ObjectiveState::violated);
  CHECK_THAT(failed.objectives[0].detail, Catch::Contains("failed: 3 files differ"));
  auto stale = evaluate_destination(at(kNow - 8 * kD, true, 1000), set, &pol, kNow);
  CHECK(stale.objectives[0].state == ObjectiveState::ok);
  CHECK(stale.objectives[1].state == ObjectiveState::violated);
  CHECK(stale.violated() == 1);

  // A set the catalog does not hold: the class whose destinations name it (any spelling).
  auto unknown =
      evaluate_destination(at(kNow - kH, true, 3 * 3600 * 1000), std::nullopt, &pol, kNow);
  CHECK(unknown.retention_class == "weekly");
  CHECK(unknown.objectives[0].state == ObjectiveState::ok);  // 3h within 4h
  CHECK(unknown.objectives[1].state == ObjectiveState::unset);

  // No policy: shown, nothing checked.
  auto free = evaluate_destination(at(kNow - kH, false, std::nullopt), set, nullptr, kNow);
  CHECK_FALSE(free.retention_class);
  CHECK(free.violated() == 0);
}

TEST_CASE(
    "monitor::gather_status: the last measured pack run per source and class, and the last "
    "transfer per destination and direction, in the table, JSON and textfile",
    "[monitor]") {
  Scratch s;
  auto opened = catalog::Catalog::open(s.dir / "cat.db", std::string(64, 'c'));
  REQUIRE(opened);
  catalog::Catalog& cat = *opened;
  REQUIRE(cat.insert_set(make_set(1, "app", "daily", kNow - 2 * kH), {}));
  const auto finished = [&](std::string tool, std::string source, std::int64_t at, int code,
                            catalog::RunMetrics m, std::vector<catalog::TransferRecord> moved) {
    catalog::RunRecord r;
    r.tool = std::move(tool);
    r.source = std::move(source);
    r.retention_class = r.source.empty() ? "" : "daily";
    r.started_ns = at;
    auto id = cat.record_run(r);
    REQUIRE(id);
    REQUIRE(cat.finish_run(*id, at + kS, code, std::nullopt, "ok", m, moved));
  };
  finished("cairn-pack", "app", kNow - 3 * kH, 0, {4000, 10, 8'000'000, 100, 50}, {});
  finished("cairn-pack", "app", kNow - 2 * kH, 0, {2000, 12, 6'000'000, 200, 80}, {});
  finished("cairn-pack", "new", kNow - kH, 1, {10, 1, 1, {}, {}}, {});  // a run, no set yet
  const std::string nas = "file:///mnt/nas";
  finished("cairn-push", "", kNow - kH, 0, {500, 4, 4'000'000, {}, {}},
           {{nas, catalog::Direction::push, 4'000'000, 400}});
  finished("cairn-restore", "", kNow - kH / 2, 0, {900, 12, 6'000'000, {}, {}},
           {{nas, catalog::Direction::restore, 6'000'000, 0}});

  auto r = gather_status(cat, nullptr, kNow);
  REQUIRE(r);
  REQUIRE(r->lines.size() == 2);
  const StatusLine& app = r->lines[0];
  REQUIRE(r->lines[1].facts.last_run);  // a failed run measured itself too
  CHECK(r->lines[1].facts.last_run->exit_code == 1);
  CHECK(r->lines[1].throughput == Approx(100.0));
  REQUIRE(app.facts.last_run);
  CHECK(app.facts.last_run->metrics.duration_ms == 2000u);  // the newer run
  REQUIRE(app.throughput);
  CHECK(*app.throughput == Approx(3'000'000.0));
  REQUIRE(r->transfers.size() == 2);
  CHECK(r->transfers[0].transfer.direction == catalog::Direction::push);
  CHECK(r->transfers[1].transfer.direction == catalog::Direction::restore);

  const std::string table = format_status_table(*r, true);
  CHECK_THAT(table, Catch::Contains("  1000        2.0s      3000000/s   1/-  "));
  CHECK_THAT(table, Catch::Contains("DIRECTION  DESTINATION      LAST-RUN"));
  CHECK_THAT(table, Catch::Contains("  4000000  400ms     10000000/s\n"));
  CHECK_THAT(table, Catch::Contains("  6000000  0ms       -\n"));  // no rate for 0ms

  const std::string json = format_status_json(*r);
  CHECK(std::count(json.begin(), json.end(), '\n') == 4);
  CHECK_THAT(json, Catch::Contains("\"last_run\":{\"time\":"));
  CHECK_THAT(json, Catch::Contains("\"duration_seconds\":2.0,\"files\":12,\"bytes_read\":6000000,"
                                   "\"bytes_new\":200,\"bytes_stored\":80,"
                                   "\"throughput_bytes_per_second\":3000000.0,"
                                   "\"median_duration_seconds\":null,\"baseline_runs\":1,"
                                   "\"slow\":false,\"warnings\":[]}"));
  CHECK_THAT(json, Catch::Contains("{\"schema\":\"cairn.status.transfer/1\",\"destination\":"
                                   "\"file:///mnt/nas\",\"direction\":\"restore\""));
  CHECK_THAT(json, Catch::Contains("\"bytes\":6000000,\"duration_seconds\":0.0,"
                                   "\"rate_bytes_per_second\":null,\"slow\":false,"
                                   "\"warning\":null}"));

  std::set<std::string> typed;
  auto samples = parse_exposition(format_status_prometheus(*r), typed);
  const std::string l = R"({source="app",class="daily"})";
  CHECK(samples.at("cairn_last_run_duration_seconds" + l) == Approx(2.0));
  CHECK(samples.at("cairn_last_run_bytes_read" + l) == Approx(6e6));
  CHECK(samples.at("cairn_last_run_files" + l) == 12);
  CHECK(samples.at("cairn_last_run_bytes_stored" + l) == 80);
  CHECK(samples.at("cairn_last_run_throughput_bytes_per_second" + l) == Approx(3e6));
  CHECK(samples.at("cairn_last_run_timestamp_seconds" + l) == Approx(1.8e9 - 7200));
  const std::string d = R"({destination="file:///mnt/nas"})";
  CHECK(samples.at("cairn_destination_last_push_bytes" + d) == Approx(4e6));
  CHECK(samples.at("cairn_destination_last_push_duration_seconds" + d) == Approx(0.4));
  CHECK(samples.at("cairn_destination_last_push_rate_bytes_per_second" + d) == Approx(1e7));
  CHECK(samples.at("cairn_destination_last_restore_bytes" + d) == Approx(6e6));
  CHECK(samples.count("cairn_destination_last_restore_rate_bytes_per_second" + d) == 0);
  CHECK(typed.count("cairn_destination_last_restore_rate_bytes_per_second") == 1);
}
