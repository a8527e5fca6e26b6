#include <catch2/catch.hpp>

#include <fstream>

#include "base/tempdir.hpp"

using namespace cairn;
namespace fs = std::filesystem;

TEST_CASE("base::TempDir: a fresh private directory, removed with its contents", "[base]") {
  fs::path kept;
  {
    auto t = TempDir::create("cairn-tempdir-test-");
    REQUIRE(t);
    kept = t->path();
    CHECK(fs::is_directory(kept));
    CHECK(kept.filename().string().starts_with("cairn-tempdir-test-"));
    CHECK((fs::status(kept).permissions() & fs::perms::all) == fs::perms::owner_all);
    fs::create_directories(kept / "a" / "b");
    std::ofstream(kept / "a" / "b" / "f") << "x";
    TempDir moved = std::move(*t);
    CHECK(t->path().empty());
    CHECK(moved.path() == kept);
  }
  CHECK_FALSE(fs::exists(kept));
}

TEST_CASE("base::TempDir: a parent of our choosing, release, and a parent that is not there",
          "[base]") {
  auto parent = TempDir::create("cairn-tempdir-parent-");
  REQUIRE(parent);
  fs::path released;
  {
    auto t = TempDir::create("x-", parent->path());
    REQUIRE(t);
    CHECK(t->path().parent_path() == parent->path());
    released = t->release();
    CHECK(t->path().empty());
  }
  CHECK(fs::is_directory(released));  // released: left in place

  auto bad = TempDir::create("x-", parent->path() / "missing");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::not_found);
  CHECK(bad.error().message.starts_with("cannot create a temporary directory in '"));
  auto named = TempDir::create("x-", parent->path() / "missing", "a pack cache");
  REQUIRE_FALSE(named);
  CHECK(named.error().message.starts_with("cannot create a pack cache in '"));
}
