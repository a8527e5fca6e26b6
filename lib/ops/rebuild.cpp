#include "ops/rebuild.hpp"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <unordered_map>

#include <fmt/format.h>

#include "ops/erase.hpp"
#include "ops/hold.hpp"
#include "ops/import.hpp"

namespace cairn::ops {
namespace {

namespace fs = std::filesystem;

// What the old catalog knows that the repository does not.
struct Old {
  std::unordered_map<hash::SetId, catalog::SetRecord, hash::DigestHasher> sets;
  // of pruned rows
  std::unordered_map<hash::SetId, std::vector<hash::PackId>, hash::DigestHasher> packs;
  std::unordered_map<hash::SetId, std::vector<catalog::PlacementRecord>, hash::DigestHasher>
      placements;
  std::vector<catalog::RunRecord> runs;
  std::vector<catalog::VerifyRecord> verifies;
  std::vector<catalog::AuditRecord> audit;
};

Result<Old> read_old(catalog::Catalog& cat) {
  Old old;
  CAIRN_TRY_ASSIGN(auto sets, cat.list_sets());
  for (auto& s : sets) {
    CAIRN_TRY_ASSIGN(auto placed, cat.placements_of(s.id));
    if (!placed.empty()) old.placements.emplace(s.id, std::move(placed));
    if (s.status == catalog::SetStatus::pruned) {
      CAIRN_TRY_ASSIGN(auto packs, cat.packs_of(s.id));
      old.packs.emplace(s.id, std::move(packs));
    }
    old.sets.emplace(s.id, std::move(s));
  }
  CAIRN_TRY_ASSIGN(old.runs, cat.runs_since(INT64_MIN));
  CAIRN_TRY_ASSIGN(old.verifies, cat.verifies());
  CAIRN_TRY_ASSIGN(old.audit, cat.audit_log(0));
  return old;
}

std::optional<Old> open_old(const fs::path& file, const std::string& repo_id, Observer& obs) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  auto cat = catalog::Catalog::open(file, repo_id,
                                    catalog::OpenOptions{false, std::chrono::milliseconds(10000)});
  if (!cat) {
    obs.info(fmt::format(
        "the old catalog cannot be read ({}): its history and later legal holds are lost",
        cat.error().message));
    return std::nullopt;
  }
  auto old = read_old(*cat);
  if (!old) {
    obs.info(fmt::format(
        "the old catalog cannot be read ({}): its history and later legal holds are lost",
        old.error().message));
    return std::nullopt;
  }
  return std::move(*old);
}

Status remove_if_there(const fs::path& p) {
  if (::unlink(p.c_str()) != 0 && errno != ENOENT)
    return errno_error(errno, fmt::format("cannot remove '{}'", p.string()));
  return {};
}

fs::path with(const fs::path& p, std::string_view suffix) {
  return fs::path(p.string() + std::string(suffix));
}

// The object's own row `r`, with what only the old catalog knows: the hold made before hold
// records existed, the damaged or pruned status, the measured duration and when the set was
// first seen. A set the old catalog records as pruned stays pruned even when its object is
// back in the repository: a pruned set object uploaded again does not come back as committed.
void keep_old(catalog::SetRecord& r, const catalog::SetRecord& old) {
  r.legal_hold = old.legal_hold;
  r.hold_reason = old.hold_reason;
  if (old.status != catalog::SetStatus::committed) r.status = old.status;
  r.duration_ms = old.duration_ms;
  if (old.first_seen_ns) r.first_seen_ns = old.first_seen_ns;
}

}  // namespace

