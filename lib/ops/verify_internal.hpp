// lib/ops/verify_internal.hpp: the state one cairn-verify run builds up, shared by its phases:
//   verify_structure.cpp  storage listing, index files, key slots, set objects, the seq/prev
//                         chain, the packs and chunks every checked set needs
//   verify_data.cpp       --read-data: packs read whole and every blob checked
//   verify_damage.cpp     which sets and files depend on what is damaged; the damage report
//   verify_drill.cpp      --drill: restore, re-check, time, record
//   verify.cpp            options, the order of the phases, --max-age, catalog records
// Not part of the module's interface (verify.hpp is).
// Threads: a Run belongs to the driver thread; workers get only what they need.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "catalog/catalog.hpp"
#include "ops/verify.hpp"
#include "ops/verify_report.hpp"
#include "repo/objects.hpp"
#include "repo/repo.hpp"

namespace cairn::ops::verify_detail {

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
  const VerifyOptions& o;
  Context& ctx;
  Report& report;
  Observer& obs;
  const CancelToken& cancel;
  std::int64_t started_ns = 0;
  // The set objects listed before the repository was opened (see list_sets_early).
  std::optional<std::vector<hash::SetId>> listed_sets;

  std::map<hash::PackId, std::uint64_t> stored;         // packs in storage, with their sizes
  std::unordered_set<hash::PackId> indexed;             // packs some index file lists
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
  bool read_all_data = false;            // --read-data over every pack of the checked sets
  Summary summary;

  bool cancelled() const { return cancel.cancelled(); }
  // Damaged or missing objects (drills are counted apart; dependent sets are not objects).
  std::uint64_t damage_count() const;
};

Error cancelled_error();
// True for errors that mean "this object is damaged or absent" rather than "we could not
// look" (a network or local I/O failure that should stop the run).
bool is_damage(const Error& e);

// verify_structure.cpp
// The set objects in the local repository at `dir`, listed before it is opened: a set object
// is written after its packs and index file, so the chunk index loaded at open, and the pack
// listing after it, know everything these sets need even while backups run. nullopt when the
// directory cannot be listed (opening the repository then says why).
std::optional<std::vector<hash::SetId>> list_sets_early(const std::filesystem::path& dir);
// Every pack entry of every index file that authenticates; damaged index files are recorded
// in run.other when `record_damage`.
Status for_each_index_pack(Run& run, bool record_damage, const std::function<void(const repo::IndexPack&)>& each);
Status scan_storage(Run& run);  // stored packs, index files, key slots
Status load_sets(Run& run);     // every set object, catalog-only sets, the selection
void check_chain(Run& run);     // seq/prev: warnings and notes, never damage
Status check_sets(Run& run);    // the packs and chunks each selected set needs
void count_garbage(Run& run);

// verify_data.cpp
Status read_data(Run& run, const DataSubset& subset);
// After read_data: a set naming a chunk without that chunk's possession proof is damaged.
Status check_proofs(Run& run);

// verify_damage.cpp: fills PackDamage::lost, walks the sets that may depend on damage and
// writes the damage section of the report (objects, then affected sets and files).
Status report_damage(Run& run);

// verify_from.cpp: --from DEST. open_destination opens the destination's repository and a
// scratch catalog of the set objects that read back (damaged ones are left to load_sets);
// record_destination records the run in the local catalog, when one exists, with the
// destination as target, and verified_at on the placements of the sets found whole.
Result<Context> open_destination(const VerifyOptions& o, Report& report);
Status record_destination(Run& run, std::uint64_t duration_ms);

// verify_drill.cpp: runs the drills, writes their lines and records them. Returns the number
// of failed drills.
Result<std::uint64_t> run_drills(Run& run);

}  // namespace cairn::ops::verify_detail
