// Retention: the pure keep/drop function (see retention.hpp for the rules).
#include "retention/retention.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "base/time.hpp"

namespace cairn::retention {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct Civil {
  std::int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

// Howard Hinnant's civil_from_days: proleptic Gregorian calendar, day 0 = 1970-01-01.
Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;                                       // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t y = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                       // [0, 11]
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return Civil{m <= 2 ? y + 1 : y, m, d};
}

std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::int64_t day_of(std::int64_t ns) {
  return floor_div(floor_div(ns, kNsPerSecond), kSecondsPerDay);
}

std::string short_id(const hash::SetId& id) { return id.hex().substr(0, 12); }

// One calendar rule: its name, count and labeller.
struct Bucket {
  std::string_view name;
  std::uint32_t count;
  std::string (*label)(std::int64_t);
  std::string last;
};

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

// Applies one class's rules to its sets (not in the future), newest first.
void apply_rules(
    const std::vector<const SetInfo*>& newest_first, const policy::Class& c,
    std::unordered_map<hash::SetId, std::vector<std::string>, hash::DigestHasher>& reasons) {
  std::vector<Bucket> buckets;
  const auto add = [&](std::string_view name, const std::optional<std::uint32_t>& n,
                       std::string (*f)(std::int64_t)) {
    if (n && *n > 0) buckets.push_back(Bucket{name, *n, f, {}});
  };
  add("hourly", c.keep_hourly, &hour_label);
  add("daily", c.keep_daily, &day_label);
  add("weekly", c.keep_weekly, &week_label);
  add("monthly", c.keep_monthly, &month_label);
  add("yearly", c.keep_yearly, &year_label);
  const std::uint32_t last = c.keep_last.value_or(0);
  // keep-within counts back from the latest time claimed.
  std::int64_t newest = newest_first.empty() ? 0 : newest_first.front()->time_ns;
  for (const auto* s : newest_first) newest = std::max(newest, s->time_ns);

  for (std::size_t i = 0; i < newest_first.size(); ++i) {
    const SetInfo& s = *newest_first[i];
    auto& why = reasons[s.id];
    if (i < last) why.push_back(fmt::format("last #{}", i + 1));
    for (auto& b : buckets) {
      if (b.count == 0) continue;
      std::string label = b.label(s.time_ns);
      if (label == b.last) continue;
      why.push_back(fmt::format("{} {}", b.name, label));
      b.last = std::move(label);
      --b.count;
    }
    if (c.keep_within_ns && s.time_ns > newest - *c.keep_within_ns)
      why.push_back(fmt::format("within {}", format_duration(*c.keep_within_ns)));
  }
}

}  // namespace

std::string hour_label(std::int64_t ns) {
  const std::int64_t secs = floor_div(ns, kNsPerSecond);
  const Civil c = civil_from_days(floor_div(secs, kSecondsPerDay));
  const std::int64_t hour = (secs - floor_div(secs, kSecondsPerDay) * kSecondsPerDay) / 3600;
  return fmt::format("{:04}-{:02}-{:02}T{:02}", c.year, c.month, c.day, hour);
}

