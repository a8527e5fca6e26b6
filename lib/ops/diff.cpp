// In a pipe, both the input stream and the base set's stored manifest are in
// manifest::path_less order for directory snapshots, so the two are walked side by side (a
// merge join): memory does not grow with the number of files, only with the entries the input
// passes that the base still has to be told apart from (deleted and added ones). Input or a
// base that is not in that order (--tar, --stdin or --rdb streams; sets made from them) turns
// the rest of the walk into a lookup in a hash map of what is left of the base (about 700 bytes
// an entry), as every diff did before: see cairn-diff(1).
#include "ops/diff.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
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

// The base set's entries in stored order: from this host's files cache when it holds exactly
// that set and authenticates, else from the repository. A cache that stops parsing part way
// hands over to the repository at the same entry (both hold the same manifest).
class BaseReader {
 public:
  // nullptr: no base. A write-only key cannot read the repository, so without a usable cache
  // every entry is marked added and read again (cairn-pack deduplicates: nothing is stored
  // twice).
  static Result<std::unique_ptr<BaseReader>> open(Context& ctx, const catalog::SetRecord& rec,
                                                  Observer& obs) {
    auto b = std::unique_ptr<BaseReader>(new BaseReader(*ctx.repo, rec.id, obs));
    const auto path = files_cache_path(ctx.cat->file(), rec.source);
    const auto& keys = ctx.repo->keys();
    auto cached = FilesCache::open(path, keys, rec.id);
    if (cached) {
      obs.info(fmt::format("base set {} read from the files cache '{}'", rec.id.hex().substr(0, 12),
                           path.string()));
      b->cache_ = std::move(*cached);
      return b;
    }
    if (keys.can_read()) {
      if (cached.error().code != Errc::not_found)
        obs.info(cached.error().message + "; reading the base set from the repository");
      CAIRN_TRY(b->open_stored());
      return b;
    }
    obs.warning("", Error{cached.error().code,
                          fmt::format("{}; the key is write-only, so every file of source '{}' "
                                      "is read again",
                                      cached.error().message, rec.source)});
    return std::unique_ptr<BaseReader>();
  }

  Result<bool> next(manifest::Entry& e) {
    if (cache_) {
      auto more = cache_->next(e);
      if (more || !repo_.keys().can_read()) return count(std::move(more));
      obs_.info(more.error().message + "; reading the base set from the repository");
      cache_.reset();
      CAIRN_TRY(open_stored());
      for (std::uint64_t i = 0; i < read_; ++i) {
        CAIRN_TRY_ASSIGN(bool again, stored_->next(e));
        if (!again)
          return Error{Errc::corrupt, fmt::format("set {} holds fewer entries than its files cache",
                                                  id_.hex().substr(0, 12))};
      }
    }
    return count(stored_->next(e));
  }

 private:
  BaseReader(repo::Repository& r, const hash::SetId& id, Observer& obs)
      : repo_(r), id_(id), obs_(obs) {}
  Status open_stored() {
    CAIRN_TRY_ASSIGN(repo::StoredSet s, repo::open_stored_set(repo_, id_));
    stored_.emplace(std::move(s));
    return {};
  }
  Result<bool> count(Result<bool> more) {
    if (more && *more) ++read_;
    return more;
  }
  repo::Repository& repo_;
  hash::SetId id_;
  Observer& obs_;
  std::unique_ptr<FilesCache> cache_;
  std::optional<repo::StoredSet> stored_;
  std::uint64_t read_ = 0;  // entries returned so far
};

// The merge join of the input with the base (see the top of this file). match() is called once
// per input entry in input order, rest() once at the end.
class BaseWalk {
 public:
  BaseWalk(std::unique_ptr<BaseReader> base, Observer& obs) : base_(std::move(base)), obs_(obs) {}
  Status start() { return advance(); }

  // The base's entry of e.path (moved out of the walk), or nullopt: e is added.
  Result<std::optional<manifest::Entry>> match(const manifest::Entry& e) {
    if (!map_mode_) {
      if (any_input_ && !manifest::path_less(prev_input_, e.path)) {
        CAIRN_TRY(to_map(fmt::format("the input is not in path order ('{}' after '{}')",
                                     shown(e.path), shown(prev_input_))));
      } else {
        prev_input_ = e.path;
        any_input_ = true;
      }
    }
    while (!map_mode_ && have_cur_ && manifest::path_less(cur_.path, e.path)) {
      passed_.push_back(std::move(cur_));
      CAIRN_TRY(advance());
    }
    if (map_mode_) {
      auto it = map_.find(e.path);
      if (it == map_.end()) return std::optional<manifest::Entry>();
      std::optional<manifest::Entry> b(std::move(it->second));
      map_.erase(it);
      return b;
    }
    if (have_cur_ && cur_.path == e.path) {
      std::optional<manifest::Entry> b(std::move(cur_));
      CAIRN_TRY(advance());
      return b;
    }
    // Only a base out of order could still hold e.path further on: remember it until the
    // base ends, so that such an entry is not also reported deleted.
    if (have_cur_) added_.push_back(e.path);
    return std::optional<manifest::Entry>();
  }

