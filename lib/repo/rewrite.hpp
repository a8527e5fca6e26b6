// lib/repo/rewrite.hpp: rewriting packs (compaction by cairn-prune --max-unused; re-encryption
// under a new key) and the move records that say where their chunks went. The choice of packs
// is the caller's; the rewriter copies the live chunks of the packs it is given into new packs,
// writes their index file and then one move record (cairn-repository(5), MOVE RECORDS).
// Readers that turn a set's `packs` into the packs it really needs go through Moves::resolve.
// Depends on: repo (and base, hash, pack). Threads: one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/observer.hpp"
#include "repo/repo.hpp"

namespace cairn::repo {

// The chunk ids each pack's own (trailing) index lists, read once per pack.
using PackIndexCache =
    std::map<hash::PackId, std::unordered_set<hash::ChunkId, hash::DigestHasher>>;

// Errc::corrupt naming `what` unless every chunk each move of `m` names is in one of its target
// packs (their trailing indexes, authenticated): a record that claims more than was copied
// (forged, or its targets damaged) must never let its source pack go.
Status check_move_cover(Repository& r, const MoveRecord& m, std::string_view what,
                        PackIndexCache& cache);

// The move records of a repository, for resolving sets' pack lists.
class Moves {
 public:
  Moves() = default;
  explicit Moves(std::vector<MoveRecord> records);
  bool empty() const { return records_.empty(); }
  std::size_t size() const { return records_.size(); }
  // The packs set `id` needs: each of `packs`, or where the move records that list the set
  // moved its chunks (transitively; every record that moves a pack for the set counts).
  template <typename Out>
  void resolve(const hash::SetId& id, const std::vector<hash::PackId>& packs, Out& out) const {
    for (const auto& p : resolve(id, packs)) out.insert(p);
  }
  std::vector<hash::PackId> resolve(const hash::SetId& id,
                                    const std::vector<hash::PackId>& packs) const;

 private:
  std::vector<MoveRecord> records_;
  // from pack -> (record, move)
  std::unordered_multimap<hash::PackId, std::pair<std::size_t, std::size_t>, hash::DigestHasher>
      by_from_;
};

// Every move record that authenticates and whose targets hold its chunks; the others go to
// `skip` (see Repository::list_move_records).
Result<Moves> load_moves(Repository& r, const Repository::SkipRecord& skip);

struct RewriteResult {
  std::size_t packs_read = 0;     // packs whose live chunks were moved
  std::uint64_t bytes_read = 0;   // sealed bytes of the chunks copied
  std::size_t packs_written = 0;  // new packs
  std::uint64_t bytes_written = 0;
  std::vector<hash::PackId> moved;  // the packs the move record names as moved
  std::string record;               // "holds/ID", empty when nothing moved
};

// Copies every chunk of `packs` that `live` holds (read with authentication, then put()
// through a WriteSession of its own, so it is sealed afresh to the repository's current key)
// into new packs, writes their index file, then a move record: `about`'s sets (those `live`
// was read from), user and host, with the moves made. `report` hears "+packs/..", "+index/..",
// "+holds/.." in upload-safe order. A pack with a chunk that cannot be read is left out of the
// record (and named to `obs`). Test hooks (CAIRN_TEST_PAUSE): "rewrite-before-copy",
// "rewrite-before-record".
using RewriteReport = std::function<Status(char op, const std::string& path)>;
Result<RewriteResult> rewrite_packs(
    Repository& r, const std::vector<hash::PackId>& packs,
    const std::unordered_set<hash::ChunkId, hash::DigestHasher>& live, const MoveRecord& about,
    const RewriteReport& report, Observer& obs, const CancelToken& cancel);

// CAIRN_TEST_PAUSE=POINT[,POINT...] (builds with -DCAIRN_TEST_HOOKS=ON only): the process
// stops itself (SIGSTOP) at each of these points, for tests that run something meanwhile.
void test_pause(std::string_view point);

}  // namespace cairn::repo
