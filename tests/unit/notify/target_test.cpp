#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "notify/notify.hpp"

using namespace cairn;

namespace {

std::string refusal(std::string_view spec) {
  auto t = notify::parse_target(spec);
  if (t) FAIL("accepted: " << spec);
  CHECK(t.error().code == Errc::usage);
  return t.error().message;
}

GetEnv env_of(const std::map<std::string, std::string>& m) {
  return [m](const char* name) -> std::optional<std::string> {
    auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

notify::Event sample() {
  notify::Event e;
  e.tool = "cairn-verify";
  e.host = "db1";
  e.exit_code = 4;
  e.message = "damage found: 1 damaged or missing objects";
  e.time_unix = 1'741'064'767;  // 2025-03-04T05:06:07Z
  return e;
}

}  // namespace

TEST_CASE("notify::parse_target: webhooks, emails and commands", "[notify]") {
  auto w = notify::parse_target("https://hooks.example.org/services/T1/B2/xyz?a=b");
  REQUIRE(w);
  CHECK(w->kind == notify::Kind::webhook);
  CHECK(w->url == "https://hooks.example.org/services/T1/B2/xyz?a=b");

  auto m = notify::parse_target(
      "mailto:ops@example.org,dba%40example.org?smtp=smtp://127.0.0.1:2525&from=cairn@db1");
  REQUIRE(m);
  CHECK(m->kind == notify::Kind::email);
  CHECK(m->to == std::vector<std::string>{"ops@example.org", "dba@example.org"});
  CHECK(m->smtp == "smtp://127.0.0.1:2525");
  CHECK(m->from == "cairn@db1");

  auto d = notify::parse_target("mailto:ops@example.org?to=oncall@example.org");
  REQUIRE(d);
  CHECK(d->smtp == "smtp://localhost");
  CHECK(d->from.empty());
  CHECK(d->to == std::vector<std::string>{"ops@example.org", "oncall@example.org"});

  auto s =
      notify::parse_target("mailto:ops@example.org?smtp=smtps%3A%2F%2Fmail.example.org%3A465%2F");
  REQUIRE(s);
  CHECK(s->smtp == "smtps://mail.example.org:465");

  auto x = notify::parse_target("exec:/usr/local/bin/page me");
  REQUIRE(x);
  CHECK(x->kind == notify::Kind::exec);
  CHECK(x->command == "/usr/local/bin/page me");
}

TEST_CASE("notify::parse_target: refusals say why and never show secrets", "[notify]") {
  const std::string why =
      "it must start with http://, https://, mailto: or exec: (a webhook may have a slack+, "
      "pagerduty+, opsgenie+ or json+ prefix)";
  CHECK(refusal("ftp://h/x") == "invalid notify target 'ftp://h/x': " + why);
  CHECK(refusal("slack") == "invalid notify target 'slack': " + why);
  CHECK(refusal("http:///path").find("needs a host") != std::string::npos);
  CHECK(refusal("http://h/a b").find("percent-encoded") != std::string::npos);
  CHECK(refusal("mailto:") ==
        "invalid notify target 'mailto:': no recipient: mailto:ADDRESS[?smtp=URL]");
  CHECK(refusal("mailto:ops").find("'ops' is not an email address") != std::string::npos);
  CHECK(refusal("mailto:a@b>c").find("is not an email address") != std::string::npos);
  CHECK(refusal("mailto:a@b%0d%0aRCPT%20TO:x@y").find("is not an email address") !=
        std::string::npos);
  CHECK(refusal("mailto:a@b?subject=x").find("unknown field 'subject'") != std::string::npos);
  CHECK(refusal("mailto:a@b?smtp=http://h").find("smtp= takes") != std::string::npos);
  CHECK(refusal("mailto:a@b?smtp=smtp://h/path").find("no path") != std::string::npos);
  CHECK(refusal("mailto:a@b?from=nobody").find("from 'nobody'") != std::string::npos);
  CHECK(refusal("mailto:a@b?smtp=%zz").find("%-escape") != std::string::npos);
  CHECK(refusal("exec:bin/page").find("absolute path") != std::string::npos);
  CHECK(refusal("exec:").find("absolute path") != std::string::npos);

  const std::string creds = refusal("mailto:a@b?smtp=smtp://user:hunter2@mx:25");
  CHECK(creds.find("CAIRN_SMTP_USER") != std::string::npos);
  CHECK(creds.find("hunter2") == std::string::npos);
  CHECK(refusal("https://user:hunter2@/x").find("hunter2") == std::string::npos);
}

TEST_CASE("notify::redact: hides userinfo, query values and webhook path tokens", "[notify]") {
  CHECK(notify::redact("http://127.0.0.1:8080/hook") == "http://127.0.0.1:8080/hook");
  CHECK(notify::redact("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/");
  CHECK(notify::redact("http://127.0.0.1:8080") == "http://127.0.0.1:8080");
  CHECK(notify::redact("https://hooks.slack.com/services/T000/B000/XXXXSECRET") ==
        "https://hooks.slack.com/services/***");
  CHECK(notify::redact("https://u:pw@h.example/a?token=abc#frag") ==
        "https://***@h.example/a?***#***");
  CHECK(notify::redact("mailto:ops@example.org") == "mailto:ops@example.org");
  CHECK(notify::redact("mailto:ops@example.org?smtp=smtp://u:pw@mx:25&from=c@h&x=secret") ==
        "mailto:ops@example.org?smtp=smtp://***@mx:25&from=c@h&x=***");
  CHECK(notify::redact("exec:/usr/local/bin/page") == "exec:/usr/local/bin/page");
  CHECK(notify::redact("gopher://h/x/y?z") == "gopher://h/x/***?***");
  CHECK(notify::redact("what?key=secret") == "what?***");
}

TEST_CASE("notify::split_list: whitespace or a comma before the next target", "[notify]") {
  CHECK(notify::split_list("") == std::vector<std::string>{});
  CHECK(notify::split_list("  ,\n ") == std::vector<std::string>{});
  CHECK(notify::split_list("http://a/h exec:/bin/x\tmailto:o@x") ==
        std::vector<std::string>{"http://a/h", "exec:/bin/x", "mailto:o@x"});
  CHECK(
      notify::split_list("http://a/h,exec:/bin/x, mailto:o@x,p@y?smtp=smtp://m:25,https://b/c,") ==
      std::vector<std::string>{"http://a/h", "exec:/bin/x", "mailto:o@x,p@y?smtp=smtp://m:25",
                               "https://b/c"});
}

TEST_CASE("notify::command_line_targets: flags, else CAIRN_NOTIFY; a typo is a usage error",
          "[notify]") {
  auto none = notify::command_line_targets({}, env_of({}));
  REQUIRE(none);
  CHECK(none->empty());
  auto from_env =
      notify::command_line_targets({}, env_of({{"CAIRN_NOTIFY", "http://a/h, exec:/bin/true"}}));
  REQUIRE(from_env);
  CHECK(*from_env == std::vector<std::string>{"http://a/h", "exec:/bin/true"});
  auto flags =
      notify::command_line_targets({"exec:/bin/x"}, env_of({{"CAIRN_NOTIFY", "http://a/h"}}));
  REQUIRE(flags);
  CHECK(*flags == std::vector<std::string>{"exec:/bin/x"});
  auto bad = notify::command_line_targets({"exec:/bin/x", "htp://typo"}, env_of({}));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::usage);
  CHECK(bad.error().message.find("'htp://typo'") != std::string::npos);
  CHECK_FALSE(notify::command_line_targets({}, env_of({{"CAIRN_NOTIFY", "mailto:nobody"}})));
}

TEST_CASE("notify::settings_from_env: timeout and SMTP credentials", "[notify]") {
  auto d = notify::settings_from_env(env_of({}));
  REQUIRE(d);
  CHECK(d->timeout == std::chrono::seconds(15));
  CHECK(d->smtp_user.empty());
  CHECK_FALSE(d->smtp_password_file);
  auto s = notify::settings_from_env(env_of({{"CAIRN_NOTIFY_TIMEOUT", "3"},
                                             {"CAIRN_SMTP_USER", "u"},
                                             {"CAIRN_SMTP_PASSWORD_FILE", "/run/pw"}}));
  REQUIRE(s);
  CHECK(s->timeout == std::chrono::seconds(3));
  CHECK(s->smtp_user == "u");
  CHECK(*s->smtp_password_file == "/run/pw");
  for (const char* bad : {"0", "301", "5s", "-1", "1000000000000"}) {
    INFO(bad);
    auto r = notify::settings_from_env(env_of({{"CAIRN_NOTIFY_TIMEOUT", bad}}));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::usage);
  }
  CHECK_FALSE(notify::settings_from_env(env_of({{"CAIRN_SMTP_USER", "u"}})));
  CHECK_FALSE(notify::settings_from_env(env_of({{"CAIRN_SMTP_PASSWORD_FILE", "/run/pw"}})));
}

TEST_CASE("notify::to_json: Slack's text plus cairn's fields, schema first", "[notify]") {
  const std::string body = notify::to_json(sample());
  CHECK(body.rfind("{\"schema\":\"cairn.notify/1\",\"text\":", 0) == 0);
  CHECK(body.find('\n') == std::string::npos);
  const auto j = nlohmann::json::parse(body);
  CHECK(j["text"] ==
        "[critical] cairn-verify failed on db1 with exit status 4 (damage found): damage found: 1 "
        "damaged or "
        "missing objects");
  CHECK(j["tool"] == "cairn-verify");
  CHECK(j["host"] == "db1");
  CHECK(j["exit_code"] == 4);
  CHECK(j["status"] == "damage found");
  CHECK(j["message"] == "damage found: 1 damaged or missing objects");
  CHECK(j["time"] == "2025-03-04T05:06:07Z");

  auto e = sample();
  e.message = "bad \xff byte and \"quotes\"\n";
  const auto k = nlohmann::json::parse(notify::to_json(e));
  CHECK(k["message"] == "bad \xef\xbf\xbd byte and \"quotes\"\n");
}

TEST_CASE("notify::summary: the verb and meaning follow the exit status", "[notify]") {
  auto e = sample();
  e.exit_code = 5;
  e.message.clear();
  CHECK(notify::summary(e) ==
        "[critical] cairn-verify failed on db1 with exit status 5 (objective violated)");
  CHECK(notify::subject(e) == "cairn: [critical] cairn-verify failed on db1");
  e.exit_code = 3;
  CHECK(notify::summary(e) ==
        "[warning] cairn-verify completed with warnings on db1 with exit status 3 (completed with "
        "warnings)");
  CHECK(notify::exit_meaning(13) == "destination unreachable");
  CHECK(notify::exit_meaning(77) == "failure");
}

TEST_CASE("notify::email_message: RFC 5322 headers, CRLF lines, no header injection", "[notify]") {
  auto e = sample();
  e.host = "db1\r\nBcc: victim@example.org";
  e.message = std::string(2500, 'x') + "\n.\nend";
  const std::string m =
      notify::email_message(e, "cairn@db1", {"ops@example.org", "b@example.org"}, "id1@db1");
  // Every line ends in CRLF and none is longer than 998 bytes.
  std::size_t start = 0;
  while (start < m.size()) {
    const auto crlf = m.find("\r\n", start);
    REQUIRE(crlf != std::string::npos);
    const std::string line = m.substr(start, crlf - start);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find('\r') == std::string::npos);
    CHECK(line.size() <= 998);
    start = crlf + 2;
  }
  const auto head_end = m.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  const std::string head = m.substr(0, head_end + 2);
  CHECK(head.find("Date: Tue, 04 Mar 2025 05:06:07 +0000\r\n") != std::string::npos);
  CHECK(head.find("\r\nFrom: cairn@db1\r\n") != std::string::npos);
  CHECK(head.find("\r\nTo: ops@example.org, b@example.org\r\n") != std::string::npos);
  CHECK(head.find("\r\nSubject: cairn: [critical] cairn-verify failed on db1  Bcc: "
                  "victim@example.org\r\n") != std::string::npos);
  CHECK(head.find("\r\nBcc:") == std::string::npos);
  CHECK(head.find("\r\nMessage-ID: <id1@db1>\r\n") != std::string::npos);
  CHECK(head.find("\r\nContent-Type: text/plain; charset=utf-8\r\n") != std::string::npos);
  CHECK(head.find("\r\nX-Cairn-Exit-Code: 4\r\n") != std::string::npos);
  const std::string body = m.substr(head_end + 4);
  CHECK(body.rfind("[critical] cairn-verify failed on db1", 0) == 0);
  CHECK(body.find("\r\nexit status: 4 (damage found)\r\n") != std::string::npos);
  CHECK(body.find("\r\n.\r\nend\r\n") != std::string::npos);  // libcurl dot-stuffs on the wire
  CHECK(m.substr(m.size() - 2) == "\r\n");
}

