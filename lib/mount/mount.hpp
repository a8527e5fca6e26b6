// lib/mount/mount.hpp: `cairn mount DIR`: every set of a repository as a read-only directory
// tree through FUSE (libfuse3; this module is its only user). The layout:
//   DIR/ids/<set id>/...            every set by its full id
//   DIR/<source>/<set time>/...     the sets of a source by snapshot time (format_time, UTC;
//                                   a second set in the same second gets "_<id prefix>")
//   DIR/<source>/latest             a symlink to the newest of them
// Files, directories, symlinks, fifos and devices show the modes, owners, sizes and times the
// manifest records (a hardlink shows its group's first file). A set's manifest is read when
// its tree is first entered, and a file's chunks only as reads reach them, each authenticated
// (repo::read_entry_chunk) and kept in a small cache of decoded chunks. Memory: the trees of
// at most kMaxTrees sets (about 500 bytes a file and 64 a chunk) + libfuse's path table (about
// 150 bytes a path the kernel holds) + kChunkCacheBytes of decoded chunks (one larger chunk when
// a chunk is bigger) + the chunk index the repository loads.
// Damage met by a read fails that read with EIO and is named through the Observer; other
// files read on. Writes fail with EROFS (the mount is read-only).
// Depends on: base, io, hash, manifest, repo. Threads: serve() runs FUSE's single-threaded
// loop in the calling thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/observer.hpp"
#include "base/result.hpp"
#include "hash/hash.hpp"
#include "repo/repo.hpp"

namespace cairn::mount {

inline constexpr std::size_t kMaxTrees = 8;
inline constexpr std::size_t kChunkCacheBytes = 32u << 20;

struct SetRef {
  hash::SetId id;
  std::string source;
  std::int64_t started_ns = 0;
};

struct Options {
  std::filesystem::path dir;  // an existing directory
  std::vector<SetRef> sets;
  // Called with each set object when its tree is first read (the catalog row check);
  // an error makes the set's tree unreadable (EIO, named through the Observer).
  std::function<Status(const hash::SetId&, const repo::SetObject&)> check;
  // Called once the file system is mounted and answering (the "mounted" line).
  std::function<void()> ready;
};

struct Served {
  std::uint64_t damaged_reads = 0;  // reads that failed on damage (each named as a warning)
};

// Mounts, serves until unmounted (fusermount3 -u DIR) or SIGINT/SIGTERM/SIGHUP, and unmounts.
// Errc::usage when `dir` is not a directory; Errc::io when FUSE cannot mount there.
Result<Served> serve(repo::Repository& r, const Options& o, Observer& obs);

}  // namespace cairn::mount
