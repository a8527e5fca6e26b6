// lib/verify/engine.hpp: the verification engine of cairn-verify (cairn-verify(1)) and the state
// one run builds up, shared by its phases:
//   structure.cpp  storage listing, index files, key slots, set objects, the seq/prev chain, the
//                  packs and chunks every checked set needs
//   data.cpp       --read-data: packs read whole and every blob checked, possession proofs
//   damage.cpp     which sets and files depend on what is damaged; the damage report
//   drill.cpp      --drill: restore (through Options::restore), re-check, time, record
//   engine.cpp     --max-age, option parsing pieces, what the phases share
// The use case (ops/verify.cpp) opens the repository and catalog, runs the phases in order and
// records the verdict in the catalog.
// Depends on: base, io, hash, chunker, compress, crypto, pack, manifest, backend, repo, catalog.
// Threads: a Run belongs to the driver thread; workers get only what they need.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/observer.hpp"
#include "catalog/catalog.hpp"
#include "repo/objects.hpp"
#include "repo/repo.hpp"
#include "repo/rewrite.hpp"
#include "verify/report.hpp"

namespace cairn::verify {

// Which packs --read-data reads.
struct DataSubset {
  enum class Kind { all, percent, part } kind = Kind::all;
  double percent = 100;  // Kind::percent: (0, 100]
  unsigned index = 1;    // Kind::part: 1 <= index <= count
  unsigned count = 1;
};
// "" or "all", "P%" (P a decimal in (0, 100]), "I/N" (1 <= I <= N). Errc::usage otherwise.
Result<DataSubset> parse_subset(std::string_view text);
// The part (1..count) a pack belongs to, from its name alone: its first 8 bytes (big-endian)
// modulo count, plus one.
unsigned part_of(const hash::PackId& id, unsigned count);
// The packs of `sorted` (ascending ids) that `s` selects: a part keeps the packs with
// part_of(id, N) == I, so N runs with I = 1..N read every pack that exists through all of them
// exactly once, whatever packs come and go between them; a percentage keeps round(P% of them)
// chosen at random, at least one.
std::vector<hash::PackId> select_packs(const std::vector<hash::PackId>& sorted, const DataSubset& s,
                                       std::mt19937_64& rng);

// What the engine is asked to do; the use case fills it from the tool's options.
struct Options {
  std::vector<catalog::SetRecord> sets;           // the SET refs given, resolved; empty = every set
  bool all = false;                               // --all
  std::optional<std::filesystem::path> drill_to;  // scratch parent (default $TMPDIR or /tmp)
  std::optional<std::string> drill_check;         // --check CMD (see ops::VerifyOptions)
  std::optional<std::string> max_age;             // --max-age as given (for the report)
  unsigned jobs = 0;                              // workers; 0 = one per core
  // --drill: restores set `id` into the empty directory `to`, reporting per-item problems to
  // `obs` as warnings (the use case calls the restore engine).
  std::function<Status(const hash::SetId& id, const std::filesystem::path& to, Observer& obs)>
      restore;
  // The catalog row of a checked set must agree with its signed object (Errc::corrupt when not).
  std::function<Status(const catalog::SetRecord& rec, const repo::SetObject& obj)> check_row;
};

enum class PackProblem : std::uint8_t { missing, unindexed, damaged };

struct BadChunk {
  hash::ChunkId id;
  std::string reason;
};

struct PackDamage {
  PackProblem problem = PackProblem::damaged;
  std::string reason;
  bool whole = true;                       // no chunk stored in it can be trusted
  std::vector<BadChunk> bad;               // the blobs that failed, when not whole
  std::unordered_set<hash::ChunkId> lost;  // chunks unusable because of it (for attribution)
};

struct SetState {
  hash::SetId id;
  std::optional<repo::SetObject> obj;       // read, signature verified, body decrypted
  std::optional<catalog::SetRecord> rec;    // the catalog's row, if it has one
  bool selected = false;                    // checked by this run (SET refs, or every set)
  bool missing = false;                     // the catalog has it, the repository does not
  std::string damage;                       // why the object or its manifest is unusable
  bool affected = false;                    // depends on something damaged
  std::string detail;                       // first problem, for the catalog record
  std::vector<std::string> affected_files;  // paths whose content depends on damaged data

