// lib/cli/front.hpp: the `cairn` front command (cairn(1)).
// Depends on: ops. Threads: main thread.
#pragma once

namespace cairn::cli {

// Parses argv, runs the command or execs cairn-VERB, and returns the exit code.
int run_front(int argc, char** argv);

}  // namespace cairn::cli
