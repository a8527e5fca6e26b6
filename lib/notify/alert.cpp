// Severities, the receivers' own payloads (Slack, PagerDuty Events API v2, Opsgenie Alert
// API), the policy's routes and the escalation rule (cairn(7) NOTIFICATIONS).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/time.hpp"
#include "notify/notify.hpp"

namespace cairn::notify {

namespace {

using Json = nlohmann::ordered_json;

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// At most `n` bytes, cut before a UTF-8 continuation byte (the services limit lengths).
std::string clip(std::string s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s;
}

// The fields every receiver format carries in its details.
Json details(const Event& e) {
  Json d;
  d["tool"] = e.tool;
  d["host"] = e.host;
  d["exit_code"] = e.exit_code;
  d["status"] = exit_meaning(e.exit_code);
  d["message"] = e.message;
  d["severity"] = to_string(severity_of(e));
  d["escalated"] = e.escalated;
  if (!e.source.empty()) d["source"] = e.source;
  if (!e.objective.empty()) d["objective"] = e.objective;
  d["time"] = format_time(e.time_unix * kNsPerSecond);
  return d;
}

// RFC 3986 unreserved characters stay; everything else is %XX.
std::string percent_encode(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~')
      out.push_back(c);
    else
      out += fmt::format("%{:02X}", u);
  }
  return out;
}

}  // namespace

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::critical: return "critical";
    case Severity::warning: return "warning";
    case Severity::info: return "info";
  }
  return "critical";
}

Severity severity_of(std::string_view tool, int exit_code) {
  switch (static_cast<Exit>(exit_code)) {
    case Exit::ok: return Severity::info;
    case Exit::partial:
    case Exit::uncataloged:
    case Exit::locked:
    case Exit::interrupted: return Severity::warning;
    case Exit::damage:
    case Exit::objective: return Severity::critical;
    default: break;
  }
  return tool == "cairn-diff" ? Severity::warning : Severity::critical;
}

Severity severity_of(const Event& e) {
  return e.severity ? *e.severity : severity_of(e.tool, e.exit_code);
}

std::string dedup_key(const Event& e) {
  return fmt::format("cairn/{}/{}", e.host, e.key.empty() ? "run/" + e.tool : e.key);
}

std::string slack_json(const Event& e) {
  const std::string text = summary(e);
  const char* colour = e.action == Action::resolve            ? "#2eb67d"
                       : severity_of(e) == Severity::critical ? "#e01e5a"
                       : severity_of(e) == Severity::warning  ? "#ecb22e"
                                                              : "#36c5f0";
  std::string fields = fmt::format(
      "*severity:* {}  *host:* {}  *tool:* {}",
      e.action == Action::resolve ? "resolved" : to_string(severity_of(e)), e.host, e.tool);
  if (!e.source.empty()) fields += fmt::format("  *source:* {}", e.source);
  if (!e.objective.empty()) fields += fmt::format("  *objective:* {}", e.objective);
  fields += fmt::format("  *dedup key:* {}", dedup_key(e));
  Json section;
  section["type"] = "section";
  section["text"] = {{"type", "mrkdwn"}, {"text", clip(text, 3000)}};
  Json context;
  context["type"] = "context";
  context["elements"] = Json::array({Json{{"type", "mrkdwn"}, {"text", clip(fields, 3000)}}});
  Json attachment;
  attachment["color"] = colour;
  attachment["fallback"] = text;
  attachment["blocks"] = Json::array({section, context});
  Json j;
  j["text"] = text;
  j["attachments"] = Json::array({attachment});
  return dump(j);
}

std::string pagerduty_json(const Event& e, std::string_view routing_key) {
  Json j;
  j["routing_key"] = routing_key;
  j["event_action"] = e.action == Action::resolve ? "resolve" : "trigger";
  j["dedup_key"] = clip(dedup_key(e), 255);
  if (e.action == Action::trigger) {
    Json p;
    p["summary"] = clip(summary(e), 1024);
    p["source"] = e.host;
    p["severity"] = to_string(severity_of(e));
    p["timestamp"] = format_time(e.time_unix * kNsPerSecond);
    p["component"] = e.source.empty() ? e.tool : e.source;
    p["group"] = "cairn";
    p["class"] = e.objective.empty() ? e.tool : e.objective;
    p["custom_details"] = details(e);
    j["payload"] = p;
  }
  j["client"] = "cairn";
  return dump(j);
}

