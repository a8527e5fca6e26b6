// lib/ops/backup.hpp: `cairn backup`: cairn-snap | cairn-diff | cairn-pack (| cairn-push) in one
// process, with the same streams, exit statuses and catalog records as the pipeline.
// The repository is opened once (one key derivation) and shared: the three stages run in
// threads joined by pipes carrying the manifest streams of cairn-manifest(5), so the contract
// between them stays the one the separate tools keep; the push runs after the set is committed,
// on the object list cairn-pack prints.
// Depends on: ops (snap, diff, pack, push), policy. Threads: three stage threads, joined before
// return; pack and push run their own pools.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "backend/remote.hpp"
#include "base/observer.hpp"
#include "io/file.hpp"
#include "model/set.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"
#include "ops/snap.hpp"

namespace cairn::ops {

struct BackupOptions {
  RepoOptions repo;
  SnapOptions snap;                    // roots (required), source, class, excludes, --pre/--post
  std::optional<std::string> against;  // cairn-diff --against
  model::SetKind kind = model::SetKind::incremental;  // cairn-pack --full / --differential
  unsigned jobs = 0;                                  // cairn-pack --jobs
  std::optional<std::string> compression;             // cairn-pack --compression
  std::vector<std::string> push;                      // destinations (cairn-push DEST...)
  bool push_policy = false;  // also the destinations the policy gives the set's class
  std::optional<std::filesystem::path> policy;  // for push_policy and S3 Object Lock
  backend::RemoteOptions remote;
  // The run cairn-push would record (tool "cairn-push"), when the pack run (repo.run) is
  // recorded; begun and finished here.
  bool record_push_run = false;
};

// Writes the committed set's id (one line) to `out`. The error returned is the one of the stage
// that failed first (a stage downstream of it then sees a truncated stream or a closed pipe:
// that is not news); warnings of every stage count (exit 3). Nothing is committed unless every
// stage before cairn-pack finished its stream. A failed push leaves the set committed and
// counts one warning per destination, as cairn-push does.
Result<Outcome> backup(const BackupOptions& o, io::Writer& out, Observer& obs,
                       const CancelToken& cancel);

}  // namespace cairn::ops
