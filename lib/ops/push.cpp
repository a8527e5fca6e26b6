#include "ops/push.hpp"
#include "ops/tag.hpp"
#include "repo/rewrite.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "base/work_queue.hpp"
#include "crypto/crypto.hpp"
#include "ops/shared_context.hpp"
#include "policy/policy.hpp"

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
    case Kind::hold: return 5;    // a hold names a set: after it
    case Kind::parity: return 6;  // parity names packs: after them (U6)
  }
  return 6;
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
  // The first upload's start and the last one's end (the transfer's duration, for its rate).
  std::optional<std::chrono::steady_clock::time_point> first_start, last_end;

  bool failed() {
    std::lock_guard lock(mu);
    return error.has_value();
  }
  void fail(Error e) {
    std::lock_guard lock(mu);
    if (!error) error = std::move(e);
  }
};

std::string pid_namespace();  // below, with remove_stale_staging

// Asks the destination how much room its storage has (backend::Backend::space: a local
// directory's or an SFTP server's file system) and records it for `cairn status`. Neither a
// failure to measure nor one to record fails the push: a -v line says why.
void record_space(Dest& d, catalog::Catalog& cat, Observer& obs) {
  auto figures = d.b->space();
  if (!figures) {
    obs.info(fmt::format("{}: free space not measured: {}", d.name, figures.error().message));
    return;
  }
  if (!*figures) return;  // the storage cannot tell (a bucket)
  const auto& f = **figures;
  Status st = cat.record_space(catalog::DestinationSpace{backend::canonical_name(d.name), f.size,
                                                         f.used, f.avail, now_ns()});
  if (!st) {
    obs.info(fmt::format("{}: free space not recorded: {}", d.name, st.error().message));
    return;
  }
  obs.info(fmt::format("{}: {} bytes free of {}", d.name, f.avail, f.size));
}

class Pusher {
 public:
  Pusher(const PushOptions& o, repo::Repository& src, fs::path stage_dir, io::Writer& out,
         Observer& obs, const CancelToken& cancel)
      : o_(o), src_(src), out_(out), obs_(obs), cancel_(cancel), stage_dir_(std::move(stage_dir)) {
    crypto::random_bytes(MutByteView(reinterpret_cast<std::uint8_t*>(&token_), sizeof token_));
  }

  Status emit(char sign, const Key& k, const Dest& d) {
    std::lock_guard lock(out_mu_);
    CAIRN_TRY(out_.write(as_bytes(fmt::format("{}{} {}\n", sign, k.path(), d.name))));
    return out_.flush();
  }

  Result<std::uint64_t> source_size(const Key& k) {
    CAIRN_TRY_ASSIGN(auto size, src_.object_size(k));
    if (!size)
      return Error{Errc::not_found, fmt::format("the repository holds no object '{}'", k.path())};
    return *size;
  }

  // A private name for `src` in the repository's tmp/, which put_file may consume: a copy for
  // a local destination (the two repositories must not share files), a hard link otherwise.
  // The name carries a random token as well as the pid: a pid is reused (every container of
  // a CronJob may be pid 1's child with the same pid), and a name left by a killed push may
  // still be a hard link to a repository object. Nothing is ever written through an existing
  // name: link() and copy_file() both refuse one, and a fresh name is tried.
  Result<fs::path> stage(const fs::path& src, bool copy) {
    for (int attempt = 0;; ++attempt) {
      const fs::path p = stage_dir_ / fmt::format("push-{}-{}-{:016x}-{}", pidns_, ::getpid(),
                                                  token_, counter_.fetch_add(1));
      std::error_code ec;
      if (!copy && ::link(src.c_str(), p.c_str()) == 0) return p;
      if (!copy && errno == EEXIST && attempt < 8) continue;
      if (fs::copy_file(src, p, fs::copy_options::none, ec)) return p;
      if (ec == std::errc::file_exists && attempt < 8) continue;
      return Error{Errc::io, fmt::format("cannot copy '{}' to '{}': {}", src.string(), p.string(),
                                         ec.message())};
    }
  }

