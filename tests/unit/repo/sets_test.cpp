#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <map>
#include <memory>

#include "backend/backend.hpp"
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
  b.kind = model::SetKind::incremental;
  b.parent = hash::SetId{hash::blake2b(as_bytes("parent"))};
  b.started_ns = 1'700'000'000'000'000'000;
  b.ended_ns = b.started_ns + 5'000'000'000;
  b.files = 12345;
  b.bytes_read = 1ull << 40;
  b.bytes_new = 77;
  b.bytes_stored = 66;
  b.manifest = {hash::ChunkId{hash::blake2b(as_bytes("m1"))},
                hash::ChunkId{hash::blake2b(as_bytes("m2"))}};
  b.manifest_proofs = {hash::blake2b(as_bytes("proof1")), hash::blake2b(as_bytes("proof2"))};
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
  CHECK(a.manifest_proofs == b.manifest_proofs);
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
    CHECK(w->path == "sets/" + w->id.hex());
    CHECK(fs::is_regular_file(t.dir / w->path));
    CHECK(hash::blake2b(read_all(t.dir / w->path)) == w->id.d);  // content-addressed
    ids.push_back(w->id);
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
    if (i == 0)
      CHECK_FALSE(s->header.prev);
    else
      CHECK(s->header.prev == ids[i - 1]);
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
  damage(t.dir / b->path, Damage::flip_middle);  // seq 2 is now unreadable
  auto c = r->write_set(sample_body("c"));
  REQUIRE(c);
  auto s = r->read_set(c->id);
  REQUIRE(s);
  CHECK(s->header.seq == 2);
  CHECK(s->header.prev == a->id);
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

TEST_CASE("repo::decode_hold: a full key's record round trips; a write-only key cannot make one",
          "[repo]") {
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

  // Code of its own on a host with a write-only key holds box_pk and a signing key of its own
  // (its writer key), so it can seal a record and sign it with that key, or any key of its
  // choosing; lacking the admin secret key, the record does not decode.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto forger = k.write_only();
    forger.caps = k.caps;
    forger.box_sk = crypto::SecretBytes(32);
    crypto::random_bytes(forger.box_sk.mut());
    if (attempt == 0) {
      forger.sign_sk = crypto::SecretBytes::copy_of(forger.writer_sk.view());  // its own writer key
    } else {
      auto kp = crypto::sign_keypair();  // a key of its choosing
      forger.sign_sk = std::move(kp.sk);
    }
    REQUIRE(forger.can_admin());
    auto forged = repo::encode_hold(r, forger);
    REQUIRE(forged);
    auto decoded = repo::decode_hold(*forged, k, "hold 'x'");
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().code == Errc::corrupt);
    CHECK_THAT(decoded.error().message,
               Catch::Contains("hold 'x'") && Catch::Contains("admin key"));
  }
}

TEST_CASE(
    "repo::decode_tag_record: a full key's record round trips; a write-only key cannot make one; "
    "set tags round trip and an untagged set's body has no tags field",
    "[repo]") {
  SodiumInit sodium;
  auto k = crypto::KeyMaterial::generate(Bytes(32, 7));
  repo::TagRecord r;
  r.set = hash::SetId{hash::blake2b(as_bytes("tagged set"))};
  r.add = {"gold", "v1.2"};
  r.remove = {"nightly"};
  r.user = "alice";
  r.host = "backup1";
  r.time_ns = 1'800'000'000'000'000'000;
  auto bytes = repo::encode_tag_record(r, k);
  REQUIRE(bytes);
  CHECK(repo::is_tag_record(*bytes));
  auto back = repo::decode_tag_record(*bytes, k, "tag");
  REQUIRE(back);
  CHECK(*back == r);
  // Not a hold record: its magic differs, so decode_hold refuses it as damage.
  CHECK(repo::decode_hold(*bytes, k, "hold").error().code == Errc::corrupt);
  auto refused = repo::encode_tag_record(r, k.write_only());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::auth);
  repo::TagRecord bad = r;
  bad.add = {"-x"};
  CHECK(repo::encode_tag_record(bad, k).error().code == Errc::usage);

  auto body = sample_body("app");
  body.tags = {"a", "b"};
  repo::SetHeader h;
  h.seq = 1;
  auto set = repo::encode_set(h, body, k);
  REQUIRE(set);
  auto dec = repo::decode_set(*set, k, true, "set");
  REQUIRE(dec);
  CHECK(dec->body->tags == body.tags);
  CHECK(repo::parse_set_body(R"({"source":"s","host":"h","retention_class":"c","kind":"full",
      "parent":null,"started_ns":1,"ended_ns":2,"files":0,"bytes_read":0,"bytes_new":0,
      "bytes_stored":0,"manifest":[],"manifest_proofs":[],"manifest_size":0,"packs":[],
      "legal_hold":false,"hold_reason":"","tags":["ok","bad tag"]})",
                             "set")
            .error()
            .code == Errc::corrupt);
}

