// lib/base/time.hpp: the wall clock and UTC timestamps in their text form.
// Depends on: std, fmt. Threads: plain functions.
#pragma once

#include <cstdint>
#include <string>

namespace cairn {

// Nanoseconds since the Unix epoch, now (the system clock).
std::int64_t now_ns();

// "2026-11-26T05:00:00Z": UTC, whole seconds (truncated).
std::string format_time(std::int64_t ns);

}  // namespace cairn
