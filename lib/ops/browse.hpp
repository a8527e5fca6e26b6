// lib/ops/browse.hpp: browsing what sets hold: `cairn ls SET [PATH]` (a set's files, long
// format) and `cairn find PATTERN` (which sets hold a matching path). Both read manifests
// from the repository as streams, one entry at a time (memory does not grow with a set).
// Depends on: repo, catalog, manifest, verify (printable paths). Threads: plain functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

// Whether `cairn ls ARG` means a set rather than a source: not a source the catalog knows,
// and in a set reference's form (SOURCE@..., latest, 4 or more hex digits, a path to a
// directory, which resolve_set then refuses with its reason).
Result<bool> names_a_set(catalog::Catalog& cat, const std::string& arg);

// The committed sets `cairn find` searches (and `cairn erase` rewrites), oldest first: of
// `source` if given, started at or after `since` (a time, or a duration back from now;
// Errc::usage when it is neither).
Result<std::vector<catalog::SetRecord>> sets_to_search(catalog::Catalog& cat,
                                                       const std::optional<std::string>& source,
                                                       const std::optional<std::string>& since);

struct LsFilesOptions {
  std::string set;                  // a set reference (catalog::resolve_set)
  std::optional<std::string> path;  // only this file or subtree
  bool json = false;                // cairn.ls-files/1 lines
  bool bytes = false;               // exact sizes instead of human ones
};
// One line per entry, in the set's order: mode, user, group, size, mtime, path ("-> target"
// for a symlink, "link to FIRST" for a hard link). Errc::not_found when PATH is not in it.
Result<Outcome> ls_files(Context& ctx, const LsFilesOptions& o, io::Writer& out);

// A --since value: a time (2026-11-26T05:00, UTC unless an offset is given) or a duration
// back from `now` (7d, 12h), as ns since the epoch. Errc::usage naming it otherwise.
Result<std::int64_t> parse_since(std::string_view text, std::int64_t now);

struct FindOptions {
  RepoOptions repo;
  std::string pattern;                // fnmatch(3); without '/' it matches the basename
  std::optional<std::string> source;  // only this source's sets
  std::optional<std::string> since;   // only sets started at or after: a time or a duration ago
  bool json = false;                  // cairn.find/1 lines
  bool bytes = false;
};
// One line per matching entry of every committed set, oldest set first: set id prefix,
// source, time, size, path. A set that cannot be read is a warning (exit 3), the rest listed.
Result<Outcome> find(const FindOptions& o, io::Writer& out, Observer& obs,
                     const CancelToken& cancel);

}  // namespace cairn::ops
