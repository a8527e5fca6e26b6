// lib/ops/diff.hpp: cairn-diff. In a pipe it marks each entry of a manifest stream against a
// base set (unchanged entries carry their stored chunk ids, so cairn-pack does not read them
// again); with two arguments (SET SET or SET DIR) it prints a change report.
// Depends on: manifest, repo, catalog, ops/snap. Threads: calling thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct DiffOptions {
  RepoOptions repo;
  // a set reference or "last-full"; default: latest of the source
  std::optional<std::string> against;
  std::vector<std::string> args;  // empty: pipe mode; two: report mode (SET SET | SET DIR)
  bool json = false;              // report mode: JSON Lines
  bool stat = false;              // report mode: a summary only
  bool exit_code = false;         // report mode: exit 1 when something changed (diff(1))
  // Pipe mode: an open repository to use instead of opening `repo` (cairn backup shares one
  // between its stages: one key derivation); nullptr: open `repo`.
  Context* shared = nullptr;
};

Result<Outcome> diff(const DiffOptions& o, io::Reader& in, io::Writer& out, Observer& obs,
                     const CancelToken& cancel);

}  // namespace cairn::ops
