// The files cache format (ops/files_cache.hpp, cairn-catalog(5) FILES CACHE) on real files:
// a round trip, every truncation, every flipped byte, another repository's or set's cache.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/tempdir.hpp"
#include "crypto/keys.hpp"
#include "ops/files_cache.hpp"
#include "support/ops_repo.hpp"

using namespace cairn;
using namespace cairn::test;
namespace fs = std::filesystem;

namespace {

Bytes repo_id(std::uint8_t fill) { return Bytes(32, fill); }

crypto::KeyMaterial new_key(std::uint8_t repo) {
  REQUIRE(crypto::init());
  return crypto::KeyMaterial::generate(repo_id(repo));
}

hash::SetId set_id(std::uint8_t fill) {
  hash::SetId id;
  id.d.b.fill(fill);
  return id;
}

std::vector<manifest::Entry> sample() {
  std::vector<manifest::Entry> v;
  manifest::Entry d;
  d.path = ".";
  d.type = manifest::Type::dir;
  d.mode = 0755;
  v.push_back(d);
  for (int i = 0; i < 3; ++i) {
    manifest::Entry f;
    f.path = "f" + std::to_string(i);
    f.mode = 0644;
    f.size = 100 + static_cast<std::uint64_t>(i);
    f.mtime_ns = 1'700'000'000'000'000'000 + i;
    hash::ChunkId c;
    c.d.b.fill(static_cast<std::uint8_t>(0x10 + i));
    hash::Digest p;
    p.b.fill(static_cast<std::uint8_t>(0x20 + i));
    f.chunks = {c};
    f.proofs = {p};
    v.push_back(f);
  }
  return v;
}

// Writes the cache of `entries` as ops::pack does (through the io::Writer) and commits it.
void write_cache(const fs::path& p, const crypto::KeyMaterial& k, const hash::SetId& set,
                 const std::vector<manifest::Entry>& entries) {
  auto w = ops::FilesCacheWriter::create(p, k);
  REQUIRE(w);
  manifest::Writer mw(**w);
  manifest::SetInfo info;
  info.source = "app";
  info.host = "h";
  REQUIRE(mw.header(info));
  for (auto& e : entries) REQUIRE(mw.entry(e));
  REQUIRE(mw.finish());
  REQUIRE((*w)->commit(set));
}

Result<std::vector<manifest::Entry>> read_cache(const fs::path& p, const crypto::KeyMaterial& k,
                                                const hash::SetId& set) {
  CAIRN_TRY_ASSIGN(auto c, ops::FilesCache::open(p, k, set));
  std::vector<manifest::Entry> out;
  manifest::Entry e;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool more, c->next(e));
    if (!more) break;
    out.push_back(e);
  }
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
void spit(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << s;
}

}  // namespace

TEST_CASE("files cache: round trip, modes, path per source") {
  auto t = TempDir::create("cairn-fc-").value();
  const auto k = new_key(1);
  const auto p = ops::files_cache_path(t.path() / "catalog.db", "app");
  CHECK(p.parent_path() == t.path() / "catalog.db.files");
  CHECK(p.filename().string().size() == 32);
  CHECK(ops::files_cache_path(t.path() / "catalog.db", "other") != p);
  write_cache(p, k, set_id(7), sample());
  CHECK((fs::status(p.parent_path()).permissions() & fs::perms::all) == fs::perms::owner_all);
  CHECK((fs::status(p).permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  auto back = read_cache(p, k, set_id(7));
  REQUIRE(back);
  CHECK(*back == sample());
  // the write-only copy of the key holds index_key: it reads what the full key wrote
  auto wo = k.write_only();
  auto back_wo = read_cache(p, wo, set_id(7));
  REQUIRE(back_wo);
  CHECK(*back_wo == sample());
  // only the cache is left in the directory (no temporary file)
  CHECK(std::distance(fs::directory_iterator(p.parent_path()), fs::directory_iterator()) == 1);
}

TEST_CASE("files cache: a writer dropped without commit leaves nothing") {
  auto t = TempDir::create("cairn-fc-").value();
  const auto k = new_key(1);
  const auto p = ops::files_cache_path(t.path() / "cat", "app");
  {
    auto w = ops::FilesCacheWriter::create(p, k);
    REQUIRE(w);
    REQUIRE((*w)->write(as_bytes(std::string("partial"))));
  }
  CHECK(fs::is_empty(p.parent_path()));
  auto r = read_cache(p, k, set_id(7));
  REQUIRE(!r);
  CHECK(r.error().code == Errc::not_found);
}

TEST_CASE("files cache: every truncation and every flipped byte is refused as damage") {
  auto t = TempDir::create("cairn-fc-").value();
  const auto k = new_key(1);
  const auto p = ops::files_cache_path(t.path() / "cat", "app");
  write_cache(p, k, set_id(7), sample());
  const std::string good = slurp(p);
  REQUIRE(good.size() > 100);
  for (std::size_t n = 0; n < good.size(); ++n) {
    spit(p, good.substr(0, n));
    auto r = read_cache(p, k, set_id(7));
    INFO("truncated to " << n);
    REQUIRE(!r);
    CHECK(r.error().code == Errc::corrupt);
  }
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    spit(p, bad);
    auto r = read_cache(p, k, set_id(7));
    INFO("byte " << i << " flipped");
    REQUIRE(!r);
    CHECK(r.error().code == Errc::corrupt);
  }
  spit(p, good + "x");
  CHECK(read_cache(p, k, set_id(7)).error().code == Errc::corrupt);
  spit(p, good);
  CHECK(read_cache(p, k, set_id(7)));
}

TEST_CASE("files cache: another repository's key, repository id or set is not used") {
  auto t = TempDir::create("cairn-fc-").value();
  const auto k = new_key(1);
  const auto p = ops::files_cache_path(t.path() / "cat", "app");
  write_cache(p, k, set_id(7), sample());
  // another repository: another index_key, so the MAC fails
  const auto other = new_key(2);
  auto r = read_cache(p, other, set_id(7));
  REQUIRE(!r);
  CHECK(r.error().code == Errc::corrupt);
  // the same index_key under another repository id (a copied key): named, not used
  auto moved = k.clone();
  moved.repo_id = repo_id(3);
  r = read_cache(p, moved, set_id(7));
  REQUIRE(!r);
  CHECK(r.error().code == Errc::bad_input);
  CHECK_THAT(r.error().message, Catch::Contains("another repository"));
  // another set than the catalog's base set
  r = read_cache(p, k, set_id(8));
  REQUIRE(!r);
  CHECK(r.error().code == Errc::bad_input);
  CHECK_THAT(r.error().message, Catch::Contains("holds set"));
}

TEST_CASE("files cache: a file where the directory should be is a clean error") {
  auto t = TempDir::create("cairn-fc-").value();
  const auto k = new_key(1);
  const auto p = ops::files_cache_path(t.path() / "cat", "app");
  spit(p.parent_path(), "not a directory");
  auto w = ops::FilesCacheWriter::create(p, k);
  REQUIRE(!w);
  CHECK_THAT(w.error().message, Catch::Contains("cat.files"));
}
