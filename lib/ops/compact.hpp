// lib/ops/compact.hpp: cairn-prune --max-unused, the choice of packs to rewrite (the rewriting
// itself is repo/rewrite.hpp; the protocol is in ops/prune.hpp).
// Depends on: repo. Threads: one.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/observer.hpp"
#include "repo/gc.hpp"

namespace cairn::ops {

// "10%" (a pack whose unused share exceeds it) or a size ("64M": the packs with the most
// unused bytes, until that much would be freed). Errc::usage naming --max-unused otherwise.
struct MaxUnused {
  std::optional<unsigned> percent;
  std::uint64_t budget = 0;
  // --reencrypt: also every needed pack whose data key is sealed to an older box key
  // generation than the newest (cairn key rotate), however full it is.
  bool reencrypt = false;
  // --max-rewrite SIZE: choose no more packs once their live chunks add up to SIZE (0: no
  // limit), so one run needs at most about SIZE of extra space; the next run goes on.
  std::uint64_t max_rewrite = 0;
  bool by_waste() const { return percent.has_value() || budget > 0; }
};
Result<MaxUnused> parse_max_unused(std::string_view text);

struct CompactPlan {
  std::vector<hash::PackId> packs;                             // to rewrite
  std::unordered_set<hash::ChunkId, hash::DigestHasher> live;  // every chunk the sets need
  std::vector<hash::SetId> sets;                               // the sets `live` was read from
  std::uint64_t rewrite_bytes = 0;  // sealed bytes of the live chunks in `packs`
  std::uint64_t free_bytes = 0;     // the stored size of `packs`
  std::size_t reencrypt = 0;        // of `packs`, those sealed to an older key generation
  std::size_t deferred = 0;         // chosen, but left to a later run by --max-rewrite
};

// The packs among those `keep` (ids of s.readable) needs whose unused share or bytes meet `m`
// (and, with m.reencrypt, those sealed to an older key generation: one header read each).
// Reads every kept set's manifest (streamed). Errc::corrupt when one cannot be read: then
// nothing is compacted.
Result<CompactPlan> plan_compaction(repo::Repository& r, const repo::gc::Sets& s,
                                    const std::vector<hash::SetId>& keep, const MaxUnused& m,
                                    Observer& obs, const CancelToken& cancel);

}  // namespace cairn::ops
