// cairn-prune's garbage collection: the state file, marking and the sweep (see gc.hpp and
// ops/prune.hpp).
//
// State file (<catalog>.prune, JSON, written atomically):
//   {"cairn":"prune-state","version":1,"repository":"<id>",
//    "candidates":{"<pack id>":{"generation":N,"marked_ns":T}, ...},
//    "pending":["-sets/..", "-packs/ab/..", "+index/..", "-index/..", ...]}
// `pending` lists the changes of a set removal or a sweep in progress, in the order cairn-push
// must apply them, each written before the change is made; a run that finds it non-empty (the
// last one died) prints those lines again ("+" for objects that exist, "-" for those that are
// gone), so destinations converge too. Older versions wrote no "-sets/" lines: same format.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "crypto/crypto.hpp"
#include "io/file.hpp"
#include "repo/gc.hpp"
#include "repo/internal.hpp"
#include "repo/objects.hpp"
#include "repo/parity.hpp"

namespace cairn::repo::gc {
namespace {

namespace fs = std::filesystem;
using backend::Key;
using backend::Kind;

struct Mark {
  std::uint64_t generation = 0;
  std::int64_t marked_ns = 0;
};

struct State {
  std::map<hash::PackId, Mark> candidates;
  std::vector<std::string> pending;
};

State load_state(const fs::path& file, const std::string& repo_id, Observer& obs) {
  auto bytes = io::read_file(file);
  if (!bytes) {
    if (bytes.error().code != Errc::not_found)
      obs.info(fmt::format("cannot read prune state '{}' ({}): starting afresh", file.string(),
                           bytes.error().message));
    return {};
  }
  State s;
  try {
    const auto j = nlohmann::json::parse(as_chars(*bytes));
    if (j.at("cairn") != "prune-state" || j.at("version") != 1)
      throw std::runtime_error("not a prune state, version 1");
    if (j.at("repository") != repo_id) return {};  // another repository's: not ours to use
    for (const auto& [pack, m] : j.at("candidates").items()) {
      auto id = hash::PackId::from_hex(pack);
      if (!id) throw std::runtime_error("bad pack id");
      s.candidates[*id] =
          Mark{m.at("generation").get<std::uint64_t>(), m.at("marked_ns").get<std::int64_t>()};
    }
    for (const auto& line : j.at("pending")) s.pending.push_back(line.get<std::string>());
  } catch (const std::exception& e) {
    // Losing the state only delays a sweep (everything is marked again).
    obs.info(fmt::format("ignoring damaged prune state '{}': {}", file.string(), e.what()));
    return {};
  }
  return s;
}

Status save_state(const fs::path& file, const std::string& repo_id, const State& s) {
  nlohmann::json cand = nlohmann::json::object();
  for (const auto& [pack, m] : s.candidates)
    cand[pack.hex()] = {{"generation", m.generation}, {"marked_ns", m.marked_ns}};
  const nlohmann::json j = {{"cairn", "prune-state"},
                            {"version", 1},
                            {"repository", repo_id},
                            {"candidates", cand},
                            {"pending", s.pending}};
  const std::string text = j.dump() + "\n";
  auto st = io::write_file_atomic(file, as_bytes(text), 0600);
  if (!st)
    return std::move(st.error().wrap(fmt::format("cannot save prune state '{}'", file.string())));
  return {};
}

struct IndexFile {
  std::string name;
  std::vector<repo::IndexPack> packs;
};

// Every index file that reads and authenticates, but those in `skip` (read before); the others
// are left alone (verify reports them).
Result<std::vector<IndexFile>> read_indexes(repo::Repository& r, Observer& obs,
                                            const std::set<std::string>& skip = {}) {
  std::vector<std::string> names;
  CAIRN_TRY(r.storage().list(Kind::index, [&](const backend::ObjectInfo& info) -> Status {
    if (!skip.contains(info.key.name)) names.push_back(info.key.name);
    return {};
  }));
  std::sort(names.begin(), names.end());
  std::vector<IndexFile> out;
  for (const auto& name : names) {
    const std::string what = fmt::format("index file '{}'", name);
    auto raw = r.storage().get(Key::index(name));
    if (!raw) {
      if (raw.error().code == Errc::not_found) continue;
      return std::move(raw).error();
    }
    if (hash::blake2b(*raw).hex() != name) {
      obs.warning(what, Error{Errc::corrupt, "its content does not match its name; left alone"});
      continue;
    }
    auto packs = repo::decode_index_file(*raw, r.keys().index_key.view(), r.keys().repo_id, what);
    if (!packs) {
      obs.warning(what, packs.error());
      continue;
    }
    out.push_back(IndexFile{name, std::move(*packs)});
  }
  return out;
}

std::string pack_path(const hash::PackId& p) { return Key::pack(p).path(); }

// Writes an index file for packs a set needs again, from each pack's own trailing index.
Status reindex(repo::Repository& r, const std::vector<hash::PackId>& packs, State& state,
               const fs::path& state_file, const std::string& repo_id, const Report& report,
               GcResult& res, Observer& obs) {
  if (packs.empty()) return {};
  std::vector<repo::IndexPack> entries;
  for (const auto& p : packs) {
    auto e = r.read_pack_index(p);
    if (!e) {  // damage (verify reports it); the other packs still get their entries
      if (e.error().code != Errc::not_found && e.error().code != Errc::corrupt)
        return std::move(e).error();
      obs.warning(fmt::format("pack {}", p.hex()), e.error());
      continue;
    }
    entries.push_back(repo::IndexPack{p, std::move(*e)});
  }
  if (entries.empty()) return {};
  const Bytes bytes = repo::encode_index_file(entries, r.keys().index_key.view(), r.keys().repo_id);
  const Key k = Key::index(hash::blake2b(bytes).hex());
  auto st = r.storage().put(k, bytes, /*no_replace=*/true);
  if (!st && st.error().code != Errc::exists) return std::move(st).error();
  state.pending.push_back("+" + k.path());
  CAIRN_TRY(save_state(state_file, repo_id, state));
  CAIRN_TRY(report('+', k.path()));
  res.rescued += entries.size();
  return {};
}

// Rewrites the index files that name a candidate (or a pack that is gone and unused) without
// it: the new file first, then the old one goes. A pack that another index file (kept, or
// written here) covers already is not repeated.
Status retire(repo::Repository& r, const std::vector<IndexFile>& indexes, State& state,
              std::map<hash::PackId, std::uint64_t>& stored, const PackSet& referenced,
              const fs::path& state_file, const std::string& repo_id, const Report& report,
              const CancelToken& cancel) {
  // A pack missing from the listing is looked at again: a writer stores its packs before
  // its index file, so a pack named by a fresh index file exists by now.
  PackSet dangling;
  for (const auto& f : indexes)
    for (const auto& ip : f.packs) {
      if (stored.contains(ip.pack) || referenced.contains(ip.pack) || dangling.contains(ip.pack))
        continue;
      CAIRN_TRY_ASSIGN(auto info, r.storage().stat(Key::pack(ip.pack)));
      if (info)
        stored.emplace(ip.pack, info->size);
      else
        dangling.insert(ip.pack);
    }
  const auto drop = [&](const hash::PackId& p) {
    return state.candidates.contains(p) || dangling.contains(p);
  };
  PackSet covered;
  std::vector<const IndexFile*> rewrite;
  for (const auto& f : indexes) {
    if (std::any_of(f.packs.begin(), f.packs.end(),
                    [&](const repo::IndexPack& ip) { return drop(ip.pack); })) {
      rewrite.push_back(&f);
    } else {
      for (const auto& ip : f.packs) covered.insert(ip.pack);
    }
  }
  for (const IndexFile* f : rewrite) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    std::vector<repo::IndexPack> keep;
    for (const auto& ip : f->packs)
      if (!drop(ip.pack) && covered.insert(ip.pack).second) keep.push_back(ip);
    const Key old = Key::index(f->name);
    if (!keep.empty()) {
      const Bytes bytes =
          repo::encode_index_file(keep, r.keys().index_key.view(), r.keys().repo_id);
      const Key k = Key::index(hash::blake2b(bytes).hex());
      auto st = r.storage().put(k, bytes, /*no_replace=*/true);
      if (!st && st.error().code != Errc::exists) return std::move(st).error();
      state.pending.push_back("+" + k.path());
      state.pending.push_back("-" + old.path());
      CAIRN_TRY(save_state(state_file, repo_id, state));
      CAIRN_TRY(report('+', k.path()));
    } else {
      state.pending.push_back("-" + old.path());
      CAIRN_TRY(save_state(state_file, repo_id, state));
    }
    CAIRN_TRY(r.storage().remove(old));
    CAIRN_TRY(report('-', old.path()));
  }
  return {};
}

// Reports each line of `lines` the repository agrees with (see the state file above), once,
// skipping those in `skip`.
Status replay(repo::Repository& r, const std::vector<std::string>& lines,
              const std::set<std::string>& skip, const Report& report) {
  std::set<std::string> done = skip;
  for (const auto& line : lines) {
    if (line.size() < 2 || !done.insert(line).second) continue;
    auto key = Key::from_path(line.substr(1));
    if (!key || !key->valid()) continue;
    CAIRN_TRY_ASSIGN(auto info, r.storage().stat(*key));
    if ((line[0] == '+') == info.has_value()) CAIRN_TRY(report(line[0], line.substr(1)));
  }
  return {};
}

// CAIRN_TEST_HOOKS builds only: CAIRN_TEST_KILL_AT=prune-sets-removed kills the process after
// set objects are unlinked and before they are reported (tests/cli/prune/replica-*.sh).
void kill_point(std::string_view name) {
  if (!crypto::test_hooks()) return;
  const char* at = std::getenv("CAIRN_TEST_KILL_AT");
  if (at != nullptr && name == at) ::raise(SIGKILL);
}

Status remove_reported(backend::Backend& b, const std::vector<backend::Key>& keys,
                       const Report& report, const CancelToken& cancel,
                       const std::function<void(const backend::Key&)>& each) {
  for (std::size_t at = 0; at < keys.size(); at += kRemoveGroup) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    const std::vector<backend::Key> group(
        keys.begin() + static_cast<std::ptrdiff_t>(at),
        keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), at + kRemoveGroup)));
    CAIRN_TRY(b.remove_many(group, [&](const backend::Key& k) -> Status {
      CAIRN_TRY(report('-', k.path()));
      each(k);
      return {};
    }));
  }
  return {};
}

}  // namespace

