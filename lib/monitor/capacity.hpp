// lib/monitor/capacity.hpp: capacity forecast and storage cost for `cairn status`
// (cairn-policy(5) "Capacity and cost"): for the local repository and each destination, how
// full it is (the policy's quota against what the catalog says cairn stored there, else
// statvfs for a local file system, else the figures a push measured), how fast cairn's sets
// grow there, when it is full at that rate, and which thresholds ([capacity] warn,
// warn-within) that crosses; and per source and class, the monthly cost of the sets not
// pruned at the policy's prices.
// Depends on: catalog, policy, backend (canonical destination names). Threads: plain functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.hpp"
#include "base/result.hpp"
#include "base/time.hpp"
#include "catalog/catalog.hpp"
#include "policy/policy.hpp"

namespace cairn::monitor {

inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;  // prices are per GiB and month

// What statvfs says of the file system holding a path, as `df -B1 --output=size,used,avail`.
using FsFigures = backend::SpaceFigures;
// Reads the figures of the file system holding a path (backend::fs_space); nullopt when it
// cannot.
using FsProbe = std::function<std::optional<FsFigures>(const std::filesystem::path&)>;

// The growth rate: `window_bytes` stored over the status window (kStatusWindowNs), or over
// the time since `first_ns` when that is shorter (at least one day). 0 without a first set.
double growth_per_day(std::uint64_t window_bytes, std::optional<std::int64_t> first_ns,
                      std::int64_t now_ns);

// When `free_bytes` are filled at `per_day` bytes a day (linear, from now): 0 when nothing is
// free, nullopt ("never") when the rate is not above zero or the time exceeds 100 years.
std::optional<std::int64_t> time_to_full_ns(std::uint64_t free_bytes, double per_day);

// The cost of keeping `bytes` for a month at `price_gb_month` per GiB.
double monthly_cost(std::uint64_t bytes, double price_gb_month);

// The price per GiB and month the policy sets for the repository (`destination` empty) or a
// destination ([destination."URL"], matched by backend::canonical_name); nullopt: none.
std::optional<double> price_of(const policy::Policy& pol, std::string_view destination);
// True when the policy sets a price for the repository or some destination.
bool has_prices(const policy::Policy& pol);

// Figures a push recorded (catalog::DestinationSpace) older than this are shown, flagged stale.
inline constexpr std::int64_t kSpaceStaleNs = kNsPerWeek;

enum class SizeFrom : std::uint8_t { filesystem, quota, unknown };
std::string_view to_string(SizeFrom s);  // "filesystem", "quota", "unknown"

// One place sets are stored: the local repository or a destination.
struct CapacityLine {
  bool repository = false;  // the local repository; else a destination
  std::string target;       // "repository", or the destination (backend::canonical_name)
  SizeFrom size_from = SizeFrom::unknown;
  std::optional<std::uint64_t> size, used, free;  // bytes; unset when SizeFrom::unknown
  // SizeFrom::filesystem from the figures the newest push recorded (a remote destination, or
  // a local one statvfs cannot read now): when they were measured, and whether that is more
  // than kSpaceStaleNs ago. Unset when the figures were read now.
  std::optional<std::int64_t> measured_ns;
  bool stale = false;
  std::uint64_t stored = 0;          // bytes the sets not pruned there hold (the catalog's sum)
  double growth_per_day = 0;         // of the sets stored there (the catalog), bytes a day
  std::optional<double> used_ratio;  // used / (used + free), in [0, 1]
  std::optional<std::int64_t> full_in_ns;  // unset: never, or the size is unknown
  std::optional<double> warn_percent;      // the thresholds that apply ([capacity] or its own)
  std::optional<std::int64_t> warn_within_ns;
  std::uint64_t objects = 0;  // packs the sets not pruned there need (with a request price)
  double puts_per_month = 0;  // packs first needed by the window's sets, a 30-day month
  std::optional<double> price_gb_month, price_put_1000, price_get_1000, price_gb_out;
  // stored x price-gb-month + puts_per_month x price-put-1000 / 1000 (with either price)
  std::optional<double> cost_monthly;
  // Reading everything there once (a restore or verify of it all): stored x price-gb-out +
  // objects x price-get-1000 / 1000 (with either price).
  std::optional<double> restore_cost;
  std::vector<std::string> warnings;  // the thresholds crossed, one sentence each
};

// Monthly cost of one source and class: its sets not pruned, in the local repository and at
// each destination they were pushed to, at each place's price (places without one cost 0),
// and its share of each place's uploads (the packs its sets of the window first needed).
struct CostLine {
  std::string source, retention_class;
  double monthly = 0;
};

struct CapacityReport {
  std::vector<CapacityLine> places;  // the repository first, then destinations by name
  std::vector<CostLine> costs;       // by source, then class; empty without a price
  bool priced = false;   // the policy sets price-gb-month or price-put-1000 for some place
  int warnings() const;  // thresholds crossed, over every place
};

// The repository at `repo` (its file system via `probe` unless [repository] sets a quota),
// and every destination the policy names ([destination."URL"] or a class's destinations) or
// a set was pushed to: unless a quota is set, local ones (file://, a path) by `probe`, and
// those it cannot read and remote ones by the figures the newest push recorded
// (Catalog::destination_spaces; the status reads no remote storage). Thresholds: a place
// warns when used_ratio reaches warn, or when it is full within warn-within.
Result<CapacityReport> gather_capacity(catalog::Catalog& cat, const policy::Policy& pol,
                                       const std::filesystem::path& repo, const FsProbe& probe,
                                       std::int64_t now_ns);

}  // namespace cairn::monitor
