#include "ops/push.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "ops/pipeline.hpp"

namespace cairn::ops {
namespace {

namespace fs = std::filesystem;
using backend::Key;
using backend::Kind;

int rank(Kind k) {
  switch (k) {
    case Kind::config: return 0;
    case Kind::key: return 1;
    case Kind::pack: return 2;
    case Kind::index: return 3;
    case Kind::set: return 4;
  }
  return 5;
}

struct Item {
  Key key;
  bool remove = false;
};

struct Dest {
  std::string name;  // as given
  std::unique_ptr<backend::Backend> b;
  std::mutex mu;
  std::optional<Error> error;          // the first failure: later steps are skipped
  std::set<std::string> sets_present;  // set names sent or found at the destination
  std::uint64_t sent = 0, sent_bytes = 0, skipped = 0, skipped_bytes = 0, removed = 0;

  bool failed() {
    std::lock_guard lock(mu);
    return error.has_value();
  }
  void fail(Error e) {
    std::lock_guard lock(mu);
    if (!error) error = std::move(e);
  }
};

class Pusher {
 public:
  Pusher(const PushOptions& o, repo::Repository& src, io::Writer& out, const CancelToken& cancel)
      : o_(o), src_(src), out_(out), cancel_(cancel), stage_dir_(o.repo.repo / "tmp") {}

  Status emit(char sign, const Key& k, const Dest& d) {
    std::lock_guard lock(out_mu_);
    CAIRN_TRY(out_.write(as_bytes(fmt::format("{}{} {}\n", sign, k.path(), d.name))));
    return out_.flush();
  }

  Result<std::uint64_t> source_size(const Key& k) {
    CAIRN_TRY_ASSIGN(auto info, src_.storage().stat(k));
    if (!info) return Error{Errc::not_found, fmt::format("the repository holds no object '{}'", k.path())};
    return info->size;
  }

  // A private name for `src` in the repository's tmp/, which put_file may consume: a copy for
  // a local destination (the two repositories must not share files), a hard link otherwise.
  Result<fs::path> stage(const fs::path& src, bool copy) {
    const fs::path p = stage_dir_ / fmt::format("push-{}-{}", ::getpid(), counter_.fetch_add(1));
    std::error_code ec;
    if (!copy && ::link(src.c_str(), p.c_str()) == 0) return p;
    fs::copy_file(src, p, fs::copy_options::overwrite_existing, ec);
    if (ec) return Error{Errc::io, fmt::format("cannot copy '{}' to '{}': {}", src.string(), p.string(), ec.message())};
    return p;
  }

  // Sends one object and checks its size at the destination.
  Status send(Dest& d, const Key& k, std::uint64_t size) {
    if (cancel_.cancelled()) return Error{Errc::cancelled, "interrupted"};
    CAIRN_TRY_ASSIGN(fs::path staged, stage(o_.repo.repo / k.path(), d.b->properties().local));
    Status st = d.b->put_file(k, staged);
    ::unlink(staged.c_str());  // absent when put_file moved it
    if (!st)
      return Error{st.error().code,
                   fmt::format("cannot push '{}' to '{}': {}", k.path(), d.name, st.error().message)};
    CAIRN_TRY_ASSIGN(auto info, d.b->stat(k));
    if (!info || info->size != size)
      return Error{Errc::corrupt, fmt::format("'{}' at '{}' holds {} bytes after the upload, expected {}",
                                              k.path(), d.name, info ? info->size : 0, size)};
    CAIRN_TRY(emit('+', k, d));
    std::lock_guard lock(d.mu);
    ++d.sent;
    d.sent_bytes += size;
    if (k.kind == Kind::set) d.sets_present.insert(k.name);
    return {};
  }

  void skip(Dest& d, const Key& k, std::uint64_t size) {
    std::lock_guard lock(d.mu);
    ++d.skipped;
    d.skipped_bytes += size;
    if (k.kind == Kind::set) d.sets_present.insert(k.name);
  }

