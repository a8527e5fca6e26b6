// lib/ops/repair.hpp: `cairn repair`: mend the chunk store of a local repository.
//   - every stored pack is read whole and its BLAKE2b compared with its name, its trailing
//     index authenticated; a pack a set needs (or an index file names) that is not in
//     storage is missing;
//   - a damaged or missing pack is fetched from the first `from` destination holding an
//     intact copy (its hash is its name and its trailing index authenticates) and put in
//     place (an atomic replace); without one, `mark_lost` records it as lost: the index files
//     naming it are rewritten without it (new file first), so writers store those chunks
//     afresh, and its file is moved aside to <repo>/damaged/packs/ (never deleted: a later
//     run with --from may still bring it back);
//   - index files whose bytes do not match their name or do not authenticate are replaced:
//     one new index file, from the trailing indexes of the intact packs the sets need that no
//     good index file names, then (once it is durable) the damaged files move aside to
//     <repo>/damaged/index/.
// Each change is printed as an object line ("+packs/ab/ID", "+index/ID", "-index/ID") once
// durable, for cairn-push, and appended to the catalog's audit log. A pack moved aside is not
// printed as a removal: a destination's intact copy must stay.
// Depends on: repo, backend, catalog. Threads: one.
#pragma once

#include <string>
#include <vector>

#include "backend/remote.hpp"
#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct RepairOptions {
  RepoOptions repo;               // a local repository
  std::vector<std::string> from;  // destinations holding intact copies, tried in this order
  backend::RemoteOptions remote;  // their credentials and endpoints
  bool mark_lost = false;         // record the packs no destination has intact as lost
  bool dry_run = false;           // say what would be done ("would ..." lines), change nothing
};

// Errc::corrupt (exit 4) naming the first pack that could not be repaired (and how many
// more), after every repair that could be made was made; Errc::auth for a write-only key.
Result<Outcome> repair(const RepairOptions& o, io::Writer& out, Observer& obs,
                       const CancelToken& cancel);

}  // namespace cairn::ops
