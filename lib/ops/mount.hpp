// lib/ops/mount.hpp: `cairn mount DIR`: opens the repository (or --from a destination) and its
// catalog, lists the committed sets and serves them read-only through FUSE (lib/mount) until
// the file system is unmounted (fusermount3 -u DIR) or SIGINT/SIGTERM arrives.
// Depends on: catalog, repo, mount. Threads: runs in the calling thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>

#include "base/observer.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct MountOptions {
  RepoOptions repo;
  std::filesystem::path dir;                    // the mount point, an existing directory
  std::function<void(std::size_t sets)> ready;  // once mounted (the tool's "mounted" line)
};

// Exit 0 once unmounted; exit 4 (Outcome::exit_code) when a read met damage (each one named
// as a warning when it happened).
Result<Outcome> mount(const MountOptions& o, Observer& obs);

}  // namespace cairn::ops