  // Uploads `keys` of one kind to every destination still healthy; with `only_missing`, an
  // object the destination holds with the same size is skipped (one listing per kind).
  Status upload(std::vector<std::unique_ptr<Dest>>& dests, Kind kind, const std::vector<Key>& keys, bool only_missing) {
    if (keys.empty()) return {};
    std::map<std::string, std::uint64_t> sizes;
    for (const auto& k : keys) {
      CAIRN_TRY_ASSIGN(sizes[k.name], source_size(k));
    }
    WorkQueue q(jobs(), 4ull * jobs());
    for (auto& dp : dests) {
      Dest& d = *dp;
      if (d.failed()) continue;
      std::map<std::string, std::uint64_t> there;
      if (only_missing) {
        Status st = kind == Kind::config ? stat_into(d, Key{Kind::config, "config"}, there)
                                         : d.b->list(kind, [&](const backend::ObjectInfo& i) -> Status {
                                             there[i.key.name] = i.size;
                                             return {};
                                           });
        if (!st) {
          d.fail(st.error());
          continue;
        }
      }
      for (const auto& k : keys) {
        const std::uint64_t size = sizes[k.name];
        auto it = there.find(k.name);
        const bool present = it != there.end();
        if (present && it->second == size) {
          skip(d, k, size);
          continue;
        }
        CAIRN_TRY(q.submit(1, [this, &d, k, size, present]() -> Status {
          if (d.failed()) return {};
          Status st = present ? d.b->remove(k) : Status{};  // a different size: replace it
          if (st) st = send(d, k, size);
          if (!st) {
            if (st.error().code == Errc::cancelled) return st;
            d.fail(st.error());
          }
          return {};
        }));
      }
    }
    return q.wait();
  }

  Status stat_into(Dest& d, const Key& k, std::map<std::string, std::uint64_t>& there) {
    CAIRN_TRY_ASSIGN(auto info, d.b->stat(k));
    if (info) there[k.name] = info->size;
    return {};
  }

  Status remove(std::vector<std::unique_ptr<Dest>>& dests, const std::vector<Key>& keys) {
    if (keys.empty()) return {};
    WorkQueue q(jobs(), 4ull * jobs());
    for (auto& dp : dests) {
      Dest& d = *dp;
      if (d.failed()) continue;
      for (const auto& k : keys) {
        CAIRN_TRY(q.submit(1, [this, &d, k]() -> Status {
          if (d.failed()) return {};
          if (cancel_.cancelled()) return Error{Errc::cancelled, "interrupted"};
          Status st = d.b->remove(k);
          if (st) st = emit('-', k, d);
          if (!st) {
            d.fail(Error{st.error().code,
                         fmt::format("cannot delete '{}' at '{}': {}", k.path(), d.name, st.error().message)});
            return {};
          }
          std::lock_guard lock(d.mu);
          ++d.removed;
          if (k.kind == Kind::set) d.sets_present.erase(k.name);
          return {};
        }));
      }
    }
    return q.wait();
  }

  unsigned jobs() const { return o_.jobs ? o_.jobs : 4; }

 private:
  const PushOptions& o_;
  repo::Repository& src_;
  io::Writer& out_;
  const CancelToken& cancel_;
  fs::path stage_dir_;
  std::mutex out_mu_;
  std::atomic<std::uint64_t> counter_{0};
};

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The lines of a cairn-pack or cairn-prune stream.
Status read_items(io::Reader& in, std::optional<std::string>& set_id, std::vector<Item>& items) {
  io::LineReader lines(in, 4096);
  std::string line;
  std::uint64_t n = 0;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool more, lines.next(line));
    if (!more) break;
    ++n;
    if (line.empty()) continue;
    if (n == 1 && is_hex64(line)) {
      set_id = line;
      continue;
    }
    if (line[0] != '+' && line[0] != '-')
      return Error{Errc::bad_input, fmt::format("cannot read input line {} '{}': expected +PATH or -PATH", n, line)};
    auto key = Key::from_path(std::string_view(line).substr(1));
    if (!key || !key->valid())
      return Error{Errc::bad_input,
                   fmt::format("cannot read input line {}: '{}' is not a repository object", n, line.substr(1))};
    items.push_back(Item{*key, line[0] == '-'});
  }
  return {};
}

}  // namespace

