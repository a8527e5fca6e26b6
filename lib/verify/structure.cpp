// cairn-verify's structural check: what is in storage, what the index files list, the key
// slots, every set object (signature, seq/prev chain) and, for each checked set, every pack it
// names and every chunk its stored manifest references. Reads no pack data beyond the stored
// manifests (which are themselves authenticated chunks).
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "crypto/keys.hpp"
#include "repo/objects.hpp"
#include "repo/stored.hpp"
#include "verify/engine.hpp"

namespace cairn::verify {

namespace {

using backend::Key;
using backend::Kind;

void add_pack_damage(Run& run, const hash::PackId& id, PackProblem problem, std::string reason) {
  PackDamage d;
  d.problem = problem;
  d.reason = std::move(reason);
  run.packs.try_emplace(id, std::move(d));
}

void first_detail(SetState& s, std::string_view what) {
  if (s.detail.empty()) s.detail = std::string(what);
}

Status check_key_slots(Run& run) {
  CAIRN_TRY_ASSIGN(auto names, run.repo.list_keys());
  for (const auto& name : names) {
    auto raw = run.repo.read_object(Key::slot(name));
    if (!raw) {
      if (!is_damage(raw.error())) return std::move(raw).error();
      continue;  // removed meanwhile
    }
    auto header = crypto::parse_slot_header(*raw, fmt::format("key slot '{}'", name));
    if (!header) run.other.push_back({"key", name, header.error().message});
  }
  return {};
}

// Every object of `kind` (index files and hold records are named by the BLAKE2b of their
// bytes), read whole, in name order: one removed meanwhile is skipped, one whose bytes do not
// match its name goes to `mismatch` instead of `each`.
Status for_each_named_object(Run& run, Kind kind,
                             const std::function<void(const std::string&)>& mismatch,
                             const std::function<Status(const std::string&, const Bytes&)>& each) {
  std::vector<Key> keys;
  CAIRN_TRY(run.repo.list_objects(kind, [&](const backend::ObjectInfo& info) -> Status {
    keys.push_back(info.key);
    return {};
  }));
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.name < b.name; });
  for (const auto& key : keys) {
    if (run.cancelled()) return cancelled_error();
    const std::string& name = key.name;
    auto raw = run.repo.read_object(key);
    if (!raw) {
      if (raw.error().code == Errc::not_found) continue;  // replaced or removed meanwhile
      return std::move(raw).error();
    }
    auto want = hash::Digest::from_hex(name);
    if (!want || hash::blake2b(*raw) != *want) {
      mismatch(name);
      continue;
    }
    CAIRN_TRY(each(name, *raw));
  }
  return {};
}

}  // namespace

Status for_each_index_pack(Run& run, bool record_damage,
                           const std::function<void(const repo::IndexPack&)>& each) {
  const auto& keys = run.repo.keys();
  return for_each_named_object(
      run, Kind::index,
      [&](const std::string& name) {
        if (record_damage)
          run.other.push_back({"index", name, "its content does not match its name"});
      },
      [&](const std::string& name, const Bytes& raw) -> Status {
        auto packs = repo::decode_index_file(raw, keys.index_key.view(), keys.repo_id,
                                             fmt::format("index file '{}'", name));
        if (!packs) {
          if (!is_damage(packs.error())) return std::move(packs).error();
          if (record_damage) run.other.push_back({"index", name, packs.error().message});
          return {};
        }
        for (const auto& p : *packs) each(p);
        return {};
      });
}