std::string day_label(std::int64_t ns) {
  const Civil c = civil_from_days(day_of(ns));
  return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

std::string week_label(std::int64_t ns) {
  const std::int64_t days = day_of(ns);
  // ISO weekday, Monday = 1 ... Sunday = 7; 1970-01-01 (day 0) was a Thursday.
  const std::int64_t wd = (days + 3) - floor_div(days + 3, 7) * 7 + 1;
  const std::int64_t thursday = days - (wd - 4);  // the week belongs to its Thursday's year
  const std::int64_t year = civil_from_days(thursday).year;
  const std::int64_t week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
  return fmt::format("{:04}-W{:02}", year, week);
}

std::string month_label(std::int64_t ns) {
  const Civil c = civil_from_days(day_of(ns));
  return fmt::format("{:04}-{:02}", c.year, c.month);
}

std::string year_label(std::int64_t ns) {
  return fmt::format("{:04}", civil_from_days(day_of(ns)).year);
}

std::vector<Decision> apply(const std::vector<SetInfo>& sets, const policy::Policy& pol,
                            std::int64_t now_ns) {
  std::unordered_map<hash::SetId, std::vector<std::string>, hash::DigestHasher> reasons;
  std::unordered_map<hash::SetId, const SetInfo*, hash::DigestHasher> by_id;
  for (const auto& s : sets) {
    by_id.emplace(s.id, &s);
    auto& why = reasons[s.id];
    if (s.legal_hold)
      why.push_back(s.hold_reason.empty() ? "legal hold" : "legal hold: " + s.hold_reason);
    if (!s.pinned.empty()) why.push_back(s.pinned);
  }

  // Group by (source, class); sets in the future stay out of the rules.
  std::map<std::pair<std::string, std::string>, std::vector<const SetInfo*>> groups;
  for (const auto& s : sets) {
    if (s.time_ns > now_ns) {
      reasons[s.id].push_back("in the future");
      continue;
    }
    groups[{s.source, s.retention_class}].push_back(&s);
  }
  const auto newer = [](const SetInfo* a, const SetInfo* b) {
    return std::tie(a->seq, a->time_ns, a->id) > std::tie(b->seq, b->time_ns, b->id);
  };
  for (auto& [key, members] : groups) {
    std::sort(members.begin(), members.end(), newer);
    const policy::Class* c = pol.find(key.second);
    if (!c) {
      for (const auto* s : members)
        reasons[s->id].push_back(fmt::format("class '{}' not in policy", key.second));
    } else if (!c->has_retention_rules()) {
      for (const auto* s : members) reasons[s->id].push_back("class has no retention rules");
    } else {
      apply_rules(members, *c, reasons);
      for (const auto* s : members)
        for (const auto& t : c->keep_tagged)
          if (std::find(s->tags.begin(), s->tags.end(), t) != s->tags.end()) {
            reasons[s->id].push_back("tagged " + t);
            break;
          }
    }
    if (c && c->immutable_days && *c->immutable_days > 0) {
      const std::int64_t span =
          static_cast<std::int64_t>(*c->immutable_days) * kSecondsPerDay * kNsPerSecond;
      for (const auto* s : members)
        if (s->time_ns + span > now_ns)
          reasons[s->id].push_back("immutable until " + day_label(s->time_ns + span));
    }
  }

  // Chains: every kept set keeps what it builds on, newest dependants first.
  std::vector<const SetInfo*> kept;
  for (const auto& s : sets)
    if (!reasons[s.id].empty()) kept.push_back(&s);
  std::sort(kept.begin(), kept.end(), newer);
  const auto follows_parent = [&](const SetInfo& s) {
    if (!s.parent || s.kind == model::SetKind::full) return false;
    if (s.kind == model::SetKind::differential) return true;
    const policy::Class* c = pol.find(s.retention_class);
    return c && c->incremental_chains;
  };
  for (const SetInfo* cur : kept) {
    while (follows_parent(*cur)) {
      auto it = by_id.find(*cur->parent);
      if (it == by_id.end() || it->second == cur) break;  // not among the sets: nothing to keep
      auto& why = reasons[it->second->id];
      if (!why.empty()) break;  // kept already; its own chain is (or was) walked from it
      why.push_back("needed by " + short_id(cur->id));
      cur = it->second;
    }
  }

  std::vector<Decision> out;
  out.reserve(sets.size());
  for (const auto& s : sets) {
    const auto& why = reasons[s.id];
    if (why.empty())
      out.push_back(Decision{s.id, false, "matched no keep rule"});
    else
      out.push_back(Decision{s.id, true, join(why)});
  }
  return out;
}

}  // namespace cairn::retention
