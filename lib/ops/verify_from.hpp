// lib/ops/verify_from.hpp: cairn-verify --from DEST (verify_from.cpp), for ops/verify.cpp.
// open_destination opens the destination's repository and a scratch catalog of the set objects
// that read back (damaged ones are left to the engine's load_sets); record_destination records
// the run in the local catalog, when one exists, with the destination as target, and
// verified_at on the placements of the sets found whole.
// Depends on: verify. Threads: the verify driver thread.
#pragma once

#include <cstdint>

#include "ops/context.hpp"
#include "ops/verify.hpp"
#include "verify/engine.hpp"

namespace cairn::ops {

Result<Context> open_destination(const VerifyOptions& o, verify::Report& report);
Status record_destination(const VerifyOptions& o, const Context& ctx, const verify::Run& run,
                          std::uint64_t duration_ms);

}  // namespace cairn::ops