// Hold records (holds/<id>): each must match its name, and (with a full key) authenticate.
// Move records must also be covered by their target packs; those that are go to run.moves.
Status check_hold_records(Run& run) {
  const auto& keys = run.repo.keys();
  std::vector<repo::MoveRecord> moves;
  repo::PackIndexCache cover;
  CAIRN_TRY(for_each_named_object(
      run, Kind::hold,
      [&](const std::string& name) {
        run.other.push_back({"hold", name, "its content does not match its name"});
      },
      [&](const std::string& name, const Bytes& raw) -> Status {
        if (repo::is_config_copy(raw))
          return {};                     // the config's signed copy: open() checks it when needed
        if (repo::is_revocation(raw)) {  // writer revocations share holds/
          auto rev =
              repo::decode_revocation(raw, keys, fmt::format("revocation record '{}'", name));
          if (!rev) {
            if (!is_damage(rev.error())) return std::move(rev).error();
            run.other.push_back({"revocation", name, rev.error().message});
          }
          return {};
        }
        if (repo::is_rotation(raw)) {  // key rotation records: checked when the repository opened
          for (const auto& [record, why] : run.repo.rotation_problems())
            if (record == "holds/" + name) run.other.push_back({"rotation", name, why.message});
          return {};
        }
        if (!keys.can_read()) return {};
        if (repo::is_move_record(raw)) {  // move records (compaction) too
          const std::string what = fmt::format("move record '{}'", name);
          auto mv = repo::decode_move_record(raw, keys, what);
          Status ok = mv ? repo::check_move_cover(run.repo, *mv, what, cover) : Status{};
          if (!mv || !ok) {
            Error e = mv ? std::move(ok).error() : std::move(mv).error();
            if (!is_damage(e)) return e;
            run.other.push_back({"move", name, e.message});
          } else {
            moves.push_back(std::move(*mv));
          }
          return {};
        }
        if (repo::is_erasure_record(raw)) {  // erasure records (cairn erase) too
          auto er =
              repo::decode_erasure_record(raw, keys, fmt::format("erasure record '{}'", name));
          if (!er) {
            if (!is_damage(er.error())) return std::move(er).error();
            run.other.push_back({"erasure", name, er.error().message});
          }
          return {};
        }
        if (repo::is_tag_record(raw)) {  // tag records too
          auto tag = repo::decode_tag_record(raw, keys, fmt::format("tag record '{}'", name));
          if (!tag) {
            if (!is_damage(tag.error())) return std::move(tag).error();
            run.other.push_back({"tag", name, tag.error().message});
          }
          return {};
        }
        auto rec = repo::decode_hold(raw, keys, fmt::format("hold record '{}'", name));
        if (!rec) {
          if (!is_damage(rec.error())) return std::move(rec).error();
          run.other.push_back({"hold", name, rec.error().message});
        }
        return {};
      }));
  run.moves = repo::Moves(std::move(moves));
  return {};
}

Status scan_storage(Run& run, bool repair_missing) {
  CAIRN_TRY(run.repo.list_objects(Kind::pack, [&](const backend::ObjectInfo& info) -> Status {
    if (auto id = hash::PackId::from_hex(info.key.name)) run.stored.emplace(*id, info.size);
    return {};
  }));
  CAIRN_TRY(for_each_index_pack(run, true,
                                [&](const repo::IndexPack& p) { run.indexed.insert(p.pack); }));
  // Before the move records are checked: a compaction's new pack that was lost would make its
  // record (and every set resting on it) look damaged in a run that then rebuilds it.
  if (repair_missing) CAIRN_TRY(repair_missing_from_parity(run));
  CAIRN_TRY(check_hold_records(run));
  if (const auto& p = run.repo.config_problem(); !p.empty())
    run.other.push_back({"config", "config", p});
  return check_key_slots(run);
}

namespace {

// A set object read and verified; nullopt when it is absent (never written, or pruned).
Result<std::optional<SetState>> read_one(Run& run, const hash::SetId& id,
                                         std::optional<catalog::SetRecord> rec) {
  SetState s;
  s.id = id;
  s.rec = std::move(rec);
  auto obj = run.repo.read_set(id);
  if (obj) {
    s.obj = std::move(*obj);
  } else if (obj.error().code == Errc::not_found) {
    return std::optional<SetState>();
  } else if (is_damage(obj.error())) {
    s.damage = obj.error().message;
    s.detail = s.damage;
  } else {
    return std::move(obj).error();
  }
  return std::optional<SetState>(std::move(s));
}

// A set the catalog knows but the early listing did not show: committed since (then it is
// read now), or missing from the repository.
Result<SetState> catalog_only(Run& run, const catalog::SetRecord& rec) {
  CAIRN_TRY_ASSIGN(auto found, read_one(run, rec.id, rec));
  if (found) return std::move(*found);
  SetState s;
  s.id = rec.id;
  s.rec = rec;
  s.missing = true;
  s.damage = fmt::format("the catalog records it as {} but the repository has no such set object",
                         catalog::to_string(rec.status));
  s.detail = s.damage;
  return s;
}

Status select_sets(Run& run) {
  if (run.o.sets.empty()) {
    for (auto& s : run.sets) s.selected = true;
    return {};
  }
  for (const auto& rec : run.o.sets) {
    auto it = std::find_if(run.sets.begin(), run.sets.end(),
                           [&](const SetState& s) { return s.id == rec.id; });
    if (it == run.sets.end()) {
      CAIRN_TRY_ASSIGN(SetState s, catalog_only(run, rec));
      run.sets.push_back(std::move(s));
      it = std::prev(run.sets.end());
    }
    it->selected = true;
  }
  return {};
}

}  // namespace

