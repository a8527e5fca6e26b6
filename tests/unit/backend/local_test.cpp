#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "backend/backend.hpp"
#include "backend/conformance.hpp"
#include "base/tempdir.hpp"

namespace fs = std::filesystem;
using namespace cairn;
using backend::Key;
using backend::Kind;

namespace {

struct Scratch {
  TempDir tmp = TempDir::create("cairn-backend-").value();
  fs::path dir = tmp.path();
};

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::size_t count_files(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("backend::Local: conformance", "[backend]") {
  Scratch s;
  auto be = backend::open_local(s.dir / "repo", /*create=*/true);
  REQUIRE(be);
  test::run_conformance(**be, s.dir);
}

TEST_CASE("backend::Key: path and from_path are inverses", "[backend]") {
  const std::string id(64, 'a');
  const std::string id2 = "0f" + std::string(62, '1');
  const std::string slot(32, 'c');
  for (const Key& k : {Key::config(), Key::slot(slot), Key::pack(id), Key::pack(id2),
                       Key::index(id), Key::set(id)}) {
    INFO(k.path());
    CHECK(k.valid());
    auto back = Key::from_path(k.path());
    REQUIRE(back);
    CHECK(*back == k);
  }
  CHECK(Key::pack(id2).path() == "packs/0f/" + id2);
  CHECK(Key::slot(slot).path() == "keys/" + slot);
  CHECK(Key::set(id).path() == "sets/" + id);
  CHECK(Key::index(id).path() == "index/" + id);
}

TEST_CASE("backend::Key: from_path refuses malformed paths", "[backend]") {
  const std::string id(64, 'a');
  for (const char* p : {"", "config2", "keys/", "packs/" /* no sub */, "index/ABC", "sets/x"}) {
    INFO(p);
    CHECK_FALSE(Key::from_path(p));
  }
  CHECK_FALSE(Key::from_path("packs/" + id));                   // missing the xx/ folder
  CHECK_FALSE(Key::from_path("packs/bb/" + id));                // folder does not match the name
  CHECK_FALSE(Key::from_path("index/" + id.substr(1)));         // 63 digits
  CHECK_FALSE(Key::from_path("keys/" + id));                    // a slot id has 32 digits
  CHECK_FALSE(Key::from_path("sets/" + std::string(64, 'A')));  // upper case is not canonical
  CHECK_FALSE(Key::from_path("tmp/" + id));
  CHECK_FALSE(Key::from_path("index/../" + id.substr(3)));
}

TEST_CASE("backend::Local: creates 0700 directories and 0600 files, leaves no temp files",
          "[backend]") {
  Scratch s;
  const fs::path root = s.dir / "repo";
  auto be = backend::open_local(root, /*create=*/true);
  REQUIRE(be);
  for (const char* sub : {"keys", "packs", "index", "sets", "tmp"}) {
    INFO(sub);
    CHECK(fs::is_directory(root / sub));
    CHECK(mode_of(root / sub) == 0700);
  }
  CHECK(mode_of(root) == 0700);
  const Key k = Key::pack("ab" + std::string(62, '0'));
  REQUIRE((*be)->put(k, Bytes{1, 2, 3}));
  CHECK(mode_of(root / k.path()) == 0600);
  CHECK(mode_of(root / "packs/ab") == 0700);
  CHECK(count_files(root / "tmp") == 0);
  auto refused = (*be)->put(k, Bytes{4}, /*no_replace=*/true);
  CHECK_FALSE(refused);
  CHECK(count_files(root / "tmp") == 0);  // the refused temp file is gone too
}

TEST_CASE("backend::Local: open without create needs an existing directory", "[backend]") {
  Scratch s;
  auto be = backend::open_local(s.dir / "absent", /*create=*/false);
  REQUIRE_FALSE(be);
  CHECK(be.error().code == Errc::not_found);
  CHECK_FALSE(fs::exists(s.dir / "absent"));
  auto nested = backend::open_local(s.dir / "a" / "b", /*create=*/true);  // parent absent
  CHECK_FALSE(nested);
}

TEST_CASE("backend::Local: list skips junk and temp files", "[backend]") {
  Scratch s;
  auto be = backend::open_local(s.dir, /*create=*/true);
  REQUIRE(be);
  const std::string id(64, 'd');
  REQUIRE((*be)->put(Key::index(id), Bytes{9}));
  REQUIRE((*be)->put(Key::pack(id), Bytes{9}));
  std::ofstream(s.dir / "index" / "README") << "x";
  std::ofstream(s.dir / "index" / (".tmp-" + id)) << "x";
  std::ofstream(s.dir / "packs" / "dd" / "garbage") << "x";
  fs::create_directory(s.dir / "packs" / "zz");
  std::ofstream(s.dir / "packs" / "zz" / id) << "x";             // wrong folder
  fs::create_directory(s.dir / "index" / std::string(64, 'e'));  // a directory, not a file
  CHECK(test::listed(**be, Kind::index) == std::set<std::string>{id});
  CHECK(test::listed(**be, Kind::pack) == std::set<std::string>{id});
}

TEST_CASE("backend::Local: put_file moves a file from the same filesystem", "[backend]") {
  Scratch s;
  auto be = backend::open_local(s.dir / "repo", /*create=*/true);
  REQUIRE(be);
  const fs::path src = s.dir / "repo" / "tmp" / "staged";
  std::ofstream(src) << "pack bytes";
  const Key k = Key::pack(std::string(64, '7'));
  REQUIRE((*be)->put_file(k, src));
  CHECK_FALSE(fs::exists(src));
  auto g = (*be)->get(k);
  REQUIRE(g);
  CHECK(as_chars(*g) == "pack bytes");
  // content-addressed: an existing object of that name is kept and counts as success
  std::ofstream(src) << "other bytes";
  REQUIRE((*be)->put_file(k, src));
  auto again = (*be)->get(k);
  REQUIRE(again);
  CHECK(as_chars(*again) == "pack bytes");
}

TEST_CASE("backend::Local: recreates a missing tmp folder", "[backend]") {
  Scratch s;
  auto be = backend::open_local(s.dir, /*create=*/true);
  REQUIRE(be);
  fs::remove(s.dir / "tmp");
  fs::remove(s.dir / "sets");
  const Key k = Key::set(std::string(64, '1'));
  REQUIRE((*be)->put(k, Bytes{1}));
  CHECK(fs::is_regular_file(s.dir / k.path()));
}

TEST_CASE("backend::Local: remove_many removes in order, reports each, stops at an error",
          "[backend]") {
  Scratch s;
  auto be = backend::open_local(s.dir, /*create=*/true);
  REQUIRE(be);
  std::vector<Key> keys;
  for (char c : {'1', '2', '3'}) keys.push_back(Key::set(std::string(64, c)));
  for (char c : {'a', 'b'}) keys.push_back(Key::pack(std::string(64, c)));
  for (const auto& k : keys) REQUIRE((*be)->put(k, as_bytes(k.name)));
  const Key keep = Key::set(std::string(64, '9'));
  REQUIRE((*be)->put(keep, Bytes{9}));
  REQUIRE((*be)->get(keys[3]));  // a pack read once: its descriptor is kept open

  std::vector<Key> todo{keys[0], Key::set(std::string(64, '4')) /* absent: fine */, keys[1],
                        keys[3], keys[4]};
  std::vector<Key> reported;
  REQUIRE((*be)->remove_many(todo, [&](const Key& k) -> Status {
    CHECK_FALSE(fs::exists(s.dir / k.path()));  // gone before it is reported
    reported.push_back(k);
    return {};
  }));
  CHECK(reported == todo);
  CHECK(test::listed(**be, Kind::set) == std::set<std::string>{keys[2].name, keep.name});
  CHECK(test::listed(**be, Kind::pack).empty());
  auto gone = (*be)->get(keys[3]);  // the kept descriptor was dropped with the object
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == Errc::not_found);

  // An invalid name stops the batch: what came before it is removed and reported, nothing after.
  reported.clear();
  const std::vector<Key> bad{keys[2], Key::set("../../etc"), keep};
  auto st = (*be)->remove_many(bad, [&](const Key& k) -> Status {
    reported.push_back(k);
    return {};
  });
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::bad_input);
  CHECK(reported == std::vector<Key>{keys[2]});
  CHECK(test::listed(**be, Kind::set) == std::set<std::string>{keep.name});
}

TEST_CASE("backend::Local: a kept pack descriptor reads what was there when it was opened",
          "[backend]") {
  Scratch s;
  auto be = backend::open_local(s.dir, /*create=*/true);
  REQUIRE(be);
  const Key k = Key::pack(std::string(64, 'c'));
  REQUIRE((*be)->put(k, as_bytes("0123456789")));
  auto a = (*be)->get(k, 2, 3);
  REQUIRE(a);
  CHECK(as_chars(*a) == "234");
  // Another process deletes it (prune elsewhere): a reader that had it open still reads it,
  // as with any open file; a content-addressed name never gets other bytes.
  fs::remove(s.dir / k.path());
  auto b = (*be)->get(k, 5, 0);
  REQUIRE(b);
  CHECK(as_chars(*b) == "56789");
  // Through this backend, a removal drops the descriptor at once.
  REQUIRE((*be)->remove(k));
  auto c = (*be)->get(k);
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::not_found);
}
