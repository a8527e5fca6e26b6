// lib/ops/run_log.hpp: the catalog's record of one run of a tool (catalog::RunRecord), so
// `cairn status` counts failed and killed runs too. Begun by open_context() when the tool
// handed one in RepoOptions::run (cli::repo_options does for the tools that record runs),
// before any work; finished by cli::Tool with the run's exit status, whatever the outcome. A
// run that is killed stays unfinished in the catalog.
// Depends on: catalog. Threads: the main thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "catalog/catalog.hpp"

namespace cairn::ops {

class RunLog {
 public:
  RunLog(std::string tool, std::int64_t started_ns);

  // What the run is about, when the use case knows it before the catalog is opened.
  std::string source, retention_class;
  // The set the run produced or worked on, when there is one.
  std::optional<hash::SetId> set;

  // Records the run in `cat` (once: a second catalog is not the run's).
  Status begin(std::shared_ptr<catalog::Catalog> cat);
  bool begun() const { return cat_ != nullptr; }
  // Records the end, with what the run measured and moved; nothing when not begun.
  Status finish(std::int64_t ended_ns, int exit_code, std::string_view message,
                const catalog::RunMetrics& metrics = {},
                const std::vector<catalog::TransferRecord>& transfers = {});
  // The catalog the run was recorded in, also after finish() (alerting keeps its state
  // there); nullptr when never begun.
  std::shared_ptr<catalog::Catalog> catalog() const { return cat_ ? cat_ : finished_; }

 private:
  catalog::RunRecord rec_;
  std::shared_ptr<catalog::Catalog> cat_;
  std::shared_ptr<catalog::Catalog> finished_;
  std::int64_t id_ = 0;
};

}  // namespace cairn::ops
