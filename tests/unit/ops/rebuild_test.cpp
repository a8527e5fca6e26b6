#include <catch2/catch.hpp>

#include <algorithm>

#include "ops/hold.hpp"
#include "ops/policy_check.hpp"
#include "ops/rebuild.hpp"
#include "prune_fixture.hpp"

using namespace prune_test;

namespace {

Result<ops::Outcome> rebuild(const Fixture& fx, int* warnings = nullptr) {
  InfoObserver obs;
  CancelToken cancel;
  auto r = ops::rebuild_catalog(ops::RebuildOptions{fx.ro}, obs, cancel);
  if (warnings) *warnings = obs.warnings;
  return r;
}

void remove_catalog(const Fixture& fx) {
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(fs::path(fx.ro.catalog->string() + s));
}

// Three sources, three kinds, two classes.
struct Mixed {
  hash::SetId full, diff, incr;
  explicit Mixed(const Fixture& fx) {
    const Files base{{"a", random_content(100u << 10)}, {"b", random_content(20u << 10)}};
    full = fx.pack_set("db", "critical", kT0, base, model::SetKind::full);
    Files changed = base;
    changed[1].second = random_content(30u << 10);
    diff = fx.pack_set("db", "critical", kT0 + kHour, changed, model::SetKind::differential);
    incr = fx.pack_set("app", "daily", kT0 + 2 * kHour, Files{{"c", random_content(50u << 10)}});
  }
};

}  // namespace

TEST_CASE("ops::rebuild_catalog: recreates every set from the repository alone", "[ops][rebuild]") {
  Fixture fx;
  Mixed m(fx);
  auto before = fx.catalog().list_sets();
  REQUIRE(before);
  REQUIRE(before->size() == 3);
  std::map<hash::SetId, std::vector<hash::PackId>> packs_before;
  for (const auto& s : *before) packs_before[s.id] = fx.catalog().packs_of(s.id).value();

  remove_catalog(fx);
  auto r = rebuild(fx);
  if (!r) FAIL(r.error().message);
  CHECK(r->result == "catalog '" + fx.ro.catalog->string() +
                         "': 3 sets from the repository, 0 pruned kept from the old catalog");
  auto cat = fx.catalog();
  auto after = cat.list_sets();
  REQUIRE(after);
  REQUIRE(after->size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    catalog::SetRecord want = (*before)[i];
    catalog::SetRecord got = (*after)[i];
    INFO(want.id.hex());
    CHECK(got.id == want.id);
    CHECK(got.seq == want.seq);
    CHECK(got.source == want.source);
    CHECK(got.host == want.host);
    CHECK(got.kind == want.kind);
    CHECK(got.parent == want.parent);
    CHECK(got.retention_class == want.retention_class);
    CHECK(got.started_ns == want.started_ns);
    CHECK(got.ended_ns == want.ended_ns);
    CHECK(got.status == catalog::SetStatus::committed);
    CHECK(got.files == want.files);
    CHECK(got.bytes_read == want.bytes_read);
    CHECK(got.bytes_new == want.bytes_new);
    CHECK(got.bytes_stored == want.bytes_stored);
    CHECK(cat.packs_of(got.id).value() == packs_before[got.id]);
  }
  CHECK((*after)[1].kind == model::SetKind::differential);
  CHECK((*after)[1].parent == m.full);
  // The catalog's own audit log records the rebuild.
  auto audit = cat.audit_log(0);
  REQUIRE(audit);
  REQUIRE(!audit->empty());
  CHECK(audit->back().command == "cairn catalog rebuild");
}

