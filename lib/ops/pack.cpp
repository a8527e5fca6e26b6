// cairn-pack: decides the set's kind and parent, runs the write path (repo/ingest.hpp), then
// writes the set object and its catalog row. The set object is written only after the input
// stream's trailer verified and every chunk is durably in a pack: a failure anywhere before
// that commits nothing.
#include "ops/pack.hpp"

#include <chrono>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "compress/zstd.hpp"
#include "manifest/manifest.hpp"
#include "model/set.hpp"
#include "ops/files_cache.hpp"
#include "ops/parity.hpp"
#include "ops/shared_context.hpp"
#include "policy/policy.hpp"
#include "repo/ingest.hpp"

namespace cairn::ops {
namespace {

// Everything after the catalog is open; `made` is set once the set object is written.
Result<Outcome> pack_into(const PackOptions& o, manifest::Reader& reader, Context& ctx,
                          io::Writer& out, Observer& obs, const CancelToken& cancel,
                          std::int64_t t0, std::chrono::steady_clock::time_point mono0,
                          std::optional<hash::SetId>& made,
                          const std::optional<compress::Setting>& compression);

}  // namespace

Result<Outcome> pack(const PackOptions& o, io::Reader& in, io::Writer& out, Observer& obs,
                     const CancelToken& cancel) {
  const std::int64_t t0 = now_ns();
  const auto mono0 =
      std::chrono::steady_clock::now();  // the run's duration, whatever the clock does
  std::optional<compress::Setting> compression;
  if (o.compression) {
    CAIRN_TRY_ASSIGN(compression, compress::parse_setting(*o.compression));
  }
  manifest::Reader reader(in, "stdin");
  CAIRN_TRY(reader.open());  // refuse a wrong stream before touching the repository
  const auto& info = reader.set();
  if (info.source.empty()) return Error{Errc::bad_input, "the manifest header names no source"};
  if (!compression) {  // the class's, when a policy gives it one
    CAIRN_TRY_ASSIGN(auto pol, policy::load_optional(o.policy));
    const policy::Class* c = pol ? pol->find(info.retention_class) : nullptr;
    if (c && c->compression) {
      CAIRN_TRY_ASSIGN(compression, compress::parse_setting(*c->compression));
    }
  }
  // The run (o.repo.run) counts against this source and class in `cairn status`.
  if (o.repo.run) {
    o.repo.run->source = info.source;
    o.repo.run->retention_class = info.retention_class;
  }
  std::optional<Context> own;
  CAIRN_TRY_ASSIGN(Context & ctx, shared_or_open(o.shared, o.repo, own));
  std::optional<hash::SetId> made;
  Result<Outcome> r = pack_into(o, reader, ctx, out, obs, cancel, t0, mono0, made, compression);
  if (o.repo.run) o.repo.run->set = made;
  return r;
}

namespace {

Result<Outcome> pack_into(const PackOptions& o, manifest::Reader& reader, Context& ctx,
                          io::Writer& out, Observer& obs, const CancelToken& cancel,
                          std::int64_t t0, std::chrono::steady_clock::time_point mono0,
                          std::optional<hash::SetId>& made,
                          const std::optional<compress::Setting>& compression) {
  auto& cat = *ctx.cat;
  const auto& info = reader.set();

  // What this set may share: an incremental anything, a differential the last full set's
  // packs, a full set nothing outside itself.
  model::SetKind kind = o.kind;
  std::optional<catalog::SetRecord> parent;
  std::vector<hash::PackId> allowed;
  if (kind == model::SetKind::differential) {
    CAIRN_TRY_ASSIGN(parent, cat.latest(info.source, model::SetKind::full));
    if (!parent) {
      obs.info(fmt::format("no full set of source '{}' yet: storing a full set", info.source));
      kind = model::SetKind::full;
    } else {
      CAIRN_TRY_ASSIGN(allowed, cat.packs_of(parent->id));
    }
  } else if (kind == model::SetKind::incremental) {
    CAIRN_TRY_ASSIGN(parent, cat.latest(info.source));
  }
  auto scope = kind == model::SetKind::full           ? repo::WriteSession::Scope::own
               : kind == model::SetKind::differential ? repo::WriteSession::Scope::packs
                                                      : repo::WriteSession::Scope::any;
  // --stream: each pack's line as soon as it is stored. A standard output that fails is
  // remembered and reported once the set is committed, like the lines printed at the end.
  std::mutex out_mu;
  std::set<std::string> streamed;
  Status stream_st;
  CAIRN_TRY_ASSIGN(auto session, ctx.repo->begin_write(scope, allowed));
  if (compression) session->set_compression(*compression);
  if (o.stream)
    session->on_sealed([&](const std::string& path) {
      std::lock_guard lock(out_mu);
      streamed.insert(path);
      if (stream_st) stream_st = out.write(as_bytes("+" + path + "\n"));
      if (stream_st) stream_st = out.flush();
    });

  repo::IngestOptions how{o.jobs, scope == repo::WriteSession::Scope::any};
  // The files cache (a copy of the stored manifest, for cairn-diff on this host) is put in
  // place only once the set is committed; failing to write it is a warning, not a failure.
  const auto cache_path = files_cache_path(cat.file(), info.source);
  auto cache = FilesCacheWriter::create(cache_path, ctx.repo->keys());
  if (cache) how.manifest_copy = cache->get();
  CAIRN_TRY_ASSIGN(auto got, repo::ingest(*ctx.repo, *session, reader, how, obs, cancel));

  repo::SetBody body;
  body.source = info.source;
  body.host = info.host;
  body.retention_class = info.retention_class;
  body.tags = info.tags;
  for (const auto& t : body.tags) CAIRN_TRY(model::check_tag(t));
  model::normalize_tags(body.tags);
  body.kind = kind;
  if (parent) body.parent = parent->id;
  body.started_ns = info.started_ns ? info.started_ns : t0;
  body.ended_ns = now_ns();
  body.files = got.files;
  body.bytes_read = got.bytes_read;
  repo::take_stored(body, std::move(got));  // leaves got.objects
  CAIRN_TRY_ASSIGN(auto written, repo::commit(*ctx.repo, *session, body, got.objects));
  made = written.id;

  catalog::SetRecord rec = set_record(written.id, written.header.seq, body);
  // This run's, not the snapshot's; by the steady clock, so a clock that jumps back mid-run
  // does not make it negative.
  rec.duration_ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - mono0)
                                     .count());
  // The set is committed now: a catalog that cannot record it (locked past its timeout, an
  // I/O error) does not undo that. Print the set as usual, then say so with its own exit
  // status; the next tool that opens the repository adds the set to the catalog.
  Status recorded = cat.insert_set(rec, body.packs);
  // Another process that opened the repository since the commit (a prune, an ls, a second
  // backup) recorded the set from the repository first (ops/import.cpp): it is in the catalog,
  // which is all this step is for. (Seen as a flake of cli:prune/concurrent-pack under load.)
  if (!recorded && recorded.error().code == Errc::exists) recorded = Status{};
  // The files cache names the set it describes: cairn-diff uses it only for that base.
  Status cached = cache ? (*cache)->commit(written.id) : Status(std::move(cache).error());
  if (!cached)
    obs.warning(cache_path.string(),
                std::move(cached).error().wrap(
                    "the files cache was not written (the next cairn-diff reads every file)"));

