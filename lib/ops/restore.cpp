#include "ops/restore.hpp"
#include "repo/rewrite.hpp"

#include <fcntl.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/time.hpp"
#include "base/work_queue.hpp"
#include "ops/tag.hpp"
#include "repo/stored.hpp"
#include "restore/restore.hpp"

namespace cairn::ops {

namespace {

// A chunk the signed set needs that no index file lists (an index or pack file was deleted)
// is damage, exit 4, like a chunk that fails to authenticate; not a generic failure.
Error missing_is_damage(Error e) {
  if (e.code == Errc::not_found)
    return Error{Errc::corrupt,
                 fmt::format("{}: no index file lists it (an index or pack file is missing); run "
                             "'cairn-verify' to see what is damaged",
                             e.message)};
  return e;
}

// A stored set as the restore engine reads it.
class StoredSource final : public restore::Source {
 public:
  StoredSource(repo::Repository& r, repo::StoredSet set) : r_(r), set_(std::move(set)) {}
  const hash::SetId& id() const override { return set_.obj.id; }
  Result<bool> next(manifest::Entry& e) override {
    auto more = set_.next(e);
    if (!more) return missing_is_damage(std::move(more).error());
    return more;
  }
  Result<Bytes> chunk(const manifest::Entry& e, std::size_t i) override {
    auto b = repo::read_entry_chunk(r_, e, i);
    if (!b) return missing_is_damage(std::move(b).error());
    return b;
  }
  const repo::StoredSet& set() const { return set_; }

 private:
  repo::Repository& r_;
  repo::StoredSet set_;
};

Result<StoredSource> open_source(repo::Repository& r, const hash::SetId& id) {
  auto opened = open_stored_set(r, id);
  if (!opened) return missing_is_damage(std::move(opened).error());
  return StoredSource(r, std::move(*opened));
}

// The bytes a restore into a directory writes (the regular files `patterns` select): the
// progress line's total and ETA. A second pass over the manifest, made only when progress
// is shown.
Result<std::uint64_t> bytes_to_restore(repo::Repository& r, const hash::SetId& id,
                                       const std::vector<std::string>& patterns) {
  CAIRN_TRY_ASSIGN(auto set, open_source(r, id));
  std::uint64_t total = 0;
  manifest::Entry e;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool more, set.next(e));
    if (!more) return total;
    if (e.type == manifest::Type::file && restore::selected(e.path, patterns)) total += e.size;
  }
}

// True when the set `id` holds the --stdout file, or something for every pattern.
Result<bool> holds(repo::Repository& r, const hash::SetId& id, const RestoreOptions& o) {
  CAIRN_TRY_ASSIGN(auto set, open_source(r, id));
  std::vector<char> used(o.patterns.size(), 0);
  manifest::Entry e;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool more, set.next(e));
    if (!more) break;
    if (o.stdout_file) {
      if (e.path == *o.stdout_file) return true;
    } else {
      restore::selected(e.path, o.patterns, &used);
    }
  }
  return !o.stdout_file && std::all_of(used.begin(), used.end(), [](char u) { return u != 0; });
}

// --search: `rec` if it has what is asked for, else the newest older committed set of its
// source that has it (Errc::not_found naming what is missing when none has).
Result<catalog::SetRecord> search_back(Context& ctx, const catalog::SetRecord& rec,
                                       const RestoreOptions& o) {
  if (!o.stdout_file && o.patterns.empty())
    return Error{Errc::usage, "--search needs --stdout FILE or a PATH to look for"};
  CAIRN_TRY_ASSIGN(auto sets, ctx.cat->list_sets(rec.source));  // oldest first
  auto key = [](const catalog::SetRecord& s) { return std::make_pair(s.started_ns, s.seq); };
  for (auto it = sets.rbegin(); it != sets.rend(); ++it) {
    if (it->status != catalog::SetStatus::committed || key(*it) > key(rec)) continue;
    CAIRN_TRY_ASSIGN(bool found, holds(*ctx.repo, it->id, o));
    if (found) return *it;
  }
  std::string what = o.stdout_file ? fmt::format("'{}'", *o.stdout_file) : "every PATH given";
  return Error{Errc::not_found, fmt::format("no set of source '{}' up to {} holds {}", rec.source,
                                            rec.id.hex().substr(0, 12), what)};
}

// --overwrite and --delete go with --to; --delete only where its scope is plain: paths (not
// globs, whose scope nobody can tell at a glance) and a target other than '/'.
Status check_target_options(const RestoreOptions& o) {
  if ((o.overwrite || o.remove) && !o.to)
    return Error{Errc::usage, "--overwrite and --delete go with --to DIR"};
  if (!o.remove) return {};
  for (const auto& p : o.patterns)
    if (p.find_first_of("*?[") != std::string::npos)
      return Error{Errc::usage,
                   fmt::format("--delete takes paths, not globs ('{}'): give the directories to "
                               "make exact, or leave out --delete",
                               p)};
  std::error_code ec;
  if (std::filesystem::weakly_canonical(*o.to, ec) == "/")
    return Error{Errc::usage,
                 "refusing --delete with --to /: restore into the mounted copy (e.g. --to /mnt) "
                 "or leave out --delete"};
  return {};
}

