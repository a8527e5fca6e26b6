// lib/repo/stored.hpp: reading a set's stored manifest back from the repository. The manifest
// is a manifest stream (cairn-manifest(5)) kept as BlobType::meta chunks; every chunk is
// authenticated as it is read, and the stream's own trailer is checked at the end.
// Depends on: repo, manifest. Threads: thread-compatible.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "io/file.hpp"
#include "manifest/manifest.hpp"
#include "repo/repo.hpp"

namespace cairn::repo {

// An io::Reader over a list of chunks, fetched one at a time, each checked against its
// possession proof.
class ChunkReader final : public io::Reader {
 public:
  ChunkReader(Repository& r, std::vector<hash::ChunkId> ids, std::vector<hash::Digest> proofs)
      : r_(r), ids_(std::move(ids)), proofs_(std::move(proofs)) {}
  Result<std::size_t> read(MutByteView buf) override;

 private:
  Repository& r_;
  std::vector<hash::ChunkId> ids_;
  std::vector<hash::Digest> proofs_;
  std::size_t next_ = 0, pos_ = 0;
  Bytes cur_;
};

// A set opened for reading: its signed object and its manifest as a stream of entries.
struct StoredSet {
  SetObject obj;
  std::unique_ptr<ChunkReader> chunks;
  std::unique_ptr<manifest::Reader> manifest;  // open()ed
  const SetBody& body() const { return *obj.body; }
  // The next entry, as manifest::Reader::next, except that a stored manifest that fails to
  // parse after its chunks authenticated is damage (Errc::corrupt), not bad input.
  Result<bool> next(manifest::Entry& e);
};

// Stored data that authenticated but does not parse is damage: bad_input and
// unsupported_format become Errc::corrupt (exit 4).
Error as_damage(Error e);

// Errc::auth when the key cannot read set bodies (write-only).
Result<StoredSet> open_stored_set(Repository& r, const hash::SetId& id);

// Reads chunk i of a manifest entry, checking its proof: an entry without one proof per chunk
// is damage (a set of this format always has them). `what` names the set for messages.
Result<Bytes> read_entry_chunk(Repository& r, const manifest::Entry& e, std::size_t i);
// Damage unless the entry has one proof per chunk.
Status check_entry_proofs(const manifest::Entry& e);

// A planned sequence of chunks (a restore's batch of files, in order), read with one ranged
// read per run of nearby blobs of one pack (at most `max_span` bytes, or one blob when larger)
// instead of one read per chunk. Each chunk is authenticated as read_chunk does
// (Repository::open_chunk). An error here (a chunk no index lists, a short read, a blob that
// fails) tried only the first copy: the caller then reads the chunk with read_chunk, which
// tries every copy and names the damage. Chunks are read in plan order, each once; plan
// ahead of reading (a region reaches only chunks already planned). Memory: one region and the
// chunks planned but not yet read. Threads: one object per thread.
class ChunkRun {
 public:
  static constexpr std::size_t kMaxSpan = 4u << 20;
  explicit ChunkRun(Repository& r, std::size_t max_span = kMaxSpan) : r_(r), max_span_(max_span) {}
  // Appends a chunk to the plan; returns how many are planned now.
  std::size_t plan(const hash::ChunkId& id, const hash::Digest& proof);
  std::size_t planned() const { return base_ + plan_.size(); }
  // Planned chunk k (k >= every k read before), plaintext.
  Result<Bytes> read(std::size_t k);

 private:
  struct Planned {
    hash::ChunkId id;
    hash::Digest proof;
    std::optional<Location> loc;
  };
  Status fetch_region();
  Repository& r_;
  std::size_t max_span_;
  std::deque<Planned> plan_;  // plan_[0] is chunk base_
  std::size_t base_ = 0;
  hash::PackId pack_;
  std::uint64_t offset_ = 0;  // of region_ in pack_
  Bytes region_;
};

}  // namespace cairn::repo
