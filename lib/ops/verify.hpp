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
// Depends on: repo, pack, manifest, catalog, ops (restore, stored sets). Threads: packs are
// read and drill files re-hashed by a WorkQueue of `jobs` workers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/observer.hpp"
#include "hash/hash.hpp"
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
  std::optional<std::string> max_age;             // "26h", "3d", "90m", "1w", "30s"
  // --from: a destination URL (backend::open_url, credentials from the environment) checked
  // alone instead of the local repository; repo.repo is not used. Drills restore from it too.
  // The verdict goes to the local catalog when one exists (catalog / CAIRN_CATALOG / the
  // default for the repository id): a verification with the destination as target, and
  // verified_at on the placements of the sets found whole.
  std::optional<std::string> from;
  bool json = false;                              // JSON Lines, "schema":"cairn.verify/1"
  unsigned jobs = 0;                              // workers; 0 = one per core
};

// Runs the checks and writes the report to `out`. The report is written in full before the
// result is known: Errc::corrupt (exit 4) when damage was found or a drill failed,
// Errc::objective (exit 5) when a source is stale and nothing is damaged, else an Outcome
// whose warnings count findings that are neither (a broken seq/prev chain: exit 3).
Result<Outcome> verify(const VerifyOptions& o, io::Writer& out, Observer& obs, const CancelToken& cancel);

// ---- Pieces with their own tests.

// "26h", "3d", "90m", "1w", "45s" (one unit, a positive whole number) to nanoseconds.
// Errc::usage otherwise.
Result<std::int64_t> parse_age(std::string_view text);
// A duration for people: "3d 4h", "5h 12m", "42m 7s", "9s".
std::string format_age(std::int64_t ns);

// Which packs --read-data reads.
struct DataSubset {
  enum class Kind { all, percent, part } kind = Kind::all;
  double percent = 100;  // Kind::percent: (0, 100]
  unsigned index = 1;    // Kind::part: 1 <= index <= count
  unsigned count = 1;
};
// "" or "all", "P%" (P a decimal in (0, 100]), "I/N" (1 <= I <= N). Errc::usage otherwise.
Result<DataSubset> parse_subset(std::string_view text);
// The packs of `sorted` (ascending ids) that `s` selects: a part keeps the packs whose
// position p satisfies p % N == I - 1, so N runs with I = 1..N read every pack exactly once;
// a percentage keeps round(P% of them) chosen at random, at least one.
std::vector<hash::PackId> select_packs(const std::vector<hash::PackId>& sorted, const DataSubset& s,
                                       std::mt19937_64& rng);

}  // namespace cairn::ops
