// lib/repo/gc.hpp: garbage collection of packs that no set needs, for cairn-prune (the
// protocol is in ops/prune.hpp): reading every set object, marking unreferenced packs in a
// state file, retiring them from the index files and sweeping them after a grace period.
// Depends on: repo (and base, io, hash, backend). Threads: one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/observer.hpp"
#include "repo/repo.hpp"
#include "repo/rewrite.hpp"

namespace cairn::repo::gc {

using PackSet = std::unordered_set<hash::PackId, hash::DigestHasher>;

// Every set object of the repository, read and authenticated.
struct Sets {
  std::map<hash::SetId, SetObject> readable;      // with their bodies
  std::map<hash::SetId, std::string> unreadable;  // and why
  std::uint64_t generation = 0;                   // the highest seq seen
  Moves moves;  // the move records (load_moves), through which the sets' packs resolve
};
// Reads the set objects not read yet (a second call picks up sets written meanwhile). A set
// removed between the listing and the read is skipped.
Status scan_sets(Repository& r, Sets& s, const CancelToken& cancel);
// The packs the readable sets need, their `packs` resolved through `s.moves`.
PackSet referenced_packs(const Sets& s);
// Each indexed pack's entries, from every index file that authenticates (a pack several
// files list: the first).
Result<std::map<hash::PackId, std::vector<pack::Entry>>> indexed_entries(Repository& r,
                                                                         Observer& obs);
// Every pack the repository holds, with its size.
Result<std::map<hash::PackId, std::uint64_t>> stored_packs(Repository& r);

// Told of each change once it is durable: '+' or '-' and the object's repository-relative
// path ("-packs/ab/ID", "+index/ID"), in the order cairn-push must apply them.
using Report = std::function<Status(char op, const std::string& path)>;

// Removes set objects in groups of kRemoveGroup (backend::Backend::remove_many: one
// directory sync per group), reporting "-sets/ID" for each once it is gone and then calling
// `each(id)`. Checks `cancel` between groups only, so every object removed is also reported.
// Before the first unlink every "-sets/ID" joins the pending list of `state_file` (the
// prune state, see collect) unless record_set_removals put it there already; the lines leave
// it once all of them are reported, so a run killed in between has replay_pending print them
// on the next run.
inline constexpr std::size_t kRemoveGroup = 256;
// Adds "-sets/ID" for each of `ids` to the pending list (once): cairn-prune calls it before
// its catalog marks the sets pruned, so a run killed after that commit and before the
// unlinks is known to the next run as unfinished work, not as set objects uploaded again.
Status record_set_removals(const std::filesystem::path& state_file, Repository& r,
                           const std::vector<hash::SetId>& ids);
Status remove_sets(const std::filesystem::path& state_file, Repository& r,
                   const std::vector<hash::SetId>& ids, const Report& report,
                   const CancelToken& cancel, const std::function<void(const hash::SetId&)>& each);

// The pending changes a run that died left in `state_file` (set removals, a sweep in
// progress): each reported again where the repository agrees ("+" for an object that
// exists, "-" for one that is gone), then the list is emptied. Call it before changing
// anything, so destinations hear every deletion at least once. Returns the sets whose
// removal was pending (a run that died before or while removing them).
Result<std::vector<hash::SetId>> replay_pending(const std::filesystem::path& state_file,
                                                Repository& r, const Report& report, Observer& obs);

struct GcOptions {
  std::filesystem::path state_file;     // the candidates and the sweep in progress
  std::uint32_t grace_generations = 1;  // sets written since the mark (at least 1 is used)
  std::int64_t grace_ns = 0;            // time since the mark
  std::int64_t now_ns = 0;
};

struct GcResult {
  std::size_t swept_packs = 0;
  std::uint64_t swept_bytes = 0;
  std::size_t candidates = 0;  // marked, waiting for the grace period
  std::size_t rescued = 0;     // candidates a set references again
};

// Marks unreferenced packs and sweeps the ones whose grace period is over (ops/prune.hpp).
// `sets` is re-scanned right before anything is deleted.
Result<GcResult> collect(const GcOptions& o, Repository& r, Sets& sets, const Report& report,
                         Observer& obs, const CancelToken& cancel);

// A file in a local repository's tmp/: a partial pack of a cairn-pack that was killed.
struct TmpFile {
  std::filesystem::path path;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // as the file system reports it
};
// The files in a local repository's tmp/ last written at least `age_ns` before `now_ns` (none
// for a repository that is not a local directory). A running cairn-pack keeps writing to its
// temporary file until it moves it into place, so one older than the grace time is not in use.
Result<std::vector<TmpFile>> stale_tmp_files(Repository& r, std::int64_t age_ns,
                                             std::int64_t now_ns);
// The time the repository's storage reports: the modification time of a file created and
// removed again in a local repository's tmp/ (nullopt for a repository that is not a local
// directory). On a network file system this is the server's clock.
Result<std::optional<std::int64_t>> storage_clock(Repository& r);
// cairn-prune deletes nothing when the local clock and storage_clock() disagree by more.
inline constexpr std::int64_t kMaxClockSkew = 5ll * 60 * 1'000'000'000;

// What cairn-verify calls stale: older than cairn-prune's default --grace-time (12h).
inline constexpr std::int64_t kStaleTmpAge = 12ll * 3600 * 1'000'000'000;

}  // namespace cairn::repo::gc
