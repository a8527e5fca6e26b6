// cairn repair (see repair.hpp): scan, then mend packs (a copy from a destination, else lost),
// then the index files (a new one first, the damaged ones aside after).
#include "ops/repair.hpp"

#include <signal.h>
#include <stdio.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "crypto/crypto.hpp"
#include "ops/tag.hpp"
#include "pack/pack.hpp"
#include "repo/gc.hpp"
#include "repo/objects.hpp"
#include "repo/rewrite.hpp"

namespace cairn::ops {
namespace {

namespace fs = std::filesystem;
using backend::Key;
using backend::Kind;

constexpr std::uint64_t kReadStep = 8ull << 20;  // a pack is hashed in reads of this size

// CAIRN_TEST_PAUSE=POINT (builds with -DCAIRN_TEST_HOOKS=ON only): the process stops itself
// (SIGSTOP) here, so a test can kill it in the middle of a repair.
void pause_point(std::string_view name) {
  if (!crypto::test_hooks()) return;
  const char* at = std::getenv("CAIRN_TEST_PAUSE");
  if (at != nullptr && name == at) ::raise(SIGSTOP);
}

bool is_damage(const Error& e) {
  return e.code == Errc::corrupt || e.code == Errc::unsupported_format;
}

struct IndexFile {
  std::string name;
  std::vector<repo::IndexPack> packs;
};

struct Indexes {
  std::vector<IndexFile> good;
  std::map<std::string, std::string> damaged;  // name -> why
};

Result<Indexes> read_index_files(repo::Repository& r) {
  std::vector<std::string> names;
  CAIRN_TRY(r.storage().list(Kind::index, [&](const backend::ObjectInfo& info) -> Status {
    names.push_back(info.key.name);
    return {};
  }));
  std::sort(names.begin(), names.end());
  Indexes out;
  for (const auto& name : names) {
    auto raw = r.storage().get(Key::index(name));
    if (!raw) {
      if (raw.error().code == Errc::not_found) continue;  // removed meanwhile
      return std::move(raw).error();
    }
    const auto want = hash::Digest::from_hex(name);
    if (!want || hash::blake2b(*raw) != *want) {
      out.damaged.emplace(name, "its content does not match its name");
      continue;
    }
    auto packs = repo::decode_index_file(*raw, r.keys().index_key.view(), r.keys().repo_id,
                                         fmt::format("index file '{}'", name));
    if (!packs) {
      if (!is_damage(packs.error())) return std::move(packs).error();
      out.damaged.emplace(name, packs.error().message);
      continue;
    }
    out.good.push_back(IndexFile{name, std::move(*packs)});
  }
  return out;
}

// Why the stored pack `p` of `size` bytes is damaged; "" when its bytes hash to its name and
// its trailing index authenticates.
Result<std::string> check_stored_pack(repo::Repository& r, const hash::PackId& p,
                                      std::uint64_t size, Observer& obs) {
  hash::Blake2b h;
  for (std::uint64_t at = 0; at < size; at += kReadStep) {
    const std::uint64_t want = std::min(kReadStep, size - at);
    auto part = r.storage().get(Key::pack(p), at, want);
    if (!part) {
      if (part.error().code == Errc::not_found) return std::string("it is not in storage");
      return std::move(part).error();
    }
    if (part->size() != want) return std::string("it is shorter than its listed size");
    h.update(*part);
    obs.advanced(want, 0);
  }
  if (h.finish() != p.d) return std::string("its content does not match its name");
  auto idx = r.read_pack_index(p);
  if (!idx) {
    if (!is_damage(idx.error()) && idx.error().code != Errc::not_found)
      return std::move(idx).error();
    return idx.error().message;
  }
  return std::string();
}

// The intact copy of `p` at `be` (named `dest`): its bytes hash to its name and its trailing
// index authenticates under this repository's keys. Errc::not_found or corrupt (naming
// `dest`) when there is none; other errors (network, auth) as they are.
Result<Bytes> fetch_copy(backend::Backend& be, const repo::Repository& r, const hash::PackId& p,
                         const std::string& dest) {
  auto bytes = be.get(Key::pack(p));
  if (!bytes) {
    if (bytes.error().code == Errc::not_found)
      return Error{Errc::not_found, fmt::format("'{}' has no copy", dest)};
    return std::move(bytes.error().wrap(fmt::format("destination '{}'", dest)));
  }
  if (hash::blake2b(*bytes) != p.d)
    return Error{Errc::corrupt, fmt::format("the copy at '{}' does not match its name", dest)};
  auto idx = pack::read_index(*bytes, r.keys().index_key.view(), r.keys().repo_id,
                              fmt::format("the copy at '{}'", dest));
  if (!idx) return Error{Errc::corrupt, idx.error().message};
  return std::move(*bytes);
}

// Moves the object `k` of the local repository at `root` to root/damaged/<kind dir>/<name>
// (name.1, name.2, ... when one is there already). Absent: nothing to do (false).
Result<bool> move_aside(const fs::path& root, const Key& k) {
  const fs::path from = root / k.path();
  const fs::path dir = root / "damaged" / std::string(backend::kind_dir(k.kind));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{Errc::io, fmt::format("cannot create '{}': {}", dir.string(), ec.message())};
  fs::path to = dir / k.name;
  for (int n = 1; fs::exists(to, ec); ++n) to = dir / fmt::format("{}.{}", k.name, n);
  if (::rename(from.c_str(), to.c_str()) != 0) {
    if (errno == ENOENT) return false;
    return errno_error(errno, fmt::format("cannot move '{}' aside", from.string()));
  }
  CAIRN_TRY(io::fsync_dir(dir));
  CAIRN_TRY(io::fsync_dir(from.parent_path()));
  return true;
}

std::string set_list(const std::vector<hash::SetId>& sets) {
  std::string s;
  for (const auto& id : sets) s += (s.empty() ? "" : ", ") + id.hex().substr(0, 12);
  return s;
}

class Repairer {
 public:
  Repairer(const RepairOptions& o, Context& ctx, fs::path root, io::Writer& out, Observer& obs)
      : o_(o), ctx_(ctx), r_(*ctx.repo), root_(std::move(root)), out_(out), obs_(obs) {}

