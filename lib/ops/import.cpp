#include "ops/import.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "ops/context.hpp"
#include "ops/hold.hpp"

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
  CAIRN_TRY_ASSIGN(auto ids, r.list_sets());
  std::vector<repo::SetObject> objs;
  for (const auto& id : ids) {
    if (o.cancel && o.cancel->cancelled()) return Error{Errc::cancelled, "interrupted"};
    auto obj = r.read_set(id);
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
  for (const auto& obj : objs) {
    catalog::SetRecord rec = set_record(obj);
    if (o.adjust) o.adjust(obj, rec);
    if (auto h = holds.find(obj.id); h != holds.end()) {
      rec.legal_hold = h->second.held;
      rec.hold_reason = h->second.reason;
    }
    if (Status st = cat.insert_set(rec, obj.body->packs); !st) {
      if (!is_damaged(st.error())) return std::move(st).error();
      left_out(obj.id, st.error());
      continue;
    }
    done.ids.push_back(obj.id);
  }
  return done;
}

}  // namespace cairn::ops
