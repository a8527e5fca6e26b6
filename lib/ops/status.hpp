// lib/ops/status.hpp: `cairn status`, the use case: load the policy, open the catalog, let
// the status engine (monitor/status.hpp) gather and evaluate, write the table or JSON Lines
// and the optional Prometheus textfile (atomically).
// Exit 5 (Errc::objective) when an objective is violated, after the whole report is written;
// else exit 3 (warnings) when a capacity threshold is crossed.
// Depends on: monitor, policy, io. Threads: plain functions.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct StatusOptions {
  RepoOptions repo;
  // --policy / CAIRN_POLICY: must exist and parse. Without one, /etc/cairn/policy.toml is
  // used when it exists; when it does not, status still reports, with no objectives.
  std::optional<std::filesystem::path> policy;
  bool json = false;                                // JSON Lines instead of the table
  bool bytes = false;                               // --bytes: exact byte counts in the table
  std::optional<std::filesystem::path> prometheus;  // also write this node_exporter textfile
  // --alert: alert per objective, once per incident (alerts.hpp alert_objectives), to the
  // policy's routes and `notify` (--notify / CAIRN_NOTIFY); the problems sending them go to
  // `alert_problems`, one line each.
  bool alert = false;
  std::vector<std::string> notify;
  std::vector<std::string>* alert_problems = nullptr;
};

// Writes the report to `out` (and the textfile, atomically). Errc::objective naming every
// violated objective when there is one; the policy's error when it is missing or broken.
// With a capacity table in the policy, each crossed threshold is also a warning to `obs`
// (when given) and counted in Outcome::warnings.
Result<Outcome> status(const StatusOptions& o, io::Writer& out, Observer* obs = nullptr);

}  // namespace cairn::ops
