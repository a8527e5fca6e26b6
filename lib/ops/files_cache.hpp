// lib/ops/files_cache.hpp: the host-local files cache (cairn-catalog(5) FILES CACHE): a copy of
// the stored manifest of the last set this host committed for a source, kept next to the
// catalog as "<catalog>.files/<hex of BLAKE2b(source), 16 bytes>" (directory 0700, file 0600).
// cairn-pack writes it; cairn-diff reads its base set from it, so that a host with a
// write-only key (which cannot read set bodies) still compares with its last set.
// The file is authenticated (keyed BLAKE2b under a key derived from index_key, which every key
// holds) in one streaming pass before any of it is parsed.
// Depends on: io, hash, crypto, manifest. Threads: thread-compatible.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "crypto/keys.hpp"
#include "hash/hash.hpp"
#include "io/file.hpp"
#include "manifest/manifest.hpp"

namespace cairn::ops {

// "<catalog_file>.files/<32 hex digits>": the cache file of `source`.
std::filesystem::path files_cache_path(const std::filesystem::path& catalog_file,
                                       std::string_view source);

// Receives the manifest bytes as ingest stores them (repo::IngestOptions::manifest_copy) into a
// temporary file beside `path`; commit() puts the file in place. write() never fails: the
// first error is kept and returned by commit() (a cache that cannot be written costs the next
// run a full read, never the backup). Dropped without commit(), it leaves nothing behind.
class FilesCacheWriter final : public io::Writer {
 public:
  // Creates the directory (0700) and the temporary file (0600).
  static Result<std::unique_ptr<FilesCacheWriter>> create(const std::filesystem::path& path,
                                                          const crypto::KeyMaterial& keys);
  ~FilesCacheWriter() override;
  Status write(ByteView b) override;
  // Appends the set id, the length and the MAC, then fsync and rename.
  Status commit(const hash::SetId& set);

 private:
  struct State;
  explicit FilesCacheWriter(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

// An authenticated cache file, opened for parsing.
class FilesCache {
 public:
  // Errc::not_found: no file; Errc::corrupt: too short, damaged or not written under this
  // repository's key; Errc::bad_input: it authenticates but names another repository or set
  // than `set`. Reads the whole file once (the MAC) before returning.
  static Result<std::unique_ptr<FilesCache>> open(const std::filesystem::path& path,
                                                  const crypto::KeyMaterial& keys,
                                                  const hash::SetId& set);
  ~FilesCache();
  // The manifest's next entry; a manifest that does not parse is damage (Errc::corrupt).
  Result<bool> next(manifest::Entry& e);

 private:
  struct State;
  explicit FilesCache(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace cairn::ops
