#include <algorithm>
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "repo/objects.hpp"
#include "repo/repo_fixture.hpp"

using namespace cairn;
using namespace cairn::test;
using Scope = repo::WriteSession::Scope;

namespace {

std::size_t count_under(const fs::path& dir) { return files_in(dir).size(); }

}  // namespace

TEST_CASE("repo::WriteSession: a chunk round trip, compressed and raw", "[repo]") {
  TestRepo t;
  auto r = t.open();
  const Bytes text = text_bytes(100'000, 1);
  const Bytes noise = random_bytes(50'000);
  const Bytes tiny = {42};
  auto s = r->begin_write(Scope::any);
  REQUIRE(s);
  std::vector<hash::ChunkId> ids;
  for (const Bytes* c : {&text, &noise, &tiny}) {
    ids.push_back((*s)->id_of(*c));
    auto put = (*s)->put(ids.back(), c == &tiny ? repo::BlobType::meta : repo::BlobType::data, *c);
    REQUIRE(put);
    CHECK(*put);
  }
  CHECK((*s)->stored_bytes() > 0);
  CHECK((*s)->stored_bytes() < text.size() + noise.size());  // the text compressed
  auto paths = (*s)->finish();
  REQUIRE(paths);
  REQUIRE(paths->size() == 2);  // one pack, one index file
  CHECK(paths->at(0).starts_with("packs/"));
  CHECK(paths->at(1).starts_with("index/"));
  for (const auto& p : *paths) CHECK(fs::is_regular_file(t.dir / p));
  CHECK(count_under(t.dir / "tmp") == 0);

  // readable in this process and after reopening (from the index file)
  auto reopened = t.open();
  for (auto* repo : {r.get(), reopened.get()}) {
    auto a = repo->read_chunk_unproven(ids[0]);
    REQUIRE(a);
    CHECK(*a == text);
    auto b = repo->read_chunk_unproven(ids[1]);
    REQUIRE(b);
    CHECK(*b == noise);
    auto c = repo->read_chunk_unproven(ids[2]);
    REQUIRE(c);
    CHECK(*c == tiny);
    auto loc = repo->locate(ids[0]);
    REQUIRE(loc);
    CHECK(loc->raw_size == text.size());
    CHECK(loc->flags == pack::kFlagZstd);
    CHECK(repo->locate(ids[2])->type == repo::BlobType::meta);
    CHECK(repo->locate(ids[1])->flags == 0);
  }
}

TEST_CASE("repo::WriteSession: the chunk id is the keyed hash of the plaintext", "[repo]") {
  TestRepo t;
  auto r = t.open();
  auto s = r->begin_write(Scope::any);
  REQUIRE(s);
  const Bytes data = text_bytes(5000, 3);
  const hash::KeyedHasher h(r->config().chunk_hash, r->keys().chunk_id_key.view());
  CHECK((*s)->id_of(data).d == h.hash(data));
  CHECK((*s)->id_of(data).d != hash::blake2b(data));  // keyed: outsiders cannot confirm content
}

TEST_CASE("repo::WriteSession: the same chunk twice is stored once", "[repo]") {
  TestRepo t;
  auto r = t.open();
  const Bytes data = random_bytes(30'000);
  auto s = r->begin_write(Scope::any);
  REQUIRE(s);
  const auto id = (*s)->id_of(data);
  auto first = (*s)->put(id, repo::BlobType::data, data);
  REQUIRE(first);
  CHECK(*first);
  const auto stored = (*s)->stored_bytes();
  auto second = (*s)->put(id, repo::BlobType::data, data);
  REQUIRE(second);
  CHECK_FALSE(*second);
  CHECK((*s)->stored_bytes() == stored);
  REQUIRE((*s)->finish());
  const auto before = snapshot(t.dir);

  // A later session (same process, and after reopening) deduplicates against the repository.
  auto reopened = t.open();
  for (auto* repo : {r.get(), reopened.get()}) {
    auto s2 = repo->begin_write(Scope::any);
    REQUIRE(s2);
    auto again = (*s2)->put(id, repo::BlobType::data, data);
    REQUIRE(again);
    CHECK_FALSE(*again);
    CHECK((*s2)->stored_bytes() == 0);
    REQUIRE((*s2)->locate(id));
    CHECK((*s2)->locate(id)->pack == r->locate(id)->pack);
    auto paths = (*s2)->finish();
    REQUIRE(paths);
    CHECK(paths->empty());
  }
  CHECK(snapshot(t.dir) == before);  // stored bytes unchanged, nothing new written
}

TEST_CASE("repo::WriteSession: scope own stores chunks again, scope packs only reuses given packs",
          "[repo]") {
  TestRepo t;
  auto r = t.open();
  const Bytes a = random_bytes(20'000), b = random_bytes(20'000);
  const auto ida = store(*r, {a})[0];
  const auto idb = store(*r, {b})[0];
  const auto pack_a = r->locate(ida)->pack, pack_b = r->locate(idb)->pack;
  REQUIRE(pack_a != pack_b);

  auto own = r->begin_write(Scope::own);
  REQUIRE(own);
  CHECK_FALSE((*own)->locate(ida));  // not in scope: a full set must not lean on it
  auto put = (*own)->put(ida, repo::BlobType::data, a);
  REQUIRE(put);
  CHECK(*put);
  auto put2 = (*own)->put(ida, repo::BlobType::data, a);  // but its own chunks dedup
  REQUIRE(put2);
  CHECK_FALSE(*put2);
  auto paths = (*own)->finish();
  REQUIRE(paths);
  REQUIRE(paths->size() == 2);
  const auto loc = (*own)->locate(ida);
  REQUIRE(loc);
  CHECK(loc->pack != pack_a);
  CHECK(paths->at(0) == "packs/" + loc->pack.hex().substr(0, 2) + "/" + loc->pack.hex());

  auto diff = r->begin_write(Scope::packs, {pack_a});
  REQUIRE(diff);
  auto pa = (*diff)->put(ida, repo::BlobType::data, a);
  REQUIRE(pa);
  CHECK_FALSE(*pa);  // in an allowed pack
  auto pb = (*diff)->put(idb, repo::BlobType::data, b);
  REQUIRE(pb);
  CHECK(*pb);  // only in a pack that is not allowed
  REQUIRE((*diff)->finish());
  CHECK((*diff)->locate(ida)->pack == pack_a);
  CHECK((*diff)->locate(idb)->pack != pack_b);
}

TEST_CASE("repo::WriteSession: packs roll over at pack_size", "[repo]") {
  TestRepo t;  // pack_size 64 KiB
  auto r = t.open();
  std::vector<Bytes> chunks;
  for (int i = 0; i < 20; ++i) chunks.push_back(random_bytes(10'000));
  auto s = r->begin_write(Scope::any);
  REQUIRE(s);
  std::vector<hash::ChunkId> ids;
  std::size_t located_before_finish = 0;
  for (const auto& c : chunks) {
    ids.push_back((*s)->id_of(c));
    REQUIRE((*s)->put(ids.back(), repo::BlobType::data, c));
  }
  for (const auto& id : ids) located_before_finish += (*s)->locate(id) ? 1 : 0;
  auto paths = (*s)->finish();
  REQUIRE(paths);
  // 20 chunks of ~10 KiB in 64 KiB packs: 7 + 7 + 6
  std::vector<std::string> packs(paths->begin(), paths->end() - 1);
  REQUIRE(packs.size() == 3);
  CHECK(located_before_finish == 14);  // chunks in sealed packs already have a location
  for (const auto& p : packs) CHECK(p.starts_with("packs/"));
  CHECK(paths->back().starts_with("index/"));
  for (std::size_t i = 0; i + 1 < packs.size(); ++i) {
    const auto size = fs::file_size(t.dir / packs[i]);
    CHECK(size >= r->config().pack_size);
    CHECK(size < r->config().pack_size + 10'000 + 2'000);
  }
  std::set<std::string> pack_ids;
  for (const auto& id : ids) pack_ids.insert((*s)->locate(id)->pack.hex());
  CHECK(pack_ids.size() == 3);
  auto r2 = t.open();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto got = r2->read_chunk_unproven(ids[i]);
    REQUIRE(got);
    CHECK(*got == chunks[i]);
  }
  // each pack's own index agrees with the index file
  for (const auto& hex : pack_ids) {
    auto entries = r2->read_pack_index(*hash::PackId::from_hex(hex));
    REQUIRE(entries);
    for (const auto& e : *entries) {
      auto loc = r2->locate(e.id);
      REQUIRE(loc);
      CHECK(loc->pack.hex() == hex);
      CHECK(loc->offset == e.offset);
      CHECK(loc->length == e.sealed_len);
    }
  }
}

TEST_CASE("repo::WriteSession: concurrent puts store each chunk once, concurrent reads agree",
          "[repo]") {
  TestRepo t;
  auto r = t.open();
  std::vector<Bytes> chunks;
  for (int i = 0; i < 60; ++i)
    chunks.push_back(i % 2 ? random_bytes(8'000 + i) : text_bytes(12'000, i));
  auto s = r->begin_write(Scope::any);
  REQUIRE(s);
  std::atomic<int> stored{0}, errors{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      std::vector<std::size_t> order(chunks.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), std::mt19937(th));
      for (auto i : order) {
        auto put = (*s)->put((*s)->id_of(chunks[i]), repo::BlobType::data, chunks[i]);
        if (!put)
          ++errors;
        else if (*put)
          ++stored;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(errors == 0);
  CHECK(stored == 60);
  auto paths = (*s)->finish();
  REQUIRE(paths);
  CHECK(paths->size() >= 4);
  // reads are thread-safe too (pack key cache, decompressor pool)
  auto r2 = t.open();
  std::atomic<int> good{0};
  threads.clear();
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&] {
      for (const auto& c : chunks) {
        auto got = r2->read_chunk_unproven((*s)->id_of(c));
        if (got && *got == c) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(good == 4 * 60);
}

TEST_CASE("repo::WriteSession: a session dropped without finish leaves no index and no temp file",
          "[repo]") {
  TestRepo t;
  auto r = t.open();
  const Bytes a = random_bytes(40'000), b = random_bytes(40'000);
  hash::ChunkId ida;
  {
    auto s = r->begin_write(Scope::any);
    REQUIRE(s);
    ida = (*s)->id_of(a);
    REQUIRE((*s)->put(ida, repo::BlobType::data, a));
    REQUIRE((*s)->put((*s)->id_of(b), repo::BlobType::data, b));  // the first pack is sealed here
  }
  CHECK(count_under(t.dir / "tmp") == 0);
  CHECK(count_under(t.dir / "index") == 0);
  CHECK(count_under(t.dir / "packs") == 1);  // garbage for prune, never a half-written file
  auto r2 = t.open();
  CHECK_FALSE(r2->locate(ida));
  auto got = r2->read_chunk_unproven(ida);
  REQUIRE_FALSE(got);
  CHECK(got.error().code == Errc::not_found);
}

TEST_CASE("repo::WriteSession: refuses a chunk larger than the maximum chunk size", "[repo]") {
  TestRepo t;
  auto r = t.open();
  auto s = r->begin_write(Scope::any);
  REQUIRE(s);
  const Bytes big = random_bytes(r->config().chunking.max_size + 1);
  auto put = (*s)->put((*s)->id_of(big), repo::BlobType::data, big);
  REQUIRE_FALSE(put);
  CHECK(put.error().code == Errc::bad_input);
  const Bytes max = text_bytes(r->config().chunking.max_size, 9);
  auto ok = (*s)->put((*s)->id_of(max), repo::BlobType::data, max);
  REQUIRE(ok);
  CHECK(*ok);
  REQUIRE((*s)->finish());
  auto back = r->read_chunk_unproven((*s)->id_of(max));
  REQUIRE(back);
  CHECK(*back == max);
}

TEST_CASE("repo::Repository::read_pack_index: absent pack is not_found", "[repo]") {
  TestRepo t;
  auto r = t.open();
  auto missing = r->read_pack_index(hash::PackId{hash::blake2b(as_bytes("nope"))});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
}

TEST_CASE(
    "repo::Repository: a garbage pack behind an index file that sorts first hides no good copy",
    "[repo]") {
  TestRepo t;
  auto r = t.open();
  const Bytes text = text_bytes(100'000, 9);
  auto s = r->begin_write(Scope::any);
  REQUIRE(s);
  hash::Digest proof;
  const auto id = (*s)->id_of(text, &proof);
  REQUIRE((*s)->put(id, repo::BlobType::data, text));
  auto paths = (*s)->finish();
  REQUIRE(paths);
  const std::string real_index = paths->back().substr(6);
  // The attacker (any key: index_key is in write-only keys) writes a garbage "pack" and an
  // index file pointing the chunk at it, ground until its name sorts before the real one, so
  // that it is the copy found first.
  const auto& k = r->keys();
  const Bytes garbage = random_bytes(4096);
  const hash::PackId fake{hash::blake2b(garbage)};
  REQUIRE(r->storage().put(backend::Key::pack(fake), garbage));
  repo::IndexPack ip;
  ip.pack = fake;
  ip.entries.push_back(pack::Entry{id, static_cast<std::uint8_t>(repo::BlobType::data),
                                   pack::kFlagZstd, 100, 1000,
                                   static_cast<std::uint32_t>(text.size())});
  Bytes planted;
  std::string name;
  for (int tries = 0; tries < 10000; ++tries) {
    planted = repo::encode_index_file({ip}, k.index_key.view(), k.repo_id);
    name = hash::blake2b(planted).hex();
    if (name < real_index) break;
  }
  REQUIRE(name < real_index);
  REQUIRE(r->storage().put(backend::Key::index(name), planted));

  auto reopened = t.open();
  REQUIRE(reopened->locate(id));
  CHECK(reopened->locate(id)->pack == fake);  // the planted copy is the first one listed
  auto back = reopened->read_chunk(id, proof);
  REQUIRE(back);
  CHECK(*back == text);
}

namespace {

// Does to index files what cairn-prune does while a backup opens the repository: the first
// `rewrites` reads of an index file find it gone, rewritten a moment before under a new name
// (the same entries, sealed afresh: the new file is stored first, then the old one goes).
class RewritingIndexes final : public test::ForwardingBackend {
 public:
  // `rewritten` counts the rewrites; it outlives the backend (a failed open destroys it).
  RewritingIndexes(std::unique_ptr<backend::Backend> b, crypto::KeyMaterial keys, int rewrites,
                   int& rewritten)
      : ForwardingBackend(std::move(b)),
        keys_(std::move(keys)),
        rewrites_(rewrites),
        rewritten(rewritten) {}
  Result<Bytes> get(const backend::Key& k, std::uint64_t off, std::uint64_t len) override {
    if (k.kind == backend::Kind::index && rewritten < rewrites_) {
      ++rewritten;
      auto raw = inner().get(k);
      REQUIRE(raw);
      auto packs = repo::decode_index_file(*raw, keys_.index_key.view(), keys_.repo_id, "index");
      REQUIRE(packs);
      const Bytes fresh = repo::encode_index_file(*packs, keys_.index_key.view(), keys_.repo_id);
      REQUIRE(inner().put(backend::Key::index(hash::blake2b(fresh).hex()), fresh));
      REQUIRE(inner().remove(k));
    }
    return inner().get(k, off, len);
  }

 private:
  crypto::KeyMaterial keys_;
  int rewrites_;

 public:
  int& rewritten;
};

Result<std::unique_ptr<repo::Repository>> open_while_rewritten(const TestRepo& t, int rewrites,
                                                               int* rewritten) {
  auto keys = t.open()->keys().clone();
  auto local = backend::open_local(t.dir, false);
  REQUIRE(local);
  auto wrapper =
      std::make_unique<RewritingIndexes>(std::move(*local), std::move(keys), rewrites, *rewritten);
  return repo::Repository::open(std::move(wrapper), repo::Unlock{"pass", std::nullopt},
                                t.dir / "tmp");
}

}  // namespace

TEST_CASE("repo::Repository::open: an index file rewritten by a prune while it is read", "[repo]") {
  TestRepo t;
  std::vector<Bytes> chunks;
  std::vector<hash::ChunkId> ids;
  for (std::uint32_t i = 0; i < 3; ++i) {  // three sessions: three index files
    chunks.push_back(text_bytes(20'000, 10 + i));
    auto r = t.open();
    ids.push_back(store(*r, {chunks.back()}).at(0));
  }
  REQUIRE(files_in(t.dir / "index").size() == 3);

  SECTION("each file read after it went is found again under its new name") {
    int rewritten = 0;
    auto r = open_while_rewritten(t, 5, &rewritten);
    REQUIRE(r);
    CHECK(rewritten == 5);  // the three files, then two of their replacements
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto c = (*r)->read_chunk_unproven(ids[i]);
      REQUIRE(c);
      CHECK(*c == chunks[i]);
    }
  }
  SECTION("files that never stay put: a clear error after a bounded number of listings") {
    int rewritten = 0;
    auto r = open_while_rewritten(t, 1000, &rewritten);
    REQUIRE(!r);
    CHECK(r.error().code == Errc::not_found);
    CHECK_THAT(r.error().message, Catch::Contains("kept vanishing"));
    CHECK(rewritten < 1000);
  }
  CHECK(files_in(t.dir / "index").size() == 3);  // rewritten, never lost
}

TEST_CASE(
    "repo::WriteSession: thousands of chunks over many packs, found by id before and after "
    "finish(); its own index file needs no second one at commit",
    "[repo]") {
  TestRepo t;  // pack_size 64 KiB: about 700 of these chunks a pack
  auto r = t.open();
  auto s = r->begin_write(Scope::own);
  REQUIRE(s);
  std::vector<Bytes> chunks;
  std::vector<hash::ChunkId> ids;
  for (int i = 0; i < 10'000; ++i) {  // more than one block of the session's records (4096)
    chunks.push_back(random_bytes(40));
    ids.push_back((*s)->id_of(chunks.back()));
    auto put = (*s)->put(ids.back(), repo::BlobType::data, chunks.back());
    REQUIRE(put);
    CHECK(*put);
  }
  auto again = (*s)->put(ids[5000], repo::BlobType::data, chunks[5000]);
  REQUIRE(again);
  CHECK_FALSE(*again);
  const auto first = (*s)->locate(ids[0]);  // its pack is sealed by now
  REQUIRE(first);
  auto paths = (*s)->finish();
  REQUIRE(paths);
  const auto packs = (*s)->sealed_packs();
  REQUIRE(packs.size() > 10);
  CHECK(count_under(t.dir / "index") == 1);
  const auto after = (*s)->locate(ids[0]);
  REQUIRE(after);
  CHECK(after->pack == first->pack);
  CHECK(after->offset == first->offset);
  // The session's own index file is known: nothing to write, and commit reads nothing back.
  auto kept = (*s)->keep_indexed(packs);
  REQUIRE(kept);
  CHECK(kept->empty());
  CHECK(count_under(t.dir / "index") == 1);

  auto reopened = t.open();
  std::size_t listed = 0;
  for (const auto& p : packs) {
    auto entries = reopened->read_pack_index(p);
    REQUIRE(entries);
    listed += entries->size();
  }
  CHECK(listed == ids.size());
  for (std::size_t i = 0; i < ids.size(); i += 97) {
    INFO("chunk " << i);
    CHECK((*s)->stored_here(ids[i]));
    const auto loc = (*s)->locate(ids[i]);
    REQUIRE(loc);
    CHECK(std::find(packs.begin(), packs.end(), loc->pack) != packs.end());
    auto back = reopened->read_chunk_unproven(ids[i]);
    REQUIRE(back);
    CHECK(*back == chunks[i]);
    const auto there = reopened->locate(ids[i]);
    REQUIRE(there);
    CHECK(there->pack == loc->pack);
    CHECK(there->offset == loc->offset);
  }
}

TEST_CASE(
    "repo::Repository::open: index files are read several at a time from a remote "
    "repository, and every chunk is found",
    "[repo]") {
  // A repository with an index file per backup, read by a fresh host: one round trip each,
  // one after another, before anything else.
  TestRepo t;
  std::vector<std::pair<hash::ChunkId, Bytes>> chunks;
  {
    auto r = t.open();
    for (int i = 0; i < 6; ++i) {  // a session each: an index file each
      auto s = r->begin_write(Scope::any);
      REQUIRE(s);
      Bytes c = text_bytes(20'000, static_cast<std::uint32_t>(i + 1));
      const auto id = (*s)->id_of(c);
      REQUIRE((*s)->put(id, repo::BlobType::data, c));
      REQUIRE((*s)->finish());
      chunks.emplace_back(id, std::move(c));
    }
  }
  REQUIRE(count_under(t.dir / "index") == 6);
  SlowReads* slow = nullptr;
  auto r = t.open_over(slow, backend::Kind::index, std::chrono::milliseconds(100));
  CHECK(slow->most.load() >= 2);
  for (const auto& [id, bytes] : chunks) {  // a pack's header and the blob read at once
    auto got = r->read_chunk_unproven(id);
    REQUIRE(got);
    CHECK(*got == bytes);
  }
}
