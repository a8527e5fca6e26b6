// lib/ops/verify_from.hpp: cairn-verify --from DEST (verify_from.cpp), for ops/verify.cpp.
// open_destination opens the destination's repository and a scratch catalog of the set objects
// that read back (damaged ones are left to the engine's load_sets); record_destination records
// the run in the local catalog, when one exists, with the destination as target, and
// verified_at on the placements of the sets found whole, and each drill (result, restore time).
// Depends on: verify. Threads: the verify driver thread.
#pragma once

#include <cstdint>
#include <string>

#include "ops/context.hpp"
#include "ops/verify.hpp"
#include "verify/engine.hpp"

namespace cairn::ops {

// What the catalog records of one run share (verify.cpp): the kind, the " (read-data …)" scope
// of a partial read, and the summary row of the whole run against `target` ("" for the
// repository, else a destination).
struct RunRecord {
  catalog::VerifyKind kind;
  std::string scope;
};
RunRecord run_record(const VerifyOptions& o, const verify::Run& run);
catalog::VerifyRecord summary_record(const verify::Run& run, const RunRecord& r, std::string target,
                                     std::uint64_t duration_ms);

Result<Context> open_destination(const VerifyOptions& o, verify::Report& report);
Status record_destination(const VerifyOptions& o, const Context& ctx, const verify::Run& run,
                          std::uint64_t duration_ms);

}  // namespace cairn::ops
