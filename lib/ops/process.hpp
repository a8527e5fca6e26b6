// lib/ops/process.hpp: process-wide initialisation of the C libraries (STYLE.md C6).
// Depends on: base, crypto (later backend, for curl_global_init).
// Threads: call init_process() once from main (cli::Tool::run does), before any thread starts.
#pragma once

#include <string_view>

#include "base/result.hpp"

namespace cairn::ops {

// Initialises libsodium (crypto::init) and, once the backends need it, libcurl.
// Safe to call more than once.
Status init_process();

// Keeps this process's memory (keys, passphrases) out of core files and away from same-user
// debuggers: RLIMIT_CORE 0 (soft and hard) and PR_SET_DUMPABLE 0 (no core dump, no ptrace
// by an unprivileged process, /proc/PID/mem and friends owned by root). Inherited by nothing
// that matters: execve() makes a child dumpable again; only RLIMIT_CORE 0 carries over.
// Sanitizer builds stay dumpable (LeakSanitizer ptraces its own process at exit).
// Call first in main, before any secret is read. Best effort: failures are ignored.
void harden_process() noexcept;

// The name of a test-only switch (CAIRN_TEST_FAST_KDF) set in the environment but ignored
// because this build was configured without -DCAIRN_TEST_HOOKS=ON; empty otherwise.
std::string_view ignored_test_switch();

}  // namespace cairn::ops
