// lib/ops/pack.hpp: cairn-pack: read a manifest stream, store the content it names
// (chunk, deduplicate, compress, encrypt) into the repository, write the signed set, record
// it in the catalog, and print the set id and the objects written (cairn-pack(1) OUTPUT).
// Depends on: repo, manifest, catalog. Threads: runs a bounded pipeline of worker threads.
#pragma once

#include "base/observer.hpp"
#include "io/file.hpp"
#include "model/set.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct PackOptions {
  RepoOptions repo;
  model::SetKind kind = model::SetKind::incremental;
  unsigned jobs = 0;  // worker threads for compress+encrypt; 0 = one per core
  // --compression: a zstd level, "auto" or "off" (compress::parse_setting) for this run
  // instead of the repository's default; Errc::usage when not one of those.
  std::optional<std::string> compression;
  // Without `compression`: the policy (policy::load_optional) may set one for the set's class
  // ([class.NAME] compression); else the repository's default applies.
  std::optional<std::filesystem::path> policy;
  // Print each pack's "+packs/.." line as soon as the pack is durably stored (cairn-push then
  // uploads while packing goes on); the set id comes last instead of first (cairn-pack(1)).
  bool stream = false;
  // An open repository to use instead of opening `repo` (cairn backup shares one between its
  // stages: one key derivation); nullptr: open `repo`.
  Context* shared = nullptr;
};

Result<Outcome> pack(const PackOptions& o, io::Reader& in, io::Writer& out, Observer& obs,
                     const CancelToken& cancel);

}  // namespace cairn::ops
