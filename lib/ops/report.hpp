// lib/ops/report.hpp: `cairn report`, what an auditor asks for, from the policy, the
// repository's keys and the catalog: per retention class the retention rule, immutability,
// minimum copies and where the class's sets are (destinations, placements); how the
// repository is encrypted (cipher, signatures, chunk ids, each key slot's KDF, the key
// generations); per source the last verification and the last restore drill with their
// results; the sets under legal hold with who held them, when and why; and the audit trail
// (who restored, pruned, pushed, held, tagged, changed keys, when, from which host), all of it
// or since a time. One document, "cairn.report/1" (its JSON Schema: docs/schema/
// cairn.report-1.json), written as text for people, as JSON, or one table of it as CSV
// (cairn(1) REPORT).
// Depends on: catalog, policy, repo, crypto (slot headers), audit (the text and CSV).
// Threads: plain functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct ReportOptions {
  RepoOptions repo;
  // --policy / CAIRN_POLICY: must exist and parse; without one, /etc/cairn/policy.toml when it
  // exists, else the classes are those of the catalog's sets, with no rules.
  std::optional<std::filesystem::path> policy;
  std::optional<std::string> since;    // the audit trail from this time (or duration ago) on
  bool json = false;                   // the cairn.report/1 document
  std::optional<std::string> csv;      // one table of audit::kReportTables as CSV (RFC 4180)
  std::optional<std::int64_t> now_ns;  // the clock (for tests); default: now
};

// Writes the report to `out`. Errc::usage for a bad --since or an unknown --csv table;
// the policy's error when a named policy is missing or broken. The report itself judges
// nothing: it exits 0 whatever it says (cairn status is the one that exits 5).
Result<Outcome> report(const ReportOptions& o, io::Writer& out, Observer& obs);

}  // namespace cairn::ops
