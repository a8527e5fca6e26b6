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

namespace cairn::notify {

inline constexpr std::string_view kSchema = "cairn.notify/1";
inline constexpr std::chrono::seconds kDefaultTimeout{15};

// ---- targets

enum class Kind : std::uint8_t { webhook, email, exec };

struct Target {
  Kind kind = Kind::webhook;
  std::string url;                        // webhook
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

// ---- the event and its renderings

struct Event {
  std::string tool;     // "cairn-verify"
  std::string host;     // this host's name
  int exit_code = 1;    // the tool's exit status (cairn(7) EXIT STATUS)
  std::string message;  // the error line without "<tool>: error: ", or a summary
  std::int64_t time_unix = 0;
};

// The meaning of an exit status, from the table in cairn(7): 4 -> "damage found".
std::string_view exit_meaning(int exit_code);
// "cairn-verify failed on db1 with exit status 4 (damage found): <message>".
std::string summary(const Event& e);
// "cairn: cairn-verify failed on db1".
std::string subject(const Event& e);
// The webhook body and the exec: command's stdin, one line of JSON:
//   {"schema":"cairn.notify/1","text":SUMMARY,"tool":..,"host":..,"exit_code":4,
//    "status":"damage found","message":..,"time":"2025-03-04T05:06:07Z"}
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

// ---- sending

struct Settings {
  std::chrono::milliseconds timeout = kDefaultTimeout;      // CAIRN_NOTIFY_TIMEOUT (1..300 s)
  std::string smtp_user;                                    // CAIRN_SMTP_USER
  std::optional<std::filesystem::path> smtp_password_file;  // CAIRN_SMTP_PASSWORD_FILE
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

}  // namespace cairn::notify