Status scan_sets(repo::Repository& r, Sets& s, const CancelToken& cancel) {
  CAIRN_TRY_ASSIGN(auto ids, r.list_sets());
  for (const auto& id : ids) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    if (s.readable.contains(id) || s.unreadable.contains(id)) continue;
    auto obj = r.read_set(id);
    if (!obj) {
      if (obj.error().code == Errc::not_found) continue;  // removed since the listing
      if (obj.error().code != Errc::corrupt && obj.error().code != Errc::unsupported_format)
        return std::move(obj).error();
      s.unreadable.emplace(id, obj.error().message);
      continue;
    }
    if (!obj->body) {
      s.unreadable.emplace(id, "its body cannot be read with this key");
      continue;
    }
    s.generation = std::max(s.generation, obj->header.seq);
    s.readable.emplace(id, std::move(*obj));
  }
  return {};
}

PackSet referenced_packs(const Sets& s) {
  PackSet out;
  for (const auto& [id, obj] : s.readable) s.moves.resolve(id, obj.body->packs, out);
  return out;
}

Result<std::map<hash::PackId, std::vector<pack::Entry>>> indexed_entries(Repository& r,
                                                                         Observer& obs) {
  CAIRN_TRY_ASSIGN(auto files, read_indexes(r, obs));
  std::map<hash::PackId, std::vector<pack::Entry>> out;
  for (auto& f : files)
    for (auto& ip : f.packs) out.emplace(ip.pack, std::move(ip.entries));
  return out;
}

