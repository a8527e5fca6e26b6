// lib/backend/cache.hpp: a read cache of whole packs for a repository read from a remote
// destination (cairn-restore --from, cairn-verify --from): a restore reads a pack's chunks one
// small range at a time, and one request per chunk to a remote server is slow. The first
// `direct_reads` ranged reads of a pack go to the server as they are (a restore of one file
// fetches only its chunks); the next one fetches the whole pack into a local file, in pieces
// requested in parallel (ranged reads), and every later read of that pack is served from it.
// Whole-object reads and every other call pass through. The cache lives in a private
// directory created under `parent`, bounded by `max_bytes` (least recently used packs go
// first), and removed with the backend. A reader that will read whole packs says so
// (Backend::will_read: a whole-set restore): those are fetched ahead, a few at a time, and
// whole at their first read. What it serves is authenticated by the repository
// layer like anything read from the server, so a damaged cache file is detected, never used.
// Depends on: backend. Threads: thread-safe; readers of a pack being fetched wait for it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "backend/backend.hpp"

namespace cairn::backend {

struct PackCacheOptions {
  std::uint64_t max_bytes = 512ull << 20;  // on disk; a pack larger than this is never cached
  unsigned direct_reads = 2;               // ranged reads of a pack before it is fetched whole
  unsigned parallel = 4;                   // ranged requests at a time for one pack
  std::uint64_t piece = 4ull << 20;        // bytes per ranged request
  // Packs named by will_read() are fetched whole at their first read, and this many at a time
  // ahead of the reader, in the order given, while the packs fetched ahead and not read yet
  // hold less than half of `max_bytes` (they are not evicted before their first read).
  unsigned ahead = 2;
};

// Errc::io when the cache directory cannot be created under `parent`.
Result<std::unique_ptr<Backend>> with_pack_cache(std::unique_ptr<Backend> inner,
                                                 const std::filesystem::path& parent,
                                                 PackCacheOptions o = {});

}  // namespace cairn::backend
