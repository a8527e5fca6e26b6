// lib/ops/shared_context.hpp: a use case that may be handed an open Context (cairn backup
// shares one between its stages: one key derivation) instead of opening its own.
// Depends on: ops/context. Threads: plain function.
#pragma once

#include <functional>
#include <optional>

#include "ops/context.hpp"

namespace cairn::ops {

// `shared` when the caller opened one, else open_context(o) kept in `own`.
Result<std::reference_wrapper<Context>> shared_or_open(Context* shared, const RepoOptions& o,
                                                       std::optional<Context>& own);

}  // namespace cairn::ops