  // Sends one object and checks its size at the destination.
  Status send(Dest& d, const Key& k, std::uint64_t size) {
    if (cancel_.cancelled()) return Error{Errc::cancelled, "interrupted"};
    const auto t0 = std::chrono::steady_clock::now();
    obs_.started(fmt::format("{} {}", k.path(), d.name));
    CAIRN_TRY_ASSIGN(fs::path staged,
                     stage(*src_.local_file(k), d.b->properties().local && o_.limit_rate == 0));
    Status st = d.b->put_file(k, staged);
    ::unlink(staged.c_str());  // absent when put_file moved it
    if (!st)
      return Error{st.error().code, fmt::format("cannot push '{}' to '{}': {}", k.path(), d.name,
                                                st.error().message)};
    CAIRN_TRY_ASSIGN(auto info, d.b->stat(k));
    // Another host pushing the same object (a shared destination: config, keys, identical
    // packs) may be overwriting it right now; S3 swaps objects atomically, but some servers
    // (s3rver, a plain file store) show a short or missing file meanwhile. Look again a few
    // times before calling it wrong.
    for (int again = 0; again < 4 && (!info || info->size != size); ++again) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50 << again));
      CAIRN_TRY_ASSIGN(info, d.b->stat(k));
    }
    if (!info || info->size != size)
      return Error{Errc::corrupt,
                   fmt::format("'{}' at '{}' holds {} bytes after the upload, expected {}",
                               k.path(), d.name, info ? info->size : 0, size)};
    CAIRN_TRY(emit('+', k, d));
    obs_.advanced(d.b->properties().local ? size : 0, 1);  // remote bytes come through on_sent
    const auto t1 = std::chrono::steady_clock::now();
    std::lock_guard lock(d.mu);
    ++d.sent;
    d.sent_bytes += size;
    d.first_start = std::min(d.first_start.value_or(t0), t0);
    d.last_end = std::max(d.last_end.value_or(t1), t1);
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
  Status upload(std::vector<std::unique_ptr<Dest>>& dests, Kind kind, const std::vector<Key>& keys,
                bool only_missing) {
    if (keys.empty()) return {};
    std::map<std::string, std::uint64_t> sizes;
    for (const auto& k : keys) {
      CAIRN_TRY_ASSIGN(sizes[k.name], source_size(k));
    }
    // What goes where is planned first, so the progress line knows the total ("X of Y", ETA).
    struct Send {
      Dest* d;
      const Key* k;
      std::uint64_t size;
      bool present;
    };
    std::vector<Send> plan;
    for (auto& dp : dests) {
      Dest& d = *dp;
      if (d.failed()) continue;
      std::map<std::string, std::uint64_t> there;
      if (only_missing) {
        Status st = kind == Kind::config
                        ? stat_into(d, Key::config(), there)
                        : d.b->list(kind, [&](const backend::ObjectInfo& i) -> Status {
                            there[i.key.name] = i.size;
                            return {};
                          });
        if (!st) {
          d.fail(Error{st.error().code,
                       fmt::format("cannot push to '{}': {}", d.name, st.error().message)});
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
        plan.push_back({&d, &k, size, present});
      }
    }
    std::uint64_t bytes = 0;
    for (const auto& s : plan) bytes += s.size;
    if (!plan.empty()) obs_.expect(bytes, plan.size());
    WorkQueue q(jobs(), 4ull * jobs());
    for (const auto& s : plan) CAIRN_TRY(queue_send(q, *s.d, *s.k, s.size, s.present));
    return q.wait();
  }

  // Queues the upload of `k` (`size` bytes here) to `d`; `present`: the destination holds
  // another size under that name, removed first.
  Status queue_send(WorkQueue& q, Dest& d, const Key& k, std::uint64_t size, bool present) {
    return q.submit(1, [this, &d, k, size, present]() -> Status {
      if (d.failed()) return {};
      Status st = present ? d.b->remove(k) : Status{};  // a different size: replace it
      if (st) st = send(d, k, size);
      if (!st) {
        if (st.error().code == Errc::cancelled) return st;
        d.fail(st.error());
      }
      return {};
    });
  }

  // Queues the upload of a new object named on stdin to every healthy destination, while
  // stdin is still being read (cairn-pack --stream).
  Status queue_new(WorkQueue& q, std::vector<std::unique_ptr<Dest>>& dests, const Key& k) {
    CAIRN_TRY_ASSIGN(const std::uint64_t size, source_size(k));
    for (auto& dp : dests) {
      if (dp->failed()) continue;
      obs_.expect(size, 1);  // the total grows as cairn-pack names objects
      CAIRN_TRY(queue_send(q, *dp, k, size, false));
    }
    return {};
  }

  Status stat_into(Dest& d, const Key& k, std::map<std::string, std::uint64_t>& there) {
    CAIRN_TRY_ASSIGN(auto info, d.b->stat(k));
    if (info) there[k.name] = info->size;
    return {};
  }

  Status remove(std::vector<std::unique_ptr<Dest>>& dests, const std::vector<Key>& keys) {
    if (keys.empty()) return {};
    WorkQueue q(jobs(), 4ull * jobs());
    for (auto& dp : dests) CAIRN_TRY(remove_at(q, *dp, keys));
    return q.wait();
  }

  // Queues the deletion of `keys` at `d` (unless it failed).
  Status remove_at(WorkQueue& q, Dest& d, const std::vector<Key>& keys) {
    if (d.failed()) return {};
    for (const auto& k : keys) {
      CAIRN_TRY(q.submit(1, [this, &d, k]() -> Status {
        if (d.failed()) return {};
        if (cancel_.cancelled()) return Error{Errc::cancelled, "interrupted"};
        Status st = d.b->remove(k);
        if (st) st = emit('-', k, d);
        if (!st) {
          d.fail(Error{st.error().code, fmt::format("cannot delete '{}' at '{}': {}", k.path(),
                                                    d.name, st.error().message)});
          return {};
        }
        std::lock_guard lock(d.mu);
        ++d.removed;
        if (k.kind == Kind::set) d.sets_present.erase(k.name);
        return {};
      }));
    }
    return {};
  }

  unsigned jobs() const { return o_.jobs ? o_.jobs : 4; }

 private:
  const PushOptions& o_;
  repo::Repository& src_;
  io::Writer& out_;
  Observer& obs_;
  const CancelToken& cancel_;
  fs::path stage_dir_;
  std::mutex out_mu_;
  std::atomic<std::uint64_t> counter_{0};
  std::uint64_t token_ = 0;  // random, per process: staging names nobody else produces
  std::string pidns_ = pid_namespace();
};

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The lines of a cairn-pack or cairn-prune stream, from line `n` + 1 on. The set id is the
// first line, or the last one (cairn-pack --stream). With `stop_at_pack`, returns true right
// after a "+packs/.." line (more may follow: the caller uploads it while reading on); false at
// the end of the input.
Result<bool> read_items(io::LineReader& lines, std::uint64_t& n, std::optional<std::string>& set_id,
                        std::vector<Item>& items, bool stop_at_pack) {
  std::string line;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool more, lines.next(line));
    if (!more) break;
    ++n;
    if (line.empty()) continue;
    if (!set_id && is_hex64(line)) {
      set_id = line;
      continue;
    }
    if (line[0] != '+' && line[0] != '-')
      return Error{Errc::bad_input,
                   fmt::format("cannot read input line {} '{}': expected +PATH or -PATH", n, line)};
    auto key = Key::from_path(std::string_view(line).substr(1));
    if (!key || !key->valid())
      return Error{Errc::bad_input,
                   fmt::format("cannot read input line {}: '{}' is not a repository object", n,
                               line.substr(1))};
    items.push_back(Item{*key, line[0] == '-'});
    if (stop_at_pack && !items.back().remove && key->kind == Kind::pack) return true;
  }
  return false;
}