Result<std::map<hash::PackId, std::uint64_t>> stored_packs(Repository& r) {
  std::map<hash::PackId, std::uint64_t> stored;
  CAIRN_TRY(r.storage().list(Kind::pack, [&](const backend::ObjectInfo& info) -> Status {
    if (auto id = hash::PackId::from_hex(info.key.name)) stored.emplace(*id, info.size);
    return {};
  }));
  return stored;
}

namespace {

// Appends "-sets/ID" for each id not pending yet; true when the list changed.
bool add_set_removals(State& state, const std::vector<hash::SetId>& ids) {
  const std::set<std::string> pending(state.pending.begin(), state.pending.end());
  bool added = false;
  for (const auto& id : ids) {
    std::string line = "-" + Key::set(id).path();
    if (pending.contains(line)) continue;
    state.pending.push_back(std::move(line));
    added = true;
  }
  return added;
}

}  // namespace

Status record_set_removals(const fs::path& state_file, Repository& r,
                           const std::vector<hash::SetId>& ids) {
  if (ids.empty()) return {};
  const std::string repo_id = to_hex(r.config().repo_id);
  CountingObserver quiet;  // a damaged state was named by replay_pending already
  State state = load_state(state_file, repo_id, quiet);
  if (!add_set_removals(state, ids)) return {};
  return save_state(state_file, repo_id, state);
}