TEST_CASE("notify::email_message: a non-ASCII subject is an RFC 2047 encoded-word", "[notify]") {
  auto e = sample();
  e.host = "h\xc3\xb6st";
  const std::string m = notify::email_message(e, "cairn@x", {"o@x"}, "i@x");
  CHECK(m.find("\r\nSubject: =?utf-8?B?") != std::string::npos);
  CHECK(m.find("\r\nContent-Transfer-Encoding: 8bit\r\n") != std::string::npos);
  const std::string ascii = notify::email_message(sample(), "cairn@x", {"o@x"}, "i@x");
  CHECK(ascii.find("\r\nContent-Transfer-Encoding: 7bit\r\n") != std::string::npos);
}

TEST_CASE("notify::event_env: the CAIRN_EVENT_* variables", "[notify]") {
  const auto env = notify::event_env(sample());
  const auto has = [&](const std::string& v) {
    return std::find(env.begin(), env.end(), v) != env.end();
  };
  CHECK(has("CAIRN_EVENT_SCHEMA=cairn.notify/1"));
  CHECK(has("CAIRN_EVENT_TOOL=cairn-verify"));
  CHECK(has("CAIRN_EVENT_HOST=db1"));
  CHECK(has("CAIRN_EVENT_EXIT_CODE=4"));
  CHECK(has("CAIRN_EVENT_STATUS=damage found"));
  CHECK(has("CAIRN_EVENT_MESSAGE=damage found: 1 damaged or missing objects"));
  CHECK(has("CAIRN_EVENT_TIME=2025-03-04T05:06:07Z"));
  CHECK(has("CAIRN_EVENT_TEXT=" + notify::summary(sample())));
}