Status load_sets(Run& run) {
  std::vector<hash::SetId> ids;
  if (run.listed_sets) {
    ids = *run.listed_sets;
  } else {
    CAIRN_TRY_ASSIGN(ids, run.repo.list_sets());
  }
  CAIRN_TRY_ASSIGN(auto recs, run.cat.list_sets());
  std::unordered_map<hash::SetId, catalog::SetRecord> by_id;
  for (auto& r : recs) by_id.emplace(r.id, r);
  std::unordered_set<hash::SetId> seen;
  for (const auto& id : ids) {
    if (run.cancelled()) return cancelled_error();
    std::optional<catalog::SetRecord> rec;
    if (auto it = by_id.find(id); it != by_id.end()) rec = it->second;
    CAIRN_TRY_ASSIGN(auto s, read_one(run, id, std::move(rec)));
    if (!s) continue;  // removed since the listing (a concurrent prune)
    seen.insert(id);
    run.sets.push_back(std::move(*s));
  }
  for (const auto& r : recs) {
    if (r.status == catalog::SetStatus::pruned || seen.contains(r.id)) continue;
    CAIRN_TRY_ASSIGN(auto now, run.repo.stat_object(Key::set(r.id)));
    if (now) continue;  // committed since the listing: the next run checks it
    CAIRN_TRY_ASSIGN(SetState s, catalog_only(run, r));
    run.sets.push_back(std::move(s));
  }
  CAIRN_TRY(select_sets(run));
  std::sort(run.sets.begin(), run.sets.end(), [](const SetState& a, const SetState& b) {
    return std::pair(a.started_ns(), a.id) < std::pair(b.started_ns(), b.id);
  });
  return {};
}

void check_chain(Run& run) {
  std::map<std::uint64_t, std::vector<const SetState*>> by_seq;
  std::unordered_map<hash::SetId, const SetState*> by_id;
  for (const auto& s : run.sets) {
    by_id.emplace(s.id, &s);
    if (s.obj) by_seq[s.obj->header.seq].push_back(&s);
  }
  for (const auto& [seq, list] : by_seq) {
    if (list.size() < 2) continue;
    std::string names;
    for (const auto* s : list) names += (names.empty() ? "" : ", ") + set_prefix(s->id);
    run.notes.push_back(fmt::format("sets {} share seq {} (written concurrently)", names, seq));
  }
  std::uint64_t catalog_max = 0;
  for (const auto& s : run.sets)
    if (s.rec) catalog_max = std::max(catalog_max, s.rec->seq);

  for (const auto& s : run.sets) {
    if (!s.obj) continue;
    const auto& h = s.obj->header;
    if (!h.prev) {
      if (h.seq != 1)
        run.warnings.push_back(
            fmt::format("set {} has seq {} but names no predecessor", s.id.hex(), h.seq));
    } else if (auto p = by_id.find(*h.prev); p != by_id.end()) {
      if (p->second->obj && p->second->obj->header.seq >= h.seq)
        run.warnings.push_back(
            fmt::format("set {} (seq {}) follows set {} (seq {}): the sequence goes backwards",
                        s.id.hex(), h.seq, h.prev->hex(), p->second->obj->header.seq));
    } else {
      run.notes.push_back(
          fmt::format("set {} (seq {}): its predecessor {} is not in the repository (pruned?)",
                      set_prefix(s.id), h.seq, set_prefix(*h.prev)));
    }
    if (!s.rec && h.seq < catalog_max)
      run.notes.push_back(
          fmt::format("set {} (seq {}) is not in the catalog, whose newest set has seq {}",
                      s.id.hex(), h.seq, catalog_max));
  }
}