Status remove_sets(const fs::path& state_file, Repository& r, const std::vector<hash::SetId>& ids,
                   const Report& report, const CancelToken& cancel,
                   const std::function<void(const hash::SetId&)>& each) {
  if (ids.empty()) return {};
  const std::string repo_id = to_hex(r.config().repo_id);
  CountingObserver quiet;  // a damaged state was named by replay_pending already
  State state = load_state(state_file, repo_id, quiet);
  if (add_set_removals(state, ids)) CAIRN_TRY(save_state(state_file, repo_id, state));
  std::vector<Key> keys;
  for (const auto& id : ids) keys.push_back(Key::set(id));
  bool first = true;
  CAIRN_TRY(remove_reported(
      r.storage(), keys,
      [&](char op, const std::string& path) -> Status {
        if (std::exchange(first, false)) kill_point("prune-sets-removed");
        return report(op, path);
      },
      cancel,
      [&](const Key& k) {
        if (auto id = hash::SetId::from_hex(k.name)) each(*id);
      }));
  // Every one reported: their lines leave the pending list.
  std::set<std::string> done;
  for (const auto& k : keys) done.insert("-" + k.path());
  std::erase_if(state.pending, [&](const std::string& l) { return done.contains(l); });
  return save_state(state_file, repo_id, state);
}

Result<std::vector<hash::SetId>> replay_pending(const fs::path& state_file, Repository& r,
                                                const Report& report, Observer& obs) {
  const std::string repo_id = to_hex(r.config().repo_id);
  State state = load_state(state_file, repo_id, obs);
  std::vector<hash::SetId> sets;
  if (state.pending.empty()) return sets;
  const std::string prefix = fmt::format("-{}/", backend::kind_dir(Kind::set));
  for (const auto& line : state.pending)
    if (line.starts_with(prefix))
      if (auto id = hash::SetId::from_hex(line.substr(prefix.size()))) sets.push_back(*id);
  CAIRN_TRY(replay(r, state.pending, {}, report));
  state.pending.clear();
  CAIRN_TRY(save_state(state_file, repo_id, state));
  return sets;
}