TEST_CASE("notify::parse_notify_on: a comma list of success, warning, failure", "[notify]") {
  auto all = notify::parse_notify_on("success,failure,warning");
  REQUIRE(all);
  CHECK((all->success && all->warning && all->failure));
  auto one = notify::parse_notify_on(" success ");
  REQUIRE(one);
  CHECK((one->success && !one->warning && !one->failure));
  for (std::string_view bad : {"", "success,", "succes", "success,success", "failure;warning"}) {
    auto r = notify::parse_notify_on(bad);
    if (r) FAIL("accepted: " << bad);
    CHECK(r.error().code == Errc::usage);
    CHECK(r.error().message.starts_with("invalid --notify-on '"));
  }
}

TEST_CASE("notify::wanted: exit 0 is a success, 3 a warning, any other a failure", "[notify]") {
  const notify::NotifyOn dflt;
  CHECK(!notify::wanted(dflt, 0));
  CHECK(notify::wanted(dflt, 3));
  CHECK(notify::wanted(dflt, 4));
  CHECK(notify::wanted(dflt, 130));
  const notify::NotifyOn success_only{true, false, false};
  CHECK(notify::wanted(success_only, 0));
  CHECK(!notify::wanted(success_only, 3));
  CHECK(!notify::wanted(success_only, 1));
  const notify::NotifyOn failure_only{false, false, true};
  CHECK(!notify::wanted(failure_only, 3));
  CHECK(notify::wanted(failure_only, 12));
}

