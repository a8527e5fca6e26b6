// The in-memory chunk index at scale (issue 14, "memory as a budget"): index files written
// with the repository's own encoder, then what open() holds per chunk and what it finds.
#include <malloc.h>

#include <catch2/catch.hpp>

#include "pack/pack.hpp"
#include "repo/objects.hpp"
#include "repo/repo_fixture.hpp"

using namespace cairn;
using namespace cairn::test;

namespace {

hash::Digest digest_of(char tag, std::uint64_t n) {
  Bytes b(9);
  b[0] = static_cast<std::uint8_t>(tag);
  for (int i = 0; i < 8; ++i) b[1 + i] = static_cast<std::uint8_t>(n >> (8 * i));
  return hash::blake2b(b);
}

pack::Entry entry(std::uint64_t n, std::uint64_t slot) {
  pack::Entry e;
  e.id = hash::ChunkId{digest_of('c', n)};
  e.type = static_cast<std::uint8_t>(repo::BlobType::data);
  e.offset = pack::kHeaderSize + slot * 1000;
  e.sealed_len = 500 + crypto::kSealOverhead;
  e.raw_size = 500;
  return e;
}

void put_index(const fs::path& dir, const repo::Repository& r,
               const std::vector<repo::IndexPack>& packs) {
  const Bytes bytes = repo::encode_index_file(packs, r.keys().index_key.view(), r.keys().repo_id);
  const fs::path p = dir / backend::Key::index(hash::blake2b(bytes).hex()).path();
  fs::create_directories(p.parent_path());
  REQUIRE(io::write_file_atomic(p, bytes));
}

// Bytes allocated: the arenas' and the mmap'ed blocks' (a big array is one of those).
std::size_t heap_in_use() {
  const auto m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

}  // namespace

TEST_CASE("repo::Repository: the chunk index holds tens of bytes a chunk and finds every copy",
          "[repo][scale]") {
  TestRepo t;
  constexpr std::uint64_t kChunks = 204'800, kPerPack = 32, kFiles = 4;  // whole packs a file
  {
    auto r = t.open();
    std::vector<repo::IndexPack> file;
    for (std::uint64_t i = 0; i < kChunks; ++i) {
      if (i % kPerPack == 0) file.push_back({hash::PackId{digest_of('p', i / kPerPack)}, {}});
      file.back().entries.push_back(entry(i, i % kPerPack));
      if ((i + 1) % (kChunks / kFiles) == 0) {
        put_index(t.dir, *r, file);
        file.clear();
      }
    }
    // Pack 0 listed again by a second file (prune rewrites leave such pairs), and a second
    // copy of chunk 7 in another pack.
    put_index(t.dir, *r,
              {{hash::PackId{digest_of('p', 0)}, {entry(0, 0), entry(1, 1)}},
               {hash::PackId{digest_of('q', 0)}, {entry(7, 3)}}});
  }
  const std::size_t before = heap_in_use();
  auto r = t.open();
  const std::size_t held = heap_in_use() - before;
#if !defined(__SANITIZE_ADDRESS__)
  INFO("bytes held after open: " << held << " for " << kChunks << " chunks");
  CHECK(held / kChunks < 64);  // the hash map it replaced took ~110
#else
  (void)held;  // AddressSanitizer's allocator does not report through mallinfo2
#endif
  for (std::uint64_t i = 0; i < kChunks; i += 997) {
    const auto loc = r->locate(hash::ChunkId{digest_of('c', i)});
    REQUIRE(loc);
    CHECK(loc->pack == hash::PackId{digest_of('p', i / kPerPack)});
    CHECK(loc->offset == pack::kHeaderSize + (i % kPerPack) * 1000);
    CHECK(loc->raw_size == 500);
  }
  CHECK_FALSE(r->locate(hash::ChunkId{digest_of('c', kChunks)}));
  CHECK(r->locate_all(hash::ChunkId{digest_of('c', 0)}).size() == 1);  // listed twice, one copy
  const auto copies = r->locate_all(hash::ChunkId{digest_of('c', 7)});
  REQUIRE(copies.size() == 2);
  CHECK(copies[0].pack != copies[1].pack);
  for (const auto& c : copies)
    CHECK((c.pack == hash::PackId{digest_of('p', 0)} || c.pack == hash::PackId{digest_of('q', 0)}));
}
