// lib/ops/prune.hpp: cairn-prune: apply the retention policy to the sets of the repository,
// forget the sets it drops, and collect the packs no remaining set needs (cairn-prune(1)).
//
// One run:
//   plan     retention::apply over the catalog's sets (legal holds from the catalog; source,
//            class, kind, parent and time from the signed set objects), and the bytes the
//            sweep would free. --dry-run prints the plan and stops.
//   replay   the changes a killed run recorded as pending in the state file but may not have
//            printed ("-sets/ID", "-packs/..", index files) are printed first, where the
//            repository agrees, so a destination fed by this stream hears every deletion.
//   forget   the dropped sets become status 'pruned' in the catalog (one transaction), then
//            their "-sets/ID" lines are recorded as pending and their set objects deleted
//            from the repository ("-sets/ID").
//   mark     every pack that no set object in the repository references becomes a candidate,
//            recorded with the repository generation (the highest set seq) and the time,
//            and is retired: the index files are rewritten without it ("+index/NEW",
//            "-index/OLD"), so a backup that opens the repository later cannot deduplicate
//            against it. A candidate that a set references again (a backup that opened the
//            repository before the mark used it) is rescued: a new index file names it again.
//   compact  (--max-unused) the live chunks (every readable set's manifest, streamed) of the
//            packs chosen are copied into new packs ("+packs/..", "+index/..") and a move
//            record says so ("+holds/ID"): the sets it lists no longer need the old packs,
//            which the mark below takes as candidates. A set committed after the live
//            chunks were read is not listed, so it keeps the old pack it may deduplicate against.
//   sweep    a candidate is deleted ("-packs/xx/ID") once at least `grace_generations` sets
//            were written since it was marked AND `grace` passed AND, re-checked after the
//            retirement, no set object in the repository references it.
// Writers take no lock. A backup that opened the repository before a pack was retired must
// commit within the grace period (or before G further sets, if it is the only writer): then
// the re-check sees its set. Until the rescue, such a set's chunks in that pack are in no
// index file (cairn-verify reports the pack as unindexed); the next prune run heals it.
// The generation rule makes a wrong clock harmless; the time rule protects long backups
// that overlap shorter ones. The candidates live in a state file next to the catalog
// (<catalog>.prune); losing it only delays a sweep. A crash at any point leaves a valid
// repository; re-running converges.
// Depends on: repo, catalog, policy, retention. Threads: one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct PruneOptions {
  RepoOptions repo;
  // --policy; else CAIRN_POLICY, /etc/cairn/policy.toml
  std::optional<std::filesystem::path> policy;
  bool dry_run = false;                 // print the plan, change nothing
  bool json = false;                    // JSON Lines, "schema":"cairn.prune/1"
  std::uint32_t grace_generations = 1;  // --grace-sets: sets written since the mark (>= 1)
  std::int64_t grace_ns = 12LL * 3600 * 1'000'000'000;  // time since the mark
  std::optional<std::string> grace_time;  // --grace-time "12h", "2d", "0": overrides grace_ns
  std::optional<std::int64_t> now_ns;     // the clock, for tests; default: now
  // --max-unused PCT% | SIZE: compaction (off when unset). Packs whose unused share exceeds
  // PCT, or (SIZE) the packs with most unused bytes until SIZE would be freed, have their live
  // chunks rewritten into new packs (repo/rewrite.hpp); the old packs then go the sweep's way.
  std::optional<std::string> max_unused;
  // --reencrypt: rewrite, as compaction does, every needed pack sealed to an older box key
  // generation than the newest (cairn key rotate), so that an old key reads none of it once
  // the old packs are swept.
  bool reencrypt = false;
  // --max-rewrite SIZE: a run rewrites packs holding at most about SIZE of live chunks (the
  // extra space it needs); the next run goes on where it stopped.
  std::optional<std::string> max_rewrite;
};

// Writes the plan (--dry-run: "keep|drop ID12 TIME SOURCE CLASS REASON" lines and a "total:"
// line) or the objects it changed ("-sets/ID", "+index/ID", "-index/ID", "-packs/xx/ID", one
// a line, in the order cairn-push must apply them) to `out`; without --dry-run the plan goes
// to obs.info. Errc::auth for a write-only key; Errc::locked when another prune holds the
// lock. Outcome::warnings counts sets that could not be read (the sweep is skipped then).
Result<Outcome> prune(const PruneOptions& o, io::Writer& out, Observer& obs,
                      const CancelToken& cancel);

// The prune state file and lock of a catalog: "<catalog>.prune", "<catalog>.prune.lock".
std::filesystem::path prune_state_file(const std::filesystem::path& catalog_file);
std::filesystem::path prune_lock_file(const std::filesystem::path& catalog_file);
// flock(2) on the lock file, held while the descriptor lives: cairn-prune and cairn erase
// (which both remove sets through the state file). Errc::locked when another process holds it.
Result<io::Fd> take_prune_lock(const std::filesystem::path& catalog_file);

}  // namespace cairn::ops