TEST_CASE("repo::decode_set: a set names its writer; an uncertified writer is refused", "[repo]") {
  SodiumInit sodium;
  auto k = crypto::KeyMaterial::generate(Bytes(32, 7));
  auto w = k.write_only();
  repo::SetHeader h;
  h.seq = 1;
  h.time_ns = 5;
  auto bytes = repo::encode_set(h, sample_body("x"), w);
  REQUIRE(bytes);
  auto ok = repo::decode_set(*bytes, k, true, "set");
  REQUIRE(ok);
  CHECK(ok->header.writer == w.writer_id);
  CHECK(ok->header.writer != k.writer_id);
  // A write-only host mints a writer key of its own: the admin key did not certify it.
  auto rogue = w.clone();
  auto kp = crypto::sign_keypair();
  rogue.writer_pk = kp.pk;
  rogue.writer_sk = std::move(kp.sk);
  auto forged = repo::encode_set(h, sample_body("x"), rogue);
  REQUIRE(forged);
  auto refused = repo::decode_set(*forged, k, true, "set 'f'");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::corrupt);
  CHECK_THAT(refused.error().message, Catch::Contains("not certified"));
}

TEST_CASE("repo::decode_set: a seq outside 1..2^48 is damage", "[repo]") {
  SodiumInit sodium;
  auto k = crypto::KeyMaterial::generate(Bytes(32, 7));
  for (std::uint64_t seq :
       std::vector<std::uint64_t>{0, (1ull << 48) + 1, (1ull << 63) - 1, ~0ull}) {
    INFO(seq);
    repo::SetHeader h;
    h.seq = seq;
    auto bytes = repo::encode_set(h, sample_body("x"), k.write_only());
    REQUIRE(bytes);
    auto d = repo::decode_set(*bytes, k, true, "set");
    REQUIRE_FALSE(d);
    CHECK(d.error().code == Errc::corrupt);
  }
}

TEST_CASE("repo::plausible_seq_ceiling: one claim far beyond every chain is ignored", "[repo]") {
  CHECK(repo::plausible_seq_ceiling({}) == 0);
  CHECK(repo::plausible_seq_ceiling({1, 2, 3}) == 3);
  CHECK(repo::plausible_seq_ceiling({3000, 3001}) == 3001);  // older sets pruned
  CHECK(repo::plausible_seq_ceiling({1, 2, 1ull << 47}) == 2);
  CHECK(repo::plausible_seq_ceiling({1, 2, (1ull << 47), (1ull << 47) + 1}) == 2);
}

