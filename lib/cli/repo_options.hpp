// lib/cli/repo_options.hpp: ops::RepoOptions from a Session (--repo, the passphrase,
// --key-file, --catalog), the one line every repository tool's body starts with.
// Depends on: ops (context). Threads: main thread.
#pragma once

#include "base/result.hpp"
#include "cli/session.hpp"
#include "ops/context.hpp"

namespace cairn::cli {

// Errc::usage when no repository or no passphrase source is given.
Result<ops::RepoOptions> repo_options(Session& s);

}  // namespace cairn::cli
