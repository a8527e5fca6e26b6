// lib/ops/outcome.hpp: what a finished use case reports back to its tool.
// Depends on: std. Threads: plain value.
#pragma once

#include <string>

namespace cairn::ops {

struct Outcome {
  int warnings = 0;  // per-item problems reported to the Observer; > 0 means exit 3 (partial)
  // the tool's one-line result, if any (a set id); empty when the product is a stream
  std::string result;
  int exit_code = 0;  // non-zero: exit with this code and no error line (cairn-diff --exit-code)
};

}  // namespace cairn::ops
