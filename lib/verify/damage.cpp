// cairn-verify's damage report: the damaged or missing objects, then every set that depends on
// them and, in each, exactly the files whose content cannot be restored as stored.
//
// A chunk of set S is bad when no index file lists it, when every copy the index files list
// is in a pack damaged for that chunk, or when it is among the chunks lost from a damaged pack
// that S itself names (S's own copy: a full set must restore alone).
// The chunks a wholly damaged or missing pack held come from the index files.
#include <algorithm>

#include <fmt/format.h>

#include "repo/stored.hpp"
#include "verify/engine.hpp"

namespace cairn::verify {

namespace {

Status fill_lost(Run& run) {
  const bool need = std::any_of(run.packs.begin(), run.packs.end(), [](const auto& kv) {
    return kv.second.whole && kv.second.problem != PackProblem::unindexed;
  });
  if (!need) return {};
  return for_each_index_pack(run, false, [&](const repo::IndexPack& p) {
    auto it = run.packs.find(p.pack);
    if (it == run.packs.end() || !it->second.whole) return;
    for (const auto& e : p.entries) it->second.lost.insert(e.id);
  });
}

class Attribution {
 public:
  Attribution(Run& run, const SetState& s) : run_(run) {
    for (const auto& p : run.moves.resolve(s.id, s.body()->packs))
      if (auto it = run.packs.find(p); it != run.packs.end()) listed_.push_back(&it->second);
  }
  bool names_damaged_pack() const { return !listed_.empty(); }

  // Bad when lost from a damaged pack the set itself names (its own copy: a full set must
  // restore alone, e.g. from a destination that holds only its packs), or when no copy the
  // index files list is intact (reads try every copy, so a bad copy planted elsewhere does not
  // make the chunk bad).
  bool bad(const hash::ChunkId& c) const {
    if (std::any_of(listed_.begin(), listed_.end(),
                    [&](const PackDamage* d) { return d->lost.contains(c); }))
      return true;
    const auto copies = run_.repo.locate_all(c);
    for (const auto& loc : copies) {
      auto it = run_.packs.find(loc.pack);
      if (it == run_.packs.end() || !(it->second.whole || it->second.lost.contains(c)))
        return false;
    }
    return true;
  }

 private:
  Run& run_;
  std::vector<const PackDamage*> listed_;
};

// The files of `s` with a bad chunk. A manifest that cannot be read is recorded as the set's
// damage (every file is then affected); other errors stop the run.
Result<std::vector<std::string>> affected_files(Run& run, SetState& s, const Attribution& a) {
  std::vector<std::string> files;
  const auto lost_manifest = [&](const Error& e) -> Result<std::vector<std::string>> {
    if (e.code == Errc::cancelled || !is_damage(e)) return e;
    s.damage = fmt::format("cannot read its manifest: {}", e.message);
    return files;
  };
  for (const auto& c : s.body()->manifest)
    if (a.bad(c))
      return lost_manifest(
          Error{Errc::corrupt, fmt::format("chunk {} is damaged or missing", c.hex())});
  auto stored = repo::open_stored_set(run.repo, s.id);
  if (!stored) return lost_manifest(stored.error());
  manifest::Entry e;
  for (;;) {
    if (run.cancelled()) return cancelled_error();
    auto more = stored->manifest->next(e);
    if (!more) return lost_manifest(more.error());
    if (!*more) break;
    if (e.type != manifest::Type::file) continue;
    if (std::any_of(e.chunks.begin(), e.chunks.end(),
                    [&](const hash::ChunkId& c) { return a.bad(c); }))
      files.push_back(e.path);
  }
  return files;
}

std::string_view pack_state(PackProblem p) {
  return p == PackProblem::missing ? "missing" : "damaged";
}

Status report_objects(Run& run) {
  for (const auto& d : run.other) CAIRN_TRY(run.report.object("damaged", d.object, d.id, d.reason));
  for (const auto& s : run.sets)
    if (!s.damage.empty() && (s.selected || s.missing || s.affected))
      CAIRN_TRY(run.report.object(s.missing ? "missing" : "damaged", "set", s.id.hex(), s.damage));
  for (const auto& [id, d] : run.packs) {
    CAIRN_TRY(run.report.object(pack_state(d.problem), "pack", id.hex(), d.reason));
    for (const auto& b : d.bad)
      CAIRN_TRY(run.report.object("damaged", "chunk", b.id.hex(), b.reason));
  }
  for (const auto& [id, why] : run.missing_chunks)
    CAIRN_TRY(run.report.object("missing", "chunk", id.hex(), why));
  return {};
}

}  // namespace

Status report_damage(Run& run) {
  // Sets whose manifest could not be read are damaged whatever else is found.
  for (auto& s : run.sets)
    if (s.selected && !s.missing && s.obj && !s.damage.empty()) s.affected = true;
  if (!run.packs.empty() || !run.missing_chunks.empty()) {
    CAIRN_TRY(fill_lost(run));
    for (auto& s : run.sets) {
      if (!s.body() || !s.damage.empty()) continue;
      Attribution a(run, s);
      if (!s.selected && !a.names_damaged_pack()) continue;
      CAIRN_TRY_ASSIGN(auto files, affected_files(run, s, a));
      if (files.empty() && !a.names_damaged_pack() && s.damage.empty()) continue;
      s.affected = true;
      if (s.detail.empty())
        s.detail = !s.damage.empty() ? s.damage
                                     : fmt::format("{} files depend on damaged data", files.size());
      s.affected_files = std::move(files);
    }
  }
  CAIRN_TRY(report_objects(run));
  for (const auto& s : run.sets) {
    if (!s.affected) continue;
    CAIRN_TRY(run.report.affected_set(s.id, s.source(), s.started_ns()));
    for (const auto& f : s.affected_files) CAIRN_TRY(run.report.affected_file(s.id, f));
  }
  return {};
}

}  // namespace cairn::verify
