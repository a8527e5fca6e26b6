// lib/ops/push.hpp: cairn-push: copy repository objects to destinations (other backends) so
// each stays a valid, complete repository at every moment, and record in the catalog where
// each set lives.
// Order: config and every key slot first (when a destination lacks them), then packs, then
// index files, then set objects last; deletions (from cairn-prune) after uploads, set objects
// first, then index files, then packs. A destination whose upload fails is left at the last
// complete step (no set object goes up before its packs and index files did).
// Depends on: repo, backend, catalog. Threads: uploads run on a pool of `jobs` workers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "backend/remote.hpp"
#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct PushOptions {
  RepoOptions repo;
  std::vector<std::string> dests;  // URLs (backend::open_url) or paths
  bool all = false;                // every object of the repository the destination lacks
  unsigned jobs = 0;               // parallel transfers; 0 = 4
  std::uint64_t limit_rate = 0;    // bytes/s per destination (all its transfers together); 0 = none
  // S3 Object Lock: packs, index files and set objects go up with retain-until = now + the
  // largest immutable_days among the classes of the sets this run carries
  // (remote.s3_object_lock_mode, COMPLIANCE by default). The policy: this file, else CAIRN_POLICY,
  // else /etc/cairn/policy.toml when it exists. Objects already at the destination keep theirs.
  std::optional<std::filesystem::path> policy;
  // credentials, endpoints, S3 storage class (from the environment and flags)
  backend::RemoteOptions remote;
  // An open repository to use instead of opening `repo` (cairn backup shares one between its
  // stages: one key derivation); nullptr: open `repo`.
  Context* shared = nullptr;
};

// Without `all`, reads lines from `in`: an optional first line holding a 64-hex set id (as
// cairn-pack prints it), then "+REL" (upload the repository object at REL, e.g.
// "packs/ab/ab12...", "index/...", "sets/...", "keys/...", "config") or "-REL" (delete it at
// the destinations). Writes "+REL DEST" / "-REL DEST" to `out` for every object transferred
// or deleted. With `all`, objects a destination already holds with the same size are skipped
// (an interrupted push resumes). Placements are recorded for every set object present at a
// destination after the push. Outcome::warnings counts destinations that failed.
Result<Outcome> push(const PushOptions& o, io::Reader& in, io::Writer& out, Observer& obs,
                     const CancelToken& cancel);

}  // namespace cairn::ops
