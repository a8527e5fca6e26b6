// lib/ops/copy.hpp: cairn copy: sets of one repository written as new sets into another, with
// the target's own keys and chunker (re-chunked, re-encrypted, deduplicated against what the
// target holds), keeping each set's source, host, class, kind, times, tags and legal hold.
// Depends on: repo (stored sets, ingest), catalog. Threads: per set, one thread reads the
// source set into a bounded in-memory pipe while the calling thread ingests it into the target.
#pragma once

#include <string>
#include <vector>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct CopyOptions {
  RepoOptions repo;  // the source
  RepoOptions to;    // the target (its own passphrase or key file; a write-only key will do)
  std::vector<std::string> sets;  // as cairn-restore names them (ID, prefix, SOURCE@latest, ...)
  bool all = false;               // every committed set of the source
  unsigned jobs = 0;              // worker threads for compress+encrypt; 0 = one per core
};

// Copies the sets oldest first (so a parent's copy exists before its child's). A set the
// target already holds a copy of (the copy mark in its signed header) is skipped, so a rerun
// after a failure or a kill copies only what is missing. Prints "SOURCE-ID TARGET-ID" per set.
// The target is opened first: a wrong target passphrase (Errc::auth) changes nothing.
Result<Outcome> copy(const CopyOptions& o, io::Writer& out, Observer& obs,
                     const CancelToken& cancel);

}  // namespace cairn::ops
