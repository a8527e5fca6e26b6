// lib/ops/restore.hpp: cairn-restore: a set (or part of it) into a directory, as a pax stream,
// or one file's content to stdout.
// Safety: every path is checked (manifest::check_path) and resolved one component at a time
// from the target's directory descriptor with O_NOFOLLOW, so no entry ('..', absolute, or a
// path through a symlink, including one planted in an existing target) can write outside the
// target. Files are written under a temporary name, every chunk authenticated, the size
// checked, and only then renamed to their final name. Metadata is applied through
// descriptors of the entries the restore made (tree::apply_metadata), so a local user who
// swaps a restored directory for a symlink redirects nothing.
// Depends on: repo, manifest, tree, tar, catalog. Threads: file contents are restored by a
// bounded pool of workers.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct RestoreOptions {
  RepoOptions repo;
  std::string set;                    // id, prefix, latest, SOURCE@latest, @TIME, SOURCE@TIME
  std::vector<std::string> patterns;  // paths (with their subtrees) or globs; empty = all
  std::optional<std::filesystem::path> to;
  bool tar = false;                   // pax stream on stdout
  std::optional<std::string> stdout_file;  // one file's content on stdout
  bool keep_going = false;            // go on after a damaged file (exit 4 at the end)
  // --special: also device nodes, setuid/setgid bits (not on directories: kept anyway) and
  // security.capability; without it they are skipped (devices: one warning) or cleared.
  bool special = false;
  // --search: when the set lacks the --stdout file (or a pattern matches nothing in it), use
  // the newest older committed set of the same source that has it (e.g. one WAL segment
  // among many one-file sets: cairn-wal-restore). Costs one manifest read per set passed over.
  bool search = false;
  unsigned jobs = 0;
};

Result<Outcome> restore(const RestoreOptions& o, io::Writer& out, Observer& obs, const CancelToken& cancel);

// True when `path` is selected by `patterns` (empty = everything): equal to a pattern, inside
// a pattern that names a directory, or matching a glob (on the whole path or the basename).
// When `used` is given (one flag per pattern), marks every pattern that matches.
bool selected(std::string_view path, const std::vector<std::string>& patterns, std::vector<char>* used = nullptr);

}  // namespace cairn::ops