Result<GcResult> collect(const GcOptions& o, Repository& r, Sets& sets, const Report& report,
                         Observer& obs, const CancelToken& cancel) {
  const std::string repo_id = to_hex(r.config().repo_id);
  const fs::path& state_file = o.state_file;
  const std::int64_t now = o.now_ns;
  State state = load_state(state_file, repo_id, obs);
  const std::vector<std::string> crashed = std::move(state.pending);
  state.pending.clear();
  GcResult res;

  CAIRN_TRY_ASSIGN(auto stored, stored_packs(r));
  PackSet referenced = referenced_packs(sets);
  const std::uint64_t generation = sets.generation;

  CAIRN_TRY_ASSIGN(const auto indexes, read_indexes(r, obs));
  PackSet indexed;
  for (const auto& f : indexes)
    for (const auto& ip : f.packs) indexed.insert(ip.pack);

  // A candidate a set references again is rescued: its index entries come back (a backup
  // that opened the repository before the mark deduplicated against it), unless an index
  // file names it already (a backup that was still writing it when it was marked).
  std::vector<hash::PackId> rescue;
  std::map<hash::PackId, Mark> next;
  for (const auto& [pack, m] : state.candidates) {
    if (referenced.contains(pack)) {
      if (!indexed.contains(pack)) rescue.push_back(pack);
    } else if (stored.contains(pack)) {
      // Still named by an index file (a writer indexed it after the last retirement, or that
      // run died): backups may have opened the repository seeing it, so its grace period
      // starts again with this run's retirement.
      next.emplace(pack, indexed.contains(pack) ? Mark{generation, now} : m);
    }
  }
  for (const auto& [pack, size] : stored)
    if (!referenced.contains(pack) && !next.contains(pack))
      next.emplace(pack, Mark{generation, now});
  state.candidates = std::move(next);
  CAIRN_TRY(reindex(r, rescue, state, state_file, repo_id, report, res, obs));
  CAIRN_TRY(save_state(state_file, repo_id, state));

  // Retire every candidate: index files are rewritten without it (new file first), so a
  // backup that opens the repository from now on cannot deduplicate against it. An index
  // entry of a pack that is gone and that no set needs is dropped too.
  CAIRN_TRY(retire(r, indexes, state, stored, referenced, state_file, repo_id, report, cancel));

  // The re-check, after the retirement: a set committed meanwhile protects its packs.
  CAIRN_TRY(scan_sets(r, sets, cancel));
  if (!sets.unreadable.empty())
    return Error{Errc::corrupt,
                 "a set object written during the sweep cannot be read: nothing was deleted"};
  referenced = referenced_packs(sets);
  rescue.clear();
  std::vector<hash::PackId> sweep;
  const std::uint32_t need = std::max<std::uint32_t>(o.grace_generations, 1);
  for (const auto& [pack, m] : state.candidates) {
    if (referenced.contains(pack))
      rescue.push_back(pack);
    else if (generation >= m.generation + need && now - m.marked_ns >= o.grace_ns)
      sweep.push_back(pack);
  }
  for (const auto& p : rescue) state.candidates.erase(p);
  CAIRN_TRY(reindex(r, rescue, state, state_file, repo_id, report, res, obs));

  // A backup that opened the repository before the retirement and deduplicated against a
  // candidate revives it before it commits (an index file naming it again: WriteSession::
  // keep_indexed), then checks the pack is present. The index files are listed once more
  // after the decision, and a candidate a new one names is spared (the next run marks it
  // again): a revival stored before this listing keeps its pack whatever the grace. A revival
  // stored after it finds the pack gone when it checks (and commits nothing), unless its
  // check falls in the moment between this listing and the deletion (one state save): that
  // race, and only it, is what --grace-time still covers (cairn-prune(1)).
  if (!sweep.empty()) {
    std::set<std::string> seen;
    for (const auto& f : indexes) seen.insert(f.name);
    CAIRN_TRY_ASSIGN(const auto fresh, read_indexes(r, obs, seen));
    PackSet again;
    for (const auto& f : fresh)
      for (const auto& ip : f.packs) again.insert(ip.pack);
    std::erase_if(sweep, [&](const hash::PackId& p) { return again.contains(p); });
  }

  // Only now the packs: retired at least `need` sets and `grace` ago, and still unused.
  if (!sweep.empty()) {
    for (const auto& p : sweep) state.pending.push_back("-" + pack_path(p));
    CAIRN_TRY(save_state(state_file, repo_id, state));
  }
  std::vector<Key> sweep_keys;
  for (const auto& p : sweep) sweep_keys.push_back(Key::pack(p));
  CAIRN_TRY(remove_reported(r.storage(), sweep_keys, report, cancel, [&](const Key& k) {
    if (const auto p = hash::PackId::from_hex(k.name)) {
      state.candidates.erase(*p);
      ++res.swept_packs;
      res.swept_bytes += stored[*p];
    }
  }));

  // Parity (U6, repo/parity.hpp): an object none of whose packs is stored any more protects
  // nothing. Each member is looked up now (a pack written since the listing keeps its
  // group); a run killed before this point leaves the object for the next run.
  {
    CAIRN_TRY_ASSIGN(auto groups, parity::list_groups(r, [](const std::string&, Error) {}));
    std::vector<Key> orphaned;
    for (const auto& g : groups) {
      bool any = false;
      for (const auto& m : g.h.packs) {
        CAIRN_TRY_ASSIGN(auto info, r.storage().stat(Key::pack(m.id)));
        if ((any = info.has_value())) break;
      }
      if (!any) orphaned.push_back(Key::parity(g.name));
    }
    CAIRN_TRY(remove_reported(r.storage(), orphaned, report, cancel, [](const Key&) {}));
  }

  // What a run that died had done: report it again, so cairn-push applies it too.
  CAIRN_TRY(replay(r, crashed, {state.pending.begin(), state.pending.end()}, report));

  state.pending.clear();
  CAIRN_TRY(save_state(state_file, repo_id, state));
  res.candidates = state.candidates.size();
  return res;
}

