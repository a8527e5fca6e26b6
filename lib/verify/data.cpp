// cairn-verify --read-data: every selected pack is read whole and checked without trusting any
// of it: BLAKE2b(file) must equal its name (any changed byte shows), its trailer index must
// authenticate, and every blob must authenticate, decompress and re-hash to its chunk id (which
// says *which* chunks a damaged pack loses). Packs are checked by a WorkQueue, one whole pack
// in memory per worker.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "base/work_queue.hpp"
#include "compress/zstd.hpp"
#include "pack/pack.hpp"
#include "repo/parity.hpp"
#include "repo/stored.hpp"
#include "verify/engine.hpp"
#include "verify/report.hpp"

namespace cairn::verify {

Result<DataSubset> parse_subset(std::string_view text) {
  DataSubset s;
  if (text.empty() || text == "all") return s;
  const auto bad = [&] {
    return Error{
        Errc::usage,
        fmt::format("cannot read the --read-data subset '{}': use P% (0 < P <= 100) or I/N "
                    "(1 <= I <= N)",
                    text)};
  };
  const char* b = text.data();
  const char* e = text.data() + text.size();
  if (text.back() == '%') {
    double p = 0;
    auto [end, ec] = std::from_chars(b, e - 1, p, std::chars_format::fixed);
    if (ec != std::errc{} || end != e - 1 || !(p > 0) || p > 100) return bad();
    s.kind = DataSubset::Kind::percent;
    s.percent = p;
    return s;
  }
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return bad();
  unsigned i = 0, n = 0;
  auto r1 = std::from_chars(b, b + slash, i);
  auto r2 = std::from_chars(b + slash + 1, e, n);
  if (r1.ec != std::errc{} || r1.ptr != b + slash || r2.ec != std::errc{} || r2.ptr != e || i < 1 ||
      i > n)
    return bad();
  s.kind = DataSubset::Kind::part;
  s.index = i;
  s.count = n;
  return s;
}

unsigned part_of(const hash::PackId& id, unsigned count) {
  // The first 8 bytes of the name, big-endian, modulo N: a pack's part never depends on which
  // other packs exist, so N runs that lie between backups still read every pack once.
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | id.d.b[i];
  return static_cast<unsigned>(v % count) + 1;
}

std::vector<hash::PackId> select_packs(const std::vector<hash::PackId>& sorted, const DataSubset& s,
                                       std::mt19937_64& rng) {
  std::vector<hash::PackId> out;
  switch (s.kind) {
    case DataSubset::Kind::all: return sorted;
    case DataSubset::Kind::part:
      for (const auto& id : sorted)
        if (part_of(id, s.count) == s.index) out.push_back(id);
      return out;
    case DataSubset::Kind::percent: {
      if (sorted.empty()) return out;
      auto n = static_cast<std::size_t>(
          std::llround(static_cast<double>(sorted.size()) * s.percent / 100.0));
      n = std::clamp<std::size_t>(n, 1, sorted.size());
      std::sample(sorted.begin(), sorted.end(), std::back_inserter(out), n, rng);
      return out;
    }
  }
  return out;
}

namespace {

constexpr std::uint64_t kQueueBytes = 256ull << 20;

struct PackCheck {
  std::uint64_t bytes = 0;
  std::optional<PackDamage> damage;
  std::vector<std::pair<hash::ChunkId, hash::Digest>> proofs;  // of the intact chunks
};

PackDamage whole_damage(std::string reason) {
  PackDamage d;
  d.problem = PackProblem::damaged;
  d.reason = std::move(reason);
  return d;
}

// Checks one pack read whole. Damage is a value; an Error means the pack could not be looked at.
Result<PackCheck> check_pack(repo::Repository& r, const hash::KeyedHasher& hasher,
                             const hash::PackId& id) {
  PackCheck out;
  const std::string what = fmt::format("pack '{}'", id.hex());
  auto data = r.read_object(backend::Key::pack(id));
  if (!data) {
    if (data.error().code != Errc::not_found) return std::move(data).error();
    PackDamage d = whole_damage("it disappeared from storage while verify ran");
    d.problem = PackProblem::missing;
    out.damage = std::move(d);
    return out;
  }
  out.bytes = data->size();
  const ByteView bytes(*data);
  const bool named_right = hash::blake2b(bytes) == id.d;
  const std::string name_note = named_right ? "" : "its content does not match its name; ";
  const auto& keys = r.keys();
  auto entries = pack::read_index(bytes, keys.index_key.view(), keys.repo_id, what);
  if (!entries) {
    out.damage = whole_damage(name_note + entries.error().message);
    return out;
  }
  auto key = pack::open_data_key(bytes.first(pack::kHeaderSize), keys, what);
  if (!key) {
    out.damage = whole_damage(name_note + key.error().message);
    return out;
  }
  compress::Decompressor dec;
  Bytes scratch, plain;
  std::vector<BadChunk> bad;
  for (const auto& e : *entries) {
    // read_index checked that every blob lies inside the pack's blob area.
    const ByteView sealed = bytes.subspan(e.offset, e.sealed_len);
    Status st = pack::open_blob(key->view(), keys.repo_id, e, sealed, dec,
                                r.config().chunking.max_size, scratch, plain, what);
    hash::Digest proof;
    if (!st)
      bad.push_back({e.id, st.error().message});
    else if (hasher.hash(plain, &proof) != e.id.d)
      bad.push_back({e.id, "its content does not match its id"});
    else
      out.proofs.emplace_back(e.id, proof);
  }
  if (bad.empty() && named_right) return out;
  if (bad.empty()) {
    out.damage = whole_damage("its content does not match its name");
    return out;
  }
  PackDamage d;
  d.problem = PackProblem::damaged;
  d.whole = false;
  d.reason =
      fmt::format("{}{} of its {} chunks are damaged", name_note, bad.size(), entries->size());
  for (const auto& b : bad) d.lost.insert(b.id);
  d.bad = std::move(bad);
  out.damage = std::move(d);
  return out;
}

void merge_damage(Run& run, const hash::PackId& id, PackDamage d) {
  auto [it, added] = run.packs.try_emplace(id, std::move(d));
  if (added) return;
  // Already known (e.g. unindexed): what the data says comes first, the rest is kept.
  std::string earlier = std::move(it->second.reason);
  it->second = std::move(d);
  it->second.reason += "; " + earlier;
}

// Packs missing or not matching their name, rebuilt from their group's parity (repo/parity.hpp)
// and put back: each is then read and checked as any other, and reported as repaired (a note).
// One that cannot be rebuilt stays damaged, its reason saying why parity could not help.
Status repair_from_parity(Run& run, const hash::KeyedHasher& hasher,
                          const std::set<hash::PackId>& intact) {
  std::set<hash::PackId> want;
  for (const auto& [id, d] : run.packs)
    if (d.problem != PackProblem::unindexed) want.insert(id);
  if (want.empty()) return {};
  CAIRN_TRY_ASSIGN(auto groups,
                   repo::parity::list_groups(run.repo, [&](const std::string& name, Error why) {
                     run.other.push_back({"parity", name, why.message});
                   }));
  if (groups.empty()) return {};
  CAIRN_TRY_ASSIGN(auto rb, repo::parity::rebuild(run.repo, groups, want, intact));
  for (auto& [id, bytes] : rb.packs) {
    CAIRN_TRY(repo::parity::put_back(run.repo, id, bytes));
    bytes = Bytes{};
    CAIRN_TRY_ASSIGN(PackCheck check, check_pack(run.repo, hasher, id));
    ++run.summary.packs_read;
    run.summary.bytes_read += check.bytes;
    const bool was_missing = run.packs.at(id).problem == PackProblem::missing;
    for (const auto& [c, proof] : check.proofs) run.proofs.emplace(c, proof);
    if (check.damage) {  // its writer stored bad blobs: parity restores the pack, not them
      merge_damage(run, id, std::move(*check.damage));
      continue;
    }
    run.packs.erase(id);
    run.stored[id] = check.bytes;
    for (auto& set : run.sets)  // "pack <id> is missing" is no longer the set's problem
      if (set.detail.find(id.hex()) != std::string::npos) set.detail.clear();
    run.notes.push_back(fmt::format("repaired pack {} from parity object {} (it {})", id.hex(),
                                    rb.by.at(id),
                                    was_missing ? "was missing" : "did not match its name"));
  }
  for (const auto& [id, why] : rb.failed)
    if (auto it = run.packs.find(id); it != run.packs.end())
      it->second.reason += "; parity cannot repair it: " + why;
  return {};
}

}  // namespace

Status repair_missing_from_parity(Run& run) {
  std::set<hash::PackId> want;
  for (const auto& p : run.indexed)
    if (!run.stored.contains(p)) want.insert(p);
  if (want.empty()) return {};
  // A damaged parity object is named once, by repair_from_parity after the data is read.
  CAIRN_TRY_ASSIGN(auto groups,
                   repo::parity::list_groups(run.repo, [](const std::string&, const Error&) {}));
  if (groups.empty()) return {};
  CAIRN_TRY_ASSIGN(auto rb, repo::parity::rebuild(run.repo, groups, want));
  for (auto& [id, bytes] : rb.packs) {  // each hashes to its name; read_data checks the rest
    CAIRN_TRY(repo::parity::put_back(run.repo, id, bytes));
    run.stored[id] = bytes.size();
    run.notes.push_back(fmt::format("repaired pack {} from parity object {} (it was missing)",
                                    id.hex(), rb.by.at(id)));
  }
  return {};
}

Status read_data(Run& run, const DataSubset& subset) {
  std::vector<hash::PackId> universe;
  std::set<hash::PackId> all = run.checked_packs;
  all.insert(run.copy_packs.begin(), run.copy_packs.end());
  for (const auto& p : all) {
    auto known = run.packs.find(p);
    if (known != run.packs.end() && known->second.problem == PackProblem::missing) continue;
    if (run.stored.contains(p)) universe.push_back(p);
  }
  std::mt19937_64 rng{std::random_device{}()};
  const std::vector<hash::PackId> chosen = select_packs(universe, subset, rng);
  run.read_all_data = subset.kind == DataSubset::Kind::all;
  run.summary.read_data = true;

  auto& repo = run.repo;
  const hash::KeyedHasher hasher(repo.config().chunk_hash, repo.keys().chunk_id_key.view());
  std::vector<PackCheck> results(chosen.size());
  Status submitted;
  std::uint64_t total = 0;
  for (const auto& p : chosen) total += run.stored.at(p);
  run.obs.expect(total, 0);  // the progress line's "X of Y" and ETA
  {
    WorkQueue q(run.o.jobs ? run.o.jobs : default_jobs(), kQueueBytes);
    for (std::size_t i = 0; i < chosen.size() && submitted; ++i) {
      const std::uint64_t size = run.stored.at(chosen[i]);
      submitted = q.submit(size, [&run, &repo, &hasher, &chosen, &results, i]() -> Status {
        if (run.cancelled()) return cancelled_error();
        run.obs.started(chosen[i].hex());
        CAIRN_TRY_ASSIGN(results[i], check_pack(repo, hasher, chosen[i]));
        run.obs.advanced(results[i].bytes, 1);
        return {};
      });
    }
    Status waited = q.wait();
    if (!waited) return waited;
  }
  if (!submitted) return submitted;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    run.obs.info(fmt::format("read pack {} ({} bytes)", chosen[i].hex(), results[i].bytes));
    ++run.summary.packs_read;
    run.summary.bytes_read += results[i].bytes;
    if (results[i].damage) merge_damage(run, chosen[i], std::move(*results[i].damage));
    for (const auto& [id, proof] : results[i].proofs) run.proofs.emplace(id, proof);
    results[i].proofs = {};
  }
  std::set<hash::PackId> intact;
  for (std::size_t i = 0; i < chosen.size(); ++i)
    if (!results[i].damage) intact.insert(chosen[i]);
  CAIRN_TRY(repair_from_parity(run, hasher, intact));
  return check_proofs(run);
}

