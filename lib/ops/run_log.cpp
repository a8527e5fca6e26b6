#include "ops/run_log.hpp"

namespace cairn::ops {

RunLog::RunLog(std::string tool, std::int64_t started_ns) {
  rec_.tool = std::move(tool);
  rec_.started_ns = started_ns;
}

Status RunLog::begin(std::shared_ptr<catalog::Catalog> cat) {
  if (cat_ != nullptr) return {};
  rec_.source = source;
  rec_.retention_class = retention_class;
  CAIRN_TRY_ASSIGN(id_, cat->record_run(rec_));
  cat_ = std::move(cat);
  return {};
}

Status RunLog::finish(std::int64_t ended_ns, int exit_code, std::string_view message,
                      const catalog::RunMetrics& metrics,
                      const std::vector<catalog::TransferRecord>& transfers) {
  if (cat_ == nullptr) return {};
  Status st = cat_->finish_run(id_, ended_ns, exit_code, set, message, metrics, transfers);
  finished_ = std::move(cat_);
  cat_.reset();
  return st;
}

}  // namespace cairn::ops
