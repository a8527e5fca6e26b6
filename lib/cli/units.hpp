// lib/cli/units.hpp: parsing of human-friendly flag values (sizes with K/M/G/T suffixes).
// Depends on: base. No CLI11 here, so the logic is unit-testable on its own.
// Threads: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.hpp"

namespace cairn::cli {

// "4096", "64K", "1M", "2G", "1T" (binary units: K = 1024), case-insensitive, optionally
// followed by "B" or "iB" ("64KiB", "1MB" = 1 MiB), and a plain "512B". No sign, no
// fraction, no spaces. Errc::usage on anything else, and on a value above 2^64 - 1.
Result<std::uint64_t> parse_size(std::string_view text);

}  // namespace cairn::cli