Status check_proofs(Run& run) {
  // Every chunk a set names must come with the proof its plaintext gives: a writer that only
  // knew the id (every writer can list ids) cannot have computed it. Only chunks read above
  // can be judged.
  for (auto& s : run.sets) {
    if (!s.selected || !s.body() || !s.damage.empty()) continue;
    if (run.cancelled()) return cancelled_error();
    std::string bad;
    auto judge = [&](const hash::ChunkId& c, const hash::Digest* proof, std::string_view path) {
      if (!bad.empty()) return;
      auto it = run.proofs.find(c);
      if (it == run.proofs.end()) return;
      if (proof == nullptr || *proof != it->second)
        bad = fmt::format(
            "chunk {} ('{}') does not come with its possession proof: the set names a chunk its "
            "writer did not hold",
            c.hex(), printable_path(path));
    };
    const auto& body = *s.body();
    for (std::size_t i = 0; i < body.manifest.size(); ++i)
      judge(body.manifest[i], i < body.manifest_proofs.size() ? &body.manifest_proofs[i] : nullptr,
            "(manifest)");
    if (bad.empty()) {
      auto stored = repo::open_stored_set(run.repo, s.id);
      if (!stored) {
        if (!is_damage(stored.error())) return std::move(stored).error();
        bad = stored.error().message;
      } else {
        manifest::Entry e;
        for (;;) {
          auto more = stored->manifest->next(e);
          if (!more) {
            if (!is_damage(more.error())) return std::move(more).error();
            bad = more.error().message;
            break;
          }
          if (!*more || !bad.empty()) break;
          if (e.type != manifest::Type::file) continue;
          for (std::size_t i = 0; i < e.chunks.size(); ++i)
            judge(e.chunks[i], i < e.proofs.size() ? &e.proofs[i] : nullptr, e.path);
        }
      }
    }
    if (!bad.empty()) {
      s.damage = bad;
      if (s.detail.empty()) s.detail = bad;
    }
  }
  return {};
}

}  // namespace cairn::verify
