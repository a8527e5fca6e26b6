// lib/notify/notify.hpp: alerts when a tool fails (cairn(7) "NOTIFICATIONS"). A target is
// one string, given with --notify (repeatable), in CAIRN_NOTIFY, or in the policy's
// [notify] targets:
//   http://HOST[:PORT]/PATH, https://...   a webhook: POST application/json, a body that a
//                                          Slack incoming webhook accepts ("text") plus
//                                          cairn's fields (see to_json)
//   mailto:ADDR[,ADDR...][?smtp=URL][&from=ADDR][&to=ADDR]
//                                          an email (RFC 5322, text/plain) submitted through
//                                          the SMTP server URL (smtp://HOST[:PORT] with
//                                          STARTTLS when offered, or smtps://; default
//                                          smtp://localhost); credentials only from
//                                          CAIRN_SMTP_USER and CAIRN_SMTP_PASSWORD_FILE
//   exec:/ABS/PATH                         runs the command (no shell, no arguments) with the
//                                          event as JSON on stdin and CAIRN_EVENT_* variables;
//                                          a non-zero exit is a failed notification
//   FORMAT+http(s)://...                   a webhook in a receiver's own format (Format):
//                                          slack+, pagerduty+ (Events API v2), opsgenie+
//                                          (Alert API), json+ (the same as no prefix)
// Every event has a severity (critical, warning, info: severity_of), a dedup key (one per
// source and objective, so a receiver opens one incident) and an action (trigger, or
// resolve when the trouble is over).
// (mailto: rather than smtp://HOST/?to=: the address is what a reader looks for, RFC 6068
// already says how to list several, and the server, which is the same for every address
// on a host, is the part one leaves out.)
// Every notification is one attempt bounded by a timeout (CAIRN_NOTIFY_TIMEOUT seconds,
// default 15), so a cron job never hangs on an alert. A failed notification is reported
// by the caller and never changes the tool's exit status. Messages name a target only in
// its redacted form (redact()): no userinfo, query values or webhook path tokens.
// Depends on: base, io, net (notify_transport: HTTP and SMTP through libcurl), policy
// (the [notify] table). Threads: plain functions; send() blocks for at most the timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.hpp"
#include "base/result.hpp"
#include "policy/policy.hpp"

