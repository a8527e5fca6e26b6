#include "ops/status.hpp"

#include "backend/backend.hpp"
#include "base/bytes.hpp"
#include "base/time.hpp"
#include "monitor/status.hpp"
#include "ops/alerts.hpp"
#include "policy/policy.hpp"

namespace cairn::ops {

Result<Outcome> status(const StatusOptions& o, io::Writer& out, Observer* obs) {
  // The policy first: a broken or missing named policy fails before anything is read.
  CAIRN_TRY_ASSIGN(std::optional<policy::Policy> pol, policy::load_optional(o.policy));
  std::optional<std::filesystem::path> pol_file;
  if (pol) pol_file = policy::locate(o.policy);
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo));
  CAIRN_TRY_ASSIGN(monitor::StatusReport r,
                   monitor::gather_status(*ctx.cat, pol ? &*pol : nullptr, now_ns()));
  r.policy_file = pol_file;
  if (pol && pol->has_capacity()) {
    CAIRN_TRY_ASSIGN(r.capacity, monitor::gather_capacity(*ctx.cat, *pol, o.repo.repo,
                                                          backend::fs_space, r.generated_ns));
  }

  CAIRN_TRY(out.write(as_bytes(o.json ? monitor::format_status_json(r)
                                      : monitor::format_status_table(r, o.bytes))));
  CAIRN_TRY(out.flush());
  if (o.prometheus) {
    CAIRN_TRY_ASSIGN(auto f, io::AtomicFile::create(*o.prometheus, 0644));
    CAIRN_TRY(f.write(as_bytes(monitor::format_status_prometheus(r))));
    CAIRN_TRY(f.commit());
  }
  if (o.alert) {
    auto problems = alert_objectives(*ctx.cat, r, pol ? &*pol : nullptr, o.notify, r.generated_ns);
    if (o.alert_problems != nullptr) *o.alert_problems = std::move(problems);
  }
  if (r.violated() > 0) return Error{Errc::objective, monitor::violations_summary(r)};
  Outcome done;
  done.warnings = r.warned();
  if (obs)
    for (const auto& w : r.performance) {
      const std::string& what = w.destination.empty() ? w.source : w.destination;
      obs->warning(what, Error{Errc::io, w.message});
    }
  if (r.capacity) {
    if (obs)
      for (const auto& c : r.capacity->places)
        for (const auto& w : c.warnings)
          obs->warning(c.target, Error{Errc::io, w.substr(w.find(": ") + 2)});
  }
  return done;
}

}  // namespace cairn::ops