TEST_CASE("repo::Repository::write_set: a forged high seq cannot stop later sets", "[repo]") {
  TestRepo t;
  auto r = t.open();
  auto a = r->write_set(sample_body("a"));
  REQUIRE(a);
  // The write-only host signs a set claiming the highest seq there is, and stores it directly.
  repo::SetHeader h;
  h.seq = 1ull << 48;
  h.prev = a->id;
  auto w = r->keys().write_only();
  auto bytes = repo::encode_set(h, sample_body("forged"), w);
  REQUIRE(bytes);
  const auto id = hash::blake2b(*bytes);
  REQUIRE(r->storage().put(backend::Key::set(id.hex()), *bytes));
  // Later backups still chain to the real newest set, and stay in range.
  for (int i = 0; i < 2; ++i) {
    auto b = r->write_set(sample_body("b"));
    REQUIRE(b);
    auto s = r->read_set(b->id);
    REQUIRE(s);
    CHECK(s->header.seq == static_cast<std::uint64_t>(2 + i));
  }
}

TEST_CASE("repo::Repository: a revoked writer's later sets are refused, its earlier ones kept",
          "[repo]") {
  TestRepo t;
  auto r = t.open();
  auto w = r->keys().write_only();
  // Sets written by the write-only writer: one before, one after the revocation.
  auto put = [&](const std::string& src, std::uint64_t seq) {
    repo::SetHeader h;
    h.seq = seq;
    auto bytes = repo::encode_set(h, sample_body(src), w);
    REQUIRE(bytes);
    const hash::SetId id{hash::blake2b(*bytes)};
    REQUIRE(r->storage().put(backend::Key::set(id), *bytes));
    return id;
  };
  const auto before = put("before", 1);
  repo::Revocation rev;
  rev.writer = w.writer_id;
  rev.keep = {before};
  rev.reason = "host stolen";
  REQUIRE(r->write_revocation(rev));
  const auto after = put("after", 2);
  auto r2 = t.open();
  CHECK(r2->read_set(before));
  auto refused = r2->read_set(after);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::corrupt);
  CHECK_THAT(refused.error().message, Catch::Contains("revoked"));
  // Hold records, tag records and revocations share holds/: no list is confused by another.
  repo::TagRecord tr;
  tr.set = before;
  tr.add = {"gold"};
  REQUIRE(r2->write_tag_record(tr));
  auto holds = r2->list_holds();
  REQUIRE(holds);
  CHECK(holds->empty());
  auto tags = r2->list_tag_records();
  REQUIRE(tags);
  REQUIRE(tags->size() == 1);
  CHECK((*tags)[0].add == std::vector<std::string>{"gold"});
  CHECK((*tags)[0].time_ns > 0);
  auto revs = r2->revocations();
  REQUIRE(revs);
  REQUIRE(revs->size() == 1);
  CHECK((*revs)[0].reason == "host stolen");
  // A write-only key cannot revoke.
  repo::Revocation fake = rev;
  fake.keep = {after};
  auto no = repo::encode_revocation(fake, w);
  REQUIRE_FALSE(no);
  CHECK(no.error().code == Errc::auth);
}

TEST_CASE(
    "repo::decode_set: a copied set's copied_from (body) and copy_mark (header) round trip, a "
    "write-only key reads the mark, and a set without them has neither field",
    "[repo]") {
  SodiumInit sodium;
  auto k = crypto::KeyMaterial::generate(Bytes(32, 7));
  repo::SetHeader h;
  h.seq = 3;
  auto body = sample_body("app");
  body.copied_from = hash::SetId{hash::blake2b(as_bytes("the source set"))};
  body.copy_mark = hash::blake2b(as_bytes("its mark"));
  auto bytes = repo::encode_set(h, body, k.write_only());
  REQUIRE(bytes);
  auto full = repo::decode_set(*bytes, k, true, "set");
  REQUIRE(full);
  REQUIRE(full->body);
  CHECK(full->body->copied_from == body.copied_from);
  CHECK(full->header.copy_mark == body.copy_mark);
  check_same(*full->body, body);
  auto wo = repo::decode_set(*bytes, k.write_only(), true, "set");
  REQUIRE(wo);
  CHECK_FALSE(wo->body);
  CHECK(wo->header.copy_mark == body.copy_mark);

  // An ordinary set: no field at all (byte for byte what older cairn wrote), read back empty.
  auto plain = repo::encode_set(h, sample_body("app"), k);
  REQUIRE(plain);
  const std::string text(as_chars(ByteView(*plain)));
  CHECK(text.find("copy_mark") == std::string::npos);
  auto back = repo::decode_set(*plain, k, true, "set");
  REQUIRE(back);
  CHECK_FALSE(back->header.copy_mark);
  CHECK_FALSE(back->body->copied_from);
  // A malformed mark is damage.
  CHECK(repo::parse_set_header(R"({"repo_id":")" + to_hex(k.repo_id) +
                                   R"(","seq":1,"prev":null,"time_ns":1,"copy_mark":"zz"})",
                               k.repo_id, "set")
            .error()
            .code == Errc::corrupt);
}

