// Move records (holds/, "CAIRNMV1") and resolving a set's packs through them (repo/rewrite.hpp).
#include <catch2/catch.hpp>

#include "repo/objects.hpp"
#include "repo/repo_fixture.hpp"
#include "repo/rewrite.hpp"

namespace cairn::test {
namespace {

hash::PackId pack_id(std::string_view s) { return hash::PackId{hash::blake2b(as_bytes(s))}; }
hash::SetId set_id(std::string_view s) { return hash::SetId{hash::blake2b(as_bytes(s))}; }
hash::ChunkId chunk_id(std::string_view s) { return hash::ChunkId{hash::blake2b(as_bytes(s))}; }

repo::MoveRecord record(std::vector<hash::SetId> sets, hash::PackId from,
                        std::vector<hash::PackId> to, std::vector<hash::ChunkId> chunks) {
  repo::MoveRecord m;
  m.sets = std::move(sets);
  std::sort(m.sets.begin(), m.sets.end());
  m.moves.push_back(repo::PackMove{from, std::move(to), std::move(chunks)});
  m.user = "admin";
  m.host = "h";
  m.time_ns = 5;
  return m;
}

}  // namespace

TEST_CASE(
    "repo::decode_move_record: round trips; a write-only key cannot make one; one signed with "
    "another admin key, or changed, is damage",
    "[repo]") {
  SodiumInit sodium;
  const Bytes rid(32, 9);
  auto k = crypto::KeyMaterial::generate(rid);
  const auto m = record({set_id("a"), set_id("b")}, pack_id("P"), {pack_id("Q1"), pack_id("Q2")},
                        {chunk_id("c1"), chunk_id("c2")});
  auto bytes = repo::encode_move_record(m, k);
  REQUIRE(bytes);
  CHECK(repo::is_move_record(*bytes));
  CHECK_FALSE(repo::is_tag_record(*bytes));
  auto back = repo::decode_move_record(*bytes, k, "move");
  REQUIRE(back);
  CHECK(*back == m);
  CHECK(repo::encode_move_record(m, k.write_only()).error().code == Errc::auth);
  auto other = crypto::KeyMaterial::generate(rid);
  auto forged = repo::encode_move_record(m, other);
  REQUIRE(forged);
  auto refused = repo::decode_move_record(*forged, k, "move 'x'");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::corrupt);
  CHECK_THAT(refused.error().message, Catch::Contains("admin key"));
  Bytes flipped = *bytes;
  flipped[flipped.size() / 2] ^= 0xff;
  CHECK(repo::decode_move_record(flipped, k, "move").error().code == Errc::corrupt);
  // A move to nowhere, or of no chunk, is refused when written and when read.
  auto to_self = record({set_id("a")}, pack_id("P"), {pack_id("P")}, {chunk_id("c")});
  auto self = repo::encode_move_record(to_self, k);
  REQUIRE(self);
  CHECK(repo::decode_move_record(*self, k, "move").error().code == Errc::corrupt);
}

TEST_CASE(
    "repo::Moves::resolve: a listed set's pack resolves to its new packs, transitively; a set "
    "the record does not list keeps the old pack",
    "[repo]") {
  const auto a = set_id("a"), late = set_id("late");
  const auto p = pack_id("P"), q = pack_id("Q"), r = pack_id("R"), x = pack_id("X");
  repo::Moves moves({record({a}, p, {q}, {chunk_id("c")}), record({a}, q, {r}, {chunk_id("c")})});
  CHECK(moves.resolve(a, {p, x}) == std::vector<hash::PackId>{std::min(r, x), std::max(r, x)});
  auto kept = moves.resolve(late, {p});
  CHECK(kept == std::vector<hash::PackId>{p});
  CHECK(repo::Moves().resolve(a, {p}) == std::vector<hash::PackId>{p});
  // A cycle (two forged records) ends.
  repo::Moves loop({record({a}, p, {q}, {chunk_id("c")}), record({a}, q, {p}, {chunk_id("c")})});
  CHECK(loop.resolve(a, {p}).empty());
}

TEST_CASE(
    "Repository::list_move_records: a record whose new packs hold its chunks is listed, one "
    "whose do not is skipped as damage; hold records never list either",
    "[repo]") {
  TestRepo t;
  auto r = t.open();
  auto s = r->begin_write(repo::WriteSession::Scope::any);
  REQUIRE(s);
  const Bytes data = text_bytes(3000, 1);
  const auto c = (*s)->id_of(data);
  REQUIRE((*s)->put(c, repo::BlobType::data, data));
  REQUIRE((*s)->finish());
  const auto q = (*s)->locate(c)->pack;
  const auto a = set_id("a");
  REQUIRE(r->write_move_record(record({a}, pack_id("P"), {q}, {c})));
  REQUIRE(r->write_move_record(record({a}, pack_id("P2"), {q}, {chunk_id("not there")})));
  std::vector<std::string> skipped;
  auto list = r->list_move_records([&](const std::string&, Error e) {
    CHECK(e.code == Errc::corrupt);
    skipped.push_back(e.message);
  });
  REQUIRE(list);
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].moves[0].from == pack_id("P"));
  REQUIRE(skipped.size() == 1);
  CHECK_THAT(skipped[0], Catch::Contains("do not hold its chunk"));
  auto holds = r->list_holds();
  REQUIRE(holds);
  CHECK(holds->empty());
}

TEST_CASE(
    "repo::decode_erasure_record: round trips; it is no move or tag record; a write-only key "
    "can neither make nor read one; one signed with another admin key, or changed, is damage",
    "[repo]") {
  SodiumInit sodium;
  const Bytes rid(32, 9);
  auto k = crypto::KeyMaterial::generate(rid);
  repo::ErasureRecord e;
  e.sets = {{set_id("old1"), set_id("new1")}, {set_id("old2"), set_id("new2")}};
  e.patterns = {"0123456789abcdef", "fedcba9876543210"};
  e.entries = 15;
  e.user = "dpo";
  e.host = "h";
  e.time_ns = 7;
  auto bytes = repo::encode_erasure_record(e, k);
  REQUIRE(bytes);
  CHECK(repo::is_erasure_record(*bytes));
  CHECK_FALSE(repo::is_move_record(*bytes));
  CHECK_FALSE(repo::is_tag_record(*bytes));
  auto back = repo::decode_erasure_record(*bytes, k, "erasure");
  REQUIRE(back);
  CHECK(*back == e);
  CHECK(repo::encode_erasure_record(e, k.write_only()).error().code == Errc::auth);
  CHECK(repo::decode_erasure_record(*bytes, k.write_only(), "erasure").error().code == Errc::auth);
  auto forged = repo::encode_erasure_record(e, crypto::KeyMaterial::generate(rid));
  REQUIRE(forged);
  auto refused = repo::decode_erasure_record(*forged, k, "erasure 'x'");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::corrupt);
  Bytes flipped = *bytes;
  flipped[flipped.size() / 2] ^= 0xff;
  CHECK(repo::decode_erasure_record(flipped, k, "erasure").error().code == Errc::corrupt);
}

}  // namespace cairn::test