  // Parity for this session's packs (config "parity"): the set is committed, so a failure is a
  // warning (cairn parity build covers them later), printed after the set's objects.
  std::vector<std::string> parity;
  if (auto p = parity_for_session(*ctx.repo, got.objects))
    parity = std::move(*p);
  else
    obs.warning("parity", std::move(p).error().wrap("no parity was written for this set's packs "
                                                    "(cairn parity build writes it)"));
  // The set is committed now: a standard output that fails (a full disk, a closed pipe) is a
  // warning naming the set (exit 3), never "nothing was committed" (exit 1).
  Status printed = [&]() -> Status {
    std::lock_guard lock(out_mu);  // no pack is sealed any more; for the record
    CAIRN_TRY(stream_st);
    if (!o.stream) CAIRN_TRY(out.write(as_bytes(written.id.hex() + "\n")));
    for (auto& p : got.objects)
      if (!streamed.contains(p)) CAIRN_TRY(out.write(as_bytes("+" + p + "\n")));
    CAIRN_TRY(out.write(as_bytes("+" + written.path + "\n")));
    for (const auto& p : parity) CAIRN_TRY(out.write(as_bytes("+" + p + "\n")));
    if (o.stream) CAIRN_TRY(out.write(as_bytes(written.id.hex() + "\n")));
    return out.flush();
  }();
  if (!printed)
    obs.warning("standard output",
                Error{printed.error().code,
                      fmt::format("set {} is committed, but its id and objects could not be "
                                  "written: {}",
                                  written.id.hex(), printed.error().message)});
  if (!recorded)
    return Error{Errc::uncataloged,
                 fmt::format("set {} is committed but the catalog was not updated ({}); the next "
                             "cairn command that opens the repository adds it",
                             written.id.hex(), recorded.error().message)};
  Outcome done;  // the set id is already the first line of the output
  done.tally = std::make_shared<const Tally>(
      Tally{written.id.hex(), body.source,
            // the first set of a source has no parent: full, as `cairn ls` shows it
            std::string(body.parent ? model::to_string(body.kind) : "full"), body.files,
            body.bytes_read, body.bytes_new, body.bytes_stored});
  return done;
}

}  // namespace

}  // namespace cairn::ops
