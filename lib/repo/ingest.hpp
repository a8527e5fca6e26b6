// lib/repo/ingest.hpp: the write path of a backup: reads a manifest stream and the file
// contents it names, cuts and hashes chunks, and stores the new ones (compressed, encrypted)
// through a WriteSession, in parallel; the manifest itself is stored as BlobType::meta chunks.
// The caller (ops::pack) decides the session's scope and writes the set object afterwards.
// Depends on: repo, manifest, base/work_queue. Threads: runs a bounded pool of worker threads.
#pragma once

#include <string>
#include <vector>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "manifest/manifest.hpp"
#include "repo/repo.hpp"

namespace cairn::repo {

struct IngestOptions {
  unsigned jobs = 0;             // worker threads for compress+encrypt; 0 = one per core
  bool reuse_unchanged = false;  // reuse an unchanged entry's chunks (with proofs) when present
  // Receives a copy of every byte of the stored manifest, as it is stored (ops' files cache);
  // an error it returns fails the ingest. nullptr: none.
  io::Writer* manifest_copy = nullptr;
};

// What ingest() stored: the set body's content fields.
struct Ingested {
  std::uint64_t files = 0, bytes_read = 0, bytes_new = 0, bytes_stored = 0;
  std::vector<hash::ChunkId> manifest;  // the stored manifest's chunks
  std::vector<hash::Digest> manifest_proofs;
  std::uint64_t manifest_size = 0;
  std::vector<hash::PackId> packs;   // every pack a restore of the set needs, sorted
  std::vector<std::string> objects;  // WriteSession::finish()'s paths, upload-safe order
};

// Stores every entry `in` (open()ed) names and finishes `s`. Unreadable files are warned
// about on `obs` and left out; nothing is committed on error (no set is written here).
Result<Ingested> ingest(Repository& r, WriteSession& s, manifest::Reader& in,
                        const IngestOptions& o, Observer& obs, const CancelToken& cancel);

// Moves what `got` stored into `body`: bytes_new, bytes_stored, the manifest (chunks, proofs,
// size) and the packs; got.objects stays. files and bytes_read are left to the caller (a
// rewrite keeps the backup's bytes_read).
void take_stored(SetBody& body, Ingested&& got);

// Writes the set object of what ingest() stored (the commit). Every pack `body` names is made
// sure of first (WriteSession::keep_indexed: a pack a concurrent
// cairn-prune retired is indexed again) and once more after the set object is written (a
// prune may have retired it again meanwhile). If a pack is gone the commit fails with
// Errc::not_found and nothing is committed (a set object already written is removed).
// Index files written on the way are appended to `objects` (for cairn-push).
Result<WrittenSet> commit(Repository& r, WriteSession& s, const SetBody& body,
                          std::vector<std::string>& objects);

}  // namespace cairn::repo