  const std::string& source() const;
  std::int64_t started_ns() const;
  const repo::SetBody* body() const { return obj && obj->body ? &*obj->body : nullptr; }
};

struct OtherDamage {  // key slots, index files
  std::string object, id, reason;
};

struct Run {
  const Options& o;
  repo::Repository& repo;
  catalog::Catalog& cat;
  Report& report;
  Observer& obs;
  const CancelToken& cancel;
  std::int64_t started_ns = 0;
  // The set objects listed before the repository was opened (Repository::list_sets_at).
  std::optional<std::vector<hash::SetId>> listed_sets;

  std::map<hash::PackId, std::uint64_t> stored;  // packs in storage, with their sizes
  std::unordered_set<hash::PackId> indexed;      // packs some index file lists
  repo::Moves moves;  // the move records that authenticate and hold: sets' packs resolve through
  std::vector<SetState> sets;                           // every set object, plus catalog-only ones
  std::map<hash::PackId, PackDamage> packs;             // missing, unindexed or damaged packs
  std::map<hash::ChunkId, std::string> missing_chunks;  // referenced, not locatable: who needs it
  std::vector<OtherDamage> other;
  std::vector<std::string> warnings, notes;
  std::set<hash::PackId> checked_packs;  // packs some checked set names
  // Packs holding further copies of chunks the checked sets need (an index file may list a
  // chunk twice: two writers at once, or one planted to point at garbage): --read-data reads
  // them too, so a bad copy is named even though reads fall back to a good one.
  std::set<hash::PackId> copy_packs;
  // --read-data: the possession proof of every intact chunk read, to check each set's claims.
  std::unordered_map<hash::ChunkId, hash::Digest> proofs;
  bool read_all_data = false;  // --read-data over every pack of the checked sets
  Summary summary;

  bool cancelled() const { return cancel.cancelled(); }
  // Damaged or missing objects (drills are counted apart; dependent sets are not objects).
  std::uint64_t damage_count() const;
};

Error cancelled_error();
// True for errors that mean "this object is damaged or absent" rather than "we could not
// look" (a network or local I/O failure that should stop the run).
bool is_damage(const Error& e);

// structure.cpp
// Every pack entry of every index file that authenticates; damaged index files are recorded
// in run.other when `record_damage`.
Status for_each_index_pack(Run& run, bool record_damage,
                           const std::function<void(const repo::IndexPack&)>& each);
// Stored packs, index files, hold/move records, key slots. With `repair_missing` (--read-data),
// packs an index file names that are not in storage are first rebuilt from parity
// (repair_missing_from_parity), so that what rests on them is judged on the repaired repository.
Status scan_storage(Run& run, bool repair_missing = false);
Status load_sets(Run& run);   // every set object, catalog-only sets, the selection
void check_chain(Run& run);   // seq/prev: warnings and notes, never damage
Status check_sets(Run& run);  // the packs and chunks each selected set needs
void count_garbage(Run& run);

// data.cpp
Status read_data(Run& run, const DataSubset& subset);
// Packs in run.indexed but not in run.stored, rebuilt from parity and put back (a note each);
// those that cannot be are left for the structure checks to report.
Status repair_missing_from_parity(Run& run);
// After read_data: a set naming a chunk without that chunk's possession proof is damaged.
Status check_proofs(Run& run);

// damage.cpp: fills PackDamage::lost, walks the sets that may depend on damage and
// writes the damage section of the report (objects, then affected sets and files).
Status report_damage(Run& run);

// engine.cpp: --max-age: the newest good set (committed in the catalog, not found damaged now)
// of each source must be younger than `max_age` ns; writes a line per stale source. Returns
// the number of stale sources.
Result<std::uint64_t> check_freshness(Run& run, std::int64_t max_age);

// drill.cpp: runs the drills, writes their lines and records them. Returns the number
// of failed drills.
Result<std::uint64_t> run_drills(Run& run);

}  // namespace cairn::verify
