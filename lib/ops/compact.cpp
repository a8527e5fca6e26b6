// cairn-prune --max-unused: which packs to rewrite (see compact.hpp).
#include "ops/compact.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/units.hpp"
#include "repo/stored.hpp"

namespace cairn::ops {

Result<MaxUnused> parse_max_unused(std::string_view text) {
  MaxUnused m;
  if (text.ends_with('%')) {
    const std::string_view digits = text.substr(0, text.size() - 1);
    unsigned v = 0;
    bool ok = !digits.empty() && digits.size() <= 3;
    for (char c : digits) {
      if (c < '0' || c > '9') ok = false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (!ok || v > 99)
      return Error{Errc::usage, fmt::format("--max-unused '{}': a percentage is 0% to 99%", text)};
    m.percent = v;
    return m;
  }
  auto size = parse_size(text);
  if (!size || *size == 0)
    return Error{Errc::usage, fmt::format("--max-unused '{}' is neither a percentage (10%) nor a "
                                          "size (64M)",
                                          text)};
  m.budget = *size;
  return m;
}

namespace {

// Every chunk set `id` needs: its manifest's own chunks and every file's.
Status add_live(repo::Repository& r, const hash::SetId& id,
                std::unordered_set<hash::ChunkId, hash::DigestHasher>& live,
                const CancelToken& cancel) {
  auto stored = repo::open_stored_set(r, id);
  if (!stored) return std::move(stored).error();
  live.insert(stored->body().manifest.begin(), stored->body().manifest.end());
  manifest::Entry e;
  for (;;) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    CAIRN_TRY_ASSIGN(const bool more, stored->next(e));
    if (!more) return {};
    live.insert(e.chunks.begin(), e.chunks.end());
  }
}

}  // namespace

Result<CompactPlan> plan_compaction(repo::Repository& r, const repo::gc::Sets& s,
                                    const std::vector<hash::SetId>& keep, const MaxUnused& m,
                                    Observer& obs, const CancelToken& cancel) {
  CompactPlan plan;
  repo::gc::PackSet needed;
  for (const auto& id : keep) {
    auto it = s.readable.find(id);
    if (it == s.readable.end()) continue;
    if (Status st = add_live(r, id, plan.live, cancel); !st) {
      if (st.error().code == Errc::cancelled) return std::move(st).error();
      return Error{Errc::corrupt,
                   fmt::format("set {}: {}; nothing is compacted", id.hex(), st.error().message)};
    }
    s.moves.resolve(id, it->second.body->packs, needed);
    plan.sets.push_back(id);
  }
  CAIRN_TRY_ASSIGN(const auto stored, repo::gc::stored_packs(r));
  CAIRN_TRY_ASSIGN(const auto entries, repo::gc::indexed_entries(r, obs));
  struct Waste {
    hash::PackId pack;
    std::uint64_t size = 0, live = 0;
    bool old = false;  // sealed to an older key generation
  };
  const std::size_t newest = r.generations().empty() ? 0 : r.generations().size() - 1;
  std::vector<Waste> all;
  for (const auto& [pack, list] : entries) {
    auto size = stored.find(pack);
    if (!needed.contains(pack) || size == stored.end()) continue;  // the sweep's, not ours
    Waste w{pack, size->second, 0, false};
    for (const auto& e : list)
      if (plan.live.contains(e.id)) w.live += e.sealed_len;
    if (m.reencrypt && newest > 0) {
      // A pack no generation of this key opens is damage for verify to name; it stays.
      CAIRN_TRY_ASSIGN(const auto g, r.pack_generation(pack));
      w.old = g && *g < newest;
    }
    if (w.live < w.size || w.old) all.push_back(w);
  }
  // Packs under an old key first, then the worst (most unused bytes), then by id: the same
  // choice every time, so a run cut short by --max-rewrite is continued by the next.
  std::sort(all.begin(), all.end(), [](const Waste& a, const Waste& b) {
    if (a.old != b.old) return a.old;
    const auto ua = a.size - a.live, ub = b.size - b.live;
    return ua != ub ? ua > ub : a.pack < b.pack;
  });
  std::uint64_t unused = 0;
  for (const auto& w : all) {
    bool pick = w.old;
    if (!pick && m.by_waste())
      pick = m.percent ? (w.size - w.live) * 100 > std::uint64_t{*m.percent} * w.size
                       : unused < m.budget;
    if (!pick) continue;
    if (m.max_rewrite > 0 && !plan.packs.empty() && plan.rewrite_bytes + w.live > m.max_rewrite) {
      ++plan.deferred;
      continue;
    }
    unused += w.size - w.live;
    plan.packs.push_back(w.pack);
    plan.rewrite_bytes += w.live;
    plan.free_bytes += w.size;
    if (w.old) ++plan.reencrypt;
  }
  std::sort(plan.packs.begin(), plan.packs.end());
  return plan;
}

}  // namespace cairn::ops
