#include "ops/salvage.hpp"

#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "manifest/manifest.hpp"
#include "ops/pack.hpp"
#include "ops/tag.hpp"
#include "repo/stored.hpp"

namespace cairn::ops {

namespace {

// The tags that mark a salvage set (cairn(1) SALVAGE): "salvaged", and the damaged set's id
// (its first 32 hex digits: a tag holds at most 64 characters).
std::vector<std::string> salvage_tags(std::vector<std::string> tags, const hash::SetId& of) {
  tags.push_back("salvaged");
  tags.push_back("salvage-of-" + of.hex().substr(0, 32));
  return tags;
}

// Why file `e` cannot be kept: its first chunk that is in no index or fails to authenticate
// (`checked` remembers each chunk's answer, so a chunk many files share is read once).
std::optional<Error> damage_of(repo::Repository& r, const manifest::Entry& e,
                               std::unordered_map<hash::ChunkId, std::optional<Error>>& checked,
                               const CancelToken& cancel) {
  if (Status p = repo::check_entry_proofs(e); !p) return std::move(p).error();
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < e.chunks.size(); ++i) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    auto it = checked.find(e.chunks[i]);
    if (it == checked.end()) {
      auto got = repo::read_entry_chunk(r, e, i);
      std::optional<Error> bad;
      if (!got) bad = std::move(got).error();
      it = checked.emplace(e.chunks[i], std::move(bad)).first;
    }
    if (it->second) return it->second;
    auto loc = r.locate(e.chunks[i]);
    if (!loc)
      return Error{Errc::corrupt, fmt::format("chunk {} is in no index (missing)",
                                              e.chunks[i].hex().substr(0, 12))};
    sum += loc->raw_size;
  }
  if (sum != e.size)
    return Error{Errc::corrupt,
                 fmt::format("the set records {} bytes but its chunks hold {}", e.size, sum)};
  return std::nullopt;
}

}  // namespace

Result<Outcome> salvage(const SalvageOptions& o, io::Writer& out, Observer& obs,
                        const CancelToken& cancel) {
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo, &obs));
  CAIRN_TRY_ASSIGN(auto rec, catalog::resolve_set(*ctx.cat, o.set));
  const std::string id = rec.id.hex();
  auto opened = repo::open_stored_set(*ctx.repo, rec.id);
  if (!opened) {
    Error e = std::move(opened).error();
    if (e.code == Errc::not_found) e.code = Errc::corrupt;  // a manifest chunk in no index
    if (e.code != Errc::corrupt) return e;
    return std::move(e).wrap(fmt::format(
        "set {}: its manifest is damaged, so nothing of it can be salvaged (cairn-verify names "
        "what is damaged; cairn repair may restore it from a destination)",
        id));
  }
  repo::StoredSet set = std::move(*opened);
  CAIRN_TRY(check_catalog_row(rec, set.obj, ctx.cat->file()));
  const repo::SetBody& body = set.body();

  // The new set's manifest stream: every entry but the damaged files (and hard links to
  // them), each file marked unchanged with its chunks and proofs, so cairn-pack references
  // them instead of storing anything.
  manifest::SetInfo info;
  info.source = body.source;
  info.host = body.host;
  info.retention_class = body.retention_class;
  info.started_ns = body.started_ns;
  info.tags = salvage_tags(rec.tags, rec.id);
  io::StringWriter stream;
  manifest::Writer w(stream);
  CAIRN_TRY(w.header(info));
  std::unordered_map<hash::ChunkId, std::optional<Error>> checked;
  std::unordered_set<std::string> dropped;
  std::uint64_t kept = 0;
  manifest::Entry e;
  for (;;) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    auto more = set.next(e);
    if (!more)
      return std::move(more).error().wrap(
          fmt::format("set {}: its manifest is damaged, nothing was written", id));
    if (!*more) break;
    std::optional<Error> bad;
    if (e.type == manifest::Type::file) {
      bad = damage_of(*ctx.repo, e, checked, cancel);
      if (bad && bad->code == Errc::not_found) bad->code = Errc::corrupt;
      if (bad && bad->code != Errc::corrupt) return std::move(*bad);
      if (!bad) e.status = manifest::Change::unchanged;
    } else if (e.type == manifest::Type::hardlink && dropped.contains(e.link)) {
      bad = Error{Errc::corrupt, fmt::format("a hard link to '{}', which is damaged", e.link)};
    }
    if (bad) {
      obs.warning(e.path, bad->wrap("dropped from the salvage set"));
      dropped.insert(e.path);
      continue;
    }
    CAIRN_TRY(w.entry(e));
    ++kept;
  }
  CAIRN_TRY(w.finish());
  if (dropped.empty()) {
    obs.info(fmt::format("set {}: every file is intact: nothing to salvage", id));
    CAIRN_TRY(audit(*ctx.cat, "cairn salvage " + id, "ok: nothing damaged, no set written"));
    return Outcome{};
  }

  // Written as cairn-pack writes a set (ops/pack.cpp), into this open repository.
  io::MemReader in(as_bytes(stream.out));
  PackOptions p;
  p.repo = o.repo;
  p.kind = model::SetKind::incremental;  // may reference any chunk
  p.shared = &ctx;
  io::StringWriter ids;  // the set id, then its objects
  auto done = pack(p, in, ids, obs, cancel);
  const std::string new_id = ids.out.substr(0, ids.out.find('\n'));
  CAIRN_TRY(audit(*ctx.cat,
                  done ? fmt::format("cairn salvage {}: set {}, {} entries kept, {} damaged "
                                     "dropped",
                                     id, new_id, kept, dropped.size())
                       : "cairn salvage " + id,
                  done ? std::string("ok") : done.error().message));
  CAIRN_TRY(out.write(as_bytes(ids.out)));
  CAIRN_TRY(out.flush());
  if (!done) return std::move(done).error();
  return Error{Errc::corrupt,
               fmt::format("set {}: {} damaged entries were dropped (named above); set {} holds "
                           "the other {}",
                           id, dropped.size(), new_id, kept)};
}

}  // namespace cairn::ops
