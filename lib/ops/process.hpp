// lib/ops/process.hpp: process-wide initialisation of the C libraries (STYLE.md C6).
// Depends on: base, crypto (later backend, for curl_global_init).
// Threads: call init_process() once from main (cli::Tool::run does), before any thread starts.
#pragma once

#include "base/result.hpp"

namespace cairn::ops {

// Initialises libsodium (crypto::init) and, once the backends need it, libcurl.
// Safe to call more than once.
Status init_process();

}  // namespace cairn::ops
