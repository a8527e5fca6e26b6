#include "cli/repo_options.hpp"

namespace cairn::cli {

Result<ops::RepoOptions> repo_options(Session& s) {
  ops::RepoOptions o;
  CAIRN_TRY_ASSIGN(o.repo, s.repo());
  CAIRN_TRY_ASSIGN(o.unlock, s.unlock());
  o.catalog = s.catalog();
  o.run = s.run();
  o.observer = &s.observer();
  return o;
}

}  // namespace cairn::cli
