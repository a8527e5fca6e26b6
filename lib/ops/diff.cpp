// The base set's entries are held in a hash map keyed by path (about 200 bytes an entry: a
// million files is ~200 MB). Both streams are sorted by manifest::path_less for directory
// snapshots, so a merge join would make this O(1) memory; that is the planned next step.
#include "ops/diff.hpp"

#include <sys/stat.h>

#include <map>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "manifest/manifest.hpp"
#include "ops/files_cache.hpp"
#include "ops/shared_context.hpp"
#include "ops/snap.hpp"
#include "repo/stored.hpp"

namespace cairn::ops {
namespace {

using EntryMap = std::unordered_map<std::string, manifest::Entry>;

// Every entry of `s` (a repo::StoredSet or a FilesCache), by path.
template <typename Source>
Result<EntryMap> entries_of(Source& s) {
  EntryMap m;
  manifest::Entry e;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool more, s.next(e));
    if (!more) break;
    m.emplace(e.path, e);
  }
  return m;
}

Result<EntryMap> load_set(repo::Repository& r, const hash::SetId& id) {
  CAIRN_TRY_ASSIGN(repo::StoredSet s, repo::open_stored_set(r, id));
  return entries_of(s);
}

Result<EntryMap> load_cached(const std::filesystem::path& p, const crypto::KeyMaterial& keys,
                             const hash::SetId& id) {
  CAIRN_TRY_ASSIGN(auto cache, FilesCache::open(p, keys, id));
  return entries_of(*cache);
}

// The base set's entries: from this host's files cache when it holds exactly that set and
// authenticates, else from the repository. A write-only key cannot read the repository: then
// there is no base (nullopt: every entry is marked added and read again; cairn-pack
// deduplicates, so nothing is stored twice).
Result<std::optional<EntryMap>> load_base(Context& ctx, const catalog::SetRecord& rec,
                                          Observer& obs) {
  const auto path = files_cache_path(ctx.cat->file(), rec.source);
  const auto& keys = ctx.repo->keys();
  auto cached = load_cached(path, keys, rec.id);
  if (cached) {
    obs.info(fmt::format("base set {} read from the files cache '{}'", rec.id.hex().substr(0, 12),
                         path.string()));
    return std::optional<EntryMap>(std::move(*cached));
  }
  if (keys.can_read()) {
    if (cached.error().code != Errc::not_found)
      obs.info(cached.error().message + "; reading the base set from the repository");
    CAIRN_TRY_ASSIGN(auto m, load_set(*ctx.repo, rec.id));
    return std::optional<EntryMap>(std::move(m));
  }
  obs.warning("", Error{cached.error().code,
                        fmt::format("{}; the key is write-only, so every file of source '{}' "
                                    "is read again",
                                    cached.error().message, rec.source)});
  return std::optional<EntryMap>();
}

bool same_content(const manifest::Entry& now, const manifest::Entry& base) {
  if (now.type != manifest::Type::file || base.type != manifest::Type::file) return false;
  if (now.size != base.size || now.mtime_ns != base.mtime_ns) return false;
  if (now.ino && base.ino && now.ino != base.ino) return false;
  if (now.inline_content) return false;  // streamed content cannot be trusted unseen
  return base.size == 0 || !base.chunks.empty();
}

bool same_meta(const manifest::Entry& a, const manifest::Entry& b) {
  return a.type == b.type && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid &&
         a.size == b.size && a.mtime_ns == b.mtime_ns && a.target == b.target && a.link == b.link &&
         a.xattrs == b.xattrs && a.acl_access == b.acl_access && a.acl_default == b.acl_default &&
         a.rdev_major == b.rdev_major && a.rdev_minor == b.rdev_minor;
}

Result<std::optional<catalog::SetRecord>> base_set(Context& ctx, const DiffOptions& o,
                                                   const std::string& source) {
  if (!o.against) return ctx.cat->latest(source);
  if (*o.against == "last-full") return ctx.cat->latest(source, model::SetKind::full);
  CAIRN_TRY_ASSIGN(auto rec, catalog::resolve_set(*ctx.cat, *o.against));
  return std::optional<catalog::SetRecord>(rec);
}

