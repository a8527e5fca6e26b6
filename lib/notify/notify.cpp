// Sending: settings from the environment, one target at a time, and the target lists the
// tool runner collects (command line, CAIRN_NOTIFY, the policy's [notify] table).
#include "notify/notify.hpp"

#include <string.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include <fmt/format.h>

#include "io/file.hpp"
#include "net/notify_transport.hpp"
#include "policy/policy.hpp"

namespace cairn::notify {

namespace {

constexpr int kMaxTimeoutSeconds = 300;

std::string random_token() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 4; ++i)
    for (std::uint32_t x = rd(), k = 0; k < 8; ++k, x >>= 4) s.push_back(kHex[x & 15]);
  return s;
}

Result<net::SecretString> read_password(const std::filesystem::path& file) {
  auto bytes = io::read_file(file);
  if (!bytes)
    return Error{bytes.error().code, "CAIRN_SMTP_PASSWORD_FILE: " + bytes.error().message};
  std::string s(bytes->begin(), bytes->end());
  ::explicit_bzero(bytes->data(), bytes->size());
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
  if (s.empty())
    return Error{Errc::usage, fmt::format("CAIRN_SMTP_PASSWORD_FILE '{}' is empty", file.string())};
  return net::SecretString(std::move(s));
}

Status send_email(const Target& t, const Event& e, const Settings& s) {
  net::MailSubmission m;
  m.server = t.smtp;
  m.to = t.to;
  m.from = t.from.empty() ? "cairn@" + e.host : t.from;
  if (!s.smtp_user.empty()) {
    m.user = s.smtp_user;
    if (s.smtp_password_file) {
      CAIRN_TRY_ASSIGN(m.password, read_password(*s.smtp_password_file));
    }
  }
  const std::string id = fmt::format("{}.{}.cairn@{}", random_token(), e.time_unix, e.host);
  return net::smtp_send(m, email_message(e, m.from, m.to, id), s.timeout, "");
}

// A receiver's key: the first line of `file` when given, else `value`; Errc::usage naming
// `what` (the variables) when there is none.
Result<net::SecretString> receiver_key(const std::optional<std::filesystem::path>& file,
                                       const std::string& value, std::string_view file_var,
                                       std::string_view value_var) {
  if (file) {
    auto bytes = io::read_file(*file);
    if (!bytes)
      return Error{bytes.error().code, fmt::format("{}: {}", file_var, bytes.error().message)};
    std::string k(bytes->begin(), bytes->end());
    ::explicit_bzero(bytes->data(), bytes->size());
    if (const auto nl = k.find_first_of("\r\n"); nl != std::string::npos) k.resize(nl);
    if (k.empty())
      return Error{Errc::usage, fmt::format("{} '{}' is empty", file_var, file->string())};
    return net::SecretString(std::move(k));
  }
  if (value.empty())
    return Error{Errc::usage, fmt::format("no key: set {} (a file) or {}", file_var, value_var)};
  return net::SecretString(std::string(value));
}

Status send_webhook(const Target& t, const Event& e, const Settings& s) {
  switch (t.format) {
    case Format::json:
    case Format::slack:
      return net::http_post(t.url, "application/json", render(t, e), s.timeout, "");
    case Format::pagerduty: {
      CAIRN_TRY_ASSIGN(auto key, receiver_key(s.pagerduty_key_file, s.pagerduty_key,
                                              "CAIRN_PAGERDUTY_KEY_FILE", "CAIRN_PAGERDUTY_KEY"));
      std::string body = pagerduty_json(e, key.reveal());
      const Status st = net::http_post(t.url, "application/json", body, s.timeout, "");
      ::explicit_bzero(body.data(), body.size());
      return st;
    }
    case Format::opsgenie: {
      CAIRN_TRY_ASSIGN(auto key, receiver_key(s.opsgenie_key_file, s.opsgenie_key,
                                              "CAIRN_OPSGENIE_KEY_FILE", "CAIRN_OPSGENIE_KEY"));
      std::string auth = "GenieKey " + std::string(key.reveal());
      const Status st = net::http_post(opsgenie_url(t.url, e), "application/json", opsgenie_json(e),
                                       s.timeout, "", auth);
      ::explicit_bzero(auth.data(), auth.size());
      return st;
    }
  }
  return Error{Errc::internal, "unknown webhook format"};
}

}  // namespace

