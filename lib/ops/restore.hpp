// lib/ops/restore.hpp: cairn-restore: a set (or part of it) into a directory, as a pax stream,
// or one file's content to stdout. The use case: opens the repository and its catalog,
// resolves the set (and --search), checks the catalog row against the signed set object,
// and hands the set to the restore engine (lib/restore, which says how it stays inside the
// target).
// Depends on: repo, catalog, restore. Threads: file contents are restored by a bounded pool
// of workers.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"
#include "restore/restore.hpp"

namespace cairn::ops {

struct RestoreOptions {
  RepoOptions repo;
  std::string set;                    // id, prefix, latest, SOURCE@latest, @TIME, SOURCE@TIME
  std::vector<std::string> patterns;  // paths (with their subtrees) or globs; empty = all
  std::optional<std::filesystem::path> to;
  bool tar = false;                        // pax stream on stdout
  std::optional<std::string> stdout_file;  // one file's content on stdout
  bool keep_going = false;                 // go on after a damaged file (exit 4 at the end)
  // --special: also device nodes, setuid/setgid bits (not on directories: kept anyway) and
  // security.capability; without it they are skipped (devices: one warning) or cleared.
  bool special = false;
  // --search: when the set lacks the --stdout file (or a pattern matches nothing in it), use
  // the newest older committed set of the same source that has it (e.g. one WAL segment
  // among many one-file sets: cairn-wal-restore). Costs one manifest read per set passed over.
  bool search = false;
  unsigned jobs = 0;
  // --overwrite (default always) and --delete: with --to only; see restore::Options.
  std::optional<restore::Overwrite> overwrite;
  bool remove = false;
};

Result<Outcome> restore(const RestoreOptions& o, io::Writer& out, Observer& obs,
                        const CancelToken& cancel);

}  // namespace cairn::ops