// Staged copies ("push-<pid>-<n>" in the repository's tmp/) that a push killed before it
// could unlink them left behind: removed when that process is gone. Best effort.
// Staging names are "push-<pid namespace>-<pid>-<token>-<n>". A name from this pid namespace
// whose process is gone is removed at once; a process in another namespace (another container
// sharing the repository volume) cannot be judged by kill(2), so its names go only when they
// were staged over a day ago (ctime: link() and copies set it).
std::string pid_namespace() {
  struct stat st {};
  if (::stat("/proc/self/ns/pid", &st) != 0) return "0";
  return std::to_string(static_cast<unsigned long long>(st.st_ino));
}

void remove_stale_staging(const fs::path& tmp) {
  std::error_code ec;
  const std::time_t now = std::time(nullptr);
  const std::string ours = "push-" + pid_namespace() + "-";
  for (fs::directory_iterator it(tmp, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with("push-")) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    bool stale = now - st.st_ctime > 86400;
    if (!stale && name.starts_with(ours)) {
      const std::string pid = name.substr(ours.size(), name.find('-', ours.size()) - ours.size());
      long v = 0;
      auto [p, err] = std::from_chars(pid.data(), pid.data() + pid.size(), v);
      stale = err == std::errc{} && p == pid.data() + pid.size() && v > 0 &&
              ::kill(static_cast<pid_t>(v), 0) != 0 && errno == ESRCH;
    }
    if (stale) ::unlink(it->path().c_str());
  }
}

