#include "ops/mount.hpp"

#include <unordered_map>

#include "mount/mount.hpp"

namespace cairn::ops {

Result<Outcome> mount(const MountOptions& o, Observer& obs) {
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo, &obs));
  CAIRN_TRY_ASSIGN(auto rows, ctx.cat->list_sets());
  std::unordered_map<hash::SetId, catalog::SetRecord> by_id;
  mount::Options mo;
  mo.dir = o.dir;
  for (auto& rec : rows) {
    if (rec.status != catalog::SetStatus::committed) continue;
    mo.sets.push_back(mount::SetRef{rec.id, rec.source, rec.started_ns});
    by_id.emplace(rec.id, std::move(rec));
  }
  const auto file = ctx.cat->file();
  mo.check = [&](const hash::SetId& id, const repo::SetObject& obj) {
    return check_catalog_row(by_id.at(id), obj, file);
  };
  mo.ready = [&] {
    if (o.ready) o.ready(mo.sets.size());
  };
  CAIRN_TRY_ASSIGN(auto served, mount::serve(*ctx.repo, mo, obs));
  Outcome out;
  if (served.damaged_reads > 0) out.exit_code = 4;
  return out;
}

}  // namespace cairn::ops
