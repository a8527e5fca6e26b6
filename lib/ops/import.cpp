#include "ops/import.hpp"

#include <algorithm>
#include <optional>
#include <tuple>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "base/work_queue.hpp"
#include "ops/context.hpp"
#include "ops/hold.hpp"
#include "ops/tag.hpp"

namespace cairn::ops {
namespace {

bool is_damaged(const Error& e) {
  return e.code == Errc::corrupt || e.code == Errc::bad_input || e.code == Errc::unsupported_format;
}

}  // namespace

Result<Imported> import_sets(repo::Repository& r, catalog::Catalog& cat, Observer& obs,
                             const ImportOptions& o) {
  Imported done;
  const auto left_out = [&](const hash::SetId& id, const Error& e) {
    obs.warning(fmt::format("set {}", id.hex()), e);
    ++done.warnings;
  };
  CAIRN_TRY_ASSIGN(auto listed, r.list_sets());
  std::vector<hash::SetId> ids;
  for (const auto& id : listed)
    if (!o.only || o.only(id)) ids.push_back(id);
  // Read kReaders at a time: on a remote repository each set object is a round trip, and a
  // fresh host (restore --from, a catalog rebuilt) reads every one. Then taken in list order,
  // as one reader would.
  constexpr unsigned kReaders = 8;
  std::vector<std::optional<Result<repo::SetObject>>> got(ids.size());
  for_each_index(ids.size(), kReaders, [&](std::size_t i) {
    if (!o.cancel || !o.cancel->cancelled()) got[i].emplace(r.read_set(ids[i]));
  });
  std::vector<repo::SetObject> objs;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const hash::SetId& id = ids[i];
    if (!got[i]) return Error{Errc::cancelled, "interrupted"};
    auto obj = std::move(*got[i]);
    if (!obj) {
      if (obj.error().code == Errc::not_found) continue;  // pruned meanwhile
      if (!is_damaged(obj.error())) return std::move(obj).error();
      left_out(id, obj.error());
      continue;
    }
    if (!obj->body)
      return Error{Errc::auth, fmt::format("the body of set '{}' cannot be read", id.hex())};
    objs.push_back(std::move(*obj));
  }
  std::sort(objs.begin(), objs.end(), [](const repo::SetObject& a, const repo::SetObject& b) {
    return std::tie(a.header.seq, a.header.time_ns, a.id) <
           std::tie(b.header.seq, b.header.time_ns, b.id);
  });

  // Holds placed or released after a set was written live in hold records (cairn-repository(5)).
  CAIRN_TRY_ASSIGN(const auto hold_records, readable_holds(r, obs, &done.warnings));
  const auto holds = hold_states(hold_records);
  // Tags changed after a set was written live in tag records, applied in order on top of the
  // set object's own tags.
  CAIRN_TRY_ASSIGN(const auto tag_records, readable_tag_records(r, obs, &done.warnings));
  std::unordered_map<hash::SetId, std::vector<std::string>, hash::DigestHasher> tags;
  for (const auto& obj : objs) tags[obj.id] = obj.body->tags;
  apply_tag_records(tag_records, tags);
  for (const auto& obj : objs) {
    catalog::SetRecord rec = set_record(obj);
    if (o.adjust) o.adjust(obj, rec);
    if (auto h = holds.find(obj.id); h != holds.end()) {
      rec.legal_hold = h->second.held;
      rec.hold_reason = h->second.reason;
    }
    rec.tags = tags[obj.id];
    if (Status st = cat.insert_set(rec, obj.body->packs); !st) {
      if (!is_damaged(st.error())) return std::move(st).error();
      left_out(obj.id, st.error());
      continue;
    }
    done.ids.push_back(obj.id);
  }
  return done;
}

Result<Synced> sync_catalog(repo::Repository& r, catalog::Catalog& cat, const std::string& target,
                            Observer& obs) {
  Synced done;
  if (!r.keys().can_read()) return done;
  CAIRN_TRY_ASSIGN(auto listed, r.list_sets());
  std::sort(listed.begin(), listed.end());
  listed.erase(std::unique(listed.begin(), listed.end()), listed.end());
  CAIRN_TRY_ASSIGN(const auto seen, cat.seen_at(target));
  if (listed != seen) {
    // Under the write lock: another process may insert the same sets meanwhile.
    CAIRN_TRY_ASSIGN(auto tx, cat.begin());
    std::unordered_set<hash::SetId, hash::DigestHasher> unknown;
    for (const auto& id : listed) {
      if (std::binary_search(seen.begin(), seen.end(), id)) continue;
      CAIRN_TRY_ASSIGN(auto row, cat.get_set(id));
      if (!row) unknown.insert(id);
    }
    if (!unknown.empty()) {
      ImportOptions imp;
      imp.only = [&](const hash::SetId& id) { return unknown.contains(id); };
      CAIRN_TRY_ASSIGN(const Imported got, import_sets(r, cat, obs, imp));
      done.added = got.ids.size();
    }
    CAIRN_TRY(cat.set_seen(target, listed));
    CAIRN_TRY(tx.commit());
  }
  CAIRN_TRY_ASSIGN(const auto rows, cat.list_sets());
  const catalog::SetRecord* first = nullptr;
  for (const auto& row : rows) {
    if (row.status != catalog::SetStatus::committed) continue;
    if (std::binary_search(listed.begin(), listed.end(), row.id)) continue;
    if (!first) first = &row;
    ++done.missing;
  }
  if (first)
    obs.warning(
        fmt::format("catalog '{}'", cat.file().string()),
        Error{Errc::corrupt,
              fmt::format("disagrees with the repository at '{}': {} committed set{} ({}{}) {} "
                          "no set object there (pruned by another host, or written to another "
                          "copy); run 'cairn catalog rebuild' to make the catalog agree",
                          target, done.missing, done.missing == 1 ? "" : "s",
                          first->id.hex().substr(0, 12), done.missing == 1 ? "" : ", ...",
                          done.missing == 1 ? "has" : "have")});
  return done;
}

}  // namespace cairn::ops
