#include "monitor/capacity.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "backend/remote.hpp"
#include "base/text.hpp"
#include "base/time.hpp"
#include "monitor/status.hpp"

namespace cairn::monitor {
namespace {

constexpr std::int64_t kDay = 86400LL * 1'000'000'000;
// Beyond this, "never" (and its nanoseconds still fit an int64, which ends near 292 years).
constexpr double kMaxForecastDays = 100.0 * 365;

// What the catalog says of one place: the sets not pruned there, and the growth.
struct Stored {
  std::uint64_t bytes = 0;   // sets not pruned
  std::uint64_t window = 0;  // sets started in the window, pruned too
  std::optional<std::int64_t> first_ns;
  std::set<hash::PackId> seen, live;  // packs of every set (oldest first), of those not pruned
  std::uint64_t new_packs = 0;        // packs first needed by a set started in the window
};

// Adds a set (in the order list_sets gives, oldest first) and the packs it needs; returns
// how many of them it was the first to need within the window (uploads it caused).
std::uint64_t add(Stored& s, const catalog::SetRecord& set, const std::vector<hash::PackId>& packs,
                  std::int64_t window_start) {
  s.first_ns = std::min(s.first_ns.value_or(set.started_ns), set.started_ns);
  const bool in_window = set.started_ns >= window_start;
  const bool live = set.status != catalog::SetStatus::pruned;
  if (in_window) s.window += set.bytes_stored;
  if (live) s.bytes += set.bytes_stored;
  std::uint64_t fresh = 0;
  for (const auto& p : packs) {
    if (live) s.live.insert(p);
    if (s.seen.insert(p).second && in_window) ++fresh;
  }
  s.new_packs += fresh;
  return fresh;
}

std::string place_name(const CapacityLine& l) {
  return l.repository ? std::string("the repository") : fmt::format("destination '{}'", l.target);
}

void evaluate(CapacityLine& l, const Stored& st, const std::optional<FsFigures>& fs,
              const std::optional<std::uint64_t>& quota, std::int64_t now_ns) {
  l.stored = st.bytes;
  l.growth_per_day = growth_per_day(st.window, st.first_ns, now_ns);
  if (quota) {
    l.size_from = SizeFrom::quota;
    l.size = *quota;
    l.used = st.bytes;
    l.free = *quota > st.bytes ? *quota - st.bytes : 0;
  } else if (fs) {
    l.size_from = SizeFrom::filesystem;
    l.size = fs->size;
    l.used = fs->used;
    l.free = fs->avail;
  }
  if (l.used && l.free) {
    const double whole = static_cast<double>(*l.used) + static_cast<double>(*l.free);
    l.used_ratio = whole > 0 ? static_cast<double>(*l.used) / whole : 1.0;
    l.full_in_ns = time_to_full_ns(*l.free, l.growth_per_day);
  }
  l.objects = st.live.size();
  l.puts_per_month = growth_per_day(st.new_packs, st.first_ns, now_ns) * 30;
  if (l.price_gb_month || l.price_put_1000)
    l.cost_monthly = monthly_cost(l.stored, l.price_gb_month.value_or(0)) +
                     l.puts_per_month / 1000 * l.price_put_1000.value_or(0);
  if (l.price_gb_out || l.price_get_1000)
    l.restore_cost = static_cast<double>(l.stored) / kGiB * l.price_gb_out.value_or(0) +
                     static_cast<double>(l.objects) / 1000 * l.price_get_1000.value_or(0);
  if (l.warn_percent && l.used_ratio && *l.used_ratio * 100 >= *l.warn_percent)
    l.warnings.push_back(fmt::format("capacity of {}: {:.1f}% used ({} of {}), warn {}%",
                                     place_name(l), *l.used_ratio * 100, format_bytes(*l.used, ""),
                                     format_bytes(*l.used + *l.free, ""), *l.warn_percent));
  if (l.warn_within_ns && l.full_in_ns && *l.full_in_ns <= *l.warn_within_ns)
    l.warnings.push_back(
        *l.full_in_ns == 0
            ? fmt::format("capacity of {}: full, warn-within {}", place_name(l),
                          format_duration(*l.warn_within_ns))
            : fmt::format(
                  "capacity of {}: full in {} (about {}) at {} a day, warn-within {}",
                  place_name(l), format_duration_short(*l.full_in_ns),
                  format_time(now_ns + *l.full_in_ns),
                  format_bytes(static_cast<std::uint64_t>(std::llround(l.growth_per_day)), ""),
                  format_duration(*l.warn_within_ns)));
}

}  // namespace

double growth_per_day(std::uint64_t window_bytes, std::optional<std::int64_t> first_ns,
                      std::int64_t now_ns) {
  if (!first_ns) return 0;
  const std::int64_t span = std::clamp<std::int64_t>(now_ns - *first_ns, kDay, kStatusWindowNs);
  return static_cast<double>(window_bytes) /
         (static_cast<double>(span) / static_cast<double>(kDay));
}

std::optional<std::int64_t> time_to_full_ns(std::uint64_t free_bytes, double per_day) {
  if (free_bytes == 0) return 0;
  if (!(per_day > 0)) return std::nullopt;
  const double days = static_cast<double>(free_bytes) / per_day;
  if (!(days <= kMaxForecastDays)) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(days * static_cast<double>(kDay)));
}