// S3 Object Lock: the retain-until time (Unix seconds) of what this run uploads, from the
// policy's immutable_days of the classes of `sets` (the largest wins); nullopt when no
// destination supports Object Lock (S3), no policy applies or no class asks for immutability. The
// policy is
// --policy / CAIRN_POLICY (which must then read), else /etc/cairn/policy.toml if it exists.
Result<std::optional<std::int64_t>> retain_until(const PushOptions& o, catalog::Catalog& cat,
                                                 const std::vector<std::string>& sets) {
  const bool lock = std::any_of(o.dests.begin(), o.dests.end(), [](const std::string& d) {
    return backend::capabilities(d).object_lock;
  });
  if (!lock || sets.empty()) return std::optional<std::int64_t>{};
  CAIRN_TRY_ASSIGN(auto pol, policy::load_optional(o.policy));
  if (!pol) return std::optional<std::int64_t>{};
  std::uint32_t days = 0;
  for (const auto& name : sets) {
    auto id = hash::SetId::from_hex(name);
    if (!id) continue;
    CAIRN_TRY_ASSIGN(auto rec, cat.get_set(*id));
    if (!rec) continue;
    if (const policy::Class* c = pol->find(rec->retention_class); c && c->immutable_days)
      days = std::max(days, *c->immutable_days);
  }
  if (days == 0) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>{now_ns() / 1'000'000'000 + std::int64_t{days} * 86400};
}

// The repository id a config names ("repo_id" of its JSON, cairn-repository(5) CONFIG), read
// without a key; nullopt when the bytes are not a cairn config.
std::optional<std::string> peek_repo_id(ByteView raw) {
  constexpr std::string_view kMagic = "CAIRNCF1";
  if (raw.size() < 12 || as_chars(raw.first(8)) != kMagic) return std::nullopt;
  const std::uint32_t len = std::uint32_t{raw[8]} | std::uint32_t{raw[9]} << 8 |
                            std::uint32_t{raw[10]} << 16 | std::uint32_t{raw[11]} << 24;
  if (raw.size() < 12 + std::size_t{len}) return std::nullopt;
  const auto j = nlohmann::json::parse(as_chars(raw.subspan(12, len)), nullptr, false);
  if (!j.is_object() || !j.contains("repo_id") || !j["repo_id"].is_string()) return std::nullopt;
  return j["repo_id"].get<std::string>();
}

// A destination that already holds another cairn repository (another repository id in its
// config, or, without a config, key slots none of which is this repository's) is refused
// before anything is written to it: pushing there would leave that repository unrestorable.
Status check_destination(const std::string& name, backend::Backend& b, const std::string& ours,
                         const std::set<std::string>& our_slots) {
  const auto refuse = [&](const std::string& theirs) {
    return Error{Errc::usage,
                 fmt::format("'{}' holds another cairn repository ({}), not a copy of this one "
                             "({}): nothing was pushed; name a new place or this repository's "
                             "own copy",
                             name, theirs, ours)};
  };
  CAIRN_TRY_ASSIGN(auto info, b.stat(Key::config()));
  if (info) {
    CAIRN_TRY_ASSIGN(Bytes raw, b.get(Key::config()));
    const auto theirs = peek_repo_id(raw);
    if (theirs == ours) return {};
    return refuse(theirs ? *theirs : "its config is not a cairn config");
  }
  std::optional<std::string> foreign;
  bool shared = false;
  CAIRN_TRY(b.list(Kind::key, [&](const backend::ObjectInfo& i) -> Status {
    if (our_slots.contains(i.key.name))
      shared = true;
    else if (!foreign)
      foreign = i.key.path();
    return {};
  }));
  if (foreign && !shared) return refuse(fmt::format("no config, key slot '{}'", *foreign));
  return {};
}

// cairn-push --all: a set object at a destination that the repository no longer holds is
// deleted there when the catalog records the set as pruned (its packs go with the next
// sweep's lines, or went already), so a copy never keeps a set whose packs it lacks. A set
// the repository still holds is never deleted. One the catalog lists as not pruned (lost
// here) is left and named in a warning; one it does not know (another host's, pushed from a
// repository sharing this key) is left quietly.
Status reconcile_sets(Pusher& p, std::vector<std::unique_ptr<Dest>>& dests, repo::Repository& src,
                      const std::vector<Key>& ours, catalog::Catalog& cat, Observer& obs,
                      int& warnings) {
  std::set<std::string> have;
  for (const auto& k : ours) have.insert(k.name);
  WorkQueue q(p.jobs(), 4ull * p.jobs());
  for (auto& dp : dests) {
    Dest& d = *dp;
    if (d.failed()) continue;
    std::vector<Key> stale;
    Status st = d.b->list(Kind::set, [&](const backend::ObjectInfo& i) -> Status {
      if (have.contains(i.key.name)) return {};
      const auto id = hash::SetId::from_hex(i.key.name);
      std::optional<catalog::SetRecord> rec;
      if (id) {
        CAIRN_TRY_ASSIGN(rec, cat.get_set(*id));
      }
      if (!rec) {  // another host's (a repository sharing this one's key): not ours to judge
        obs.info(fmt::format("{} at '{}' is not in the catalog: left there", i.key.path(), d.name));
      } else if (rec->status == catalog::SetStatus::pruned) {
        stale.push_back(i.key);
      } else {
        CAIRN_TRY_ASSIGN(const bool now_there, src.has_set(*id));  // committed since the listing
        if (now_there) return {};
        obs.warning(fmt::format("{} at '{}'", i.key.path(), d.name),
                    Error{Errc::not_found,
                          "the repository lost this set (the catalog does not record it as "
                          "pruned): left at the destination; 'cairn-restore --from' reads it"});
        ++warnings;
      }
      return {};
    });
    if (!st) {
      d.fail(Error{st.error().code,
                   fmt::format("cannot list sets at '{}': {}", d.name, st.error().message)});
      continue;
    }
    CAIRN_TRY(p.remove_at(q, d, stale));
  }
  return q.wait();
}

// A set named on stdin goes up only with everything it needs. cairn-pack names only the
// objects it wrote; an incremental set also needs packs of earlier sets, which may never have
// reached this destination (its first push, a weekly offline disk, a push that failed). So the
// packs the set names, and the index files, are sent wherever they are missing, before the
// set object. A write-only key cannot read the set's pack list: then every pack is checked.
// `streamed`: packs already sent (from stdin, as cairn-pack --stream printed them).
Status upload_dependencies(Pusher& p, std::vector<std::unique_ptr<Dest>>& dests,
                           repo::Repository& r, const std::map<Kind, std::vector<Key>>& up,
                           const std::set<std::string>& streamed) {
  auto sets = up.find(Kind::set);
  if (sets == up.end() || sets->second.empty()) return {};
  std::set<std::string> named;  // objects of that kind already on the list
  const auto on_list = [&](Kind k) {
    named.clear();
    if (auto it = up.find(k); it != up.end())
      for (const auto& key : it->second) named.insert(key.name);
  };
  std::vector<Key> packs;
  on_list(Kind::pack);
  named.insert(streamed.begin(), streamed.end());  // sent while stdin was read
  if (r.keys().can_read()) {
    std::set<std::string> need;
    // The packs the sets need through the move records (compaction); a damaged record is
    // verify's and prune's to name.
    CAIRN_TRY_ASSIGN(const auto moves,
                     repo::load_moves(r, [](const std::string&, const Error&) {}));
    for (const auto& k : sets->second) {
      auto id = hash::SetId::from_hex(k.name);
      if (!id) continue;
      CAIRN_TRY_ASSIGN(auto obj, r.read_set(*id));
      if (obj.body)
        for (const auto& pk : moves.resolve(*id, obj.body->packs)) need.insert(pk.hex());
    }
    for (const auto& n : need)
      if (!named.contains(n)) packs.push_back(Key::pack(n));
  } else {
    CAIRN_TRY(r.list_objects(Kind::pack, [&](const backend::ObjectInfo& i) -> Status {
      if (!named.contains(i.key.name)) packs.push_back(i.key);
      return {};
    }));
  }
  if (packs.empty()) return {};
  CAIRN_TRY(p.upload(dests, Kind::pack, packs, /*only_missing=*/true));
  std::vector<Key> index;
  on_list(Kind::index);
  CAIRN_TRY(r.list_objects(Kind::index, [&](const backend::ObjectInfo& i) -> Status {
    if (!named.contains(i.key.name)) index.push_back(i.key);
    return {};
  }));
  return p.upload(dests, Kind::index, index, /*only_missing=*/true);
}

}  // namespace

