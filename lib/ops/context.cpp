#include "ops/context.hpp"
#include "ops/shared_context.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "backend/cache.hpp"
#include "backend/remote.hpp"
#include "base/tempdir.hpp"
#include "ops/import.hpp"

namespace cairn::ops {

std::string Context::repo_id_hex() const { return to_hex(repo->config().repo_id); }

namespace {

Result<std::unique_ptr<repo::Repository>> open_from(const std::string& url, const repo::Unlock& u,
                                                    const std::filesystem::path& tmp_dir) {
  backend::RemoteOptions ro = backend::RemoteOptions::from_env();
  const backend::PackCacheOptions cache;
  // Connections kept open between requests: as many as the cache's requests at a time
  // (ranged pieces of packs fetched ahead and of the one being read) and the readers'.
  ro.max_connections = std::max(ro.max_connections, (cache.ahead + 1) * cache.parallel);
  CAIRN_TRY_ASSIGN(auto storage, backend::open_url(url, ro));
  if (!storage->properties().local) {  // chunk-sized reads served from whole packs fetched once
    CAIRN_TRY_ASSIGN(storage, backend::with_pack_cache(std::move(storage), tmp_dir, cache));
  }
  auto r = repo::Repository::open(std::move(storage), u, tmp_dir);
  if (!r && r.error().code == Errc::no_repo)  // not 'cairn init': a copy is made by cairn-push
    return Error{Errc::no_repo,
                 fmt::format("no cairn repository at '{}': fill a copy there with 'cairn-push "
                             "--all {}'",
                             url, url)};
  return r;
}

// The catalog rows of every set object `r` holds (a repository restored alone).
Status fill_catalog(repo::Repository& r, catalog::Catalog& cat, Observer* obs) {
  if (!r.keys().can_read())
    return Error{Errc::auth,
                 "reading a destination needs a full key: a write-only key cannot read set bodies"};
  CountingObserver quiet;
  CAIRN_TRY_ASSIGN(auto tx, cat.begin());
  CAIRN_TRY(import_sets(r, cat, obs ? *obs : quiet));
  return tx.commit();
}

}  // namespace

Result<std::unique_ptr<repo::Repository>> open_repo(const RepoOptions& o) {
  if (o.from) {
    std::error_code ec;
    auto tmp = std::filesystem::temp_directory_path(ec);
    return open_from(*o.from, o.unlock, ec ? std::filesystem::path("/tmp") : tmp);
  }
  if (o.repo.empty()) return Error{Errc::usage, "no repository given: use --repo or CAIRN_REPO"};
  return repo::Repository::open(o.repo, o.unlock);
}

namespace {

// The name the catalog keeps the repository's set list under: its absolute location.
std::string repo_target(const std::filesystem::path& repo) {
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(repo, ec), ec);
  return ec ? std::filesystem::absolute(repo, ec).string() : p.string();
}

// cairn-restore --from records its run (with what it fetched) in this host's catalog of the
// same repository when there is one; without one (a host being rebuilt) nothing is recorded,
// and a catalog that cannot be used is said on a -v line, never fatal.
void begin_run_here(const RepoOptions& o, const std::string& repo_id, Observer* obs) {
  const auto say = [&](const Error& e) {
    if (obs) obs->info(fmt::format("this run is not recorded in the catalog: {}", e.message));
  };
  auto file = catalog::locate(o.catalog, repo_id);
  if (!file) return say(file.error());
  catalog::OpenOptions oo;
  oo.create = false;
  auto cat = catalog::Catalog::open(*file, repo_id, oo);
  if (!cat) {
    if (cat.error().code != Errc::not_found) say(cat.error());
    return;
  }
  if (!cat->read_only().empty()) return say(Error{Errc::io, cat->read_only()});
  if (Status st = o.run->begin(std::make_shared<catalog::Catalog>(std::move(*cat))); !st)
    say(st.error());
}

}  // namespace

Result<Context> open_context(const RepoOptions& o, Observer* obs) {
  if (!obs) obs = o.observer;
  Context c;
  if (o.from) {
    CAIRN_TRY_ASSIGN(TempDir dir, TempDir::create("cairn-from-"));
    auto scratch = std::make_shared<TempDir>(std::move(dir));
    c.scratch = scratch;
    CAIRN_TRY_ASSIGN(c.repo, open_from(*o.from, o.unlock, scratch->path()));
    CAIRN_TRY_ASSIGN(auto cat,
                     catalog::Catalog::open(scratch->path() / "catalog.db", c.repo_id_hex()));
    CAIRN_TRY(fill_catalog(*c.repo, cat, obs));
    c.cat = std::make_shared<catalog::Catalog>(std::move(cat));
    if (o.run) begin_run_here(o, c.repo_id_hex(), obs);
    return c;
  }
  CAIRN_TRY_ASSIGN(c.repo, open_repo(o));
  CAIRN_TRY(open_catalog(o, c, obs));
  return c;
}