double monthly_cost(std::uint64_t bytes, double price_gb_month) {
  return static_cast<double>(bytes) / kGiB * price_gb_month;
}

std::optional<double> price_of(const policy::Policy& pol, std::string_view destination) {
  if (destination.empty()) return pol.repository.price_gb_month;
  const std::string name = backend::canonical_name(destination);
  for (const auto& [url, st] : pol.destinations)
    if (url == destination || backend::canonical_name(url) == name) return st.price_gb_month;
  return std::nullopt;
}

bool has_prices(const policy::Policy& pol) {
  return pol.repository.price_gb_month ||
         std::any_of(pol.destinations.begin(), pol.destinations.end(),
                     [](const auto& kv) { return kv.second.price_gb_month.has_value(); });
}

std::string_view to_string(SizeFrom s) {
  switch (s) {
    case SizeFrom::filesystem: return "filesystem";
    case SizeFrom::quota: return "quota";
    case SizeFrom::unknown: return "unknown";
  }
  return "unknown";
}

int CapacityReport::warnings() const {
  int n = 0;
  for (const auto& p : places) n += static_cast<int>(p.warnings.size());
  return n;
}

Result<CapacityReport> gather_capacity(catalog::Catalog& cat, const policy::Policy& pol,
                                       const std::filesystem::path& repo, const FsProbe& probe,
                                       std::int64_t now_ns) {
  const std::int64_t window_start = now_ns - kStatusWindowNs;
  // Destinations by canonical name, with the policy table that configures them (if any).
  std::map<std::string, const policy::Storage*> dests;
  for (const auto& [url, st] : pol.destinations) dests[backend::canonical_name(url)] = &st;
  for (const auto& [name, c] : pol.classes)
    for (const auto& url : c.destinations) dests.try_emplace(backend::canonical_name(url), nullptr);

  // Pack lists only when a request price needs them (one catalog query per set).
  const auto requests = [](const policy::Storage& st) {
    return st.price_put_1000 || st.price_get_1000;
  };
  const bool need_packs =
      requests(pol.repository) || std::any_of(pol.destinations.begin(), pol.destinations.end(),
                                              [&](const auto& kv) { return requests(kv.second); });
  Stored local;
  std::map<std::string, Stored> at;  // by destination
  using Key = std::pair<std::string, std::string>;
  struct Share {
    std::uint64_t bytes = 0;      // of the group's sets not pruned
    std::uint64_t new_packs = 0;  // uploads the group's sets of the window caused
  };
  std::map<Key, std::map<std::string, Share>> group_at;  // by place ("" = local)
  CAIRN_TRY_ASSIGN(const auto sets, cat.list_sets());
  CAIRN_TRY_ASSIGN(const auto spaces, cat.destination_spaces());
  std::map<std::string, const catalog::DestinationSpace*> recorded;
  for (const auto& sp : spaces) recorded[sp.destination] = &sp;
  std::vector<hash::PackId> packs;
  for (const auto& s : sets) {
    if (need_packs) {
      CAIRN_TRY_ASSIGN(packs, cat.packs_of(s.id));
    }
    const bool live = s.status != catalog::SetStatus::pruned;
    const Key key{s.source, s.retention_class};
    const auto share = [&](const std::string& place, std::uint64_t fresh) {
      if (!live && fresh == 0) return;
      Share& g = group_at[key][place];
      if (live) g.bytes += s.bytes_stored;
      g.new_packs += fresh;
    };
    share("", add(local, s, packs, window_start));
    CAIRN_TRY_ASSIGN(const auto placed, cat.placements_of(s.id));
    for (const auto& p : placed) {
      if (!p.pushed_at_ns) continue;
      const std::string name = backend::canonical_name(p.destination);
      dests.try_emplace(name, nullptr);
      share(name, add(at[name], s, packs, window_start));
    }
  }

  CapacityReport r;
  const auto thresholds = [&](CapacityLine& l, const policy::Storage* own) {
    l.warn_percent = own && own->warn_percent ? own->warn_percent : pol.capacity.warn_percent;
    l.warn_within_ns =
        own && own->warn_within_ns ? own->warn_within_ns : pol.capacity.warn_within_ns;
    if (own) {
      l.price_gb_month = own->price_gb_month;
      l.price_put_1000 = own->price_put_1000;
      l.price_get_1000 = own->price_get_1000;
      l.price_gb_out = own->price_gb_out;
    }
    if (l.price_gb_month || l.price_put_1000) r.priced = true;
  };
  std::map<std::string, const CapacityLine*> line_of;  // by place ("" = local), once built
  {
    CapacityLine l;
    l.repository = true;
    l.target = "repository";
    thresholds(l, &pol.repository);
    std::optional<FsFigures> fs;
    if (!pol.repository.quota && probe) fs = probe(repo);
    evaluate(l, local, fs, pol.repository.quota, now_ns);
    r.places.push_back(std::move(l));
  }
  for (const auto& [name, own] : dests) {
    CapacityLine l;
    l.target = name;
    thresholds(l, own);
    static const std::optional<std::uint64_t> kNoQuota;
    const std::optional<std::uint64_t>& quota = own ? own->quota : kNoQuota;
    std::optional<FsFigures> fs;
    auto u = backend::parse_url(name);
    if (!quota && probe && u && u->scheme == backend::Url::Scheme::file) fs = probe(u->path);
    if (const auto rec = recorded.find(name); !quota && !fs && rec != recorded.end()) {
      const catalog::DestinationSpace& sp = *rec->second;
      fs = FsFigures{sp.size, sp.used, sp.avail};
      l.measured_ns = sp.measured_ns;
      l.stale = now_ns - sp.measured_ns > kSpaceStaleNs;
    }
    const auto it = at.find(name);
    evaluate(l, it == at.end() ? Stored{} : it->second, fs, quota, now_ns);
    r.places.push_back(std::move(l));
  }
  if (!r.priced) return r;
  line_of[""] = &r.places.front();
  for (const auto& l : r.places)
    if (!l.repository) line_of[l.target] = &l;
  // A group pays for its bytes at each place, and for the share of the place's uploads its
  // sets caused: the groups' costs add up to the places'.
  const auto new_packs_at = [&](const std::string& place) {
    return place.empty() ? local.new_packs : at[place].new_packs;
  };
  for (const auto& [key, shares] : group_at) {
    CostLine c{key.first, key.second, 0};
    for (const auto& [place, g] : shares) {
      const CapacityLine& l = *line_of.at(place);
      c.monthly += monthly_cost(g.bytes, l.price_gb_month.value_or(0));
      if (const std::uint64_t all = new_packs_at(place); all > 0 && l.price_put_1000)
        c.monthly += static_cast<double>(g.new_packs) / static_cast<double>(all) *
                     l.puts_per_month / 1000 * *l.price_put_1000;
    }
    r.costs.push_back(std::move(c));
  }
  return r;
}

}  // namespace cairn::monitor
