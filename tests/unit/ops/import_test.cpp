#include <catch2/catch.hpp>

#include <fstream>

#include "ops/import.hpp"
#include "prune_fixture.hpp"

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