namespace {

// Counts the reads of admin records (holds/) that reach the wrapped backend.
// ... and the listings of holds/ and the reads of set objects.
class CountingHolds final : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  std::map<std::string, int> gets;
  int hold_lists = 0;
  int set_gets = 0;
  Result<Bytes> get(const backend::Key& k, std::uint64_t off, std::uint64_t len) override {
    if (k.kind == backend::Kind::hold) ++gets[k.name];
    if (k.kind == backend::Kind::set) ++set_gets;
    return inner().get(k, off, len);
  }
  Status list(backend::Kind kind,
              const std::function<Status(const backend::ObjectInfo&)>& each) override {
    if (kind == backend::Kind::hold) ++hold_lists;
    return inner().list(kind, each);
  }
};

std::unique_ptr<repo::Repository> open_counting(TestRepo& t, CountingHolds*& c) {
  return t.open_over(c);
}

// Tag records "t0" .. "t<n-1>" on `set`, written in that order.
void write_tags(repo::Repository& r, const hash::SetId& set, int n) {
  for (int i = 0; i < n; ++i) {
    repo::TagRecord tr;
    tr.set = set;
    tr.add = {fmt::format("t{}", i)};
    REQUIRE(r.write_tag_record(tr));
  }
}

}  // namespace

TEST_CASE("repo: each admin record is read once however many kinds of record are listed",
          "[repo]") {
  // holds/ mixes holds, tags, moves, rotations, revocations and the config copy; a restore
  // lists five kinds. Each list used to get every record to read its magic: a restore got
  // each record 5 times, on a remote repository a request each.
  TestRepo t;
  const hash::SetId set{hash::blake2b(as_bytes("a set"))};
  {
    auto r = t.open();
    write_tags(*r, set, 3);
    repo::HoldRecord h;
    h.set = set;
    h.reason = "audit";
    REQUIRE(r->write_hold(h));
  }
  CountingHolds* cp = nullptr;
  auto r = open_counting(t, cp);
  CountingHolds& c = *cp;
  // open read each record once (it looks for revocations of its writer), so every kind's
  // magic is known from then on.
  c.gets.clear();
  for (int round = 0; round < 2; ++round) {
    auto holds = r->list_holds();
    REQUIRE(holds);
    CHECK(holds->size() == 1);
    auto tags = r->list_tag_records();
    REQUIRE(tags);
    CHECK(tags->size() == 3);
    auto moves = r->list_move_records();
    REQUIRE(moves);
    CHECK(moves->empty());
    auto revs = r->revocations();
    REQUIRE(revs);
    CHECK(revs->empty());
  }
  // Each of the 3 tags and the hold is read again only by the list of its own kind (to
  // authenticate it), once a round: 2 gets each, 8 in all, where every list reading every
  // record made 32.
  CHECK(c.gets.size() == 4);
  int total = 0;
  for (const auto& [name, n] : c.gets) {
    INFO(name);
    CHECK(n == 2);
    total += n;
  }
  CHECK(total == 8);
}