Result<Outcome> restore_set(const RestoreOptions& o, Context& ctx,
                            std::optional<hash::SetId>& chosen, io::Writer& out, Observer& obs,
                            const CancelToken& cancel) {
  CAIRN_TRY_ASSIGN(auto rec, catalog::resolve_set(*ctx.cat, o.set));
  if (o.search) {
    CAIRN_TRY_ASSIGN(rec, search_back(ctx, rec, o));
  }
  if (o.repo.run) o.repo.run->set = rec.id;
  chosen = rec.id;
  // A whole set from a remote copy: every pack it names is read, so the pack cache fetches
  // them whole and ahead of the reader (backend/cache.hpp) instead of chunk by chunk, from
  // before the manifest is read (the set object is read once: repo's RecentSets).
  if (o.repo.from && o.patterns.empty() && !o.stdout_file) {
    auto obj = ctx.repo->read_set(rec.id);
    if (obj && obj->body) {
      std::vector<backend::Key> packs;
      // Through the move records (compaction): a damaged one is verify's to name, not ours.
      auto moves = repo::load_moves(*ctx.repo, [](const std::string&, const Error&) {});
      const auto& listed = obj->body->packs;
      for (const auto& p : moves ? moves->resolve(rec.id, listed) : listed)
        packs.push_back(backend::Key::pack(p));
      ctx.repo->storage().will_read(packs);
    }
  }
  CAIRN_TRY_ASSIGN(auto set, open_source(*ctx.repo, rec.id));
  CAIRN_TRY(check_catalog_row(rec, set.set().obj, ctx.cat->file()));
  obs.info(fmt::format("restoring set {} ({} {}, {})", rec.id.hex().substr(0, 12), rec.source,
                       rec.kind == model::SetKind::full ? "full" : "set",
                       format_time(rec.started_ns)));
  const restore::Options ro{o.patterns, o.keep_going, o.special,
                            o.overwrite.value_or(restore::Overwrite::always), o.remove};
  if (o.tar) {
    CAIRN_TRY(restore::to_tar(*ctx.repo, set, ro, out, obs, cancel));
    return Outcome{};
  }
  if (o.stdout_file) {
    CAIRN_TRY(restore::file_to(*ctx.repo, set, *o.stdout_file, out, cancel));
    return Outcome{};
  }
  std::error_code ec;
  std::filesystem::create_directories(*o.to, ec);
  if (ec)
    return Error{Errc::io, fmt::format("cannot create '{}': {}", o.to->string(), ec.message())};
  CAIRN_TRY_ASSIGN(io::Fd root, io::open_file(*o.to, O_RDONLY | O_DIRECTORY));
  if (obs.shows_progress()) {
    CAIRN_TRY_ASSIGN(const std::uint64_t total, bytes_to_restore(*ctx.repo, rec.id, o.patterns));
    obs.expect(total, 0);
  }
  WorkQueue workers(o.jobs ? o.jobs : default_jobs(), 64ull << 20);
  CAIRN_TRY(restore::to_dir(*ctx.repo, set, std::move(root), ro, workers, obs, cancel));
  return Outcome{};
}

}  // namespace

Result<Outcome> restore(const RestoreOptions& o, io::Writer& out, Observer& obs,
                        const CancelToken& cancel) {
  int modes = int(o.to.has_value()) + int(o.tar) + int(o.stdout_file.has_value());
  if (modes != 1) return Error{Errc::usage, "give exactly one of --to DIR, --tar or --stdout FILE"};
  CAIRN_TRY(check_target_options(o));
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo, &obs));
  // The audit log records every restore from the repository (set, target, how it went); a
  // restore --from a destination has only a scratch catalog.
  std::optional<hash::SetId> chosen;
  auto done = restore_set(o, ctx, chosen, out, obs, cancel);
  if (!o.repo.from) {
    const std::string target = o.to    ? "--to " + std::filesystem::absolute(*o.to).string()
                               : o.tar ? std::string("--tar")
                                       : "--stdout " + *o.stdout_file;
    Status st =
        audit(*ctx.cat, fmt::format("cairn-restore {} {}", chosen ? chosen->hex() : o.set, target),
              done ? std::string("ok") : done.error().message);
    if (!st && done) return std::move(st).error();  // a failed restore's own error comes first
  }
  return done;
}

}  // namespace cairn::ops