namespace cairn::notify {

inline constexpr std::string_view kSchema = "cairn.notify/1";
inline constexpr std::chrono::seconds kDefaultTimeout{15};

// ---- targets

enum class Kind : std::uint8_t { webhook, email, exec };
// The body a webhook gets: cairn.notify/1 JSON, or a receiver's own (render()).
enum class Format : std::uint8_t { json, slack, pagerduty, opsgenie };
std::string_view to_string(Format f);  // "json", "slack", "pagerduty", "opsgenie"

struct Target {
  Kind kind = Kind::webhook;
  Format format = Format::json;           // webhook: from the FORMAT+ prefix
  std::string url;                        // webhook, without the prefix
  std::vector<std::string> to;            // email: bare addresses, at least one
  std::string from;                       // email: "" = cairn@HOST
  std::string smtp = "smtp://localhost";  // email: the submission server
  std::filesystem::path command;          // exec: an absolute path
};

// Parses one target. Errc::usage "invalid notify target 'REDACTED': WHY" for anything else:
// an unknown scheme, a URL without a host, a malformed address, an unknown mailto field,
// credentials in the smtp= URL (they belong in the environment), a relative exec: path.
Result<Target> parse_target(std::string_view spec);

// The target as messages may show it: userinfo ("user:pw@") and query values become "***",
// and a webhook path keeps its first segment only ("https://hooks.slack.com/services/***"),
// since webhook services put their secret token in the path.
std::string redact(std::string_view spec);

// CAIRN_NOTIFY: targets separated by whitespace, or by commas that start a new target (a
// comma followed by http://, https://, mailto: or exec:), so "mailto:a@x,b@y" stays one.
std::vector<std::string> split_list(std::string_view list);

// ---- which outcomes are sent (--notify-on, CAIRN_NOTIFY_ON)

// An outcome is a success (exit 0), a warning (exit 3, "completed with warnings") or a
// failure (any other non-zero status). By default warnings and failures are sent, as before
// the selector existed.
struct NotifyOn {
  bool success = false;
  bool warning = true;
  bool failure = true;
};

// Parses "success,failure,warning" (any order, at least one, each once at most; spaces
// around the commas allowed). Errc::usage "invalid --notify-on 'X': ..." otherwise.
Result<NotifyOn> parse_notify_on(std::string_view list);
// The --notify-on value if given, else CAIRN_NOTIFY_ON, else the default.
Result<NotifyOn> command_line_notify_on(const std::optional<std::string>& flag,
                                        const GetEnv& getenv = process_env);
// Whether a run that ended with `exit_code` is sent under `on`.
bool wanted(const NotifyOn& on, int exit_code);

// ---- severities

enum class Severity : std::uint8_t { critical, warning, info };
std::string_view to_string(Severity s);  // "critical", "warning", "info"
// The severity of a tool's outcome (cairn(7) NOTIFICATIONS): exit 0 is info; 3 (warnings),
// 6 (committed, catalog not updated), 11 (locked) and 130 (interrupted) are warnings; 4
// (damage) and 5 (objective violated) are critical; any other failure is critical, except
// for cairn-diff, which only compares, where it is a warning.
Severity severity_of(std::string_view tool, int exit_code);

// ---- the event and its renderings

enum class Action : std::uint8_t { trigger, resolve };

struct Event {
  std::string tool;     // "cairn-verify"
  std::string host;     // this host's name
  int exit_code = 1;    // the tool's exit status (cairn(7) EXIT STATUS)
  std::string message;  // the error line without "<tool>: error: ", or a summary
  std::int64_t time_unix = 0;
  std::optional<Severity> severity;  // nullopt: severity_of(tool, exit_code)
  Action action = Action::trigger;
  bool escalated = false;  // sent to the escalation targets
  std::string source;      // the source the run or objective is about ("" when none)
  std::string objective;   // "rpo", "rto", "verify", "copies" for an objective's alert
  // What the alert is about, the same from run to run: "run/cairn-pack/app",
  // "objective/app/daily/rpo" ("" : "run/TOOL"). The dedup key is "cairn/HOST/" + key.
  std::string key;
  // The summary's first words instead of "TOOL failed on HOST with exit status N (...)".
  std::string headline;
};

// The event's severity: as set, else severity_of(e.tool, e.exit_code).
Severity severity_of(const Event& e);
// "cairn/db1/run/cairn-verify": stable across runs, one per host, source and objective.
std::string dedup_key(const Event& e);

// The meaning of an exit status, from the table in cairn(7): 4 -> "damage found".
std::string_view exit_meaning(int exit_code);
// "[critical] cairn-verify failed on db1 with exit status 4 (damage found): <message>";
// "[resolved] ..." for a resolve.
std::string summary(const Event& e);
// "cairn: [critical] cairn-verify failed on db1".
std::string subject(const Event& e);
// The webhook body and the exec: command's stdin, one line of JSON:
//   {"schema":"cairn.notify/1","text":SUMMARY,"tool":..,"host":..,"exit_code":4,
//    "status":"damage found","message":..,"time":"2025-03-04T05:06:07Z",
//    "severity":"critical","action":"trigger","dedup_key":..,"escalated":false
//    [,"source":..][,"objective":..]}
// "text" is what Slack (and Mattermost, Rocket.Chat, Teams' Slack-compatible hooks) shows;
// they ignore the other keys. Bytes that are not UTF-8 are replaced by U+FFFD.
std::string to_json(const Event& e);
// An RFC 5322 message with CRLF line ends: Date, From, To, Subject, Message-ID, MIME headers,
// X-Cairn-Tool and X-Cairn-Exit-Code, and a text/plain body (summary, then the fields).
// Header values are single lines; body lines are at most 998 bytes.
std::string email_message(const Event& e, std::string_view from, const std::vector<std::string>& to,
                          std::string_view message_id);
// The exec: command's extra environment, "NAME=value" each: CAIRN_EVENT_SCHEMA, _TOOL, _HOST,
// _EXIT_CODE, _STATUS, _MESSAGE, _TEXT, _TIME.
std::vector<std::string> event_env(const Event& e);

// The receivers' own formats (the FORMAT+ prefix of a webhook target):
//   slack      {"text":SUMMARY,"attachments":[{"color":BY SEVERITY,"fallback":SUMMARY,
//              "blocks":[a section with the summary, a context with the fields]}]}
//   pagerduty  Events API v2: {"routing_key","event_action":"trigger"|"resolve","dedup_key",
//              "payload":{"summary","source":HOST,"severity","timestamp","component",
//              "group":"cairn","class","custom_details":{...}}} (no payload on resolve)
//   opsgenie   Alert API: create {"message","alias":DEDUP KEY,"description","priority":
//              "P1"|"P3"|"P5","source","entity","tags","details"}; a resolve is the close
//              request's body {"source","note"} (opsgenie_url())
std::string slack_json(const Event& e);
std::string pagerduty_json(const Event& e, std::string_view routing_key);
std::string opsgenie_json(const Event& e);
// Where an Opsgenie event goes: `url` (".../v2/alerts") to create, and
// ".../v2/alerts/ALIAS/close?identifierType=alias" to close on resolve.
std::string opsgenie_url(std::string_view url, const Event& e);
// The body of `t` for `e` (t.format; JSON for email and exec: use to_json). `key` is the
// PagerDuty routing key.
std::string render(const Target& t, const Event& e, std::string_view key = {});

// ---- sending

struct Settings {
  std::chrono::milliseconds timeout = kDefaultTimeout;      // CAIRN_NOTIFY_TIMEOUT (1..300 s)
  std::string smtp_user;                                    // CAIRN_SMTP_USER
  std::optional<std::filesystem::path> smtp_password_file;  // CAIRN_SMTP_PASSWORD_FILE
  // The PagerDuty routing key and the Opsgenie API key: read from the file named by
  // CAIRN_PAGERDUTY_KEY_FILE / CAIRN_OPSGENIE_KEY_FILE, else the value of CAIRN_PAGERDUTY_KEY
  // / CAIRN_OPSGENIE_KEY; never from the target (it would be in argv and in logs).
  std::optional<std::filesystem::path> pagerduty_key_file, opsgenie_key_file;
  std::string pagerduty_key, opsgenie_key;
};
// Errc::usage for a CAIRN_NOTIFY_TIMEOUT that is not a whole number of seconds in 1..300, or
// a password file without a user.
Result<Settings> settings_from_env(const GetEnv& getenv = process_env);

// The only variables of the caller's environment an exec: command inherits (cairn(7)
// NOTIFICATIONS); PATH defaults to /usr/local/bin:/usr/bin:/bin when unset.
inline constexpr const char* kPassedVariables[] = {"PATH", "HOME", "LANG", "LC_ALL", "TZ"};

// Runs `command` (absolute path, no arguments, no shell) with `input` on its stdin, its
// stdout sent to our stderr (a tool's stdout carries its product), a minimal environment
// (kPassedVariables from ours, then `env`, "NAME=value" each, which wins over ours), no
// descriptor above 2, in a process group of its own. Past `timeout` the group is killed. Errc::io
// when it cannot be started, exits non-zero, is killed by a signal or times out.
Status run_command(const std::filesystem::path& command, std::string_view input,
                   const std::vector<std::string>& env, std::chrono::milliseconds timeout);

// Sends one notification: one attempt, bounded by settings.timeout. Errors carry the cause
// only ("HTTP 500", "exited with status 3"); the caller names the target.
Status send(const Target& t, const Event& e, const Settings& settings);

// ---- for the tool runner (lib/cli)

// The targets of the command line: the --notify values if any, else CAIRN_NOTIFY. Each is
// parsed now, so a typo is a usage error before the tool runs, not a lost alert.
Result<std::vector<std::string>> command_line_targets(const std::vector<std::string>& flags,
                                                      const GetEnv& getenv = process_env);

// The [notify] targets of the policy file: the one given with --policy (`flag`), else
// CAIRN_POLICY if set, else /etc/cairn/policy.toml if it exists (else none). A policy that
// is named but missing or invalid is an error.
Result<std::vector<std::string>> policy_targets(const std::optional<std::filesystem::path>& flag,
                                                const GetEnv& getenv = process_env);

// Sends `e` to every target (duplicates once each), in order. Returns one Error per failed
// target: "cannot notify 'REDACTED': CAUSE".
std::vector<Error> send_all(const std::vector<std::string>& targets, const Event& e,
                            const Settings& settings);

// ---- routing and escalation (the policy's [notify] tables, cairn-policy(5))

// The routes of a run or objective of `retention_class`: its [class.NAME.notify] table when
// the class has one, else [notify].
const policy::Routes& routes_for(const policy::Policy& p, std::string_view retention_class);
// The targets of `sev`: the table's `targets` (every severity), then its list for `sev`.
std::vector<std::string> route(const policy::Routes& r, Severity sev);

// What the catalog keeps per alert key between runs (catalog table alert_state).
struct AlertState {
  std::int64_t failures =
      0;  // consecutive failed runs, or checks that found the objective violated
  std::int64_t since_ns = 0;                 // the first of them
  std::optional<std::int64_t> escalated_ns;  // when the escalation targets were alerted
  Severity severity = Severity::critical;    // of the last failure
  bool alerted = false;                      // the routed targets heard of the trouble
  bool active() const { return failures > 0; }
};
// What to send after one run or check.
struct Steps {
  bool trigger = false;             // objectives: the routed targets, once per incident
  bool escalate = false;            // the escalation targets, once per incident
  bool resolve = false;             // the routed targets: the trouble is over
  bool resolve_escalation = false;  // the escalation targets: the same
};
// A run of a source ended (`failed`: a non-zero exit other than an answer; `alerted`: its
// alert went to the routed targets). Escalates when the failures in a row reach
// after-failures; the first success afterwards resolves. `st` becomes the new state.
Steps after_run(AlertState& st, bool failed, Severity sev, bool alerted, std::int64_t now_ns,
                const policy::Escalation& esc);
// `cairn status --alert` checked an objective (or a warning: a slow run, a capacity
// threshold, with `sev` warning): a violation triggers once, escalates once when it has
// lasted `after` (since the first check that found it), and resolves once.
Steps after_check(AlertState& st, bool violated, std::int64_t now_ns, const policy::Escalation& esc,
                  Severity sev = Severity::critical);

}  // namespace cairn::notify
