// Key rotation (cairn-repository(5) KEY ROTATION): generations chained by admin-signed
// rotation records; forged records are refused.
#include <catch2/catch.hpp>

#include "repo/objects.hpp"
#include "repo_fixture.hpp"

namespace cairn::test {
namespace {

using Scope = repo::WriteSession::Scope;

fs::path only_slot(const fs::path& repo_dir) {
  std::vector<fs::path> slots;
  for (const auto& e : fs::directory_iterator(repo_dir / "keys")) slots.push_back(e.path());
  REQUIRE(slots.size() == 1);
  return slots[0];
}

fs::path write_only_key(repo::Repository& r, const fs::path& where) {
  auto bytes = r.export_slot("wo-pass", /*write_only=*/true, crypto::KdfParams::fast_for_tests());
  REQUIRE(bytes);
  REQUIRE(io::write_file_atomic(where, *bytes, 0600, true));
  return where;
}

hash::PackId pack_of(repo::Repository& r, const hash::ChunkId& id) {
  auto loc = r.locate(id);
  REQUIRE(loc);
  return loc->pack;
}

std::size_t gen_of(repo::Repository& r, const hash::PackId& p) {
  auto g = r.pack_generation(p);
  REQUIRE(g);
  REQUIRE(*g);
  return **g;
}

repo::Repository::Rotated rotate(repo::Repository& r) {
  auto done = r.rotate_key("pass", crypto::KdfParams::fast_for_tests(), "alice", "host1");
  if (!done) FAIL("rotate failed: " << done.error().message);
  return std::move(*done);
}

// A rotation record sealed and signed by `forger` (holding some signing key) planted under its
// content address, as someone who can write the storage would.
void plant(const fs::path& repo_dir, const crypto::KeyMaterial& forger, const Bytes& prev_pk) {
  auto kp = crypto::box_keypair();
  repo::Rotation r;
  r.box_pk = kp.pk;
  r.prev_pk = prev_pk;
  r.prev_sk = crypto::SecretBytes(32);
  r.time_ns = 1'900'000'000'000'000'000;
  auto bytes = repo::encode_rotation(r, kp.sk.view(), forger);
  REQUIRE(bytes);
  fs::create_directories(repo_dir / "holds");
  REQUIRE(
      io::write_file_atomic(repo_dir / "holds" / hash::blake2b(*bytes).hex(), *bytes, 0600, true));
}

}  // namespace

TEST_CASE(
    "repo::Repository::rotate_key: new data is sealed to the new generation, write-only keys "
    "included; the newest key reads every generation, an old key nothing newer",
    "[repo]") {
  TestRepo t;
  const Bytes c0 = random_bytes(20'000), c1 = random_bytes(21'000), c2 = random_bytes(22'000),
              c3 = random_bytes(23'000);
  auto full = t.open();
  const auto id0 = store(*full, {c0})[0];
  auto set0 = full->write_set(repo::SetBody{{.source = "before"}});
  REQUIRE(set0);
  // What leaks: a copy of the old slot (its passphrase is "pass") and a write-only key file.
  const fs::path leaked = t.scratch.dir / "leaked.key";
  fs::copy_file(only_slot(t.dir), leaked);
  const fs::path wo_key = write_only_key(*full, t.scratch.dir / "wo.key");
  REQUIRE(full->generations().size() == 1);

  const auto r1 = rotate(*full);
  CHECK(r1.generation == 1);
  CHECK(r1.record.starts_with("holds/"));
  CHECK(r1.other_slots.empty());  // the old slot went
  CHECK(only_slot(t.dir).filename() == r1.slot);
  REQUIRE(full->generations().size() == 2);
  const auto id1 = store(*full, {c1})[0];  // this handle seals to generation 1 at once
  CHECK(gen_of(*full, pack_of(*full, id1)) == 1);
  CHECK(gen_of(*full, pack_of(*full, id0)) == 0);

  {  // a write-only key exported before the rotation seals to the new generation
    auto wo = open_ok(t.dir, "wo-pass", wo_key);
    CHECK(wo->generations().size() == 2);
    CHECK(Bytes(wo->keys().seal_pk().begin(), wo->keys().seal_pk().end()) ==
          wo->generations()[1].pk);
    store(*wo, {c2});
    REQUIRE(wo->write_set(repo::SetBody{{.source = "wo"}}));
  }
  auto set1 = full->write_set(repo::SetBody{{.source = "after"}});
  REQUIRE(set1);

  auto again = t.open();  // the passphrase now opens the generation-1 slot
  const auto id2 = again->id_of(c2);
  CHECK(gen_of(*again, pack_of(*again, id2)) == 1);
  for (const auto& [id, bytes] : {std::pair{id0, &c0}, {id1, &c1}, {id2, &c2}}) {
    auto got = again->read_chunk_unproven(id);
    REQUIRE(got);
    CHECK(*got == *bytes);
  }
  for (const auto& id : {set0->id, set1->id}) {
    auto s = again->read_set(id);
    REQUIRE(s);
    CHECK(s->body);
  }
  CHECK(*again->set_generation(set0->id) == 0);
  CHECK(*again->set_generation(set1->id) == 1);
  // Rotation records are not hold records: nothing is reported as a damaged hold.
  int skipped = 0;
  REQUIRE(again->list_holds([&](const std::string&, Error) { ++skipped; }));
  CHECK(skipped == 0);

  {  // the leaked old key still reads generation 0, and nothing sealed after the rotation
    auto old = open_ok(t.dir, "pass", leaked);
    CHECK(old->generations().size() == 2);
    CHECK_FALSE(old->generations()[1].readable);
    CHECK(old->read_chunk_unproven(id0));
    for (const auto& id : {id1, id2}) {
      auto got = old->read_chunk_unproven(id);
      REQUIRE_FALSE(got);
      CHECK(got.error().code == Errc::corrupt);
      CHECK_THAT(got.error().message, Catch::Contains("key generation"));
    }
    CHECK(old->read_set(set0->id));
    CHECK_FALSE(old->read_set(set1->id));
    // and it cannot rotate (it is not the newest generation)
    auto refused = old->rotate_key("pass", crypto::KdfParams::fast_for_tests(), "m", "h");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::usage);
  }

  // A second rotation: three generations, all read by the newest key.
  const auto r2 = rotate(*again);
  CHECK(r2.generation == 2);
  store(*again, {c3});
  auto third = t.open();
  REQUIRE(third->generations().size() == 3);
  CHECK(gen_of(*third, pack_of(*third, third->id_of(c3))) == 2);
  for (const auto& c : {&c0, &c1, &c2, &c3}) {
    auto got = third->read_chunk_unproven(third->id_of(*c));
    REQUIRE(got);
    CHECK(*got == *c);
  }
  // A write-only key can neither rotate nor read the records' secrets.
  auto wo = open_ok(t.dir, "wo-pass", wo_key);
  CHECK(wo->generations().size() == 3);
  auto no = wo->rotate_key("wo-pass", crypto::KdfParams::fast_for_tests(), "m", "h");
  REQUIRE_FALSE(no);
  CHECK(no.error().code == Errc::auth);
}

TEST_CASE(
    "repo::Repository: a rotation record planted by the storage or signed with a writer key is "
    "refused, and nothing is sealed to its key",
    "[repo]") {
  TestRepo t;
  auto full = t.open();
  const Bytes config_pk = full->config().box_pk;
  const fs::path wo_key = write_only_key(*full, t.scratch.dir / "wo.key");
  {  // the storage: a signing key of its own
    auto forger = full->keys().clone();
    auto kp = crypto::sign_keypair();
    forger.sign_sk = std::move(kp.sk);
    plant(t.dir, forger, config_pk);
  }
  {  // a backup host: its writer key
    auto wo = open_ok(t.dir, "wo-pass", wo_key);
    auto forger = wo->keys().clone();
    forger.caps = crypto::Caps::full;
    forger.sign_sk = crypto::SecretBytes::copy_of(forger.writer_sk.view());
    REQUIRE(forger.can_admin());
    plant(t.dir, forger, config_pk);
  }
  {  // a genuine record of another repository (same passphrase, its own admin key)
    TestRepo other;
    auto o = other.open();
    REQUIRE(o->rotate_key("pass", crypto::KdfParams::fast_for_tests(), "a", "h"));
    for (const auto& e : fs::directory_iterator(other.dir / "holds"))
      fs::copy_file(e.path(), t.dir / "holds" / e.path().filename(),
                    fs::copy_options::skip_existing);
  }
  for (const bool write_only : {false, true}) {
    auto r = write_only ? open_ok(t.dir, "wo-pass", wo_key) : t.open();
    REQUIRE(r->generations().size() == 1);
    CHECK(Bytes(r->keys().seal_pk().begin(), r->keys().seal_pk().end()) == config_pk);
    // the two forgeries, and the foreign record and the foreign config copy are not ours
    std::size_t admin = 0;
    for (const auto& [name, why] : r->rotation_problems())
      if (why.message.find("admin key") != std::string::npos) ++admin;
    CHECK(admin >= 3);
    // what it writes stays readable by the real key
    const Bytes c = random_bytes(10'000);
    const auto id = store(*r, {c})[0];
    auto reader = t.open();
    auto got = reader->read_chunk_unproven(id);
    REQUIRE(got);
    CHECK(*got == c);
    CHECK(*reader->pack_generation(pack_of(*reader, id)) == 0);
  }
}

}  // namespace cairn::test