TEST_CASE("notify::command_line_notify_on: the flag, else CAIRN_NOTIFY_ON, else the default",
          "[notify]") {
  auto flag = notify::command_line_notify_on(std::string("success"),
                                             env_of({{"CAIRN_NOTIFY_ON", "failure"}}));
  REQUIRE(flag);
  CHECK((flag->success && !flag->failure));
  auto env = notify::command_line_notify_on(std::nullopt, env_of({{"CAIRN_NOTIFY_ON", "failure"}}));
  REQUIRE(env);
  CHECK((!env->success && !env->warning && env->failure));
  auto dflt = notify::command_line_notify_on(std::nullopt, env_of({}));
  REQUIRE(dflt);
  CHECK((!dflt->success && dflt->warning && dflt->failure));
  auto bad = notify::command_line_notify_on(std::nullopt, env_of({{"CAIRN_NOTIFY_ON", "always"}}));
  REQUIRE(!bad);
  CHECK(bad.error().message.starts_with("CAIRN_NOTIFY_ON: invalid --notify-on 'always'"));
}

TEST_CASE("notify::summary: a success says so", "[notify]") {
  notify::Event e = sample();
  e.exit_code = 0;
  e.message.clear();
  CHECK(notify::summary(e) == "[info] cairn-verify succeeded on db1 with exit status 0 (success)");
  CHECK(notify::subject(e) == "cairn: [info] cairn-verify succeeded on db1");
}