TEST_CASE("ops::rebuild_catalog: keeps holds, pruned rows and history of a readable old catalog",
          "[ops][rebuild]") {
  Fixture fx;
  // Written first (the lowest seq) and dated first: keep-last = 1 drops it.
  const auto old_app =
      fx.pack_set("app", "daily", kT0 - kDay, Files{{"old", random_content(10u << 10)}});
  Mixed m(fx);
  CountingObserver obs;
  io::StringWriter hold_out;
  REQUIRE(ops::hold(ops::HoldOptions{fx.ro, m.diff.hex(), true, "audit 2025"}, hold_out, obs));
  fx.policy("[class.daily]\nkeep-last = 1\n[class.critical]\nkeep-last = 2\n");
  const Pruned p = fx.prune();
  REQUIRE(p.result);
  REQUIRE_FALSE(fx.set_exists(old_app));
  {
    auto cat = fx.catalog();
    catalog::RunRecord run;
    run.tool = "cairn-verify";
    run.started_ns = kT0;
    REQUIRE(cat.record_run(run));
  }

  auto r = rebuild(fx);
  if (!r) FAIL(r.error().message);
  CHECK(r->result.ends_with(": 3 sets from the repository, 1 pruned kept from the old catalog"));
  CHECK(fs::exists(fs::path(fx.ro.catalog->string() + ".old")));
  auto cat = fx.catalog();
  auto held = cat.get_set(m.diff).value();
  REQUIRE(held);
  CHECK(held->legal_hold);
  CHECK(held->hold_reason == "audit 2025");
  auto gone = cat.get_set(old_app).value();
  REQUIRE(gone);
  CHECK(gone->status == catalog::SetStatus::pruned);
  auto runs = cat.runs_since(0).value();
  CHECK(std::any_of(runs.begin(), runs.end(),
                    [](const auto& x) { return x.tool == "cairn-verify"; }));
  auto audit = cat.audit_log(0).value();
  CHECK(std::any_of(audit.begin(), audit.end(),
                    [](const auto& a) { return a.command.rfind("cairn hold ", 0) == 0; }));

  // Without the old catalog, the hold comes back from the repository's signed hold record.
  remove_catalog(fx);
  REQUIRE(rebuild(fx));
  auto again = fx.catalog().get_set(m.diff).value();
  CHECK(again->legal_hold);
  CHECK(again->hold_reason == "audit 2025");
  CHECK_FALSE(fx.catalog().get_set(old_app).value().has_value());
}

