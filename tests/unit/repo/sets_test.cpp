#include <catch2/catch.hpp>

#include "repo/objects.hpp"
#include "repo/repo_fixture.hpp"

using namespace cairn;
using namespace cairn::test;

namespace {

repo::SetBody sample_body(std::string source) {
  repo::SetBody b;
  b.source = std::move(source);
  b.host = "db1.example.org";
  b.retention_class = "daily";
  b.kind = "incremental";
  b.parent = hash::SetId{hash::blake2b(as_bytes("parent"))};
  b.started_ns = 1'700'000'000'000'000'000;
  b.ended_ns = b.started_ns + 5'000'000'000;
  b.files = 12345;
  b.bytes_read = 1ull << 40;
  b.bytes_new = 77;
  b.bytes_stored = 66;
  b.manifest = {hash::ChunkId{hash::blake2b(as_bytes("m1"))}, hash::ChunkId{hash::blake2b(as_bytes("m2"))}};
  b.manifest_size = 4096;
  b.packs = {hash::PackId{hash::blake2b(as_bytes("p1"))}};
  b.legal_hold = true;
  b.hold_reason = "audit \"2025\" \xc3\xa9";  // quotes and non-ASCII survive
  return b;
}

void check_same(const repo::SetBody& a, const repo::SetBody& b) {
  CHECK(a.source == b.source);
  CHECK(a.host == b.host);
  CHECK(a.retention_class == b.retention_class);
  CHECK(a.kind == b.kind);
  CHECK(a.parent == b.parent);
  CHECK(a.started_ns == b.started_ns);
  CHECK(a.ended_ns == b.ended_ns);
  CHECK(a.files == b.files);
  CHECK(a.bytes_read == b.bytes_read);
  CHECK(a.bytes_new == b.bytes_new);
  CHECK(a.bytes_stored == b.bytes_stored);
  CHECK(a.manifest == b.manifest);
  CHECK(a.manifest_size == b.manifest_size);
  CHECK(a.packs == b.packs);
  CHECK(a.legal_hold == b.legal_hold);
  CHECK(a.hold_reason == b.hold_reason);
}

}  // namespace

TEST_CASE("repo::Repository::write_set: sets chain by seq and prev", "[repo]") {
  TestRepo t;
  auto r = t.open();
  auto sets0 = r->list_sets();
  REQUIRE(sets0);
  CHECK(sets0->empty());

  std::vector<hash::SetId> ids;
  for (int i = 0; i < 3; ++i) {
    auto w = r->write_set(sample_body("src" + std::to_string(i)));
    REQUIRE(w);
    CHECK(w->second == "sets/" + w->first.hex());
    CHECK(fs::is_regular_file(t.dir / w->second));
    CHECK(hash::blake2b(read_all(t.dir / w->second)) == w->first.d);  // content-addressed
    ids.push_back(w->first);
  }
  auto listed = r->list_sets();
  REQUIRE(listed);
  CHECK(listed->size() == 3);
  auto r2 = t.open();
  for (int i = 0; i < 3; ++i) {
    auto s = r2->read_set(ids[i]);
    REQUIRE(s);
    CHECK(s->id == ids[i]);
    CHECK(s->header.seq == static_cast<std::uint64_t>(i + 1));
    if (i == 0) CHECK_FALSE(s->header.prev);
    else CHECK(s->header.prev == ids[i - 1]);
    CHECK(s->header.time_ns > 0);
    REQUIRE(s->body);
    check_same(*s->body, sample_body("src" + std::to_string(i)));
  }
}

TEST_CASE("repo::Repository::write_set: an unreadable set cannot become prev", "[repo]") {
  TestRepo t;
  auto r = t.open();
  auto a = r->write_set(sample_body("a"));
  REQUIRE(a);
  auto b = r->write_set(sample_body("b"));
  REQUIRE(b);
  damage(t.dir / b->second, Damage::flip_middle);  // seq 2 is now unreadable
  auto c = r->write_set(sample_body("c"));
  REQUIRE(c);
  auto s = r->read_set(c->first);
  REQUIRE(s);
  CHECK(s->header.seq == 2);
  CHECK(s->header.prev == a->first);
}

