// lib/ops/rebuild.hpp: `cairn catalog rebuild`: recreate the catalog from the repository.
// Every set object is read and authenticated; each becomes a row with its sequence number,
// source, host, kind, parent, retention class, times, sizes and the packs it needs. From the
// old catalog, when it still opens, come what the repository does not hold: legal holds made
// after the set was written, 'damaged' marks, the rows of pruned sets, placements, runs,
// verifications and the audit log. Without a readable old catalog a hold survives only if
// the set object itself was written with one.
// The new catalog is built under a temporary name and renamed over the old one only when
// complete; the old file stays as <catalog>.old (with its -wal and -shm, if any). Other
// cairn processes should not use the catalog meanwhile.
// Depends on: repo, catalog. Threads: one.
#pragma once

#include "base/observer.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct RebuildOptions {
  RepoOptions repo;  // the repository and --catalog (default: the repository's catalog file)
};

// Outcome::result: "catalog 'FILE': N sets from the repository, M pruned kept from the old
// catalog". Outcome::warnings counts the damaged set objects and hold records import_sets
// left out (named through obs.warning). Errc::auth for a write-only key (set bodies cannot be
// read).
Result<Outcome> rebuild_catalog(const RebuildOptions& o, Observer& obs, const CancelToken& cancel);

}  // namespace cairn::ops
