// lib/base/units.hpp: the one size grammar of every flag, variable and policy value that
// takes a size (durations: parse_duration in base/time.hpp).
// Depends on: std, fmt. Threads: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.hpp"

namespace cairn {

// "4096", "64K", "1M", "2G", "1T" (binary units: K = 1024), case-insensitive, optionally
// followed by "B" or "iB" ("64KiB", "1MB" = 1 MiB), and a plain "512B". No sign, no
// fraction, no spaces. Errc::usage on anything else, and on a value above 2^64 - 1.
Result<std::uint64_t> parse_size(std::string_view text);

}  // namespace cairn