TEST_CASE("ops::hold: writes a signed hold record that a rebuild from the repository alone honours",
          "[ops][hold][rebuild]") {
  Fixture fx;
  Mixed m(fx);
  CountingObserver obs;
  io::StringWriter hold_out;
  REQUIRE(ops::hold(ops::HoldOptions{fx.ro, m.full.hex(), true, "case 17"}, hold_out, obs));
  REQUIRE(ops::hold(ops::HoldOptions{fx.ro, m.incr.hex(), true, "case 18"}, hold_out, obs));
  REQUIRE(ops::hold(ops::HoldOptions{fx.ro, m.incr.hex(), false, ""}, hold_out, obs));
  // one "+holds/<64 hex>" line per change, for cairn-push
  std::istringstream lines(hold_out.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    CHECK(line.rfind("+holds/", 0) == 0);
    CHECK(line.size() == 7 + 64);
    CHECK(fs::exists(fx.ro.repo / line.substr(1)));
    ++n;
  }
  CHECK(n == 3);
  remove_catalog(fx);
  REQUIRE(rebuild(fx));
  auto full = fx.catalog().get_set(m.full).value();
  CHECK(full->legal_hold);
  CHECK(full->hold_reason == "case 17");
  CHECK_FALSE(fx.catalog().get_set(m.incr).value()->legal_hold);  // the release is newer

  // A hold record that does not authenticate is reported and skipped: it never blocks a rebuild.
  const fs::path rec = fx.ro.repo / hold_out.out.substr(1, 7 + 64 - 1);
  {
    std::fstream f(rec, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('X');
  }
  int warnings = 0;
  auto bad = rebuild(fx, &warnings);
  REQUIRE(bad);
  CHECK(warnings == 1);
  CHECK(bad->warnings == 1);
}

TEST_CASE("ops::rebuild_catalog: a damaged catalog file is replaced, and kept aside",
          "[ops][rebuild]") {
  Fixture fx;
  Mixed m(fx);
  {
    std::ofstream out(*fx.ro.catalog, std::ios::trunc | std::ios::binary);
    out << "this is not a database at all, just bytes, bytes and more bytes.............";
  }
  fs::remove(fs::path(fx.ro.catalog->string() + "-wal"));
  fs::remove(fs::path(fx.ro.catalog->string() + "-shm"));
  REQUIRE_FALSE(ops::open_context(fx.ro));
  auto r = rebuild(fx);
  if (!r) FAIL(r.error().message);
  CHECK(fx.catalog().list_sets().value().size() == 3);
  std::ifstream kept(fx.ro.catalog->string() + ".old");
  std::string text((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
  CHECK(text.rfind("this is not a database", 0) == 0);
}

TEST_CASE(
    "ops::hold: needs a reason; holds, replaces the reason, releases; unknown sets are not found",
    "[ops][hold]") {
  Fixture fx;
  Mixed m(fx);
  CountingObserver obs;
  io::StringWriter hold_out;
  auto no_reason = ops::hold(ops::HoldOptions{fx.ro, m.incr.hex(), true, ""}, hold_out, obs);
  REQUIRE_FALSE(no_reason);
  CHECK(no_reason.error().code == Errc::usage);
  REQUIRE(ops::hold(ops::HoldOptions{fx.ro, "app@latest", true, "first"}, hold_out, obs));
  CHECK(fx.catalog().get_set(m.incr).value()->hold_reason == "first");
  REQUIRE(ops::hold(ops::HoldOptions{fx.ro, m.incr.hex().substr(0, 10), true, "second"}, hold_out,
                    obs));
  CHECK(fx.catalog().get_set(m.incr).value()->hold_reason == "second");
  REQUIRE(ops::hold(ops::HoldOptions{fx.ro, m.incr.hex(), false, ""}, hold_out, obs));
  auto rec = fx.catalog().get_set(m.incr).value();
  CHECK_FALSE(rec->legal_hold);
  CHECK(rec->hold_reason.empty());
  auto unknown = ops::hold(ops::HoldOptions{fx.ro, "abcdef", true, "x"}, hold_out, obs);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == Errc::not_found);
}

TEST_CASE("ops::hold: rescues a set marked pruned whose object is still there", "[ops][hold]") {
  Fixture fx;
  Mixed m(fx);
  REQUIRE(fx.catalog().set_status(m.incr, catalog::SetStatus::pruned));
  CountingObserver obs;
  io::StringWriter hold_out;
  REQUIRE(ops::hold(ops::HoldOptions{fx.ro, m.incr.hex(), true, "keep it"}, hold_out, obs));
  auto rec = fx.catalog().get_set(m.incr).value();
  CHECK(rec->status == catalog::SetStatus::committed);
  CHECK(rec->legal_hold);
}

TEST_CASE("ops::policy_check: prints what each class keeps; names the line of a problem",
          "[ops][policy]") {
  Fixture fx;
  fx.policy(
      "[class.daily]\nkeep-last = 3\nkeep-daily = 14\nkeep-weekly = 1\nkeep-within = \"2w\"\nrpo = "
      "\"26h\"\n"
      "min-copies = 2\ndestinations = [\"s3://b/app\"]\n[class.raw]\nrto = \"1h\"\n");
  io::StringWriter out;
  auto r = ops::policy_check(ops::PolicyCheckOptions{fx.policy_file, false}, out);
  if (!r) FAIL(r.error().message);
  CHECK(
      out.out ==
      "policy '" + fx.policy_file.string() +
          "': 2 classes\n"
          "class daily (line 1)\n"
          "  keeps: the 3 newest sets; the newest set of each of the 14 newest days with a set; "
          "the newest set "
          "of the newest ISO week with a set (UTC); every set less than 2w older than the newest\n"
          "  objectives: rpo 26h\n"
          "  copies: 2 copies on s3://b/app\n"
          "class raw (line 9)\n"
          "  keeps: every set (no retention rules)\n"
          "  objectives: rto 1h\n");
  fx.policy("[class.daily]\nkeep-last = 3\nkeep-montly = 1\n");
  io::StringWriter bad_out;
  auto bad = ops::policy_check(ops::PolicyCheckOptions{fx.policy_file, false}, bad_out);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::bad_input);
  CHECK(bad.error().message == "policy '" + fx.policy_file.string() +
                                   "' line 3: unknown key 'keep-montly' in [class.daily]");
}