namespace {

void check_set_packs(Run& run, SetState& s) {
  for (const auto& p : run.moves.resolve(s.id, s.body()->packs)) {
    run.checked_packs.insert(p);
    if (!run.stored.contains(p)) {
      add_pack_damage(run, p, PackProblem::missing,
                      fmt::format("set {} needs it but it is not in storage", set_prefix(s.id)));
      first_detail(s, fmt::format("pack {} is missing", p.hex()));
    } else if (!run.indexed.contains(p)) {
      add_pack_damage(run, p, PackProblem::unindexed, "no index file lists it");
      first_detail(s, fmt::format("pack {} is not indexed", p.hex()));
    }
  }
}

// One chunk the set needs: known to an index file, in a pack that is in storage.
void check_chunk(Run& run, SetState& s, const hash::ChunkId& c, std::string_view path) {
  const auto copies = run.repo.locate_all(c);
  if (copies.size() > 1)  // rare: only then are there packs beyond the set's own to read
    for (const auto& l : copies)
      if (run.stored.contains(l.pack)) run.copy_packs.insert(l.pack);
  auto loc = copies.empty() ? std::nullopt : std::optional<repo::Location>(copies[0]);
  if (!loc) {
    run.missing_chunks.try_emplace(
        c, fmt::format("set {} needs it for '{}' but no index file lists it", set_prefix(s.id),
                       printable_path(path)));
    first_detail(s, fmt::format("chunk {} is missing", c.hex()));
    return;
  }
  if (!run.stored.contains(loc->pack)) {
    add_pack_damage(
        run, loc->pack, PackProblem::missing,
        fmt::format("it holds chunks of set {} but it is not in storage", set_prefix(s.id)));
    first_detail(s, fmt::format("pack {} is missing", loc->pack.hex()));
  }
}

Status manifest_damage(SetState& s, Error e) {
  if (e.code == Errc::cancelled || !is_damage(e)) return e;
  s.damage = fmt::format("cannot read its manifest: {}", e.message);
  first_detail(s, s.damage);
  return {};
}

Status check_set_chunks(Run& run, SetState& s) {
  for (const auto& c : s.body()->manifest) check_chunk(run, s, c, "(manifest)");
  auto stored = repo::open_stored_set(run.repo, s.id);
  if (!stored) return manifest_damage(s, std::move(stored).error());
  manifest::Entry e;
  for (;;) {
    if (run.cancelled()) return cancelled_error();
    auto more = stored->manifest->next(e);
    if (!more) return manifest_damage(s, std::move(more).error());
    if (!*more) break;
    if (e.type != manifest::Type::file) continue;
    for (const auto& c : e.chunks) check_chunk(run, s, c, e.path);
    run.obs.advanced(0, 1);
  }
  return {};
}

}  // namespace

Status check_sets(Run& run) {
  for (auto& s : run.sets) {
    if (!s.selected) continue;
    ++run.summary.sets;
    if (!s.body() || !s.damage.empty()) continue;
    if (run.cancelled()) return cancelled_error();
    // The catalog chose this set (SOURCE@latest, @TIME, a prefix) and others trust its rows:
    // a row that disagrees with the signed object is damage of the catalog, not of the set.
    if (s.rec && run.o.check_row)
      if (Status agree = run.o.check_row(*s.rec, *s.obj); !agree)
        run.other.push_back({"catalog", s.id.hex(), agree.error().message});
    run.obs.started(fmt::format("set {}", set_prefix(s.id)));
    check_set_packs(run, s);
    CAIRN_TRY(check_set_chunks(run, s));
  }
  run.summary.packs_checked = run.checked_packs.size();
  return {};
}

void count_garbage(Run& run) {
  std::unordered_set<hash::PackId> referenced;
  bool unknown = false;
  for (const auto& s : run.sets) {
    if (s.missing) continue;
    if (!s.body()) {
      unknown = true;
      continue;
    }
    run.moves.resolve(s.id, s.body()->packs, referenced);
  }
  for (const auto& [id, size] : run.stored) {
    if (referenced.contains(id)) continue;
    ++run.summary.garbage;
    run.summary.garbage_bytes += size;
  }
  if (unknown && run.summary.garbage > 0)
    run.notes.push_back(
        "some set objects are damaged: packs only they name are counted as garbage");
}

}  // namespace cairn::verify
