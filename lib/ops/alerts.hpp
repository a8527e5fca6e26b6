// lib/ops/alerts.hpp: who hears of a run or an objective (cairn(7) NOTIFICATIONS). A run's
// alert goes to the --notify / CAIRN_NOTIFY targets and the policy's routes for its
// severity; the catalog's alert_state table remembers failures in a row per alert key, so
// that the escalation targets are alerted once and one "resolved" follows the recovery.
// `cairn status --alert` does the same per objective.
// Depends on: notify, policy, catalog, monitor. Threads: plain functions; they block for at
// most the notify timeout per target.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "monitor/status.hpp"
#include "notify/notify.hpp"
#include "ops/run_log.hpp"
#include "policy/policy.hpp"

namespace cairn::ops {

struct RunAlert {
  std::string tool;
  int exit_code = 0;
  std::string message;                          // the error line, or the warnings' summary
  notify::NotifyOn on;                          // --notify-on / CAIRN_NOTIFY_ON
  std::vector<std::string> targets;             // --notify / CAIRN_NOTIFY: every severity
  std::optional<std::filesystem::path> policy;  // --policy of the chosen command
  const RunLog* run = nullptr;                  // its source, class and catalog, when begun
};

// Sends the run's alert (when --notify-on selects its outcome) to its targets, then, when
// the run was recorded in a catalog, updates the alert state of "run/TOOL[/SOURCE]" and
// sends the escalation or the "resolved" it calls for. The policy is read only when
// something may be sent. Returns the problems, one line each, for standard error.
std::vector<std::string> alert_run(const RunAlert& a);

// `cairn status --alert`: per objective of `r` (and each destination's drill), a violation
// alerts the routed targets once, escalates once when it has lasted the escalation's
// `after`, and its end sends one "resolved"; `targets` (--notify / CAIRN_NOTIFY) hear of
// every severity. Returns the problems, one line each.
std::vector<std::string> alert_objectives(catalog::Catalog& cat, const monitor::StatusReport& r,
                                          const policy::Policy* pol,
                                          const std::vector<std::string>& targets,
                                          std::int64_t now_ns);

}  // namespace cairn::ops
