// lib/ops/outcome.hpp: what a finished use case reports back to its tool.
// Depends on: catalog (what a run moved). Threads: plain value.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"

namespace cairn::ops {

// What a run did, for the tool's closing summary (cli::Tool prints it; cairn(7) SUMMARY).
// A use case that knows more than its Observer was told (a set's new and stored bytes) fills
// it; otherwise the tool counts what the Observer saw.
struct Tally {
  std::string set;     // the set written, when one was (hex id)
  std::string source;  // its source
  std::string kind;    // its kind (full, incremental, differential)
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;  // read (snap, pack), written (restore), checked (verify)...
  std::optional<std::uint64_t> bytes_new, bytes_stored;
};

struct Outcome {
  int warnings = 0;  // per-item problems reported to the Observer; > 0 means exit 3 (partial)
  // the tool's one-line result, if any (a set id); empty when the product is a stream
  std::string result;
  int exit_code = 0;  // non-zero: exit with this code and no error line (cairn-diff --exit-code)
  // For the summary line; null: the Observer's counts. (A pointer, not an optional: GCC 12
  // warns of an optional holding strings as maybe-uninitialized in every use case.)
  std::shared_ptr<const Tally> tally;
  // What the run moved to or from each destination (cairn-push, cairn-restore --from), for
  // the run's record in the catalog (cairn status).
  std::vector<catalog::TransferRecord> transfers;
  // When > 0: the duration of the run the catalog records, when the command did more after it
  // (cairn backup --push records the pack run without the push); 0: the whole command's.
  std::int64_t run_ns = 0;
};

}  // namespace cairn::ops
