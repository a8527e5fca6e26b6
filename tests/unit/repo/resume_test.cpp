// Orphan packs (issue 13, "An interrupted backup resumes"): a pack under packs/ that no index
// file names, as a cairn-pack killed before finish() leaves it, is adopted by the next
// Scope::any session (its chunks count as present, keep_indexed names it in an index file) and
// ignored by Scope::own (full) and Scope::packs (differential) sessions.
#include <catch2/catch.hpp>

#include "repo/repo_fixture.hpp"

using namespace cairn;
using namespace cairn::test;
using Scope = repo::WriteSession::Scope;

namespace {

// Stores `a` and then removes every index file: the pack is whole but named by none.
hash::PackId orphan_of(const TestRepo& t, const Bytes& a) {
  auto r = t.open();
  const auto id = store(*r, {a})[0];
  const auto pack = r->locate(id)->pack;
  for (const auto& f : files_in(t.dir / "index")) fs::remove(f);
  return pack;
}

// put() of `a` in a fresh session of `scope`: true when it stored a copy of its own.
bool stores_again(repo::Repository& r, Scope scope, const Bytes& a) {
  auto s = r.begin_write(scope);
  REQUIRE(s);
  auto put = (*s)->put((*s)->id_of(a), repo::BlobType::data, a);
  REQUIRE(put);
  return *put;
}

}  // namespace

TEST_CASE("repo::WriteSession: Scope::any adopts an orphan pack and names it at commit", "[repo]") {
  TestRepo t;
  const Bytes a = random_bytes(30'000);
  const auto orphan = orphan_of(t, a);
  auto r = t.open();
  auto s = r->begin_write(Scope::any);
  REQUIRE(s);
  const auto id = (*s)->id_of(a);
  CHECK_FALSE(r->locate(id));  // no index file names it
  auto put = (*s)->put(id, repo::BlobType::data, a);
  REQUIRE(put);
  CHECK_FALSE(*put);  // present in the orphan: not stored again
  CHECK((*s)->stored_bytes() == 0);
  REQUIRE((*s)->locate(id));
  CHECK((*s)->locate(id)->pack == orphan);
  REQUIRE((*s)->finish());
  auto named = (*s)->keep_indexed({orphan});
  REQUIRE(named);
  // The orphan (its writer never reported it, for cairn-push), then the index file naming it.
  REQUIRE(named->size() == 2);
  CHECK((*named)[0] == backend::Key::pack(orphan).path());
  CHECK((*named)[1].starts_with("index/"));
  // Named now: a fresh open finds the chunk through the index files, and reads it back.
  auto again = t.open();
  REQUIRE(again->locate(id));
  CHECK(again->locate(id)->pack == orphan);
  auto back = again->read_chunk_unproven(id, nullptr);
  REQUIRE(back);
  CHECK(*back == a);
}

TEST_CASE("repo::WriteSession: full and differential sessions ignore orphan packs", "[repo]") {
  TestRepo t;
  const Bytes a = random_bytes(30'000);
  const auto orphan = orphan_of(t, a);
  auto r = t.open();
  CHECK_FALSE(stores_again(*r, Scope::any, a));  // found the orphans for this process
  CHECK(stores_again(*r, Scope::own, a));
  CHECK(stores_again(*r, Scope::packs, a));
  auto s = r->begin_write(Scope::packs, {orphan});  // even when allowed: no index names it
  REQUIRE(s);
  auto put = (*s)->put((*s)->id_of(a), repo::BlobType::data, a);
  REQUIRE(put);
  CHECK(*put);
}
