// lib/policy/policy.hpp: the TOML policy file (cairn-policy(5)): retention classes with their
// keep rules, recovery objectives (RPO, RTO), copies and destinations, immutability and
// verify cadence. Parsing is strict: an unknown key, a value of the wrong type or out of
// range is refused with its line, so a typo never silently keeps (or drops) the wrong sets.
// Depends on: base (+ toml++, included only by policy.cpp). Threads: plain values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.hpp"
#include "base/result.hpp"

namespace cairn::policy {

inline constexpr std::string_view kDefaultFile = "/etc/cairn/policy.toml";

// Where alerts go (cairn(7) NOTIFICATIONS): the [notify] table, or a class's
// [class.NAME.notify] table for the runs and objectives of that class. Each target starts
// with http://, https://, mailto:, exec:, or a template prefix (slack+, pagerduty+,
// opsgenie+, json+) before http(s)://; lib/notify parses the rest.
struct Routes {
  std::vector<std::string> targets;                  // every severity
  std::vector<std::string> critical, warning, info;  // that severity only
  int line = 0;                                      // where the table starts (0: absent)
  bool operator==(const Routes&) const = default;
};

// [notify.escalation]: a source that fails `after_failures` times in a row, or an objective
// violated for longer than `after_ns`, alerts `targets` once; recovery sends one "resolved".
struct Escalation {
  std::optional<std::uint32_t> after_failures;  // >= 1
  std::optional<std::int64_t> after_ns;         // > 0
  std::vector<std::string> targets;             // required when the table is given
  int line = 0;                                 // 0: absent
  bool operator==(const Escalation&) const = default;
};

struct Notify : Routes {
  Escalation escalation;
  bool operator==(const Notify&) const = default;
};

// One [class.NAME] table. A count of 0 is the same as an absent rule.
struct Class {
  std::string name;
  int line = 0;  // where [class.NAME] starts (for messages)
  std::optional<std::uint32_t> keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly,
      keep_yearly;
  std::optional<std::int64_t> keep_within_ns;  // > 0
  std::optional<std::int64_t> rpo_ns, rto_ns, verify_every_ns;
  std::optional<std::uint32_t> min_copies;
  std::vector<std::string> destinations;
  std::vector<std::string> keep_tagged;  // keep-tagged: sets carrying one of these tags
  std::optional<std::uint32_t> immutable_days;
  // How cairn-pack compresses the class's new chunks unless its --compression says otherwise
  // (compress::parse_setting's text: "3", "auto", "off"); absent: the repository's default.
  std::optional<std::string> compression;
  // A kept incremental set also keeps its parent chain (up to the first full set). Off by
  // default: an incremental set lists every pack it needs, so it restores without them.
  bool incremental_chains = false;
  // [class.NAME.notify]: the routes of this class's alerts instead of [notify]'s.
  std::optional<Routes> notify;
  // slow-run and min-throughput for this class's sources, instead of [performance]'s.
  std::optional<double> slow_run;
  std::optional<std::uint64_t> min_throughput;

  // True when at least one keep rule would keep something (a count > 0, or keep-within).
  // A class without one keeps every set.
  bool has_retention_rules() const;
  bool operator==(const Class&) const = default;
};

// Capacity thresholds and prices of one place sets are stored (cairn-policy(5) "Capacity
// and cost"): [capacity] holds the thresholds every place gets; [repository] the local
// repository's, [destination."URL"] a destination's, each overriding [capacity].
struct Storage {
  std::string name;  // "" for [capacity] and [repository], else the destination URL as written
  int line = 0;      // where its table starts (0: absent)
  std::optional<std::uint64_t> quota;          // bytes: the place's size, instead of statvfs
  std::optional<double> warn_percent;          // warn = "80%": used share, in (0, 100]
  std::optional<std::int64_t> warn_within_ns;  // warn-within = "14d": full within this
  std::optional<double> price_gb_month;        // price-gb-month: per GiB (2^30 bytes) and month
  std::optional<double> price_put_1000;        // price-put-1000: per 1000 uploads (PUT)
  std::optional<double> price_get_1000;        // price-get-1000: per 1000 downloads (GET)
  std::optional<double> price_gb_out;          // price-gb-out: per GiB read out
  bool operator==(const Storage&) const = default;
};

// Performance thresholds (cairn-policy(5) "Performance"): `cairn status` warns when the
// newest backup run of a source took more than `slow_run` times the median duration of the
// successful runs before it, or read fewer than `min_throughput` bytes a second, and when the
// newest push to a destination moved fewer than `min_transfer_rate` bytes a second. Runs and
// transfers shorter than `min_duration_ns` are never slow.
struct Performance {
  int line = 0;                                    // where [performance] starts (0: absent)
  std::optional<double> slow_run;                  // slow-run = 3: above 1
  std::optional<std::uint64_t> min_throughput;     // min-throughput = "20MiB/s"
  std::optional<std::uint64_t> min_transfer_rate;  // min-transfer-rate = "5MiB/s"
  std::optional<std::int64_t> min_duration_ns;     // min-duration = "1m" (kDefaultMinDuration)
  static constexpr std::int64_t kDefaultMinDurationNs = 60LL * 1'000'000'000;
  std::int64_t min_duration() const { return min_duration_ns.value_or(kDefaultMinDurationNs); }
  bool operator==(const Performance&) const = default;
};

struct Policy {
  std::string origin;                           // the file name (or "<string>"), for messages
  std::map<std::string, Class> classes;         // by name
  Notify notify;                                // [notify]
  Storage capacity;                             // [capacity]: thresholds for every place
  Storage repository;                           // [repository]
  std::map<std::string, Storage> destinations;  // [destination."URL"], by URL as written
  Performance performance;                      // [performance]
  const Class* find(std::string_view name) const;
  // [performance] with the class's slow-run and min-throughput over it (`cls` may be null).
  Performance performance_for(const Class* cls) const;
  // True when the policy has a [capacity], [repository] or [destination."URL"] table:
  // `cairn status` then reports capacity and cost.
  bool has_capacity() const;
};

// Parses a policy document. Errc::bad_input with "policy 'ORIGIN' line N: ..." on a TOML
// syntax error, an unknown key or table, a value of the wrong type, or one out of range.
Result<Policy> parse(std::string_view toml_text, std::string_view origin);
// Reads and parses a file: Errc::not_found when it does not exist, Errc::io when unreadable.
Result<Policy> load(const std::filesystem::path& file);

// Which file: `flag` (--policy) if given, else $CAIRN_POLICY if set and not empty, else
// kDefaultFile. `getenv` is injectable for tests.
std::filesystem::path locate(const std::optional<std::filesystem::path>& flag,
                             const GetEnv& getenv = process_env);

// The policy a tool applies when it has one: the file locate() names, which must read when
// --policy or $CAIRN_POLICY named it; nullopt when neither did and kDefaultFile does not exist.
Result<std::optional<Policy>> load_optional(const std::optional<std::filesystem::path>& flag,
                                            const GetEnv& getenv = process_env);

}  // namespace cairn::policy
