// cairn-verify, the use case: options, opening the repository and catalog, the order of the
// checks, the catalog records and the verdict. The checks themselves are the verify module's
// engine (verify/engine.hpp); --from is verify_from.cpp.
#include "ops/verify.hpp"

#include <chrono>

#include <fmt/format.h>

#include "base/time.hpp"
#include "ops/restore.hpp"
#include "ops/verify_from.hpp"
#include "repo/gc.hpp"
#include "verify/engine.hpp"

namespace cairn::ops {

namespace {

using verify::Run;

struct Parsed {
  std::optional<verify::DataSubset> subset;
  std::optional<std::int64_t> max_age;
};

Result<Parsed> check_options(const VerifyOptions& o) {
  if (o.all && !o.sets.empty()) return Error{Errc::usage, "give SET arguments or --all, not both"};
  if (o.drill_to && !o.drill) return Error{Errc::usage, "--to is for --drill"};
  if (o.drill_check && !o.drill) return Error{Errc::usage, "--check is for --drill"};
  Parsed p;
  if (o.read_data) {
    CAIRN_TRY_ASSIGN(p.subset, verify::parse_subset(*o.read_data));
  }
  if (o.max_age) {
    CAIRN_TRY_ASSIGN(p.max_age, parse_duration(*o.max_age));
  }
  return p;
}

}  // namespace

RunRecord run_record(const VerifyOptions& o, const verify::Run& run) {
  return {run.summary.read_data ? catalog::VerifyKind::read_data : catalog::VerifyKind::structure,
          run.summary.read_data && !run.read_all_data ? fmt::format(" (read-data {})", *o.read_data)
                                                      : ""};
}

catalog::VerifyRecord summary_record(const verify::Run& run, const RunRecord& r, std::string target,
                                     std::uint64_t duration_ms) {
  const auto& m = run.summary;
  return catalog::VerifyRecord{
      0,
      std::nullopt,
      std::move(target),
      r.kind,
      run.started_ns,
      duration_ms,
      m.damaged == 0,
      fmt::format("{} sets, {} packs checked, {} read ({} bytes): {} damaged, {} garbage{}", m.sets,
                  m.packs_checked, m.packs_read, m.bytes_read, m.damaged, m.garbage, r.scope),
      {}};
}

namespace {

// One record per checked set and one for the repository as a whole; damaged sets are marked
// in the catalog, and sets marked damaged that a full --read-data found whole are restored.
Status record(const VerifyOptions& o, Run& run, std::uint64_t duration_ms) {
  auto& cat = run.cat;
  const auto [kind, scope] = run_record(o, run);
  CAIRN_TRY_ASSIGN(auto tx, cat.begin());
  for (const auto& s : run.sets) {
    if (!s.selected || !s.rec) continue;
    const bool ok = s.damage.empty() && !s.affected && s.detail.empty();
    catalog::VerifyRecord v{
        0, s.id, "", kind, run.started_ns, duration_ms, ok, (ok ? "ok" : s.detail) + scope, {}};
    CAIRN_TRY(cat.record_verify(v));
    if (!ok && s.rec->status == catalog::SetStatus::committed) {
      CAIRN_TRY(cat.set_status(s.id, catalog::SetStatus::damaged));
    } else if (ok && run.read_all_data && s.rec->status == catalog::SetStatus::damaged) {
      CAIRN_TRY(cat.set_status(s.id, catalog::SetStatus::committed));
    }
  }
  CAIRN_TRY(cat.record_verify(summary_record(run, {kind, scope}, "", duration_ms)));
  return tx.commit();
}

Status report_findings(Run& run) {
  for (const auto& n : run.notes) CAIRN_TRY(run.report.note(n));
  for (const auto& w : run.warnings) CAIRN_TRY(run.report.warning(w));
  return verify::report_damage(run);
}

Status check_repository(Run& run, const Parsed& p) {
  CAIRN_TRY(verify::scan_storage(run, p.subset.has_value()));
  CAIRN_TRY(verify::load_sets(run));
  verify::check_chain(run);
  CAIRN_TRY(verify::check_sets(run));
  verify::count_garbage(run);
  if (p.subset) CAIRN_TRY(verify::read_data(run, *p.subset));
  return report_findings(run);
}

class DiscardWriter final : public io::Writer {
 public:
  Status write(ByteView) override { return {}; }
};

// What the engine is asked to do: the SET refs resolved in the catalog, and the restore engine
// and the catalog-row check it calls.
Result<verify::Options> engine_options(const VerifyOptions& o, Context& ctx,
                                       const CancelToken& cancel) {
  verify::Options e;
  for (const auto& ref : o.sets) {
    CAIRN_TRY_ASSIGN(auto rec, catalog::resolve_set(*ctx.cat, ref));
    e.sets.push_back(std::move(rec));
  }
  e.all = o.all;
  e.drill_to = o.drill_to;
  e.drill_check = o.drill_check;
  e.max_age = o.max_age;
  e.jobs = o.jobs;
  e.restore = [&o, &cancel](const hash::SetId& id, const std::filesystem::path& to,
                            Observer& obs) -> Status {
    RestoreOptions ro;
    ro.repo = o.repo;
    ro.set = id.hex();
    ro.to = to;
    ro.keep_going = true;
    ro.jobs = o.jobs;
    DiscardWriter discard;
    CAIRN_TRY(restore(ro, discard, obs, cancel));
    return {};
  };
  e.check_row = [&ctx](const catalog::SetRecord& rec, const repo::SetObject& obj) {
    return check_catalog_row(rec, obj, ctx.cat->file());
  };
  return e;
}

}  // namespace

Result<Outcome> verify(const VerifyOptions& o, io::Writer& out, Observer& obs,
                       const CancelToken& cancel) {
  CAIRN_TRY_ASSIGN(const Parsed p, check_options(o));
  const auto t0 = std::chrono::steady_clock::now();
  verify::Report report(out, o.json);
  Context ctx;
  std::optional<std::vector<hash::SetId>> listed;
  if (o.from) {  // a destination alone (verify_from.cpp)
    CAIRN_TRY_ASSIGN(ctx, open_destination(o, report));
  } else {
    listed = repo::Repository::list_sets_at(o.repo.repo);
    auto opened = open_repo(o.repo);
    if (!opened) {
      // The config, the key slot that opened and every index file are authenticated at open.
      if (opened.error().code == Errc::corrupt) {
        CAIRN_TRY(
            report.object("damaged", "repository", o.repo.repo.string(), opened.error().message));
        CAIRN_TRY(report.flush());
      }
      return std::move(opened).error();
    }
    ctx.repo = std::move(*opened);
    // The catalog first learns the sets other hosts wrote, as every tool's does.
    CAIRN_TRY(open_catalog(o.repo, ctx, &obs));
  }
  if (!ctx.repo->keys().can_read())
    return Error{Errc::auth,
                 "this key is write-only: verifying needs a key that can read the repository"};
  CAIRN_TRY_ASSIGN(const verify::Options eo, engine_options(o, ctx, cancel));
  Run run{eo, *ctx.repo, *ctx.cat, report, obs, cancel};
  run.started_ns = now_ns();
  run.listed_sets = std::move(listed);
  CAIRN_TRY(check_repository(run, p));
  if (!o.from) {  // partial packs of killed runs: not damage, cairn-prune removes them
    CAIRN_TRY_ASSIGN(const auto stale,
                     repo::gc::stale_tmp_files(*ctx.repo, repo::gc::kStaleTmpAge, now_ns()));
    std::uint64_t bytes = 0;
    for (const auto& f : stale) bytes += f.size;
    if (!stale.empty())
      obs.warning(stale.front().path.parent_path().string(),
                  Error{Errc::io, fmt::format("{} temporary file{} older than 12h ({} bytes, "
                                              "partial packs of killed runs): cairn-prune "
                                              "removes them",
                                              stale.size(), stale.size() == 1 ? "" : "s", bytes)});
  }

  std::uint64_t failed_drills = 0, stale = 0;
  if (o.drill) {
    CAIRN_TRY_ASSIGN(failed_drills, verify::run_drills(run));
  }
  if (p.max_age) {
    CAIRN_TRY_ASSIGN(stale, verify::check_freshness(run, *p.max_age));
  }

  run.summary.damaged = run.damage_count() + failed_drills;
  run.summary.warnings = run.warnings.size();
  CAIRN_TRY(report.summary(run.summary));
  CAIRN_TRY(report.flush());
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  if (!ctx.cat->read_only().empty()) {
    // A full disk: nothing is recorded (read_only_catalog said so).
  } else if (Status st = o.from ? record_destination(o, ctx, run, ms) : record(o, run, ms); !st) {
    obs.warning("catalog", st.error());
  }

  if (run.summary.damaged > 0)
    return Error{
        Errc::corrupt,
        fmt::format("damage found: {} damaged or missing objects or failed drills (listed on "
                    "standard output)",
                    run.summary.damaged)};
  if (stale > 0)
    return Error{Errc::objective,
                 fmt::format("{} {} older than {}", stale, stale == 1 ? "source is" : "sources are",
                             *o.max_age)};
  return Outcome{static_cast<int>(run.warnings.size()), {}, 0};
}

}  // namespace cairn::ops
