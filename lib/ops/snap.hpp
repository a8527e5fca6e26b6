// lib/ops/snap.hpp: cairn-snap: describe directories, a tar stream or a raw stream as a manifest
// stream (cairn-manifest(5)) on `out`.
// Depends on: tree (directory walk), tar (tar input), manifest (the stream). Threads: runs on
// the calling thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/observer.hpp"
#include "base/result.hpp"
#include "io/file.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

// How far cairn-snap's stream may run ahead of a reader that is not reading yet (its stdout
// writer's queue, io::FdWriter::write_ahead): about what the walk writes while cairn-diff
// derives the key, within snap's 32 MiB budget.
inline constexpr std::size_t kSnapWriteAhead = 12u << 20;

struct SnapOptions {
  std::vector<std::filesystem::path> roots;   // directories to walk (a single root must be one)
  std::string source, retention_class, host;  // defaults: first root's basename / stdin name /
                                              // tar file name; "daily"; gethostname()
  std::vector<std::string> tags;              // --tag, carried into the set object
  std::vector<std::string> excludes;          // fnmatch globs (tree::WalkOptions::excludes)
  std::optional<std::filesystem::path> exclude_file;
  bool exclude_caches = false;                  // tree::WalkOptions::exclude_caches
  std::vector<std::string> exclude_if_present;  // tree::WalkOptions::exclude_if_present
  bool one_file_system = false;
  bool inline_content = false;            // directory files' content inline, as frames
  std::optional<std::string> stdin_name;  // --stdin NAME: one file read from `in`
  bool stdin_rdb = false;                 // --rdb: `in` is a Redis RDB (rdb/rdb.hpp): its
                                          // CRC64 end is checked, bytes after it dropped
  std::optional<std::string> tar_input;   // --tar FILE, "-" = `in`
  std::vector<std::string> pre, post;     // /bin/sh -c commands before/after the walk
  // --from-command CMD (with --stdin NAME or --tar -): read the input from the standard output
  // of `/bin/sh -c CMD` instead of `in`. CMD's exit status is checked before the stream is
  // finished: a dump that fails half way (pg_dump, docker save) fails the snapshot, and the
  // stream ends without its trailer, so cairn-pack commits nothing.
  std::optional<std::string> from_command;
};

// Writes one manifest stream. Exactly one input: roots, stdin_name or tar_input (else
// Errc::usage). A failing pre command aborts before anything is written (Errc::io); post
// commands run whenever the pre commands ran, a failing one is a warning. Files that cannot be
// read are skipped with a warning (Outcome::warnings > 0 means exit 3).
// The source name the set will carry (--source, else as the defaults above say).
std::string snap_source(const SnapOptions& opt);

Result<Outcome> snap(const SnapOptions& opt, io::Reader& in, io::Writer& out, Observer& obs,
                     const CancelToken& cancel);

}  // namespace cairn::ops