Result<std::reference_wrapper<Context>> shared_or_open(Context* shared, const RepoOptions& o,
                                                       std::optional<Context>& own) {
  if (shared) return std::ref(*shared);
  CAIRN_TRY_ASSIGN(own, open_context(o));
  return std::ref(*own);
}

Status open_catalog(const RepoOptions& o, Context& c, Observer* obs) {
  if (!obs) obs = o.observer;
  CAIRN_TRY_ASSIGN(auto file, catalog::locate(o.catalog, c.repo_id_hex()));
  CAIRN_TRY_ASSIGN(auto cat, catalog::Catalog::open(file, c.repo_id_hex()));
  CountingObserver quiet;
  Observer& report = obs ? *obs : quiet;
  if (read_only_catalog(cat, report)) {
    c.cat = std::make_shared<catalog::Catalog>(std::move(cat));
    return {};
  }
  if (auto synced = sync_catalog(*c.repo, cat, repo_target(o.repo), report); !synced) {
    const Error& e = synced.error();
    if (e.code != Errc::locked && e.code != Errc::io) return e;
    report.warning(fmt::format("catalog '{}'", cat.file().string()),
                   Error{e.code, fmt::format("not brought up to date with the repository "
                                             "(answering from what it holds): {}",
                                             e.message)});
  }
  c.cat = std::make_shared<catalog::Catalog>(std::move(cat));
  if (o.run) CAIRN_TRY(o.run->begin(c.cat));
  return {};
}

bool read_only_catalog(const catalog::Catalog& cat, Observer& obs) {
  if (cat.read_only().empty()) return false;
  obs.warning(fmt::format("catalog '{}'", cat.file().string()),
              Error{Errc::io, fmt::format("read-only: {}; answering from what it holds, this "
                                          "run is not recorded",
                                          cat.read_only())});
  return true;
}

catalog::SetRecord set_record(const hash::SetId& id, std::uint64_t seq, const repo::SetBody& b) {
  catalog::SetRecord rec;
  static_cast<model::SetSummary&>(rec) = b;
  rec.id = id;
  rec.seq = seq;
  rec.parent = b.parent;
  rec.duration_ms =
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, b.ended_ns - b.started_ns) / 1'000'000);
  return rec;
}

catalog::SetRecord set_record(const repo::SetObject& obj) {
  return set_record(obj.id, obj.header.seq, *obj.body);
}

Status check_catalog_row(const catalog::SetRecord& rec, const repo::SetObject& obj,
                         const std::filesystem::path& catalog_file) {
  if (!obj.body) return {};
  const repo::SetBody& b = *obj.body;
  const auto differ = [&](std::string_view field, const std::string& cat, const std::string& set) {
    return Error{
        Errc::corrupt,
        fmt::format(
            "catalog '{}' disagrees with the signed set {}: {} {} in the catalog, {} in the set "
            "object; the catalog is damaged or was edited: run 'cairn catalog rebuild'",
            catalog_file.string(), rec.id.hex(), field, cat, set)};
  };
  const auto quoted = [](std::string_view v) { return fmt::format("'{}'", v); };
  const auto when = [](std::int64_t ns) { return fmt::format("{} ({} ns)", format_time(ns), ns); };
  if (rec.id != obj.id) return differ("id", rec.id.hex(), obj.id.hex());
  if (rec.source != b.source) return differ("source", quoted(rec.source), quoted(b.source));
  if (rec.host != b.host) return differ("host", quoted(rec.host), quoted(b.host));
  if (rec.started_ns != b.started_ns)
    return differ("time", when(rec.started_ns), when(b.started_ns));
  if (rec.seq != obj.header.seq)
    return differ("sequence number", std::to_string(rec.seq), std::to_string(obj.header.seq));
  if (rec.retention_class != b.retention_class)
    return differ("class", quoted(rec.retention_class), quoted(b.retention_class));
  if (rec.kind != b.kind)
    return differ("kind", quoted(model::to_string(rec.kind)), quoted(model::to_string(b.kind)));
  return {};
}

}  // namespace cairn::ops
