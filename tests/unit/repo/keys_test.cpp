#include <catch2/catch.hpp>
#include <chrono>

#include "pack/pack.hpp"
#include "repo/repo_fixture.hpp"

using namespace cairn;
using namespace cairn::test;
using Scope = repo::WriteSession::Scope;

namespace {

Errc open_error(const fs::path& dir, std::string pass,
                std::optional<fs::path> key_file = std::nullopt) {
  auto r = repo::Repository::open(dir, repo::Unlock{std::move(pass), std::move(key_file)});
  REQUIRE_FALSE(r);
  return r.error().code;
}

// Exports a write-only key file from a full repository handle.
fs::path export_write_only(repo::Repository& r, const fs::path& where, std::string_view pass) {
  auto bytes = r.export_slot(pass, /*write_only=*/true, crypto::KdfParams::fast_for_tests());
  REQUIRE(bytes);
  const fs::path p = where / "write-only.key";
  write_all(p, *bytes);
  return p;
}

}  // namespace

TEST_CASE("repo::Repository: a write-only key writes and deduplicates but cannot read", "[repo]") {
  TestRepo t;
  auto full = t.open();
  const Bytes old_chunk = random_bytes(20'000);
  const auto old_id = store(*full, {old_chunk})[0];
  auto old_set = full->write_set(repo::SetBody{{.source = "full"}});
  REQUIRE(old_set);
  const fs::path key_file = export_write_only(*full, t.scratch.dir, "wo-pass");

  auto wo = open_ok(t.dir, "wo-pass", key_file);
  CHECK_FALSE(wo->keys().can_read());
  CHECK(wo->keys().box_sk.empty());
  CHECK(wo->current_slot().empty());

  // put: an existing chunk is found in the index and not stored again; a new one is stored
  const Bytes new_chunk = text_bytes(30'000, 5);
  const auto before = snapshot(t.dir / "packs");
  auto s = wo->begin_write(Scope::any);
  REQUIRE(s);
  CHECK((*s)->id_of(old_chunk) == old_id);  // same chunk ids as the full key
  auto dup = (*s)->put(old_id, repo::BlobType::data, old_chunk);
  REQUIRE(dup);
  CHECK_FALSE(*dup);
  const auto new_id = (*s)->id_of(new_chunk);
  auto fresh = (*s)->put(new_id, repo::BlobType::data, new_chunk);
  REQUIRE(fresh);
  CHECK(*fresh);
  auto paths = (*s)->finish();
  REQUIRE(paths);
  REQUIRE(paths->size() == 2);
  CHECK(snapshot(t.dir / "packs").size() == before.size() + 1);

  // a set: written, chained, but its body is unreadable to the writer
  auto set = wo->write_set(repo::SetBody{{.source = "wo", .host = "h1"}});
  REQUIRE(set);
  auto seen = wo->read_set(set->id);
  REQUIRE(seen);
  CHECK(seen->header.seq == 2);
  CHECK(seen->header.prev == old_set->id);
  CHECK_FALSE(seen->body);

  // no reading chunks, old or new
  for (const auto& id : {old_id, new_id}) {
    auto got = wo->read_chunk_unproven(id);
    REQUIRE_FALSE(got);
    CHECK(got.error().code == Errc::auth);
    CHECK(got.error().message == "this key is write-only: it cannot read data");
  }
  // nor the data key of the pack it wrote itself
  const auto pack_path = t.dir / paths->at(0);
  const Bytes pack_bytes = read_all(pack_path);
  CHECK_FALSE(pack::open_data_key(pack_bytes, wo->keys().box_pk, wo->keys().box_sk.view(), "pack"));
  // no key management, no exporting a full key
  CHECK(wo->add_key("x", crypto::KdfParams::fast_for_tests()).error().code == Errc::auth);
  auto slots = wo->list_keys();
  REQUIRE(slots);
  CHECK(wo->remove_key(slots->front()).error().code == Errc::auth);
  CHECK(wo->export_slot("x", false, crypto::KdfParams::fast_for_tests()).error().code ==
        Errc::auth);
  CHECK(wo->export_slot("x", true, crypto::KdfParams::fast_for_tests()));

  // the full key reads what the write-only key wrote
  auto reader = t.open();
  auto got = reader->read_chunk_unproven(new_id);
  REQUIRE(got);
  CHECK(*got == new_chunk);
  auto body = reader->read_set(set->id);
  REQUIRE(body);
  REQUIRE(body->body);
  CHECK(body->body->source == "wo");
  CHECK(body->body->host == "h1");
  CHECK(
      pack::open_data_key(pack_bytes, reader->keys().box_pk, reader->keys().box_sk.view(), "pack"));
}

TEST_CASE("repo::Repository: a key file's passphrase is its own", "[repo]") {
  TestRepo t;
  auto full = t.open();
  const fs::path key_file = export_write_only(*full, t.scratch.dir, "wo-pass");
  CHECK(open_error(t.dir, "pass", key_file) ==
        Errc::auth);  // the repository's passphrase does not open it
  CHECK(open_error(t.dir, "wo-pass") == Errc::auth);  // and it is no slot in keys/
  // a full key file exported and opened as a file
  auto bytes = full->export_slot("file-pass", false, crypto::KdfParams::fast_for_tests());
  REQUIRE(bytes);
  write_all(t.scratch.dir / "full.key", *bytes);
  auto r = open_ok(t.dir, "file-pass", t.scratch.dir / "full.key");
  CHECK(r->keys().can_read());
}

TEST_CASE("repo::Repository: add, list and remove key slots", "[repo]") {
  TestRepo t;
  auto r = t.open();
  const std::string first = r->current_slot();
  auto added = r->add_key("second", crypto::KdfParams::fast_for_tests());
  REQUIRE(added);
  CHECK(added->size() == 32);
  CHECK(*added != first);
  auto keys = r->list_keys();
  REQUIRE(keys);
  CHECK(*keys == (first < *added ? std::vector<std::string>{first, *added}
                                 : std::vector<std::string>{*added, first}));
  auto by_second = open_ok(t.dir, "second");
  CHECK(by_second->current_slot() == *added);
  CHECK(by_second->keys().repo_id == r->keys().repo_id);

  // removing an absent slot
  auto absent = r->remove_key(std::string(32, '0'));
  REQUIRE_FALSE(absent);
  CHECK(absent.error().code == Errc::not_found);
  CHECK(r->remove_key("../config").error().code == Errc::not_found);

  // a fresh handle opened with "pass" knows only its own slot: it may remove the other one...
  auto by_first = t.open();
  REQUIRE(by_first->remove_key(*added));
  CHECK(open_error(t.dir, "second") == Errc::auth);
  // ...but not its own, the last one known to give full access
  auto last = by_first->remove_key(first);
  REQUIRE_FALSE(last);
  CHECK(last.error().code == Errc::usage);
  auto still = by_first->list_keys();
  REQUIRE(still);
  CHECK(*still == std::vector<std::string>{first});
  t.open();
}

TEST_CASE("repo::Repository: a slot of unknown capability does not count as a full key", "[repo]") {
  TestRepo t;
  auto r = t.open();
  // copy a write-only key into keys/: it opens, but it cannot stand in for the full key
  auto wo = r->export_slot("wo", true, crypto::KdfParams::fast_for_tests());
  REQUIRE(wo);
  const std::string wo_name(32, 'a');
  write_all(t.dir / "keys" / wo_name, *wo);
  auto keys = r->list_keys();
  REQUIRE(keys);
  CHECK(keys->size() == 2);
  auto refused = r->remove_key(r->current_slot());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::usage);
  auto wo_repo = open_ok(t.dir, "wo");
  CHECK_FALSE(wo_repo->keys().can_read());
  REQUIRE(r->remove_key(wo_name));  // removing the write-only slot is fine
}

TEST_CASE("repo::Repository: the passwd flow leaves a working slot at every step", "[repo]") {
  TestRepo t;
  const Bytes data = random_bytes(5000);
  hash::ChunkId id;
  {
    auto r = t.open();
    id = store(*r, {data})[0];
  }
  auto r = t.open("pass");
  const std::string old_slot = r->current_slot();
  // 1. add the new passphrase: both open
  auto added = r->add_key("new pass", crypto::KdfParams::fast_for_tests());
  REQUIRE(added);
  CHECK(t.open("pass")->read_chunk_unproven(id));
  CHECK(t.open("new pass")->read_chunk_unproven(id));
  // 2. remove the old slot (the one in use): allowed, the new slot is known to be full
  REQUIRE(r->remove_key(old_slot));
  CHECK(r->current_slot().empty());
  CHECK(open_error(t.dir, "pass") == Errc::auth);
  auto after = t.open("new pass");
  auto got = after->read_chunk_unproven(id);
  REQUIRE(got);
  CHECK(*got == data);
  auto keys = after->list_keys();
  REQUIRE(keys);
  CHECK(*keys == std::vector<std::string>{*added});
  // 3. the handle that made the change keeps working
  auto again = r->read_chunk_unproven(id);
  REQUIRE(again);
  CHECK(*again == data);
}

TEST_CASE("repo::Repository: a damaged slot does not stop another slot from opening", "[repo]") {
  TestRepo t;
  auto r = t.open();
  const std::string first = r->current_slot();
  REQUIRE(r->add_key("second", crypto::KdfParams::fast_for_tests()));
  damage(t.dir / "keys" / first, Damage::flip_middle);
  CHECK(open_error(t.dir, "pass") == Errc::auth);
  auto ok = open_ok(t.dir, "second");
  CHECK(ok->keys().can_read());
}

TEST_CASE("repo::Repository: a planted slot at the KDF ceiling does not slow every open",
          "[repo]") {
  TestRepo t;
  // Someone who can write the storage plants a slot asking for the most the ceiling allows
  // (4 passes over 1 GiB), named to sort before every real slot. Its body is garbage: it can
  // never open, but trying it costs the Argon2 run.
  Bytes slot(crypto::kSlotSize, 0x5a);
  const std::string_view magic = "CAIRNKEY";
  std::copy(magic.begin(), magic.end(), slot.begin());
  slot[8] = static_cast<std::uint8_t>(crypto::kSlotVersion);
  slot[9] = 0;
  Bytes fields;
  put_le64(fields, 4);
  put_le64(fields, 1ull << 30);
  std::copy(fields.begin(), fields.end(), slot.begin() + 10);
  const auto planted = t.dir / "keys" / std::string(32, '0');
  write_all(planted, slot);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = t.open();  // the real slot (cheap test parameters) is tried first
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(r->current_slot() != std::string(32, '0'));
  // Trying the planted slot first takes several seconds (and 1 GiB) on this kind of machine.
  CHECK(took < std::chrono::seconds(2));
}
