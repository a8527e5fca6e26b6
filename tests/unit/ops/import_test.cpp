#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>

#include <fmt/format.h>

#include "ops/import.hpp"
#include "prune_fixture.hpp"
#include "support/repo.hpp"

using namespace prune_test;

TEST_CASE(
    "ops::import_sets: a damaged set object is named, left out and counted; the others are "
    "imported",
    "[ops][import]") {
  Fixture fx;
  const auto a = fx.pack_set("db", "daily", kT0, Files{{"a", random_content(10u << 10)}},
                             model::SetKind::full);
  const auto b = fx.pack_set("db", "daily", kT0 + kHour, Files{{"b", random_content(10u << 10)}});
  const auto c = fx.pack_set("db", "daily", kT0 + 2 * kHour,
                             Files{{"c", random_content(10u << 10)}}, model::SetKind::differential);
  {
    const fs::path obj = fx.ro.repo / "sets" / b.hex();
    std::fstream f(obj, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(fs::file_size(obj) / 2);
    f.seekg(at);
    const char was = static_cast<char>(f.get());
    f.seekp(at);
    f.put(static_cast<char>(~was));
  }
  auto r = fx.open();
  auto cat = catalog::Catalog::open(fx.dir / "imported.db", to_hex(r->config().repo_id));
  REQUIRE(cat);
  InfoObserver obs;
  auto tx = cat->begin();
  REQUIRE(tx);
  auto imported = ops::import_sets(*r, *cat, obs);
  if (!imported) FAIL(imported.error().message);
  REQUIRE(tx->commit());
  CHECK(imported->ids == std::vector<hash::SetId>{a, c});
  CHECK(imported->warnings == 1);
  REQUIRE(obs.lines.size() == 1);
  CHECK(obs.lines[0].rfind("set " + b.hex() + ": ", 0) == 0);
  CHECK(cat->get_set(a).value()->kind == model::SetKind::full);
  CHECK(cat->get_set(c).value()->kind == model::SetKind::differential);
  CHECK_FALSE(cat->get_set(b).value().has_value());
}

TEST_CASE("ops::import_sets: set objects are read several at a time, and imported in order",
          "[ops][import]") {
  // A fresh host (restore --from, a rebuilt catalog) reads every set object: on a remote
  // repository a round trip each, which one reader waits for one after another.
  Fixture fx;
  std::vector<hash::SetId> made;
  for (int i = 0; i < 6; ++i)
    made.push_back(fx.pack_set("db", "daily", kT0 + i * kHour,
                               Files{{fmt::format("f{}", i), random_content(1000)}}));
  auto local = backend::open_local(fx.ro.repo, false);
  REQUIRE(local);
  auto slow = std::make_unique<test::SlowReads>(std::move(*local), backend::Kind::set,
                                                std::chrono::milliseconds(100));
  test::SlowReads& storage = *slow;
  auto r = repo::Repository::open(std::move(slow), fx.ro.unlock, fx.ro.repo / "tmp");
  REQUIRE(r);
  auto cat = catalog::Catalog::open(fx.dir / "imported.db", to_hex((*r)->config().repo_id));
  REQUIRE(cat);
  InfoObserver obs;
  auto tx = cat->begin();
  REQUIRE(tx);
  auto imported = ops::import_sets(**r, *cat, obs);
  if (!imported) FAIL(imported.error().message);
  REQUIRE(tx->commit());
  CHECK(imported->ids == made);  // in the sets' order, whatever order the reads ended in
  CHECK(imported->warnings == 0);
  CHECK(storage.most.load() >= 2);
  for (const auto& id : made) CHECK(cat->get_set(id).value().has_value());
}
