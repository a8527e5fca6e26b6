// Rewriting packs and the move records (see rewrite.hpp).
#include "repo/rewrite.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

namespace cairn::repo {

void test_pause([[maybe_unused]] std::string_view point) {
#ifdef CAIRN_TEST_HOOKS
  const char* env = std::getenv("CAIRN_TEST_PAUSE");
  for (std::string_view at = env != nullptr ? env : ""; !at.empty();) {
    const auto comma = at.find(',');
    if (at.substr(0, comma) == point) ::raise(SIGSTOP);
    at = comma == std::string_view::npos ? std::string_view{} : at.substr(comma + 1);
  }
#endif
}

Status check_move_cover(Repository& r, const MoveRecord& m, std::string_view what,
                        PackIndexCache& cache) {
  for (const auto& mv : m.moves) {
    std::vector<const PackIndexCache::mapped_type*> targets;
    for (const auto& q : mv.to) {
      auto it = cache.find(q);
      if (it == cache.end()) {
        auto entries = r.read_pack_index(q);
        if (!entries) {
          if (entries.error().code != Errc::not_found && entries.error().code != Errc::corrupt)
            return std::move(entries).error();
          return Error{Errc::corrupt,
                       fmt::format("{} moves pack {} to pack {}, which cannot be read: {}", what,
                                   mv.from.hex(), q.hex(), entries.error().message)};
        }
        PackIndexCache::mapped_type ids;
        for (const auto& e : *entries) ids.insert(e.id);
        it = cache.emplace(q, std::move(ids)).first;
      }
      targets.push_back(&it->second);
    }
    for (const auto& c : mv.chunks)
      if (std::none_of(targets.begin(), targets.end(),
                       [&](const auto* t) { return t->contains(c); }))
        return Error{Errc::corrupt,
                     fmt::format("{} says pack {} moved to {} pack(s) that do not hold its chunk "
                                 "{}: it is ignored",
                                 what, mv.from.hex(), mv.to.size(), c.hex())};
  }
  return {};
}

Moves::Moves(std::vector<MoveRecord> records) : records_(std::move(records)) {
  for (std::size_t i = 0; i < records_.size(); ++i) {
    std::sort(records_[i].sets.begin(), records_[i].sets.end());
    for (std::size_t j = 0; j < records_[i].moves.size(); ++j)
      by_from_.emplace(records_[i].moves[j].from, std::pair(i, j));
  }
}

std::vector<hash::PackId> Moves::resolve(const hash::SetId& id,
                                         const std::vector<hash::PackId>& packs) const {
  if (records_.empty()) return packs;
  std::set<hash::PackId> out, seen;
  std::vector<hash::PackId> work(packs.rbegin(), packs.rend());
  while (!work.empty()) {
    const hash::PackId p = work.back();
    work.pop_back();
    if (!seen.insert(p).second) continue;
    bool moved = false;
    const auto [lo, hi] = by_from_.equal_range(p);
    for (auto it = lo; it != hi; ++it) {
      const MoveRecord& rec = records_[it->second.first];
      if (!std::binary_search(rec.sets.begin(), rec.sets.end(), id)) continue;
      moved = true;
      for (const auto& q : rec.moves[it->second.second].to) work.push_back(q);
    }
    if (!moved) out.insert(p);
  }
  return {out.begin(), out.end()};
}

Result<Moves> load_moves(Repository& r, const Repository::SkipRecord& skip) {
  CAIRN_TRY_ASSIGN(auto records, r.list_move_records(skip));
  return Moves(std::move(records));
}

Result<RewriteResult> rewrite_packs(
    Repository& r, const std::vector<hash::PackId>& packs,
    const std::unordered_set<hash::ChunkId, hash::DigestHasher>& live, const MoveRecord& about,
    const RewriteReport& report, Observer& obs, const CancelToken& cancel) {
  RewriteResult res;
  if (packs.empty()) return res;
  test_pause("rewrite-before-copy");
  // Its own chunks only: a chunk already in a pack being rewritten must be written again.
  CAIRN_TRY_ASSIGN(auto ws, r.begin_write(WriteSession::Scope::own));
  struct Copied {
    hash::PackId from;
    std::vector<hash::ChunkId> chunks;
  };
  std::vector<Copied> copied;
  for (const auto& p : packs) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    const std::string what = fmt::format("pack {}", p.hex());
    auto entries = r.read_pack_index(p);
    if (!entries) {
      if (entries.error().code != Errc::not_found && entries.error().code != Errc::corrupt)
        return std::move(entries).error();
      obs.warning(what, Error{Errc::corrupt, entries.error().message + "; it is not rewritten"});
      continue;
    }
    Copied c{p, {}};
    bool damaged = false;
    std::uint64_t bytes = 0;
    for (const auto& e : *entries) {
      if (!live.contains(e.id)) continue;
      auto plain = r.read_chunk_unproven(e.id);
      if (!plain) {
        if (plain.error().code != Errc::not_found && plain.error().code != Errc::corrupt)
          return std::move(plain).error();
        obs.warning(what, Error{Errc::corrupt, fmt::format("chunk {}: {}; the pack is not "
                                                           "rewritten",
                                                           e.id.hex(), plain.error().message)});
        damaged = true;
        break;
      }
      CAIRN_TRY(ws->put(e.id, static_cast<BlobType>(e.type), *plain));
      c.chunks.push_back(e.id);
      bytes += e.sealed_len;
    }
    if (damaged) continue;
    res.bytes_read += bytes;
    ++res.packs_read;
    copied.push_back(std::move(c));
  }
  CAIRN_TRY_ASSIGN(const auto paths, ws->finish());
  res.bytes_written = ws->stored_bytes();
  for (const auto& path : paths) {
    if (path.starts_with("packs/")) ++res.packs_written;
    CAIRN_TRY(report('+', path));
  }
  MoveRecord rec = about;
  for (auto& c : copied) {
    PackMove m{c.from, {}, std::move(c.chunks)};
    std::set<hash::PackId> to;
    for (const auto& id : m.chunks) {
      auto loc = ws->locate(id);
      if (!loc)
        return Error{Errc::internal,
                     fmt::format("chunk {} was rewritten but cannot be located", id.hex())};
      to.insert(loc->pack);
    }
    if (to.empty()) continue;  // nothing live (the caller chose a pack no set needs)
    m.to.assign(to.begin(), to.end());
    res.moved.push_back(m.from);
    rec.moves.push_back(std::move(m));
  }
  if (rec.moves.empty()) return res;
  test_pause("rewrite-before-record");
  CAIRN_TRY_ASSIGN(res.record, r.write_move_record(std::move(rec)));
  CAIRN_TRY(report('+', res.record));
  return res;
}

}  // namespace cairn::repo
