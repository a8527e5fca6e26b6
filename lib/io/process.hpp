// lib/io/process.hpp: running another program (posix_spawn) and waiting for it. One copy for
// the tools' hooks, producers, checks and sub-tools; in io because a child's standard
// descriptors are file descriptors of ours, and every module that starts programs (ops, cli,
// notify) may use io. A program that cannot be run is an error of spawn (glibc's posix_spawn
// reports a failed execve), never an exit status 127.
// Depends on: base, POSIX. Threads: spawn is safe from any thread (posix_spawn).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace cairn::io {

inline constexpr int kInherit = -1;  // the child gets our descriptor
inline constexpr int kDevNull = -2;  // the child gets /dev/null

struct Command {
  std::filesystem::path exe;                          // run as named (no PATH search)
  std::vector<std::string> argv;                      // argv[0] is the program's name
  std::optional<std::vector<std::string>> env;        // "NAME=value" each; nullopt: our environment
  std::filesystem::path dir;                          // its working directory; empty: ours
  int in = kInherit, out = kInherit, err = kInherit;  // kInherit, kDevNull or a descriptor of ours
  bool own_group = false;  // in a process group of its own (its pid), to be killed as one
  bool fresh = false;      // every signal at its default, none blocked, no descriptor above 2

  // /bin/sh -c `cmd`.
  static Command shell(const std::string& cmd);
};

// Starts `c`: the child's pid. errno_error "cannot run WHAT" when it cannot start (a missing
// exe is this error too).
Result<pid_t> spawn(const Command& c, std::string_view what);

// Waits for `pid` (through EINTR): its wait status. errno_error "cannot wait for WHAT".
Result<int> wait_status(pid_t pid, std::string_view what);

// How a wait status failed: "failed with exit status N", "was killed by signal N"; nullopt
// when it exited 0.
std::optional<std::string> failure(int wait_status);

// wait_status, then Errc::io "WHAT failed with exit status N" / "WHAT was killed by signal N"
// unless the child exited 0.
Status wait_success(pid_t pid, std::string_view what);

}  // namespace cairn::io
