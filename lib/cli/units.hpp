// lib/cli/units.hpp: the size grammar of the flags (add_size_option), which is base's one
// parse_size (base/units.hpp), shared with CAIRN_PART_SIZE and the policy.
// Depends on: base. Threads: pure functions.
#pragma once

#include "base/units.hpp"

namespace cairn::cli {

using cairn::parse_size;

}  // namespace cairn::cli
