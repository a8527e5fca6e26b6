// lib/restore/restore.hpp: the restore engine: a set's entries into a directory, as a pax
// stream, or one file's content to a writer. ops::restore (the use case) opens the repository
// and its catalog, resolves the set and hands it over as a Source.
// Safety: every path is checked (manifest::check_path) and resolved one component at a time
// from the target's directory descriptor with O_NOFOLLOW, so no entry ('..', absolute, or a
// path through a symlink, including one planted in an existing target) can write outside the
// target. Files are written under a temporary name, every chunk authenticated, the size
// checked, and only then renamed to their final name (a small file in a directory only the
// restorer can change is read and checked whole first, then created under its final name). Metadata
// is applied through descriptors of the entries the restore made (tree::apply_metadata), so a local
// user who swaps a restored directory for a symlink redirects nothing. A target that holds entries
// already (Options::overwrite, remove): a symlink there is replaced, never followed; a kept
// file is checked by hashing it with the repository's key; --delete removes through
// descriptors opened with O_NOFOLLOW and never crosses into another file system.
// Depends on: repo, manifest, tree, tar. Threads: to_dir() restores file contents on the
// WorkQueue it is given, in batches of small files of one directory whose chunks are read
// through a repo::ChunkRun (a run of adjacent blobs in one read), and a file larger than
// 8 MiB in pieces of consecutive chunks, one job each, written at their offsets into one
// temporary file; Source::chunk() is called from the workers when that fails (and reports
// the damage).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/observer.hpp"
#include "base/result.hpp"
#include "base/work_queue.hpp"
#include "io/file.hpp"
#include "manifest/manifest.hpp"
#include "repo/repo.hpp"

namespace cairn::restore {

// The set being restored: its entries in manifest order and each file's chunks, every one
// authenticated against the set's possession proof before it is returned. Damage (including
// a chunk no index lists) is Errc::corrupt.
class Source {
 public:
  virtual ~Source() = default;
  virtual const hash::SetId& id() const = 0;
  virtual Result<bool> next(manifest::Entry& e) = 0;
  // Chunk i of file entry `e`; called from several threads at once.
  virtual Result<Bytes> chunk(const manifest::Entry& e, std::size_t i) = 0;
};

// What to_dir() does with an entry already in the target under a name the set holds
// (cairn-restore(1) --overwrite). Whatever the mode, a symlink where the set has anything but
// a symlink is replaced, never followed.
enum class Overwrite {
  always,      // replace it (a new inode, written under a temporary name and renamed)
  if_changed,  // keep a file whose content hashes to the set's chunk ids (size checked first)
               // and fix its metadata; replace anything else
  never,       // keep it as it is; restore only what is missing
};

struct Options {
  std::vector<std::string> patterns;  // paths (with their subtrees) or globs; empty = all
  bool keep_going = false;            // go on after a damaged file (exit 4 at the end)
  // --special: also device nodes, setuid/setgid bits (not on directories: kept anyway) and
  // security.capability; without it they are skipped (devices: one warning) or cleared.
  bool special = false;
  Overwrite overwrite = Overwrite::always;
  // --delete: remove what the target holds under the restored scope (the whole target, or
  // the directories the patterns name; patterns must then be paths, not globs) that the set
  // does not hold. Never through a symlink, never into another file system, and only once
  // the whole set was read.
  bool remove = false;
};

// Into the directory `root` (open, O_DIRECTORY). A damaged or unplaceable entry is named to
// `obs` and the others go on (damage stops it unless keep_going; Errc::corrupt at the end);
// anything else (a full disk, an interrupt) stops it.
Status to_dir(repo::Repository& r, Source& set, io::Fd root, const Options& o, WorkQueue& workers,
              Observer& obs, const CancelToken& cancel);
// A pax stream of the selected entries; on damage the stream is cut off, never ended as if
// whole. With keep_going, a damaged file's member (and a hard link to it) is left out and
// named to `obs` instead, the stream ends whole, and the result is Errc::corrupt.
Status to_tar(repo::Repository& r, Source& set, const Options& o, io::Writer& out, Observer& obs,
              const CancelToken& cancel);
// The content of the file `path`.
Status file_to(repo::Repository& r, Source& set, const std::string& path, io::Writer& out,
               const CancelToken& cancel);

// True when `path` is selected by `patterns` (empty = everything): equal to a pattern, inside
// a pattern that names a directory, or matching a glob (on the whole path or the basename).
// When `used` is given (one flag per pattern), marks every pattern that matches.
bool selected(std::string_view path, const std::vector<std::string>& patterns,
              std::vector<char>* used = nullptr);

}  // namespace cairn::restore
