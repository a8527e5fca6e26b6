// cairn-verify --from DEST: the checks run against a destination alone. Its repository is
// opened over its backend (packs read with ranged requests, several at a time by the data
// check's workers); the sets the checks and --max-age need come from a scratch catalog built
// from the destination's own set objects. The verdict is recorded in the local catalog when
// one exists for the repository: a verification with the destination as target, and
// verified_at on the placement of every set found whole there; each drill, with its result
// and measured restore time, against the destination (cairn status shows the newest).
#include <algorithm>
#include <chrono>
#include <memory>
#include <tuple>

#include <fmt/format.h>

#include "backend/remote.hpp"
#include "base/tempdir.hpp"
#include "ops/import.hpp"
#include "ops/verify_from.hpp"

namespace cairn::ops {

using verify::is_damage;

namespace {

// The catalog rows of every set object that reads back whole (import_sets). The warnings
// for those that do not stay here: load_sets reads them again and reports them as damage.
Status fill_catalog(repo::Repository& r, catalog::Catalog& cat) {
  CountingObserver damage_reported_later;
  CAIRN_TRY_ASSIGN(auto tx, cat.begin());
  CAIRN_TRY(import_sets(r, cat, damage_reported_later));
  return tx.commit();
}

// The drills of this run, which the engine recorded in the scratch catalog, copied to the
// local one against `dest`. A drilled set the local catalog does not know (pushed from a
// catalog that is gone) is recorded all the same, by its id, its source named in the detail.
Status record_drills(catalog::Catalog& scratch, catalog::Catalog& local, const std::string& dest) {
  CAIRN_TRY_ASSIGN(auto drills, scratch.verifies());
  for (auto& v : drills) {
    if (v.kind != catalog::VerifyKind::drill) continue;
    if (v.set_id) {
      CAIRN_TRY_ASSIGN(auto known, local.get_set(*v.set_id));
      CAIRN_TRY_ASSIGN(auto there, scratch.get_set(*v.set_id));
      if (!known && there)
        v.detail +=
            fmt::format(" (a set of source '{}' this catalog does not hold)", there->source);
    }
    v.id = 0;
    v.target = dest;
    CAIRN_TRY(local.record_verify(v));
  }
  return {};
}

}  // namespace

Result<Context> open_destination(const VerifyOptions& o, verify::Report& report) {
  const std::string& dest = *o.from;
  RepoOptions ro;
  ro.unlock = o.repo.unlock;
  ro.from = dest;
  Context ctx;
  auto opened = open_repo(ro);
  if (!opened) {
    Error e = std::move(opened).error();
    if (e.code == Errc::corrupt) {
      CAIRN_TRY(report.object("damaged", "repository", dest, e.message));
      CAIRN_TRY(report.flush());
    }
    if (e.message.find(dest) == std::string::npos)
      e.message = fmt::format("destination '{}': {}", dest, e.message);
    return e;
  }
  ctx.repo = std::move(*opened);
  if (!ctx.repo->keys().can_read())
    return Error{Errc::auth,
                 "this key is write-only: verifying needs a key that can read the repository"};
  CAIRN_TRY_ASSIGN(TempDir dir, TempDir::create("cairn-verify-from-"));
  auto scratch = std::make_shared<TempDir>(std::move(dir));
  ctx.scratch = scratch;
  CAIRN_TRY_ASSIGN(auto cat,
                   catalog::Catalog::open(scratch->path() / "catalog.db", ctx.repo_id_hex()));
  CAIRN_TRY(fill_catalog(*ctx.repo, cat));
  ctx.cat = std::make_shared<catalog::Catalog>(std::move(cat));
  return ctx;
}

Status record_destination(const VerifyOptions& o, const Context& ctx, const verify::Run& run,
                          std::uint64_t duration_ms) {
  const std::string dest = backend::canonical_name(*o.from);  // as cairn-push records it
  const std::string repo_id = ctx.repo_id_hex();
  CAIRN_TRY_ASSIGN(const auto file, catalog::locate(o.repo.catalog, repo_id));
  auto opened = catalog::Catalog::open(
      file, repo_id, catalog::OpenOptions{false, std::chrono::milliseconds(10000)});
  if (!opened) {
    if (opened.error().code == Errc::not_found) return {};  // no local catalog: nothing to record
    return std::move(opened).error();
  }
  catalog::Catalog& cat = *opened;
  const auto [kind, scope] = run_record(o, run);
  CAIRN_TRY_ASSIGN(auto tx, cat.begin());
  for (const auto& s : run.sets) {
    if (!s.selected) continue;
    CAIRN_TRY_ASSIGN(auto known, cat.get_set(s.id));
    if (!known) continue;  // a set of this repository the local catalog does not know
    const bool ok = s.damage.empty() && !s.affected && s.detail.empty();
    const std::string detail = (ok ? "ok" : s.detail) + scope;
    CAIRN_TRY(cat.record_verify(
        catalog::VerifyRecord{0, s.id, dest, kind, run.started_ns, duration_ms, ok, detail, {}}));
    if (ok)
      CAIRN_TRY(
          cat.record_placement(catalog::PlacementRecord{s.id, dest, std::nullopt, run.started_ns}));
  }
  CAIRN_TRY(cat.record_verify(summary_record(run, {kind, scope}, dest, duration_ms)));
  CAIRN_TRY(record_drills(*ctx.cat, cat, dest));
  return tx.commit();
}

}  // namespace cairn::ops