  Result<Outcome> run(const CancelToken& cancel);

 private:
  Status say(const std::string& line) {
    CAIRN_TRY(out_.write(as_bytes(line + "\n")));
    return out_.flush();
  }
  // A change made and durable: its audit row, then its object line.
  Status did(char op, const std::string& path, const std::string& what) {
    ++changes_;
    obs_.info(what);
    CAIRN_TRY(audit(*ctx_.cat, "cairn repair", "ok: " + what));
    return say(fmt::format("{}{}", op, path));
  }
  Result<backend::Backend*> destination(const std::string& dest);
  Result<bool> restore_pack(const hash::PackId& p, const std::string& why, std::string& tried);
  Status lose_packs(const std::vector<IndexFile>& good);
  Status write_index(const std::vector<hash::PackId>& packs);

  const RepairOptions& o_;
  Context& ctx_;
  repo::Repository& r_;
  fs::path root_;
  io::Writer& out_;
  Observer& obs_;
  std::map<std::string, std::unique_ptr<backend::Backend>> dests_;
  std::map<hash::PackId, std::string> lost_;  // packs to record as lost, and why
  std::set<hash::PackId> stored_;
  int changes_ = 0;
};

Result<backend::Backend*> Repairer::destination(const std::string& dest) {
  auto it = dests_.find(dest);
  if (it == dests_.end()) {
    auto be = backend::open_url(dest, o_.remote);
    if (!be) return std::move(be.error().wrap(fmt::format("destination '{}'", dest)));
    it = dests_.emplace(dest, std::move(*be)).first;
  }
  return it->second.get();
}

// Puts the first intact copy the destinations hold in place of `p`; false (with what each
// destination said appended to `tried`) when none has one.
Result<bool> Repairer::restore_pack(const hash::PackId& p, const std::string& why,
                                    std::string& tried) {
  const Key k = Key::pack(p);
  for (const auto& dest : o_.from) {
    CAIRN_TRY_ASSIGN(backend::Backend * be, destination(dest));
    auto copy = fetch_copy(*be, r_, p, dest);
    if (!copy) {
      if (copy.error().code != Errc::not_found && copy.error().code != Errc::corrupt)
        return std::move(copy).error();
      tried += "; " + copy.error().message;
      continue;
    }
    const std::string name = backend::canonical_name(dest);
    if (o_.dry_run) {
      CAIRN_TRY(say(fmt::format("would restore {} ({}) from '{}'", k.path(), why, name)));
    } else {
      CAIRN_TRY(r_.storage().put(k, *copy));  // replaces a damaged file atomically
      CAIRN_TRY(did('+', k.path(), fmt::format("restored {} ({}) from '{}'", k.path(), why, name)));
    }
    return true;
  }
  return false;
}

// The index files naming a lost pack are rewritten without it (the new file first, then the
// old one goes), then the lost packs still stored move aside.
Status Repairer::lose_packs(const std::vector<IndexFile>& good) {
  for (const auto& f : good) {
    std::vector<repo::IndexPack> keep;
    for (const auto& ip : f.packs)
      if (!lost_.contains(ip.pack)) keep.push_back(ip);
    if (keep.size() == f.packs.size()) continue;
    const Key old = Key::index(f.name);
    if (o_.dry_run) {
      CAIRN_TRY(say(fmt::format("would rewrite {} without the lost packs", old.path())));
      continue;
    }
    if (!keep.empty()) {
      const Bytes bytes =
          repo::encode_index_file(keep, r_.keys().index_key.view(), r_.keys().repo_id);
      const Key k = Key::index(hash::blake2b(bytes).hex());
      auto st = r_.storage().put(k, bytes, /*no_replace=*/true);
      if (!st && st.error().code != Errc::exists) return std::move(st).error();
      CAIRN_TRY(did('+', k.path(),
                    fmt::format("wrote {}: {} without its {} lost packs", k.path(), old.path(),
                                f.packs.size() - keep.size())));
    }
    CAIRN_TRY(r_.storage().remove(old));
    CAIRN_TRY(did('-', old.path(), fmt::format("removed {}: it named lost packs", old.path())));
  }
  for (const auto& [p, why] : lost_) {
    const Key k = Key::pack(p);
    if (!stored_.contains(p)) continue;
    if (o_.dry_run) {
      CAIRN_TRY(say(fmt::format("would move {} ({}) aside to damaged/", k.path(), why)));
      continue;
    }
    CAIRN_TRY_ASSIGN(const bool moved, move_aside(root_, k));
    if (!moved) continue;
    ++changes_;
    const std::string what = fmt::format("recorded {} as lost ({}): moved aside to damaged/{}",
                                         k.path(), why, std::string(backend::kind_dir(Kind::pack)));
    obs_.info(what);
    CAIRN_TRY(audit(*ctx_.cat, "cairn repair", "ok: " + what));
  }
  return {};
}

// One new index file from the trailing indexes of `packs`.
Status Repairer::write_index(const std::vector<hash::PackId>& packs) {
  if (packs.empty()) return {};
  if (o_.dry_run)
    return say(
        fmt::format("would write an index file for {} packs from their own indexes", packs.size()));
  std::vector<repo::IndexPack> entries;
  for (const auto& p : packs) {
    CAIRN_TRY_ASSIGN(auto e, r_.read_pack_index(p));
    entries.push_back(repo::IndexPack{p, std::move(e)});
  }
  const Bytes bytes =
      repo::encode_index_file(entries, r_.keys().index_key.view(), r_.keys().repo_id);
  const Key k = Key::index(hash::blake2b(bytes).hex());
  auto st = r_.storage().put(k, bytes, /*no_replace=*/true);
  if (!st && st.error().code != Errc::exists) return std::move(st).error();
  return did('+', k.path(),
             fmt::format("wrote {} from the trailing indexes of {} packs", k.path(), packs.size()));
}

Result<Outcome> Repairer::run(const CancelToken& cancel) {
  const auto interrupted = [&] { return Error{Errc::cancelled, "interrupted"}; };
  repo::gc::Sets sets;
  CAIRN_TRY(repo::gc::scan_sets(r_, sets, cancel));
  for (const auto& [id, why] : sets.unreadable)
    obs_.info(
        fmt::format("set {} cannot be read ({}): the packs it names are not known", id.hex(), why));
  // The packs each set needs, through the move records (compaction): a pack rewritten and
  // swept is not missing. A damaged record is verify's to name; here it moves nothing.
  CAIRN_TRY_ASSIGN(sets.moves, repo::load_moves(r_, [](const std::string&, const Error&) {}));
  std::map<hash::PackId, std::vector<hash::SetId>> needed_by;
  for (const auto& [id, obj] : sets.readable)
    for (const auto& p : sets.moves.resolve(id, obj.body->packs)) needed_by[p].push_back(id);

  CAIRN_TRY_ASSIGN(const auto stored, repo::gc::stored_packs(r_));
  for (const auto& [p, size] : stored) stored_.insert(p);
  CAIRN_TRY_ASSIGN(const Indexes indexes, read_index_files(r_));
  std::set<hash::PackId> indexed;
  for (const auto& f : indexes.good)
    for (const auto& ip : f.packs) indexed.insert(ip.pack);

  std::map<hash::PackId, std::string> bad;
  std::uint64_t total = 0;
  for (const auto& [p, size] : stored) total += size;
  obs_.expect(total, 0);
  for (const auto& [p, size] : stored) {
    if (cancel.cancelled()) return interrupted();
    CAIRN_TRY_ASSIGN(std::string why, check_stored_pack(r_, p, size, obs_));
    if (!why.empty()) bad.emplace(p, std::move(why));
  }
  for (const auto& [p, ids] : needed_by)
    if (!stored.contains(p)) bad.emplace(p, "it is not in storage");
  for (const auto& p : indexed)
    if (!stored.contains(p)) bad.emplace(p, "an index file names it but it is not in storage");

  std::set<hash::PackId> restored;
  std::vector<std::pair<hash::PackId, std::string>> unrepaired;
  for (const auto& [p, why] : bad) {
    if (cancel.cancelled()) return interrupted();
    std::string tried;
    CAIRN_TRY_ASSIGN(const bool ok, restore_pack(p, why, tried));
    if (ok) {
      restored.insert(p);
      continue;
    }
    const auto need = needed_by.find(p);
    // A pack no set needs loses nothing: it leaves the index (and storage) all the same.
    if (need == needed_by.end() || o_.mark_lost) lost_.emplace(p, why);
    if (need != needed_by.end())
      unrepaired.emplace_back(
          p, fmt::format("{}{}; sets {} need it", why, tried, set_list(need->second)));
  }
  CAIRN_TRY(lose_packs(indexes.good));

  // The packs the sets need that no good index file names: a new index file from their own.
  std::vector<hash::PackId> unindexed;
  for (const auto& [p, ids] : needed_by) {
    const bool intact = restored.contains(p) || (stored.contains(p) && !bad.contains(p));
    if (intact && !indexed.contains(p)) unindexed.push_back(p);
  }
  CAIRN_TRY(write_index(unindexed));
  pause_point("repair-index-written");
  for (const auto& [name, why] : indexes.damaged) {
    const Key k = Key::index(name);
    if (o_.dry_run) {
      CAIRN_TRY(
          say(fmt::format("would move the damaged {} ({}) aside to damaged/", k.path(), why)));
      continue;
    }
    CAIRN_TRY_ASSIGN(const bool moved, move_aside(root_, k));
    if (moved)
      CAIRN_TRY(did('-', k.path(),
                    fmt::format("moved the damaged {} ({}) aside to damaged/{}", k.path(), why,
                                std::string(backend::kind_dir(Kind::index)))));
  }

  if (!unrepaired.empty()) {
    const auto& [p, why] = unrepaired.front();
    const std::string more =
        unrepaired.size() > 1 ? fmt::format(" ({} more packs too)", unrepaired.size() - 1) : "";
    const std::string fix =
        o_.mark_lost
            ? "it is recorded as lost: restore those sets with cairn-restore --keep-going, or "
              "bring the pack back with 'cairn repair --from DEST'"
            : "give --from DEST with an intact copy, or record it as lost with --mark-lost";
    return Error{Errc::corrupt,
                 fmt::format("pack {} cannot be repaired: {}{}; {}", p.hex(), why, more, fix)};
  }
  if (changes_ == 0 && !o_.dry_run) obs_.info("nothing to repair");
  return Outcome{};
}

}  // namespace

Result<Outcome> repair(const RepairOptions& o, io::Writer& out, Observer& obs,
                       const CancelToken& cancel) {
  RepoOptions ro = o.repo;
  ro.unlock.skip_damaged_indexes = true;  // they are what this repairs
  CAIRN_TRY_ASSIGN(Context ctx, open_context(ro, &obs));
  if (!ctx.repo->keys().can_read())
    return Error{Errc::auth,
                 "repairing needs a full key: a write-only key cannot read the set objects that "
                 "say which packs are needed"};
  const auto config = ctx.repo->local_file(Key::config());
  if (!config)
    return Error{Errc::usage,
                 "cairn repair mends a local repository (--repo DIR); a destination's copies "
                 "are read with --from DEST"};
  Repairer rep(o, ctx, config->parent_path(), out, obs);
  return rep.run(cancel);
}

}  // namespace cairn::ops