std::string opsgenie_json(const Event& e) {
  Json j;
  if (e.action == Action::resolve) {
    j["source"] = "cairn@" + e.host;
    j["note"] = clip(summary(e), 25000);
    return dump(j);
  }
  j["message"] = clip(subject(e).substr(7), 130);  // without "cairn: "
  j["alias"] = clip(dedup_key(e), 512);
  j["description"] = clip(summary(e), 15000);
  j["priority"] = severity_of(e) == Severity::critical  ? "P1"
                  : severity_of(e) == Severity::warning ? "P3"
                                                        : "P5";
  j["source"] = "cairn@" + e.host;
  j["entity"] = e.source.empty() ? e.tool : e.source;
  j["tags"] = Json::array({"cairn", to_string(severity_of(e))});
  const Json all = details(e);
  Json d = Json::object();
  for (auto it = all.begin(); it != all.end(); ++it)  // Opsgenie details are strings only
    d[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
  j["details"] = d;
  return dump(j);
}

std::string opsgenie_url(std::string_view url, const Event& e) {
  if (e.action == Action::trigger) return std::string(url);
  std::string base(url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return fmt::format("{}/{}/close?identifierType=alias", base, percent_encode(dedup_key(e)));
}

std::string render(const Target& t, const Event& e, std::string_view key) {
  if (t.kind != Kind::webhook) return to_json(e);
  switch (t.format) {
    case Format::json: return to_json(e);
    case Format::slack: return slack_json(e);
    case Format::pagerduty: return pagerduty_json(e, key);
    case Format::opsgenie: return opsgenie_json(e);
  }
  return to_json(e);
}

const policy::Routes& routes_for(const policy::Policy& p, std::string_view retention_class) {
  if (const policy::Class* c = p.find(retention_class); c != nullptr && c->notify)
    return *c->notify;
  return p.notify;
}

std::vector<std::string> route(const policy::Routes& r, Severity sev) {
  std::vector<std::string> out = r.targets;
  const auto& more = sev == Severity::critical  ? r.critical
                     : sev == Severity::warning ? r.warning
                                                : r.info;
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

namespace {

// One run or check: `bad` starts or continues the trouble, and escalates it once `due` says
// it has earned that; otherwise the trouble, if there was one, is over.
template <typename Due>
Steps advance(AlertState& st, bool bad, Severity sev, bool alerted, std::int64_t now_ns, Due due) {
  Steps s;
  if (!bad) {
    s.resolve = st.active() && st.alerted;
    s.resolve_escalation = st.escalated_ns.has_value();
    st = AlertState{};
    return s;
  }
  if (!st.active()) st = AlertState{.since_ns = now_ns};
  ++st.failures;
  st.severity = sev;
  st.alerted = st.alerted || alerted;
  if (!st.escalated_ns && due(st)) {
    st.escalated_ns = now_ns;
    s.escalate = true;
  }
  return s;
}

}  // namespace

Steps after_run(AlertState& st, bool failed, Severity sev, bool alerted, std::int64_t now_ns,
                const policy::Escalation& esc) {
  return advance(st, failed, sev, alerted, now_ns, [&](const AlertState& a) {
    return esc.line != 0 && esc.after_failures && a.failures >= *esc.after_failures;
  });
}

Steps after_check(AlertState& st, bool violated, std::int64_t now_ns, const policy::Escalation& esc,
                  Severity sev) {
  const bool first = !st.active();
  Steps s = advance(st, violated, sev, true, now_ns, [&](const AlertState& a) {
    return esc.line != 0 && esc.after_ns && now_ns - a.since_ns >= *esc.after_ns;
  });
  s.trigger = violated && first;
  return s;
}

}  // namespace cairn::notify