  // Calls gone(entry) for each base entry the input did not have: in path order when both
  // were in order, else the ones passed in order and the rest sorted.
  template <typename F>
  Status rest(F&& gone) {
    for (auto& d : passed_) CAIRN_TRY(gone(d));
    passed_.clear();
    while (!map_mode_ && have_cur_) {
      CAIRN_TRY(gone(cur_));
      CAIRN_TRY(advance());
    }
    if (!map_mode_) return {};
    std::vector<std::string> left;
    left.reserve(map_.size());
    for (auto& [p, _] : map_) left.push_back(p);
    std::sort(left.begin(), left.end(),
              [](const std::string& x, const std::string& y) { return manifest::path_less(x, y); });
    for (auto& p : left) CAIRN_TRY(gone(map_[p]));
    return {};
  }

 private:
  static std::string shown(const std::string& p) { return is_utf8(p) ? p : to_base64(as_bytes(p)); }

  // The base's next entry into cur_; a base out of order switches to the map.
  Status advance() {
    have_cur_ = false;
    if (!base_) return {};
    CAIRN_TRY_ASSIGN(bool more, base_->next(cur_));
    if (!more) {
      base_.reset();
      added_ = {};
      return {};
    }
    have_cur_ = true;
    if (any_base_ && !manifest::path_less(prev_base_, cur_.path))
      return to_map(fmt::format("the base set is not in path order ('{}' after '{}')",
                                shown(cur_.path), shown(prev_base_)));
    prev_base_ = cur_.path;
    any_base_ = true;
    return {};
  }

  // From here on, look input entries up in a map of what is left of the base.
  Status to_map(const std::string& why) {
    obs_.info(why + ": comparing the rest by lookup, in memory that grows with the base");
    map_mode_ = true;
    for (auto& d : passed_) map_.emplace(d.path, std::move(d));
    passed_ = {};
    if (have_cur_) map_.emplace(cur_.path, std::move(cur_));
    have_cur_ = false;
    if (base_) {
      manifest::Entry e;
      for (;;) {
        CAIRN_TRY_ASSIGN(bool more, base_->next(e));
        if (!more) break;
        map_.emplace(e.path, e);
      }
      base_.reset();
    }
    for (auto& p : added_) map_.erase(p);
    added_ = {};
    return {};
  }

  std::unique_ptr<BaseReader> base_;  // null once read to its end (or when there is none)
  Observer& obs_;
  manifest::Entry cur_;  // the base's next entry not yet matched or passed, when have_cur_
  bool have_cur_ = false;
  std::string prev_input_, prev_base_;
  bool any_input_ = false, any_base_ = false;
  std::vector<manifest::Entry> passed_;  // base entries the input went past: deleted
  std::vector<std::string> added_;       // input paths marked added while the base had more
  bool map_mode_ = false;
  EntryMap map_;
};

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
  std::unique_ptr<BaseReader> base;
  if (base_rec) {
    CAIRN_TRY_ASSIGN(base, BaseReader::open(ctx, *base_rec, obs));
    if (base)
      obs.info(fmt::format("comparing with set {} ({} files)", base_rec->id.hex().substr(0, 12),
                           base_rec->files));
  } else if (o.against) {
    return Error{Errc::not_found,
                 fmt::format("no base set '{}' for source '{}'", *o.against, reader.set().source)};
  }
  BaseWalk walk(std::move(base), obs);
  CAIRN_TRY(walk.start());
  manifest::Writer w(out);
  CAIRN_TRY(w.header(reader.set()));
  manifest::Entry e;
  Bytes frame;
  for (;;) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    CAIRN_TRY_ASSIGN(bool more, reader.next(e));
    if (!more) break;
    CAIRN_TRY_ASSIGN(auto b, walk.match(e));
    if (!b) {
      e.status = manifest::Change::added;
    } else if (same_content(e, *b)) {
      e.status = manifest::Change::unchanged;
      e.chunks = std::move(b->chunks);
      e.proofs = std::move(b->proofs);
      e.digest = b->digest;
    } else {
      e.status = manifest::Change::modified;
      if (e.type != manifest::Type::file)
        e.status = same_meta(e, *b) ? manifest::Change::unchanged : manifest::Change::modified;
    }
    CAIRN_TRY(w.entry(e));
    if (e.inline_content) {
      for (;;) {
        CAIRN_TRY_ASSIGN(std::size_t n, reader.read_frame(frame));
        if (n == 0) break;
        CAIRN_TRY(w.frame(ByteView(frame.data(), n)));
        obs.advanced(n, 0);  // content passed through (cairn-snap --inline, --stdin)
      }
      CAIRN_TRY(w.end_frames());
    }
    obs.advanced(0, 1);
  }
  // What the base had and the input does not: deleted (cairn-pack skips these).
  CAIRN_TRY(walk.rest([&](manifest::Entry& d) -> Status {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    d.status = manifest::Change::deleted;
    d.chunks.clear();
    d.proofs.clear();
    d.digest.reset();
    d.inline_content = false;
    return w.entry(d);
  }));
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
