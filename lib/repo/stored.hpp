// lib/repo/stored.hpp: reading a set's stored manifest back from the repository. The manifest
// is a manifest stream (cairn-manifest(5)) kept as BlobType::meta chunks; every chunk is
// authenticated as it is read, and the stream's own trailer is checked at the end.
// Depends on: repo, manifest. Threads: thread-compatible.
#pragma once

#include <memory>

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

}  // namespace cairn::repo
