// lib/cli/dispatch.hpp: `cairn help [VERB]` for the front command. A command of the tool
// itself prints its help; any other verb shows `man cairn-VERB`, or runs
// `cairn-VERB --help` when man or the page is missing.
// Depends on: base, io, ops (+ CLI11 through tool.hpp). Threads: main thread only.
#pragma once

#include <string>

#include "base/result.hpp"
#include "cli/session.hpp"
#include "ops/outcome.hpp"

namespace cairn::cli {

class Tool;

// Replaces the process (man or cairn-VERB) for an external verb; returns only on failure.
// Errc::usage for a verb that is neither a command nor an executable cairn-VERB.
Result<ops::Outcome> help(Tool& tool, Session& s, const std::string& verb);

}  // namespace cairn::cli