Result<std::optional<std::int64_t>> storage_clock(Repository& r) {
  const auto dir = r.local_tmp_dir();
  if (!dir) return std::optional<std::int64_t>{};
  const fs::path probe = *dir / fmt::format("clock-{}.tmp", repo::random_hex(8));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error(errno, fmt::format("cannot create '{}'", probe.string()));
  // statx(2): the file system's time as it is (a preloaded clock shim such as faketime,
  // which the tests use, rewrites what stat(2) reports but not this)
  struct statx st;
  const int rc = ::statx(fd, "", AT_EMPTY_PATH, STATX_MTIME, &st);
  const int err = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  if (rc != 0) return errno_error(err, fmt::format("cannot stat '{}'", probe.string()));
  return std::optional<std::int64_t>{std::int64_t(st.stx_mtime.tv_sec) * 1'000'000'000 +
                                     st.stx_mtime.tv_nsec};
}

Result<std::vector<TmpFile>> stale_tmp_files(Repository& r, std::int64_t age_ns,
                                             std::int64_t now_ns) {
  std::vector<TmpFile> out;
  const auto dir = r.local_tmp_dir();
  if (!dir) return out;
  std::error_code ec;
  for (fs::directory_iterator it(*dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const std::int64_t mtime = std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    if (now_ns - mtime >= age_ns)
      out.push_back(TmpFile{it->path(), static_cast<std::uint64_t>(st.st_size), mtime});
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return Error{Errc::io, fmt::format("cannot list '{}': {}", dir->string(), ec.message())};
  std::sort(out.begin(), out.end(),
            [](const TmpFile& a, const TmpFile& b) { return a.path < b.path; });
  return out;
}

}  // namespace cairn::repo::gc