Result<Settings> settings_from_env(const GetEnv& getenv) {
  Settings s;
  if (auto t = getenv("CAIRN_NOTIFY_TIMEOUT"); t && !t->empty()) {
    int n = 0;
    bool ok = t->size() <= 3;  // at most "300"
    for (std::size_t i = 0; ok && i < t->size(); ++i) {
      const char c = (*t)[i];
      if (c < '0' || c > '9')
        ok = false;
      else
        n = n * 10 + (c - '0');
    }
    if (!ok || n < 1 || n > kMaxTimeoutSeconds)
      return Error{Errc::usage,
                   fmt::format("CAIRN_NOTIFY_TIMEOUT '{}' is not a number of seconds from 1 to {}",
                               *t, kMaxTimeoutSeconds)};
    s.timeout = std::chrono::seconds(n);
  }
  if (auto u = getenv("CAIRN_SMTP_USER"); u && !u->empty()) s.smtp_user = *u;
  if (auto f = getenv("CAIRN_SMTP_PASSWORD_FILE"); f && !f->empty()) s.smtp_password_file = *f;
  if (auto f = getenv("CAIRN_PAGERDUTY_KEY_FILE"); f && !f->empty()) s.pagerduty_key_file = *f;
  if (auto k = getenv("CAIRN_PAGERDUTY_KEY"); k) s.pagerduty_key = *k;
  if (auto f = getenv("CAIRN_OPSGENIE_KEY_FILE"); f && !f->empty()) s.opsgenie_key_file = *f;
  if (auto k = getenv("CAIRN_OPSGENIE_KEY"); k) s.opsgenie_key = *k;
  if (s.smtp_password_file && s.smtp_user.empty())
    return Error{Errc::usage, "CAIRN_SMTP_PASSWORD_FILE is set but CAIRN_SMTP_USER is not"};
  if (!s.smtp_user.empty() && !s.smtp_password_file)
    return Error{Errc::usage, "CAIRN_SMTP_USER is set but CAIRN_SMTP_PASSWORD_FILE is not"};
  return s;
}

Status send(const Target& t, const Event& e, const Settings& s) {
  switch (t.kind) {
    case Kind::webhook: return send_webhook(t, e, s);
    case Kind::email: return send_email(t, e, s);
    case Kind::exec: return run_command(t.command, to_json(e) + "\n", event_env(e), s.timeout);
  }
  return Error{Errc::internal, "unknown notify target kind"};
}

Result<std::vector<std::string>> command_line_targets(const std::vector<std::string>& flags,
                                                      const GetEnv& getenv) {
  std::vector<std::string> out = flags;
  if (out.empty())
    if (auto env = getenv("CAIRN_NOTIFY"); env) out = split_list(*env);
  for (const auto& t : out) {
    auto parsed = parse_target(t);
    if (!parsed) return std::move(parsed).error();
  }
  return out;
}

Result<NotifyOn> parse_notify_on(std::string_view list) {
  const auto bad = [&](std::string_view why) {
    return Error{Errc::usage, fmt::format("invalid --notify-on '{}': {}", list, why)};
  };
  NotifyOn on{false, false, false};
  bool any = false;
  std::string_view rest = list;
  for (;;) {
    const std::size_t comma = rest.find(',');
    std::string_view word = rest.substr(0, comma);
    while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
    while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
    bool* slot = word == "success"   ? &on.success
                 : word == "warning" ? &on.warning
                 : word == "failure" ? &on.failure
                                     : nullptr;
    if (slot == nullptr)
      return bad(word.empty() ? "an empty item; give a comma-separated list of success, "
                                "warning, failure"
                              : "each item must be success, warning or failure");
    if (*slot) return bad(fmt::format("'{}' is given twice", word));
    *slot = true;
    any = true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!any) return bad("give at least one of success, warning, failure");
  return on;
}

Result<NotifyOn> command_line_notify_on(const std::optional<std::string>& flag,
                                        const GetEnv& getenv) {
  if (flag) return parse_notify_on(*flag);
  if (auto env = getenv("CAIRN_NOTIFY_ON"); env) {
    auto on = parse_notify_on(*env);
    if (!on) return Error{Errc::usage, fmt::format("CAIRN_NOTIFY_ON: {}", on.error().message)};
    return on;
  }
  return NotifyOn{};
}

bool wanted(const NotifyOn& on, int exit_code) {
  if (exit_code == 0) return on.success;
  if (exit_code == static_cast<int>(Exit::partial)) return on.warning;
  return on.failure;
}

Result<std::vector<std::string>> policy_targets(const std::optional<std::filesystem::path>& flag,
                                                const GetEnv& getenv) {
  CAIRN_TRY_ASSIGN(auto p, policy::load_optional(flag, getenv));
  if (!p) return std::vector<std::string>{};
  return p->notify.targets;
}

std::vector<Error> send_all(const std::vector<std::string>& targets, const Event& e,
                            const Settings& s) {
  std::vector<Error> failures;
  std::vector<std::string_view> done;
  for (const auto& spec : targets) {
    if (std::find(done.begin(), done.end(), spec) != done.end()) continue;
    done.push_back(spec);
    auto t = parse_target(spec);
    if (!t) {
      failures.push_back(std::move(t).error());
      continue;
    }
    if (Status st = send(*t, e, s); !st)
      failures.push_back(Error{st.error().code, fmt::format("cannot notify '{}': {}", redact(spec),
                                                            st.error().message)});
  }
  return failures;
}

}  // namespace cairn::notify
