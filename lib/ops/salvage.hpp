// lib/ops/salvage.hpp: `cairn salvage SET`: a damaged set's intact files written as a new
// set of the same source, host, class, snapshot time and tags (plus "salvaged" and
// "salvage-of-<id>"), whose chunks are the damaged set's own (referenced, not copied), so
// that cairn-prune keeps them once the damaged set goes. Every chunk of every file is read
// and authenticated (a full key is needed: it reads data and signs a set); a file with a
// chunk that fails (missing, corrupt, in no index), and a hard link to it, is dropped and
// named. Appends an audit row. See cairn(1) SALVAGE.
// Depends on: repo, manifest, catalog, ops (pack). Threads: main thread.
#pragma once

#include <string>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct SalvageOptions {
  RepoOptions repo;
  std::string set;  // as cairn-restore's SET
};

// Writes the salvage set and prints what cairn-pack prints (its id, then its objects) on
// `out`. Errc::corrupt when files were dropped (named on `obs`, the set written; exit 4) or
// the set's manifest itself is damaged (nothing written). A set with nothing damaged is left
// alone: one info line, nothing written, success.
Result<Outcome> salvage(const SalvageOptions& o, io::Writer& out, Observer& obs,
                        const CancelToken& cancel);

}  // namespace cairn::ops