TEST_CASE("repo::Repository::write_set: refuses strings that are not UTF-8", "[repo]") {
  TestRepo t;
  auto r = t.open();
  auto body = sample_body("bad \xff source");
  auto w = r->write_set(body);
  REQUIRE_FALSE(w);
  CHECK(w.error().code == Errc::bad_input);
  auto listed = r->list_sets();
  REQUIRE(listed);
  CHECK(listed->empty());
}

TEST_CASE("repo::Repository::read_set: an absent set is not_found", "[repo]") {
  TestRepo t;
  auto r = t.open();
  auto s = r->read_set(hash::SetId{hash::blake2b(as_bytes("none"))});
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::not_found);
}

TEST_CASE("repo::decode_set: a set of another repository or signer is refused", "[repo]") {
  SodiumInit sodium;
  auto k = crypto::KeyMaterial::generate(Bytes(32, 7));
  auto other = crypto::KeyMaterial::generate(Bytes(32, 8));
  repo::SetHeader h;
  h.seq = 4;
  h.time_ns = 99;
  auto bytes = repo::encode_set(h, sample_body("x"), k);
  REQUIRE(bytes);
  auto ok = repo::decode_set(*bytes, k, true, "set");
  REQUIRE(ok);
  CHECK(ok->header.seq == 4);
  REQUIRE(ok->body);
  // signed by another key pair: refused before anything is parsed
  auto foreign = repo::decode_set(*bytes, other, true, "set");
  REQUIRE_FALSE(foreign);
  CHECK(foreign.error().code == Errc::corrupt);
  // same signing key but another repository id (a key slot copied between repositories)
  auto moved = k.clone();
  moved.repo_id = other.repo_id;
  auto wrong_repo = repo::decode_set(*bytes, moved, true, "set");
  REQUIRE_FALSE(wrong_repo);
  CHECK(wrong_repo.error().code == Errc::corrupt);
  // header only
  auto header_only = repo::decode_set(*bytes, k, false, "set");
  REQUIRE(header_only);
  CHECK_FALSE(header_only->body);
}

TEST_CASE("repo::decode_hold: a full key's record round trips; a write-only key cannot make one", "[repo]") {
  SodiumInit sodium;
  auto k = crypto::KeyMaterial::generate(Bytes(32, 7));
  repo::HoldRecord r;
  r.set = hash::SetId{hash::blake2b(as_bytes("held set"))};
  r.hold = false;  // a release: what an attacker would want to forge
  r.user = "alice";
  r.host = "backup1";
  r.time_ns = 1'800'000'000'000'000'000;
  auto bytes = repo::encode_hold(r, k);
  REQUIRE(bytes);
  auto back = repo::decode_hold(*bytes, k, "hold");
  REQUIRE(back);
  CHECK(*back == r);

  // The tools refuse a write-only key outright.
  auto refused = repo::encode_hold(r, k.write_only());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::auth);

  // Code of its own on a host with a write-only key has the signing key and box_pk, so it can
  // sign and seal a record; lacking box_sk, its proof is made with a key of its choosing.
  auto forger = k.write_only();
  forger.box_sk = crypto::SecretBytes(32);
  crypto::random_bytes(forger.box_sk.mut());
  forger.caps = k.caps;
  REQUIRE(forger.can_read());
  auto forged = repo::encode_hold(r, forger);
  REQUIRE(forged);
  auto decoded = repo::decode_hold(*forged, k, "hold 'x'");
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().code == Errc::corrupt);
  CHECK_THAT(decoded.error().message, Catch::Contains("hold 'x'") && Catch::Contains("proof does not verify"));
}
