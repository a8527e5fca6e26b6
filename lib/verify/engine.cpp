// What the verification phases share (engine.hpp), --max-age and the option pieces of
// cairn-verify. The phases themselves live in structure.cpp, data.cpp, damage.cpp and drill.cpp.
#include "verify/engine.hpp"

#include <set>

#include <fmt/format.h>

#include "base/time.hpp"

namespace cairn::verify {

const std::string& SetState::source() const {
  static const std::string unknown = "?";
  if (rec) return rec->source;
  if (body()) return body()->source;
  return unknown;
}

std::int64_t SetState::started_ns() const {
  if (rec) return rec->started_ns;
  if (body()) return body()->started_ns;
  return obj ? obj->header.time_ns : 0;
}

std::uint64_t Run::damage_count() const {
  std::uint64_t n = packs.size() + missing_chunks.size() + other.size();
  for (const auto& s : sets)
    if (!s.damage.empty() && (s.selected || s.missing || s.affected)) ++n;
  return n;
}

Error cancelled_error() { return Error{Errc::cancelled, "interrupted"}; }

bool is_damage(const Error& e) {
  switch (e.code) {
    case Errc::corrupt:
    case Errc::not_found:
    case Errc::bad_input:
    case Errc::unsupported_format: return true;
    default: return false;
  }
}

// --max-age: the newest good set (committed in the catalog, not found damaged now) of each
// source must be younger than the limit. Returns the number of stale sources.
Result<std::uint64_t> check_freshness(Run& run, std::int64_t max_age) {
  std::set<hash::SetId> bad;
  for (const auto& s : run.sets)
    if (s.affected || !s.damage.empty()) bad.insert(s.id);
  std::set<std::string> sources;
  for (const auto& s : run.sets)
    if (s.rec && (run.o.sets.empty() || s.selected)) sources.insert(s.rec->source);
  if (sources.empty()) {
    CAIRN_TRY(run.report.stale("", std::nullopt, *run.o.max_age));
    return 1;
  }
  std::uint64_t stale = 0;
  const std::int64_t now = now_ns();
  for (const auto& src : sources) {
    CAIRN_TRY_ASSIGN(auto recs, run.cat.list_sets(src));
    // A set dated ahead of this clock (beyond the skew) is not counted, and a set's age runs
    // from when the catalog first saw it if that is earlier than the time its writer claims.
    std::optional<std::int64_t> newest;
    for (const auto& r : recs)
      if (r.status == catalog::SetStatus::committed && !bad.contains(r.id) &&
          !catalog::from_the_future(r, now))
        newest = std::max(newest.value_or(catalog::age_base_ns(r)), catalog::age_base_ns(r));
    if (newest && now - *newest <= max_age) continue;
    ++stale;
    std::optional<std::int64_t> age;
    if (newest) age = now - *newest;
    CAIRN_TRY(run.report.stale(src, age, *run.o.max_age));
  }
  return stale;
}

}  // namespace cairn::verify