Result<Outcome> push(const PushOptions& o, io::Reader& in, io::Writer& out, Observer& obs,
                     const CancelToken& cancel) {
  if (o.dests.empty()) return Error{Errc::usage, "no destination given"};
  // Every destination is checked before anything else runs: a bad one (or one that carries a
  // password) is a usage error, whatever the state of the repository.
  for (const auto& d : o.dests) CAIRN_TRY(backend::parse_url(d));
  // Packs named on stdin go up as their lines arrive (cairn-pack --stream prints each as it is
  // stored, the set id last), unless the list begins with the set id or an S3 Object Lock
  // retention may apply (its retain-until date depends on the set, named last): then the
  // whole input is read first.
  bool stream = !o.all;
  if (stream && std::any_of(o.dests.begin(), o.dests.end(), [](const std::string& d) {
        return backend::capabilities(d).object_lock;
      })) {
    CAIRN_TRY_ASSIGN(auto pol, policy::load_optional(o.policy));
    stream = !pol;
  }
  std::optional<std::string> first_set;
  std::vector<Item> items;
  io::LineReader lines(in, 4096);
  std::uint64_t line_no = 0;
  bool more = false;  // stdin not read to its end: a pack line arrived first
  if (!o.all) {
    CAIRN_TRY_ASSIGN(more, read_items(lines, line_no, first_set, items, stream));
  }
  // A list that begins with the set id (cairn-pack without --stream) is there all at once:
  // read it whole, so a bad line in it is refused before anything is sent.
  if (more && first_set) {
    CAIRN_TRY_ASSIGN(more, read_items(lines, line_no, first_set, items, false));
  }
  if (!o.all && items.empty() && !first_set) {  // cairn-push says so; no destination is made
    obs.info("nothing to push: standard input held no +PATH or -PATH line");
    return Outcome{};
  }

  std::optional<Context> own;
  CAIRN_TRY_ASSIGN(Context & ctx, shared_or_open(o.shared, o.repo, own));
  const std::optional<fs::path> tmp = ctx.repo->local_tmp_dir();
  if (!tmp)
    return Error{Errc::unimplemented, "cairn-push reads only a repository in a local directory"};
  std::error_code ec;
  fs::create_directories(*tmp, ec);
  remove_stale_staging(*tmp);

  // Sorted by kind: config, keys, packs, index files, sets.
  std::map<Kind, std::vector<Key>> up, down;
  bool any_up = o.all;
  const auto sort_items = [&](const std::set<std::string>& sent) {  // all but packs sent
    for (const Item& it : items) {
      if (!it.remove && it.key.kind == Kind::pack && sent.contains(it.key.name)) continue;
      (it.remove ? down : up)[it.key.kind].push_back(it.key);
      any_up = any_up || !it.remove;
    }
  };
  sort_items({});
  if (o.all) {
    for (Kind k : {Kind::pack, Kind::index, Kind::set, Kind::hold, Kind::parity}) {
      CAIRN_TRY(ctx.repo->list_objects(k, [&](const backend::ObjectInfo& i) -> Status {
        up[k].push_back(i.key);
        return {};
      }));
    }
  }

  std::vector<std::unique_ptr<Dest>> dests;
  backend::RemoteOptions ro = o.remote;
  ro.create = true;
  ro.limit_rate = o.limit_rate;
  // One kept-alive connection per transfer at a time: none is opened afresh for an object.
  ro.max_connections = std::max(ro.max_connections, o.jobs ? o.jobs : 4u);
  ro.on_sent = [&obs](std::uint64_t n) { obs.advanced(n, 0); };
  if (any_up) {
    std::vector<std::string> sets;
    if (first_set) sets.push_back(*first_set);
    if (auto it = up.find(Kind::set); it != up.end())
      for (const auto& k : it->second) sets.push_back(k.name);
    CAIRN_TRY_ASSIGN(ro.s3_retain_until, retain_until(o, *ctx.cat, sets));
  }
  std::set<std::string> our_slots;
  CAIRN_TRY(ctx.repo->list_objects(Kind::key, [&](const backend::ObjectInfo& i) -> Status {
    our_slots.insert(i.key.name);
    return {};
  }));
  // Every destination is looked at as it is (nothing created) before anything is written to
  // any: one that holds another repository stops the whole run. One that cannot be read
  // fails alone, as an upload would.
  std::vector<std::optional<Error>> unreadable;
  for (const auto& url : o.dests) {
    backend::RemoteOptions look = ro;
    look.create = false;
    auto existing = backend::open_url(url, look);
    Status st = existing ? check_destination(url, **existing, ctx.repo_id_hex(), our_slots)
                : existing.error().code == Errc::not_found ? Status{}
                                                           : Status{existing.error()};
    if (!st && st.error().code == Errc::usage) return st.error();
    unreadable.push_back(st ? std::nullopt : std::optional<Error>(st.error()));
  }
  for (std::size_t i = 0; i < o.dests.size(); ++i) {
    auto d = std::make_unique<Dest>();
    d->name = o.dests[i];
    CAIRN_TRY_ASSIGN(d->b, backend::open_url(d->name, ro));
    if (unreadable[i])
      d->fail(Error{unreadable[i]->code,
                    fmt::format("cannot push to '{}': {}", d->name, unreadable[i]->message)});
    dests.push_back(std::move(d));
  }
  Pusher p(o, *ctx.repo, *tmp, out, obs, cancel);
  // Every destination holds config and every key slot before anything else arrives.
  if (any_up) {
    std::vector<Key> keys;
    CAIRN_TRY(ctx.repo->list_objects(Kind::key, [&](const backend::ObjectInfo& i) -> Status {
      keys.push_back(i.key);
      return {};
    }));
    CAIRN_TRY(p.upload(dests, Kind::config, {Key::config()}, true));
    CAIRN_TRY(p.upload(dests, Kind::key, keys, true));
    // And the config's signed copy among the admin records (cairn-repository(5) CONFIG), which
    // stands in for a replaced config there too.
    CAIRN_TRY_ASSIGN(auto copy, ctx.repo->config_copy());
    if (copy) CAIRN_TRY(p.upload(dests, Kind::hold, {*copy}, true));
    // And the key rotation records (cairn-repository(5) KEY ROTATION), which a slot of a
    // later generation and the packs sealed to it need, before any of those packs.
    std::vector<Key> rotations;
    for (const auto& g : ctx.repo->generations())
      if (!g.record.empty())
        rotations.push_back(Key::hold(g.record.substr(g.record.rfind('/') + 1)));
    if (!rotations.empty()) CAIRN_TRY(p.upload(dests, Kind::hold, rotations, true));
  }
  std::set<std::string> sent;  // packs sent as their lines arrived
  if (more) {                  // packs go up as their lines arrive; the rest once stdin ends
    std::size_t next = 0;
    WorkQueue q(p.jobs(), 4ull * p.jobs());
    Status st = [&]() -> Status {
      for (;;) {
        for (; next < items.size(); ++next) {
          const Item& it = items[next];
          if (it.remove || it.key.kind != Kind::pack || !sent.insert(it.key.name).second) continue;
          CAIRN_TRY(p.queue_new(q, dests, it.key));
        }
        if (!more) return {};
        CAIRN_TRY_ASSIGN(more, read_items(lines, line_no, first_set, items, true));
      }
    }();
    Status waited = q.wait();
    CAIRN_TRY(st);
    CAIRN_TRY(waited);
    up.clear();
    down.clear();
    sort_items(sent);
  }
  if (!o.all) CAIRN_TRY(upload_dependencies(p, dests, *ctx.repo, up, sent));
  for (Kind k :
       {Kind::config, Kind::key, Kind::pack, Kind::index, Kind::set, Kind::hold, Kind::parity}) {
    auto it = up.find(k);
    if (it == up.end()) continue;
    auto& keys = it->second;
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.name < b.name; });
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    // From stdin: the objects are new, sent whatever the destination holds (content-addressed
    // names already there are left alone by the backend); --all skips what is there.
    CAIRN_TRY(p.upload(dests, k, keys, o.all || rank(k) < 2));
  }
  for (Kind k :
       {Kind::parity, Kind::hold, Kind::set, Kind::index, Kind::pack, Kind::key, Kind::config}) {
    auto it = down.find(k);
    if (it != down.end()) CAIRN_TRY(p.remove(dests, it->second));
  }
  Outcome res;
  if (o.all)
    CAIRN_TRY(reconcile_sets(p, dests, *ctx.repo, up[Kind::set], *ctx.cat, obs, res.warnings));
  if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};

  // Placements: every set object known to be at a healthy destination.
  const std::int64_t now = now_ns();
  const bool all_failed =
      std::all_of(dests.begin(), dests.end(), [](const auto& d) { return d->error.has_value(); });
  // The audit log: the sets this run named, per destination, with how it went.
  std::vector<std::string> named;
  if (auto it = up.find(Kind::set); it != up.end())
    for (const auto& k : it->second) named.push_back(k.name);
  for (auto& dp : dests)
    if (!named.empty())
      CAIRN_TRY(audit(*ctx.cat,
                      fmt::format("cairn-push {} to {}", fmt::join(named, " "),
                                  backend::canonical_name(dp->name)),
                      dp->error ? dp->error->message : "ok"));
  for (auto& dp : dests) {
    Dest& d = *dp;
    if (d.error) {
      // One line per failed destination; when every one failed, the first is the error.
      if (!all_failed || &d != dests.front().get()) obs.warning(d.name, *d.error);
      ++res.warnings;
      continue;
    }
    std::set<std::string> sets = d.sets_present;
    if (first_set && !sets.contains(*first_set)) {
      auto info = d.b->stat(Key::set(*first_set));
      if (info && *info) sets.insert(*first_set);
    }
    for (const auto& name : sets) {
      auto id = hash::SetId::from_hex(name);
      if (!id) continue;
      Status st = ctx.cat->record_placement(
          catalog::PlacementRecord{*id, backend::canonical_name(d.name), now, std::nullopt});
      if (!st) {
        if (st.error().code != Errc::not_found) return st.error();
        obs.info(fmt::format("set {} is not in the catalog: its placement at '{}' is not recorded",
                             name.substr(0, 12), d.name));
      }
    }
    obs.info(fmt::format("{}: {} objects sent ({} bytes), {} already there ({} bytes), {} deleted",
                         d.name, d.sent, d.sent_bytes, d.skipped, d.skipped_bytes, d.removed));
    record_space(d, *ctx.cat, obs);
    const auto took = d.first_start ? *d.last_end - *d.first_start : std::chrono::nanoseconds{0};
    res.transfers.push_back(catalog::TransferRecord{
        backend::canonical_name(d.name), catalog::Direction::push, d.sent_bytes,
        static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(took).count())});
  }
  if (all_failed) return *dests.front()->error;
  return res;
}

}  // namespace cairn::ops
