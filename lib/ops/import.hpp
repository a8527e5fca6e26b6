// lib/ops/import.hpp: the one disaster-recovery import path: a catalog's rows made from the set
// objects of a repository alone (cairn-restore --from and cairn-verify --from fill a scratch
// catalog with it; cairn catalog rebuild a new one).
// Depends on: repo, catalog. Threads: one.
#pragma once

#include <functional>
#include <vector>

#include "base/observer.hpp"
#include "catalog/catalog.hpp"
#include "hash/hash.hpp"
#include "repo/repo.hpp"

namespace cairn::ops {

struct ImportOptions {
  const CancelToken* cancel = nullptr;  // polled between set objects
  // Called with each set's row (set_record) before the hold records apply and it is inserted:
  // rebuild adds here what only the old catalog knows.
  std::function<void(const repo::SetObject&, catalog::SetRecord&)> adjust;
  // When set, only the set objects it accepts are read and imported.
  std::function<bool(const hash::SetId&)> only;
};

struct Imported {
  std::vector<hash::SetId> ids;  // the sets inserted, oldest first (seq, time, id)
  int warnings = 0;              // set objects and hold records left out
};

// Inserts a row into `cat` for every set object of `r`, oldest first, with the hold state
// the repository's hold records give (ops::readable_holds); the caller holds the catalog
// transaction. A set object gone meanwhile is passed over. A damaged one (it fails to
// authenticate or to decode, or the catalog refuses its row) is reported to `obs` as a
// warning naming it, counted and left out: one bad set never stops the others from being
// imported. A key that cannot read set bodies is Errc::auth; any other error (storage,
// network, the catalog file) stops the import.
Result<Imported> import_sets(repo::Repository& r, catalog::Catalog& cat, Observer& obs,
                             const ImportOptions& o = {});

// The catalog follows the repository: lists the set objects `r` holds (one listing), and when
// they differ from what the catalog saw at `target` (the repository's location or a
// destination URL) last time, imports in one transaction those the catalog has no row for, with
// import_sets, and records what `target` holds now. A row the catalog has, pruned included, is
// never replaced: a pruned set does not come back as live. Committed rows whose set object
// `target` does not hold are reported to `obs` as one warning naming the repair.
// A key that cannot read set bodies changes nothing (a write-only backup host).
struct Synced {
  std::size_t added = 0;    // sets imported
  std::size_t missing = 0;  // committed rows whose set object `target` lacks
};
Result<Synced> sync_catalog(repo::Repository& r, catalog::Catalog& cat, const std::string& target,
                            Observer& obs);

}  // namespace cairn::ops