Result<Outcome> push(const PushOptions& o, io::Reader& in, io::Writer& out, Observer& obs, const CancelToken& cancel) {
  if (o.dests.empty()) return Error{Errc::usage, "no destination given"};
  if (o.limit_rate != 0) return Error{Errc::unimplemented, "--limit-rate is not implemented yet"};
  std::optional<std::string> first_set;
  std::vector<Item> items;
  if (!o.all) CAIRN_TRY(read_items(in, first_set, items));

  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo));
  if (!ctx.repo->storage().properties().local)
    return Error{Errc::unimplemented, "cairn-push reads only a repository in a local directory"};
  std::error_code ec;
  fs::create_directories(o.repo.repo / "tmp", ec);

  std::vector<std::unique_ptr<Dest>> dests;
  backend::RemoteOptions ro = o.remote;
  ro.create = true;
  for (const auto& url : o.dests) {
    auto d = std::make_unique<Dest>();
    d->name = url;
    CAIRN_TRY_ASSIGN(d->b, backend::open_url(url, ro));
    dests.push_back(std::move(d));
  }
  Pusher p(o, *ctx.repo, out, cancel);

  // Sorted by kind: config, keys, packs, index files, sets.
  std::map<Kind, std::vector<Key>> up, down;
  bool any_up = o.all;
  for (const auto& it : items) {
    (it.remove ? down : up)[it.key.kind].push_back(it.key);
    any_up = any_up || !it.remove;
  }
  if (o.all) {
    for (Kind k : {Kind::pack, Kind::index, Kind::set}) {
      CAIRN_TRY(ctx.repo->storage().list(k, [&](const backend::ObjectInfo& i) -> Status {
        up[k].push_back(i.key);
        return {};
      }));
    }
  }
  // Every destination holds config and every key slot before anything else arrives.
  if (any_up) {
    std::vector<Key> keys;
    CAIRN_TRY(ctx.repo->storage().list(Kind::key, [&](const backend::ObjectInfo& i) -> Status {
      keys.push_back(i.key);
      return {};
    }));
    CAIRN_TRY(p.upload(dests, Kind::config, {Key{Kind::config, "config"}}, true));
    CAIRN_TRY(p.upload(dests, Kind::key, keys, true));
  }
  for (Kind k : {Kind::config, Kind::key, Kind::pack, Kind::index, Kind::set}) {
    auto it = up.find(k);
    if (it == up.end()) continue;
    auto& keys = it->second;
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.name < b.name; });
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    // From stdin: the objects are new, sent whatever the destination holds (content-addressed
    // names already there are left alone by the backend); --all skips what is there.
    CAIRN_TRY(p.upload(dests, k, keys, o.all || rank(k) < 2));
  }
  for (Kind k : {Kind::set, Kind::index, Kind::pack, Kind::key, Kind::config}) {
    auto it = down.find(k);
    if (it != down.end()) CAIRN_TRY(p.remove(dests, it->second));
  }
  if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};

  // Placements: every set object known to be at a healthy destination.
  Outcome res;
  const std::int64_t now = now_ns();
  for (auto& dp : dests) {
    Dest& d = *dp;
    if (d.error) {
      obs.warning(d.name, *d.error);
      ++res.warnings;
      continue;
    }
    std::set<std::string> sets = d.sets_present;
    if (first_set && !sets.contains(*first_set)) {
      auto info = d.b->stat(Key{Kind::set, *first_set});
      if (info && *info) sets.insert(*first_set);
    }
    for (const auto& name : sets) {
      auto id = hash::SetId::from_hex(name);
      if (!id) continue;
      Status st = ctx.cat->record_placement(catalog::PlacementRecord{*id, d.name, now, std::nullopt});
      if (!st) {
        if (st.error().code != Errc::not_found) return st.error();
        obs.info(fmt::format("set {} is not in the catalog: its placement at '{}' is not recorded",
                             name.substr(0, 12), d.name));
      }
    }
    obs.info(fmt::format("{}: {} objects sent ({} bytes), {} already there ({} bytes), {} deleted", d.name, d.sent,
                         d.sent_bytes, d.skipped, d.skipped_bytes, d.removed));
  }
  if (res.warnings == static_cast<int>(dests.size())) return *dests.front()->error;
  return res;
}

}  // namespace cairn::ops
