// lib/retention/retention.hpp: retention as a pure function: sets + policy + now -> keep or
// drop, with a reason for every set (restic ApplyPolicy + KeepReason). No I/O, no clock, no
// time zone: every calendar bucket is a UTC one, so DST changes cannot move a set.
// Depends on: base, hash (set ids), model (set kinds), policy. Threads: pure functions.
//
// Semantics, per group of sets with the same (source, class):
//   - a set dated after `now` is kept ("in the future") and takes no part in the rules;
//   - the rules see the other sets newest first (time, then id: of two sets with the same
//     time, the one with the greater id counts as newer);
//   - keep-last N keeps the N newest ("last #2");
//   - keep-hourly/daily/weekly/monthly/yearly N keeps the newest set of each of the N newest
//     distinct UTC hours/days/ISO weeks/months/years that hold a set ("daily 2025-03-04");
//   - keep-within D keeps every set newer than (the newest set's time - D), measured from
//     the newest set and not from `now`, so a wrong clock cannot empty a class ("within 30d");
//   - a class without rules keeps everything ("class has no retention rules");
//   - a class the policy does not name keeps everything ("class 'x' not in policy");
//   - immutable-days D keeps every set younger than D days ("immutable until 2025-04-01"),
//     as S3 Object Lock would refuse to delete its copies anyway;
//   - a legal hold keeps ("legal hold: <reason>"), whatever the rules say, and so does a
//     reason the caller pins on a set (SetInfo::pinned, e.g. "not in the catalog");
//   - keep-tagged [T..] keeps every set carrying one of the tags ("tagged T"), and counts
//     as a rule (a class with only keep-tagged drops its untagged sets);
//   - a kept differential set keeps its parent, the full set it was made against ("needed
//     by <12 hex digits of the dependant>"); a kept incremental set does the same, up its
//     chain to the first full set, when its class sets incremental-chains. (An incremental
//     set lists every pack it needs, its parents' included, so it restores without them:
//     with incremental backups every night, keeping chains would keep every set.)
// Several reasons are joined with "; ". A dropped set's reason is "matched no keep rule".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hash/hash.hpp"
#include "model/set.hpp"
#include "policy/policy.hpp"

namespace cairn::retention {

struct SetInfo {
  hash::SetId id;
  std::string source;
  std::string retention_class;
  std::int64_t time_ns = 0;  // the snapshot time (ns since the Unix epoch, UTC)
  model::SetKind kind = model::SetKind::full;
  std::optional<hash::SetId> parent;  // the set a differential/incremental builds on
  bool legal_hold = false;
  std::string hold_reason;
  std::string pinned;  // non-empty: kept for this reason, outside the policy
  // The set's signed sequence number (the repository's chain, shared by every writer): sets
  // are ordered newest first by seq, then time_ns, then id, so a skewed clock cannot make
  // the newest set look old. 0 when unknown (then time decides).
  std::uint64_t seq = 0;
  std::vector<std::string> tags;  // the set's tags: a class's keep-tagged keeps carriers
};

struct Decision {
  hash::SetId id;
  bool keep = true;
  std::string reason;
  bool operator==(const Decision&) const = default;
};

// One decision per input set, in input order.
std::vector<Decision> apply(const std::vector<SetInfo>& sets, const policy::Policy& policy,
                            std::int64_t now_ns);

// The UTC calendar labels the buckets use (exposed for tests): "2025-03-04T05",
// "2025-03-04", "2025-W10" (ISO 8601 week-numbering year and week), "2025-03", "2025".
std::string hour_label(std::int64_t ns);
std::string day_label(std::int64_t ns);
std::string week_label(std::int64_t ns);
std::string month_label(std::int64_t ns);
std::string year_label(std::int64_t ns);

}  // namespace cairn::retention