TEST_CASE("repo: a handle lists holds/ once for every kind, with the records it writes", "[repo]") {
  // A restore from S3 listed holds/ five times (rotations, revocations, holds, tags, moves):
  // a round trip each. A handle now lists it once; what it writes joins its listing.
  TestRepo t;
  const hash::SetId set{hash::blake2b(as_bytes("a set"))};
  std::string first_tag;
  {
    auto r = t.open();
    repo::TagRecord tr;
    tr.set = set;
    tr.add = {"t0"};
    auto w = r->write_tag_record(tr);
    REQUIRE(w);
    first_tag = *w;
    tr.add = {"t1"};
    REQUIRE(r->write_tag_record(tr));
  }
  CountingHolds* c = nullptr;
  auto r = open_counting(t, c);
  const int at_open = c->hold_lists;
  CHECK(at_open == 1);  // the key generations (rotation records) at open
  REQUIRE(r->list_holds());
  REQUIRE(r->list_move_records());
  REQUIRE(r->revocations());
  auto tags = r->list_tag_records();
  REQUIRE(tags);
  CHECK(tags->size() == 2);
  CHECK(c->hold_lists == at_open);  // no list of any kind listed holds/ again

  // What this handle writes, it reads back without a listing.
  repo::HoldRecord h;
  h.set = set;
  h.reason = "audit";
  REQUIRE(r->write_hold(h));
  auto holds = r->list_holds();
  REQUIRE(holds);
  CHECK(holds->size() == 1);
  CHECK(c->hold_lists == at_open);

  // A record removed since the listing is passed over, not an error; a record another
  // handle writes is seen by the next handle.
  REQUIRE(fs::remove(t.dir / first_tag));
  {
    auto other = t.open();
    repo::TagRecord tr;
    tr.set = set;
    tr.add = {"t2"};
    REQUIRE(other->write_tag_record(tr));
  }
  tags = r->list_tag_records();
  REQUIRE(tags);
  CHECK(tags->size() == 1);
  auto fresh = t.open()->list_tag_records();
  REQUIRE(fresh);
  CHECK(fresh->size() == 2);
}

TEST_CASE(
    "repo: a set object read twice by one handle is fetched once, and only if it "
    "authenticates",
    "[repo]") {
  // A restore --from imports every set into its scratch catalog, then opens the one it
  // restores: two GETs of the same object on a remote repository.
  TestRepo t;
  hash::SetId id, forged;
  {
    auto r = t.open();
    auto a = r->write_set(sample_body("a"));
    REQUIRE(a);
    id = a->id;
    auto b = r->write_set(sample_body("b"));
    REQUIRE(b);
    forged = b->id;
    damage(t.dir / b->path, Damage::flip_middle);
  }
  CountingHolds* c = nullptr;
  auto r = open_counting(t, c);
  c->set_gets = 0;
  for (int i = 0; i < 3; ++i) {
    auto s = r->read_set(id);
    REQUIRE(s);
    check_same(*s->body, sample_body("a"));
  }
  CHECK(c->set_gets == 1);
  // Bytes that do not match their name are never kept: each read fetches and refuses them.
  CHECK(r->read_set(forged).error().code == Errc::corrupt);
  CHECK(r->read_set(forged).error().code == Errc::corrupt);
  CHECK(c->set_gets == 3);
}

TEST_CASE("repo: admin records of a kind not known yet are fetched several at a time", "[repo]") {
  // The first list a handle makes (the key generations, at open) reads every record in
  // holds/ to learn its kind: on a remote repository a round trip each, one after another.
  TestRepo t;
  const hash::SetId set{hash::blake2b(as_bytes("a set"))};
  write_tags(*t.open(), set, 6);
  test::SlowReads* slow = nullptr;
  auto r = t.open_over(slow, backend::Kind::hold, std::chrono::milliseconds(100));
  CHECK(slow->most.load() >= 2);
  auto tags = r->list_tag_records();
  REQUIRE(tags);
  REQUIRE(tags->size() == 6);
  for (std::size_t i = 0; i < tags->size(); ++i)  // oldest first, whatever order reads ended in
    CHECK((*tags)[i].add == std::vector<std::string>{fmt::format("t{}", i)});
}
