// lib/ops/erase.hpp: `cairn erase PATTERN...` (GDPR erasure) and `cairn-verify --absent
// PATTERN...` (its proof). Erase rewrites every committed set that holds a matching path as a
// new set without those entries (the rest referenced unchanged, as cairn salvage does), with the
// old set's source, host, class, kind, snapshot time, tags and hold; an admin-signed erasure
// record (repo/objects.hpp) maps old to new ids, then the old set objects are deleted as
// cairn-prune deletes one, and the catalog marks them pruned. The erased chunks stay in their packs
// until `cairn-prune --max-unused` compacts them. A full key is needed (write-only keys are
// refused); a held set is refused unless
// --force-hold. See cairn(1) ERASE and cairn-repository(5) ERASURE.
// Depends on: repo, manifest, catalog, ops (browse, prune state, hold). Threads: main thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"
#include "repo/objects.hpp"

namespace cairn::ops {

// The patterns of erase and verify --absent, as cairn find reads one: fnmatch(3) globs, a
// leading '/' ignored; with a '/' a pattern matches the whole path, without one a file name.
// An entry matches when its path or any directory above it does (erasing "home/alice" erases
// what is under it). Errc::usage for an empty pattern, or one that names the root ("/", ".").
class PathPatterns {
 public:
  static Result<PathPatterns> parse(const std::vector<std::string>& patterns);
  // The index of the first pattern that matches `path` (a set's relative path); nullopt if none.
  std::optional<std::size_t> match(std::string_view path) const;
  std::size_t size() const { return patterns_.size(); }

 private:
  struct Pattern {
    std::string glob;
    bool whole = false;  // has a '/': matched against paths, else against names
  };
  std::vector<Pattern> patterns_;
};

struct EraseOptions {
  RepoOptions repo;
  std::vector<std::string> patterns;
  std::optional<std::string> source;  // only this source's sets
  std::optional<std::string> since;   // only sets started at or after: a time or a duration ago
  bool dry_run = false;               // name what would be erased, change nothing
  bool force_hold = false;            // rewrite held sets too (the new set keeps the hold)
};

// Prints, for cairn-push, the objects written ("+packs/..", "+index/..", "+sets/NEW" per
// rewritten set) then the old set objects removed ("-sets/OLD"); with dry_run, one line per
// entry it would erase ("SET-PREFIX SOURCE TIME PATH") instead. Nothing is changed when a
// matching set cannot be read (Errc::corrupt) or is held without force_hold (Errc::exists
// naming each held set and its reason). One audit row records the run: the patterns as keyed
// hashes (a pattern may itself be personal data), the counts and every old -> new set id.
Result<Outcome> erase(const EraseOptions& o, io::Writer& out, Observer& obs,
                      const CancelToken& cancel);

// The audit row an erasure record gives a rebuilt catalog that lost its own audit log (cairn
// catalog rebuild without a readable old catalog): when, who, where, the pattern hashes, and
// the entries and old -> new set ids.
catalog::AuditRecord erasure_audit(const repo::ErasureRecord& r);

struct AbsentOptions {
  RepoOptions repo;
  std::vector<std::string> patterns;
};
// cairn-verify --absent: searches the manifest of every committed set; prints each match
// ("SET-PREFIX SOURCE TIME PATH") and fails with Errc::exists when any set holds one, or
// Errc::corrupt when a set cannot be read (nothing proven for it). Needs a full key.
Result<Outcome> verify_absent(const AbsentOptions& o, io::Writer& out, Observer& obs,
                              const CancelToken& cancel);

}  // namespace cairn::ops