Result<Outcome> pipe_mode(const DiffOptions& o, io::Reader& in, io::Writer& out, Observer& obs,
                          const CancelToken& cancel) {
  manifest::Reader reader(in, "stdin");
  CAIRN_TRY(reader.open());
  std::optional<Context> own;
  CAIRN_TRY_ASSIGN(Context & ctx, shared_or_open(o.shared, o.repo, own));
  CAIRN_TRY_ASSIGN(auto base_rec, base_set(ctx, o, reader.set().source));
  EntryMap base;
  if (base_rec) {
    CAIRN_TRY_ASSIGN(auto loaded, load_base(ctx, *base_rec, obs));
    if (loaded) {
      base = std::move(*loaded);
      obs.info(fmt::format("comparing with set {} ({} entries)", base_rec->id.hex().substr(0, 12),
                           base.size()));
    }
  } else if (o.against) {
    return Error{Errc::not_found,
                 fmt::format("no base set '{}' for source '{}'", *o.against, reader.set().source)};
  }
  manifest::Writer w(out);
  CAIRN_TRY(w.header(reader.set()));
  manifest::Entry e;
  Bytes frame;
  for (;;) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    CAIRN_TRY_ASSIGN(bool more, reader.next(e));
    if (!more) break;
    auto it = base.find(e.path);
    if (it == base.end()) {
      e.status = manifest::Change::added;
    } else {
      if (same_content(e, it->second)) {
        e.status = manifest::Change::unchanged;
        e.chunks = it->second.chunks;
        e.proofs = it->second.proofs;
        e.digest = it->second.digest;
      } else {
        e.status = manifest::Change::modified;
        if (e.type != manifest::Type::file)
          e.status =
              same_meta(e, it->second) ? manifest::Change::unchanged : manifest::Change::modified;
      }
      base.erase(it);
    }
    CAIRN_TRY(w.entry(e));
    if (e.inline_content) {
      for (;;) {
        CAIRN_TRY_ASSIGN(std::size_t n, reader.read_frame(frame));
        if (n == 0) break;
        CAIRN_TRY(w.frame(ByteView(frame.data(), n)));
      }
      CAIRN_TRY(w.end_frames());
    }
  }
  // What the base had and the input does not: deleted (cairn-pack skips these).
  std::vector<std::string> gone;
  for (auto& [p, _] : base) gone.push_back(p);
  std::sort(gone.begin(), gone.end(),
            [](const std::string& a, const std::string& b) { return manifest::path_less(a, b); });
  for (auto& p : gone) {
    manifest::Entry d = base[p];
    d.status = manifest::Change::deleted;
    d.chunks.clear();
    d.proofs.clear();
    d.digest.reset();
    d.inline_content = false;
    CAIRN_TRY(w.entry(d));
  }
  CAIRN_TRY(w.finish());
  return Outcome{};
}

Result<EntryMap> load_dir(const std::string& dir, Observer& obs, const CancelToken& cancel) {
  SnapOptions so;
  so.roots.push_back(dir);
  so.source = "diff";
  io::StringWriter sw;
  io::MemReader none(ByteView{});
  CAIRN_TRY(snap(so, none, sw, obs, cancel));
  io::MemReader mr(as_bytes(sw.out));
  manifest::Reader reader(mr, dir);
  CAIRN_TRY(reader.open());
  EntryMap m;
  manifest::Entry e;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool more, reader.next(e));
    if (!more) break;
    m.emplace(e.path, e);
  }
  return m;
}

Result<Outcome> report_mode(const DiffOptions& o, io::Writer& out, Observer& obs,
                            const CancelToken& cancel) {
  if (o.args.size() != 2)
    return Error{Errc::usage,
                 "give two arguments (SET SET or SET DIR), or none to read a manifest stream"};
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo));
  CAIRN_TRY_ASSIGN(auto a_rec, catalog::resolve_set(*ctx.cat, o.args[0]));
  CAIRN_TRY_ASSIGN(EntryMap a, load_set(*ctx.repo, a_rec.id));
  EntryMap b;
  std::error_code ec;
  bool b_is_dir = std::filesystem::is_directory(o.args[1], ec);
  if (b_is_dir) {
    CAIRN_TRY_ASSIGN(b, load_dir(o.args[1], obs, cancel));
  } else {
    CAIRN_TRY_ASSIGN(auto b_rec, catalog::resolve_set(*ctx.cat, o.args[1]));
    CAIRN_TRY_ASSIGN(b, load_set(*ctx.repo, b_rec.id));
  }
  std::map<std::string, char, bool (*)(const std::string&, const std::string&)> changes(
      [](const std::string& x, const std::string& y) { return manifest::path_less(x, y); });
  for (auto& [p, ea] : a) {
    auto it = b.find(p);
    if (it == b.end()) {
      changes.emplace(p, 'D');
      continue;
    }
    const auto& eb = it->second;
    bool content_same;
    if (!b_is_dir)
      content_same = ea.chunks == eb.chunks && ea.size == eb.size;
    else
      content_same = ea.type == eb.type && ea.size == eb.size && ea.mtime_ns == eb.mtime_ns;
    if (!content_same || !same_meta(ea, eb)) changes.emplace(p, 'M');
  }
  for (auto& [p, _] : b)
    if (!a.count(p)) changes.emplace(p, 'A');
  std::size_t na = 0, nm = 0, nd = 0;
  for (auto& [p, c] : changes) {
    (c == 'A' ? na : c == 'M' ? nm : nd)++;
    if (o.stat) continue;
    std::string line;
    if (o.json) {
      nlohmann::ordered_json j = {{"schema", "cairn.diff/1"}, {"change", std::string(1, c)}};
      if (is_utf8(p))
        j["path"] = p;
      else
        j["path_b64"] = to_base64(as_bytes(p));
      line = j.dump() + "\n";
    } else {
      std::string shown;
      for (unsigned char ch : p) {
        if (ch < 0x20 || ch == 0x7f || ch == '\\')
          shown += fmt::format("\\x{:02x}", ch);
        else
          shown += static_cast<char>(ch);
      }
      line = fmt::format("{} {}\n", c, shown);
    }
    CAIRN_TRY(out.write(as_bytes(line)));
  }
  if (o.stat)
    CAIRN_TRY(out.write(as_bytes(fmt::format("{} added, {} modified, {} deleted\n", na, nm, nd))));
  CAIRN_TRY(out.flush());
  Outcome res;
  if (o.exit_code && !changes.empty()) res.exit_code = 1;  // diff(1): 1 = they differ
  return res;
}

}  // namespace

Result<Outcome> diff(const DiffOptions& o, io::Reader& in, io::Writer& out, Observer& obs,
                     const CancelToken& cancel) {
  if (o.args.empty()) return pipe_mode(o, in, out, obs, cancel);
  return report_mode(o, out, obs, cancel);
}

}  // namespace cairn::ops