Result<Outcome> rebuild_catalog(const RebuildOptions& o, Observer& obs, const CancelToken& cancel) {
  CAIRN_TRY_ASSIGN(auto repo, open_repo(o.repo));
  if (!repo->keys().can_read())
    return Error{
        Errc::auth,
        "rebuilding the catalog needs a full key: a write-only key cannot read set bodies"};
  const std::string repo_id = to_hex(repo->config().repo_id);
  CAIRN_TRY_ASSIGN(const fs::path file, catalog::locate(o.repo.catalog, repo_id));

  int warnings = 0;
  const std::optional<Old> old = open_old(file, repo_id, obs);
  const fs::path tmp = with(file, ".rebuild");
  for (const char* s : {"", "-wal", "-shm", "-journal"}) CAIRN_TRY(remove_if_there(with(tmp, s)));
  std::size_t from_repo = 0, carried = 0;
  {
    CAIRN_TRY_ASSIGN(auto cat, catalog::Catalog::open(tmp, repo_id));
    CAIRN_TRY_ASSIGN(auto tx, cat.begin());
    // Every set object, oldest first; holds placed or released after a set was written: the
    // repository's signed records win over the old catalog (which may be stale or gone).
    ImportOptions imp;
    imp.cancel = &cancel;
    imp.adjust = [&](const repo::SetObject& obj, catalog::SetRecord& rec) {
      if (!old) return;
      auto it = old->sets.find(obj.id);
      if (it == old->sets.end()) return;
      keep_old(rec, it->second);
      if (it->second.status == catalog::SetStatus::pruned) {
        obs.warning(
            fmt::format("set {}", obj.id.hex()),
            Error{Errc::corrupt,
                  "the old catalog records it as pruned but its set object is in the repository "
                  "again: it stays pruned (cairn-prune removes the object again)"});
        ++warnings;
      }
    };
    CAIRN_TRY_ASSIGN(const Imported imported, import_sets(*repo, cat, obs, imp));
    warnings += imported.warnings;
    std::unordered_map<hash::SetId, bool, hash::DigestHasher> present;
    for (const auto& id : imported.ids) present.emplace(id, true);
    from_repo = imported.ids.size();
    if (old) {
      // Rows of sets the repository no longer holds stay, as pruned (their history).
      std::vector<const catalog::SetRecord*> gone;
      for (const auto& [id, rec] : old->sets)
        if (!present.contains(id)) gone.push_back(&rec);
      std::sort(gone.begin(), gone.end(),
                [](auto* a, auto* b) { return std::tie(a->seq, a->id) < std::tie(b->seq, b->id); });
      for (const auto* rec : gone) {
        catalog::SetRecord r = *rec;
        r.status = catalog::SetStatus::pruned;
        auto packs = old->packs.find(r.id);
        CAIRN_TRY(cat.insert_set(
            r, packs == old->packs.end() ? std::vector<hash::PackId>{} : packs->second));
        present.emplace(r.id, true);
        ++carried;
      }
      for (const auto& [id, list] : old->placements)
        for (const auto& p : list) CAIRN_TRY(cat.record_placement(p));
      for (auto r : old->runs) CAIRN_TRY(cat.record_run(r));
      for (auto v : old->verifies) CAIRN_TRY(cat.record_verify(v));
      for (auto a : old->audit) CAIRN_TRY(cat.append_audit(a));
    } else {
      // No audit log to carry: the erasures the repository records come back (cairn erase).
      CAIRN_TRY_ASSIGN(const auto erasures, cairn::repo::list_erasure_records(
                                                *repo, skip_damaged("erasure", obs, &warnings)));
      for (const auto& e : erasures) CAIRN_TRY(cat.append_audit(erasure_audit(e)));
    }
    catalog::AuditRecord a;
    a.at_ns = now_ns();
    a.host = host_name();
    a.user = current_user();
    a.command = "cairn catalog rebuild";
    a.outcome = fmt::format("ok: {} sets from the repository, {} pruned kept from the old catalog",
                            from_repo, carried);
    CAIRN_TRY(cat.append_audit(a));
    CAIRN_TRY(tx.commit());
  }  // closed: SQLite checkpoints the WAL into the file and removes it
  std::error_code ec;
  if (fs::exists(with(tmp, "-wal"), ec))
    return Error{Errc::io, fmt::format("the rebuilt catalog '{}' kept a -wal file: not installed",
                                       tmp.string())};

  // Install: the old file stays as <file>.old; the rename replaces the catalog atomically.
  for (const char* s : {".old", ".old-wal", ".old-shm"}) CAIRN_TRY(remove_if_there(with(file, s)));
  if (fs::exists(file, ec) && ::link(file.c_str(), with(file, ".old").c_str()) != 0)
    return errno_error(
        errno, fmt::format("cannot keep the old catalog as '{}'", with(file, ".old").string()));
  for (const char* s : {"-wal", "-shm"}) {
    const fs::path from = with(file, s), to = with(file, std::string(".old") + s);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
      return errno_error(errno, fmt::format("cannot move '{}' aside", from.string()));
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0)
    return errno_error(errno,
                       fmt::format("cannot install the rebuilt catalog as '{}'", file.string()));
  CAIRN_TRY(io::fsync_dir(file.parent_path().empty() ? fs::path(".") : file.parent_path()));
  return Outcome{
      warnings,
      fmt::format("catalog '{}': {} sets from the repository, {} pruned kept from the old catalog",
                  file.string(), from_repo, carried)};
}

}  // namespace cairn::ops
