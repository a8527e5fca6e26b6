// lib/monitor/status.hpp: the engine of `cairn status` (ops/status.hpp is the use case):
// per source and retention class, what the catalog records (newest good set, pack runs of
// the last 30 days, verifications, restore drills, sizes, copies) against the class's
// recovery objectives in the policy (RPO, RTO, verify cadence, minimum copies). A table for
// people, JSON Lines for scripts ("cairn.status/1"), and a Prometheus textfile for
// node_exporter (metrics listed in cairn(7)).
// Depends on: catalog, policy, backend (canonical destination names). Threads: plain functions.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "catalog/catalog.hpp"
#include "monitor/capacity.hpp"
#include "monitor/performance.hpp"
#include "policy/policy.hpp"

namespace cairn::monitor {

// How far back `cairn status` looks for pack runs (success rate) and growth.
inline constexpr std::int64_t kStatusWindowNs = 30LL * 86400 * 1'000'000'000;
// A run that has not finished this long after it started counts as failed (killed).
inline constexpr std::int64_t kAbandonedRunNs = 24LL * 3600 * 1'000'000'000;

enum class Objective : std::uint8_t { rpo, rto, verify, copies };
inline constexpr std::array<Objective, 4> kObjectives{Objective::rpo, Objective::rto,
                                                      Objective::verify, Objective::copies};
// unset: the class sets no such objective (or there is no policy, or the class is not in it).
enum class ObjectiveState : std::uint8_t { unset, ok, unknown, violated };
std::string_view to_string(Objective o);       // "rpo", "rto", "verify", "copies"
std::string_view to_string(ObjectiveState s);  // "unset", "ok", "unknown", "violated"

// What the catalog records about one source and class.
struct StatusFacts {
  std::string source;
  std::string retention_class;
  std::optional<catalog::SetRecord> last_good;  // the newest committed set
  std::uint64_t sets = 0;                       // sets not pruned
  std::uint64_t damaged = 0;                    // of which damaged
  std::optional<std::int64_t> first_ns;         // snapshot time of the oldest set, pruned too
  std::uint64_t bytes_read = 0;                 // of the sets not pruned
  std::uint64_t bytes_stored = 0;               // of the sets not pruned
  std::uint64_t window_stored = 0;              // stored by sets started in the window, pruned too
  catalog::RunTally runs;                       // cairn-pack runs started in the window
  std::optional<catalog::VerifyRecord> last_verify;  // newest successful verification of a set
  std::optional<catalog::VerifyRecord> last_drill;   // newest drill, ok or not
  std::vector<std::string> destinations;  // where last_good was pushed (placements), sorted
  // The newest finished cairn-pack run (cairn backup's too) that measured itself, any result.
  std::optional<catalog::RunRecord> last_run;
  // The durations of the successful runs before it (exit 0 or 3), newest first: its baseline.
  std::vector<std::uint64_t> earlier_ms;
};

// Bytes a second over a duration in ms; unset when the duration is 0 or the bytes unknown.
std::optional<double> rate_per_second(std::optional<std::uint64_t> bytes,
                                      std::optional<std::uint64_t> duration_ms);

struct ObjectiveResult {
  Objective objective = Objective::rpo;
  ObjectiveState state = ObjectiveState::unset;
  std::string detail;  // why, for a violated or unknown objective: "newest good set is 3d2h old"
};

// One source and class, evaluated.
struct StatusLine {
  StatusFacts facts;
  bool class_in_policy = false;
  std::optional<std::int64_t> rpo_ns, rto_ns, verify_every_ns;
  std::optional<std::uint32_t> min_copies;
  std::vector<std::string> missing_destinations;  // the class's destinations not holding last_good
  std::optional<std::int64_t> age_ns;             // of last_good
  std::optional<double> success_rate;             // (ok + warnings) / finished runs, in [0, 1]
  std::uint32_t copies = 0;                       // last_good: the local repository + destinations
  std::optional<double> dedup_ratio;              // bytes_read / bytes_stored
  double growth_per_day = 0;                      // bytes per day
  std::optional<double> throughput;               // of last_run: bytes read a second
  RunBaseline baseline;                           // of last_run: the runs before it
  std::vector<std::string> slow;                  // last_run's performance warnings
  std::array<ObjectiveResult, 4> objectives;      // in kObjectives order
  int violated() const;
};

// Evaluates `f` against `cls` (nullptr: no objectives) at time `now_ns`:
//   rpo     the newest good set is older than rpo, or there is none
//   rto     the newest drill failed or restored slower than rto; no drill yet is unknown,
//           unless verify-every is set and the first set is older than that
//   verify  the newest successful verification (of any kind, drills included) is older
//           than verify-every; never verified: the first set is older than verify-every
//   copies  the newest good set has fewer copies than min-copies: the local repository
//           counts as one, each destination it was pushed to as one more
// Success rate counts ok and warning runs as successes; failed and abandoned runs as
// failures; running ones not at all. Growth: window_stored over the window, or over the
// time since the first set when shorter (at least one day). Slow runs: run_warnings against
// `perf` (the policy's [performance] with the class's keys over it).
StatusLine evaluate_status(StatusFacts f, const policy::Class* cls, std::int64_t now_ns,
                           const policy::Performance& perf = {});

// The newest restore drill at one destination (cairn-verify --from DEST --drill), against the
// objectives of the class of the set it drilled, else of the first class (by name) whose
// destinations list DEST:
//   rto     the drill failed or restored slower than rto
//   verify  the drill is older than verify-every (stale)
struct DestinationDrill {
  std::string destination;                     // as recorded: backend::canonical_name
  catalog::VerifyRecord drill;                 // the newest drill there, ok or not
  std::optional<catalog::SetRecord> set;       // the drilled set, when the catalog knows it
  std::optional<std::string> retention_class;  // the class whose objectives apply
  std::optional<std::int64_t> rto_ns, verify_every_ns;
  std::array<ObjectiveResult, 2> objectives;  // rto, verify
  int violated() const;
};

DestinationDrill evaluate_destination(catalog::VerifyRecord drill,
                                      std::optional<catalog::SetRecord> set,
                                      const policy::Policy* pol, std::int64_t now_ns);

struct StatusReport {
  std::int64_t generated_ns = 0;
  std::optional<std::filesystem::path> policy_file;  // nullopt: no policy
  std::vector<StatusLine> lines;                     // by source, then class
  std::vector<DestinationDrill> destinations;        // by destination
  std::vector<catalog::RunTally> runs_total;         // every run ever, per tool (source "")
  // The newest push to and restore --from each destination, by destination and direction.
  std::vector<catalog::LastTransfer> transfers;
  std::vector<std::string> warnings;  // e.g. a class the policy does not name
  // Slow runs and transfers ([performance]): warnings that make `cairn status` exit 3.
  std::vector<PerformanceWarning> performance;
  // Capacity and cost (gather_capacity): set when the policy has a capacity table. Its
  // crossed thresholds are warnings that make `cairn status` exit 3.
  std::optional<CapacityReport> capacity;
  int violated() const;
  // The warnings `cairn status` exits 3 for: slow runs and transfers, capacity thresholds.
  int warned() const;
};

// Reads the catalog and evaluates every source and class that has a set not pruned, or a
// cairn-pack run in the window, and every destination that has a drill.
Result<StatusReport> gather_status(catalog::Catalog& cat, const policy::Policy* pol,
                                   std::int64_t now_ns);

// The table, the destinations' drills (when there are any), the capacity of each place and
// the cost per source and class (when r.capacity is set; the cost with a price only), then a
// line per violated objective, the warnings, and "N objectives violated". Sizes are for people
// (1.5GiB) unless `exact_bytes` (--bytes).
std::string format_status_table(const StatusReport& r, bool exact_bytes = false);
// One "cairn.status/1" object a line, per source and class, then one
// "cairn.status.destination/1" object a line per destination with a drill, then one
// "cairn.status.transfer/1" object a line per destination and direction with a transfer,
// then (with r.capacity) one "cairn.status.capacity/1" object a line per place.
std::string format_status_json(const StatusReport& r);
// Prometheus text exposition format 0.0.4: HELP and TYPE for every metric, then its samples.
std::string format_status_prometheus(const StatusReport& r);
// A label value escaped for the exposition format: \ as \\, " as \", newline as \n; a value
// that is not UTF-8 has its bytes >= 0x80 replaced by '?'.
std::string prometheus_label_value(std::string_view v);
// "N objectives violated: rpo of 'app' (daily), ...": the error `cairn status` exits with.
std::string violations_summary(const StatusReport& r);

}  // namespace cairn::monitor
