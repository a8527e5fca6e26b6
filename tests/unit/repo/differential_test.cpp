// Scope::packs (a differential set): a chunk counts as present when ANY copy of it lies in an
// allowed pack, not only the copy the index names first.
#include <catch2/catch.hpp>

#include "repo/repo_fixture.hpp"

using namespace cairn;
using namespace cairn::test;
using Scope = repo::WriteSession::Scope;

namespace {

// A differential over `full_pack` stores nothing for `a` and references the full set's copy.
void differential_reuses(repo::Repository& r, const hash::PackId& full_pack, const Bytes& a) {
  auto diff = r.begin_write(Scope::packs, {full_pack});
  REQUIRE(diff);
  const auto id = (*diff)->id_of(a);
  auto put = (*diff)->put(id, repo::BlobType::data, a);
  REQUIRE(put);
  CHECK_FALSE(*put);  // the full set holds it: nothing stored
  REQUIRE((*diff)->locate(id));
  CHECK((*diff)->locate(id)->pack == full_pack);
  REQUIRE((*diff)->finish());
}

}  // namespace

TEST_CASE("repo::WriteSession: a differential finds the full set's copy of an older chunk",
          "[repo]") {
  TestRepo t;
  const Bytes a = random_bytes(30'000);
  auto r = t.open();
  const auto id = store(*r, {a})[0];  // before the full set: an older copy
  const auto old_pack = r->locate(id)->pack;
  auto full = r->begin_write(Scope::own);  // the full set stores its own copy
  REQUIRE(full);
  REQUIRE((*full)->put(id, repo::BlobType::data, a));
  REQUIRE((*full)->finish());
  const auto full_pack = (*full)->locate(id)->pack;
  REQUIRE(full_pack != old_pack);
  REQUIRE(r->locate(id)->pack == old_pack);  // in this process the older copy comes first
  differential_reuses(*r, full_pack, a);
  // Reopened, the order of the index files decides which copy comes first.
  differential_reuses(*t.open(), full_pack, a);
}
