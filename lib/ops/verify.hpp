// lib/ops/verify.hpp: cairn-verify: is the repository whole, does its data read back, does a
// set restore, and is each source fresh enough (cairn-verify(1)).
//   structure (always)  config, key slots, index files, every set object (signature, seq/prev
//                       chain), every pack a checked set names (in storage, indexed) and every
//                       chunk its stored manifest references (locatable in a stored pack)
//   --read-data         reads packs whole: BLAKE2b(file) == name, the trailer index, every blob
//                       authenticated, decompressed and re-hashed against its chunk id
//   --drill             restores sets into scratch space, re-chunks every restored file and
//                       compares the chunk ids with the set, records the restore time (RTO)
//   --max-age           the newest good set of each source is younger than a duration
// Damage is reported by object, then by the sets and files that depend on it; unreferenced
// packs are counted as garbage, apart from damage. Every run is recorded in the catalog.
// This is the use case; the checks are the verify module's engine (verify/engine.hpp).
// Depends on: verify, repo, catalog, ops (restore). Threads: packs are read and drill files
// re-hashed by a WorkQueue of `jobs` workers.
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

struct VerifyOptions {
  RepoOptions repo;
  std::vector<std::string> sets;         // SET refs (resolve_set); empty = every set
  bool all = false;                      // --all: every set (the default without SET refs)
  std::optional<std::string> read_data;  // "" or "all" = every pack, "P%" random, "I/N" a part
  bool drill = false;
  std::optional<std::filesystem::path> drill_to;  // scratch parent (default $TMPDIR or /tmp)
  // --check CMD: an application check run (/bin/sh -c) in each restored tree after its bytes
  // checked out, with CAIRN_DRILL_DIR, CAIRN_SET and CAIRN_SOURCE set and its stdout sent to
  // stderr; a non-zero exit fails the drill. Recorded in the drill's catalog detail.
  std::optional<std::string> drill_check;
  std::optional<std::string> max_age;  // "26h", "3d", "90m", "1w", "30s"
  // --from: a destination URL (backend::open_url, credentials from the environment) checked
  // alone instead of the local repository; repo.repo is not used. Drills restore from it too.
  // The verdict goes to the local catalog when one exists (catalog / CAIRN_CATALOG / the
  // default for the repository id): a verification with the destination as target, and
  // verified_at on the placements of the sets found whole.
  std::optional<std::string> from;
  bool json = false;  // JSON Lines, "schema":"cairn.verify/1"
  unsigned jobs = 0;  // workers; 0 = one per core
};

// Runs the checks and writes the report to `out`. The report is written in full before the
// result is known: Errc::corrupt (exit 4) when damage was found or a drill failed,
// Errc::objective (exit 5) when a source is stale and nothing is damaged, else an Outcome
// whose warnings count findings that are neither (a broken seq/prev chain: exit 3).
Result<Outcome> verify(const VerifyOptions& o, io::Writer& out, Observer& obs,
                       const CancelToken& cancel);

}  // namespace cairn::ops
