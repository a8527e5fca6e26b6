#include "ops/alerts.hpp"

#include <map>

#include <fmt/format.h>

#include "base/env.hpp"
#include "base/time.hpp"

namespace cairn::ops {

namespace {

constexpr std::int64_t kNs = 1'000'000'000;

notify::Severity severity_named(std::string_view s) {
  return s == "warning" ? notify::Severity::warning
         : s == "info"  ? notify::Severity::info
                        : notify::Severity::critical;
}

notify::AlertState to_state(const std::optional<catalog::AlertRecord>& r) {
  notify::AlertState st;
  if (!r) return st;
  st.failures = r->failures;
  st.since_ns = r->since_ns;
  st.escalated_ns = r->escalated_ns;
  st.severity = severity_named(r->severity);
  st.alerted = r->alerted;
  return st;
}

// Keeps `st` as the row of `key` (none when nothing is wrong).
Status store(catalog::Catalog& cat, const std::string& key, const notify::AlertState& st,
             std::int64_t now_ns) {
  if (!st.active()) return cat.clear_alert_state(key);
  catalog::AlertRecord r;
  r.key = key;
  r.failures = st.failures;
  r.since_ns = st.since_ns;
  r.escalated_ns = st.escalated_ns;
  r.severity = std::string(notify::to_string(st.severity));
  r.alerted = st.alerted;
  r.updated_ns = now_ns;
  return cat.put_alert_state(r);
}

// Sends `e` to `targets` (nothing when there are none); failures go to `problems`.
void deliver(const std::vector<std::string>& targets, const notify::Event& e,
             const notify::Settings& settings, std::vector<std::string>& problems) {
  if (targets.empty()) return;
  for (const Error& err : notify::send_all(targets, e, settings)) problems.push_back(err.message);
}

std::vector<std::string> joined(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// What `steps` calls for beyond the trigger: the escalation, then the resolve (to the routed
// targets of the trouble's severity and, when it was escalated, the escalation targets).
// `escalation` and `resolved` are the event as each is sent.
void follow_up(const notify::Steps& steps, const std::vector<std::string>& routed,
               const policy::Escalation& esc, const notify::Event& escalation,
               const notify::Event& resolved, const notify::Settings& settings,
               std::vector<std::string>& problems) {
  if (steps.escalate) deliver(esc.targets, escalation, settings, problems);
  std::vector<std::string> to;
  if (steps.resolve) to = routed;
  if (steps.resolve_escalation) to = joined(std::move(to), esc.targets);
  deliver(to, resolved, settings, problems);
}

std::string duration_text(std::int64_t ns) { return format_duration(ns < 0 ? 0 : ns); }

}  // namespace

std::vector<std::string> alert_run(const RunAlert& a) {
  std::vector<std::string> problems;
  const notify::Severity sev = notify::severity_of(a.tool, a.exit_code);
  // A warning (exit 3) is a run that did its work: it ends a series of failures.
  const bool failed = a.exit_code != 0 && sev == notify::Severity::critical;
  const bool wanted = notify::wanted(a.on, a.exit_code);
  std::shared_ptr<catalog::Catalog> cat = a.run != nullptr ? a.run->catalog() : nullptr;
  const std::string source = a.run != nullptr ? a.run->source : std::string();
  const std::string key = source.empty() ? "run/" + a.tool : "run/" + a.tool + "/" + source;
  std::optional<catalog::AlertRecord> row;
  if (cat) {
    auto got = cat->alert_state(key);
    if (got)
      row = std::move(*got);
    else
      problems.push_back(got.error().message);
  }
  // Nothing to say and nothing remembered: the policy is not even read.
  if (!wanted && (!cat || (!failed && !row))) return problems;

  std::optional<policy::Policy> pol;
  if (auto loaded = policy::load_optional(a.policy); loaded) {
    pol = std::move(*loaded);
  } else if (loaded.error().message != a.message) {  // not the tool's own complaint again
    problems.push_back("cannot notify the policy's targets: " + loaded.error().message);
  }
  const std::string retention_class = a.run != nullptr ? a.run->retention_class : std::string();
  const policy::Routes no_routes;
  const policy::Routes& routes = pol ? notify::routes_for(*pol, retention_class) : no_routes;
  const policy::Escalation esc = pol ? pol->notify.escalation : policy::Escalation{};
  const std::vector<std::string> routed = joined(a.targets, notify::route(routes, sev));
  notify::AlertState st = to_state(row);
  const notify::Severity trouble = st.active() ? st.severity : sev;
  const std::vector<std::string> resolve_to = joined(a.targets, notify::route(routes, trouble));
  auto settings = notify::settings_from_env();
  if (!settings) {
    if (!routed.empty() || !resolve_to.empty() || !esc.targets.empty())
      problems.push_back("cannot notify: " + settings.error().message);
    return problems;
  }

  notify::Event ev;
  ev.tool = a.tool;
  ev.host = host_name();
  ev.exit_code = a.exit_code;
  ev.message = a.message;
  ev.time_unix = now_ns() / kNs;
  ev.severity = sev;
  ev.source = source;
  ev.key = key;
  if (wanted) deliver(routed, ev, *settings, problems);
  // Nobody to escalate to or to tell of a recovery, or a catalog that cannot be written (its
  // disk is full): nothing to remember.
  if (!cat || !cat->read_only().empty() ||
      (routed.empty() && resolve_to.empty() && esc.targets.empty()))
    return problems;

  const std::int64_t failures_before = st.failures;
  const notify::Steps steps =
      notify::after_run(st, failed, sev, wanted && !routed.empty(), now_ns(), esc);
  if (Status s = store(*cat, key, st, now_ns()); !s) problems.push_back(s.error().message);
  const std::string what = source.empty() ? a.tool : fmt::format("{} of '{}'", a.tool, source);
  notify::Event escalation = ev;
  escalation.escalated = true;
  escalation.headline =
      fmt::format("{} failed {} times in a row on {} (escalated)", what, st.failures, ev.host);
  notify::Event resolved = ev;
  resolved.action = notify::Action::resolve;
  resolved.severity = trouble;
  resolved.escalated = steps.resolve_escalation;
  resolved.headline = fmt::format("{} succeeded on {} after {} failed {}", what, ev.host,
                                  failures_before, failures_before == 1 ? "run" : "runs");
  resolved.message.clear();
  follow_up(steps, resolve_to, esc, escalation, resolved, *settings, problems);
  return problems;
}

std::vector<std::string> alert_objectives(catalog::Catalog& cat, const monitor::StatusReport& r,
                                          const policy::Policy* pol,
                                          const std::vector<std::string>& targets,
                                          std::int64_t now) {
  std::vector<std::string> problems;
  auto settings = notify::settings_from_env();
  if (!settings) {
    problems.push_back("cannot notify: " + settings.error().message);
    return problems;
  }
  std::map<std::string, catalog::AlertRecord> remembered;
  for (const char* prefix : {"objective/", "performance/", "capacity/"}) {
    auto rows = cat.alert_states(prefix);
    if (!rows) {
      problems.push_back(rows.error().message);
      return problems;
    }
    for (auto& row : *rows) remembered.emplace(row.key, std::move(row));
  }
  const policy::Routes no_routes;
  const policy::Escalation esc = pol ? pol->notify.escalation : policy::Escalation{};
  const policy::Escalation never;  // warnings do not escalate
  const std::string host = host_name();

  // One check: an objective (critical, escalates) or a warning (a slow run, a capacity
  // threshold). `what` names it in the messages ("rpo of 'app' (daily)").
  struct Check {
    std::string key, what, source, retention_class;
    std::string objective;  // the event's objective field: "rpo", ..., "performance", "capacity"
    notify::Severity severity = notify::Severity::critical;
    bool bad = false;
    std::string detail;
  };
  // One check against what the catalog remembers of its key (`row`).
  const auto check_with = [&](const Check& c, const std::optional<catalog::AlertRecord>& row) {
    notify::AlertState st = to_state(row);
    if (!c.bad && !st.active()) return;
    const bool objective = c.severity == notify::Severity::critical;
    const notify::Severity sev = c.bad ? c.severity : st.severity;
    const notify::Steps steps =
        notify::after_check(st, c.bad, now, objective ? esc : never, c.severity);
    if (Status s = store(cat, c.key, st, now); !s) problems.push_back(s.error().message);
    const policy::Routes& routes = pol ? notify::routes_for(*pol, c.retention_class) : no_routes;
    const std::vector<std::string> routed = joined(targets, notify::route(routes, sev));
    notify::Event ev;
    ev.tool = "cairn status";
    ev.host = host;
    ev.exit_code = static_cast<int>(objective ? Exit::objective : Exit::partial);
    ev.message = c.detail;
    ev.time_unix = now / kNs;
    ev.severity = sev;
    ev.source = c.source;
    ev.objective = c.objective;
    ev.key = c.key;
    ev.headline = objective ? fmt::format("objective {} violated on {}", c.what, host)
                            : fmt::format("{} on {}", c.what, host);
    if (steps.trigger) deliver(routed, ev, *settings, problems);
    notify::Event escalation = ev;
    escalation.escalated = true;
    escalation.headline = fmt::format("objective {} violated on {} for {} (escalated)", c.what,
                                      host, duration_text(now - st.since_ns));
    notify::Event resolved = ev;
    resolved.action = notify::Action::resolve;
    resolved.exit_code = 0;
    resolved.escalated = steps.resolve_escalation;
    resolved.message.clear();
    resolved.headline = objective ? fmt::format("objective {} is met again on {}", c.what, host)
                                  : fmt::format("{} is over on {}", c.what, host);
    follow_up(steps, routed, esc, escalation, resolved, *settings, problems);
  };
  // A check the report shows: its remembered row, if any, is taken out of `remembered`.
  const auto check = [&](const Check& c) {
    std::optional<catalog::AlertRecord> row;
    if (auto it = remembered.find(c.key); it != remembered.end()) {
      row = std::move(it->second);
      remembered.erase(it);
    }
    check_with(c, row);
  };

  for (const auto& line : r.lines)
    for (const auto& o : line.objectives) {
      if (o.state == monitor::ObjectiveState::unset) continue;
      const std::string obj(monitor::to_string(o.objective));
      check({fmt::format("objective/{}/{}/{}", line.facts.source, line.facts.retention_class, obj),
             fmt::format("{} of '{}' ({})", obj, line.facts.source, line.facts.retention_class),
             line.facts.source, line.facts.retention_class, obj, notify::Severity::critical,
             o.state == monitor::ObjectiveState::violated, o.detail});
    }
  for (const auto& d : r.destinations)
    for (const auto& o : d.objectives) {
      if (o.state == monitor::ObjectiveState::unset) continue;
      const std::string obj(monitor::to_string(o.objective));
      check({fmt::format("objective/destination/{}/{}", d.destination, obj),
             fmt::format("{} of destination '{}'", obj, d.destination), "",
             d.retention_class.value_or(""), obj, notify::Severity::critical,
             o.state == monitor::ObjectiveState::violated, o.detail});
    }
  // Warnings: a slow run or transfer, a capacity threshold crossed. One alert per key; its
  // message holds every finding of the key (a run may be slow both ways).
  std::map<std::string, Check> warned;
  // The finding without its "slow run: " or "capacity of ...: ": the headline says that.
  const auto finding = [](const std::string& w) {
    const auto colon = w.find(": ");
    return colon == std::string::npos ? w : w.substr(colon + 2);
  };
  for (const auto& w : r.performance) {
    auto [it, fresh] = warned.try_emplace(w.key);
    Check& c = it->second;
    if (fresh) {
      c = {w.key,
           w.destination.empty() ? fmt::format("slow run of '{}' ({})", w.source, w.retention_class)
                                 : fmt::format("slow transfer at destination '{}'", w.destination),
           w.source,
           w.retention_class,
           "performance",
           notify::Severity::warning,
           true,
           finding(w.message)};
    } else {
      c.detail += "; " + finding(w.message);
    }
  }
  if (r.capacity)
    for (const auto& place : r.capacity->places)
      if (!place.warnings.empty()) {
        std::string detail;
        for (const auto& w : place.warnings) detail += (detail.empty() ? "" : "; ") + finding(w);
        const std::string key = "capacity/" + place.target;
        warned[key] = {
            key,
            fmt::format("capacity of {}", place.repository ? std::string("the repository")
                                                           : "destination '" + place.target + "'"),
            "",
            "",
            "capacity",
            notify::Severity::warning,
            true,
            detail};
      }
  for (const auto& [key, c] : warned) check(c);
  // Checks the report no longer shows (a source or class gone, an objective removed from the
  // policy, a run no longer slow, a place below its thresholds): their trouble is over.
  for (const auto& [key, row] : remembered) {
    Check gone;
    gone.key = key;
    gone.severity = severity_named(row.severity);
    const auto first = key.find('/'), last = key.rfind('/');
    gone.objective =
        key.substr(0, first) == "objective" ? key.substr(last + 1) : key.substr(0, first);
    gone.what =
        gone.severity == notify::Severity::critical ? key.substr(first + 1) : "warning " + key;
    check_with(gone, row);
  }
  return problems;
}

}  // namespace cairn::ops
