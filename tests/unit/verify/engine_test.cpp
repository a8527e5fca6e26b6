// The verify engine on its own: its option pieces, its report lines, and the structural phases
// on a repository opened directly (ops::verify, the use case, is tested in tests/unit/ops).
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "backend/backend.hpp"
#include "base/time.hpp"
#include "catalog/catalog.hpp"
#include "io/file.hpp"
#include "repo/repo.hpp"
#include "repo/repo_fixture.hpp"  // tests/unit/repo: TestRepo
#include "verify/engine.hpp"
#include "verify/report.hpp"

using namespace cairn;

namespace {

// An empty repository and catalog, and the structural phases run over them as the use case
// (ops::verify) runs them.
struct Engine {
  test::TestRepo tr;
  std::unique_ptr<repo::Repository> repo = tr.open();
  std::optional<catalog::Catalog> cat;

  Engine() {
    auto c = catalog::Catalog::open(tr.scratch.dir / "catalog.db", to_hex(repo->config().repo_id));
    REQUIRE(c);
    cat.emplace(std::move(*c));
  }

  std::string run_structure(verify::Summary& summary) {
    io::StringWriter out;
    verify::Report report(out, false);
    verify::Options o;
    CountingObserver obs;
    CancelToken cancel;
    verify::Run run{o, *repo, *cat, report, obs, cancel};
    run.listed_sets = repo::Repository::list_sets_at(tr.dir);
    REQUIRE(verify::scan_storage(run));
    REQUIRE(verify::load_sets(run));
    verify::check_chain(run);
    REQUIRE(verify::check_sets(run));
    verify::count_garbage(run);
    REQUIRE(verify::report_damage(run));
    run.summary.damaged = run.damage_count();
    REQUIRE(report.summary(run.summary));
    summary = run.summary;
    return out.out;
  }
};

}  // namespace

TEST_CASE("verify engine: an empty repository is whole", "[verify]") {
  Engine e;
  CHECK(repo::Repository::list_sets_at(e.tr.dir)->empty());
  CHECK_FALSE(repo::Repository::list_sets_at(e.tr.scratch.dir / "absent"));
  verify::Summary s;
  const std::string out = e.run_structure(s);
  CHECK(s.sets == 0);
  CHECK(s.damaged == 0);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);  // the summary line alone
  CHECK(out.find(": 0 damaged") != std::string::npos);
}

TEST_CASE("verify engine: an index file whose content does not match its name is damage",
          "[verify]") {
  Engine e;
  const std::string name(64, 'a');
  auto be = backend::open_local(e.tr.dir, false);
  REQUIRE(be);
  const Bytes junk(100, 7);
  REQUIRE((*be)->put(backend::Key{backend::Kind::index, name}, junk));
  auto raw = e.repo->read_object(backend::Key{backend::Kind::index, name});
  REQUIRE(raw);
  CHECK(raw->size() == junk.size());
  auto info = e.repo->stat_object(backend::Key{backend::Kind::index, name});
  REQUIRE(info);
  CHECK(info->has_value());
  std::set<std::string> listed;
  REQUIRE(e.repo->list_objects(backend::Kind::index, [&](const backend::ObjectInfo& i) -> Status {
    listed.insert(i.key.name);
    return {};
  }));
  CHECK(listed.contains(name));

  verify::Summary s;
  const std::string out = e.run_structure(s);
  CHECK(s.damaged == 1);
  CHECK(out.find("damaged index " + name + ": its content does not match its name") !=
        std::string::npos);
}

TEST_CASE("verify engine: report paths are one printable token", "[verify]") {
  CHECK(verify::printable_path("a\nb\\c") == "a\\x0ab\\x5cc");
}

TEST_CASE("verify: format_duration_short, as the --max-age report prints ages", "[verify]") {
  constexpr std::int64_t s = 1'000'000'000;
  CHECK(format_duration_short(3 * 86400 * s + 4 * 3600 * s + 59 * s, " ", true) == "3d 4h");
  CHECK(format_duration_short(5 * 3600 * s + 12 * 60 * s, " ", true) == "5h 12m");
  CHECK(format_duration_short(9 * s, " ", true) == "9s");
}

TEST_CASE(
    "verify::parse_subset and select_packs: parts cover every pack once, percentages at least one",
    "[verify]") {
  CHECK(verify::parse_subset("")->kind == verify::DataSubset::Kind::all);
  CHECK(verify::parse_subset("all")->kind == verify::DataSubset::Kind::all);
  auto part = verify::parse_subset("2/7");
  REQUIRE(part);
  CHECK(part->kind == verify::DataSubset::Kind::part);
  CHECK(part->index == 2);
  CHECK(part->count == 7);
  auto pct = verify::parse_subset("12.5%");
  REQUIRE(pct);
  CHECK(pct->percent == 12.5);
  for (const char* bad : {"0/3", "4/3", "1/0", "/3", "1/", "0%", "101%", "x%", "ten", "1/3x"}) {
    INFO(bad);
    auto r = verify::parse_subset(bad);
    REQUIRE(!r);
    CHECK(r.error().code == Errc::usage);
  }

  std::vector<hash::PackId> ids(10);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ids[i].d.b[0] = 0x10;
    ids[i].d.b[7] = static_cast<std::uint8_t>(i);
  }
  std::mt19937_64 rng{42};
  std::multiset<hash::PackId> seen;
  for (unsigned i = 1; i <= 4; ++i) {
    auto got = verify::select_packs(
        ids, verify::DataSubset{verify::DataSubset::Kind::part, 100, i, 4}, rng);
    seen.insert(got.begin(), got.end());
  }
  CHECK(seen == std::multiset<hash::PackId>(ids.begin(), ids.end()));
  // A pack's part comes from its name, not its position: packs added between two runs shift
  // nothing, so the N runs still read every pack present through all of them exactly once.
  CHECK(verify::part_of(ids[5], 4) == 2);  // name 10...05: 5 % 4 + 1
  // (the added packs sort first, so every later position moves)
  std::vector<hash::PackId> grown = ids;
  for (std::uint8_t k = 0; k < 3; ++k) {
    hash::PackId p;
    p.d.b[7] = static_cast<std::uint8_t>(k * 3);
    grown.push_back(p);
  }
  std::sort(grown.begin(), grown.end());
  std::multiset<hash::PackId> seen_grown;
  for (unsigned i = 1; i <= 4; ++i) {
    auto got = verify::select_packs(
        i <= 2 ? ids : grown, verify::DataSubset{verify::DataSubset::Kind::part, 100, i, 4}, rng);
    for (const auto& id : got)
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) seen_grown.insert(id);
  }
  CHECK(seen_grown == std::multiset<hash::PackId>(ids.begin(), ids.end()));
  CHECK(
      verify::select_packs(ids, verify::DataSubset{verify::DataSubset::Kind::percent, 1, 1, 1}, rng)
          .size() == 1);
  CHECK(verify::select_packs(ids, verify::DataSubset{verify::DataSubset::Kind::percent, 50, 1, 1},
                             rng)
            .size() == 5);
  CHECK(
      verify::select_packs({}, verify::DataSubset{verify::DataSubset::Kind::percent, 50, 1, 1}, rng)
          .empty());
}
