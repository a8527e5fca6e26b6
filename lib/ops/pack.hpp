// lib/ops/pack.hpp: cairn-pack: read a manifest stream, store the content it names
// (chunk, deduplicate, compress, encrypt) into the repository, write the signed set, record
// it in the catalog, and print the set id and the objects written (cairn-pack(1) OUTPUT).
// Depends on: repo, manifest, catalog. Threads: runs a bounded pipeline of worker threads.
#pragma once

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

enum class SetKindWanted { incremental, differential, full };

struct PackOptions {
  RepoOptions repo;
  SetKindWanted kind = SetKindWanted::incremental;
  unsigned jobs = 0;  // worker threads for compress+encrypt; 0 = one per core
};

Result<Outcome> pack(const PackOptions& o, io::Reader& in, io::Writer& out, Observer& obs,
                     const CancelToken& cancel);

}  // namespace cairn::ops
