#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "notify/notify.hpp"
#include "policy/policy.hpp"

using namespace cairn;
using notify::Severity;

namespace {

notify::Event failure() {
  notify::Event e;
  e.tool = "cairn-pack";
  e.host = "db1";
  e.exit_code = 13;
  e.message = "cannot reach 's3://b/x'";
  e.time_unix = 1741064767;  // 2025-03-04T05:06:07Z
  e.source = "app";
  e.key = "run/cairn-pack/app";
  return e;
}

constexpr std::int64_t kDay = 86400LL * 1'000'000'000;

policy::Escalation escalation(std::optional<std::uint32_t> n, std::optional<std::int64_t> after) {
  policy::Escalation e;
  e.after_failures = n;
  e.after_ns = after;
  e.targets = {"exec:/page"};
  e.line = 10;
  return e;
}

}  // namespace

TEST_CASE("notify::severity_of: a pure function of the tool and the exit status", "[notify]") {
  CHECK(notify::severity_of("cairn-pack", 0) == Severity::info);
  CHECK(notify::severity_of("cairn-verify", 0) == Severity::info);
  CHECK(notify::severity_of("cairn-pack", 3) == Severity::warning);
  CHECK(notify::severity_of("cairn-pack", 6) == Severity::warning);
  CHECK(notify::severity_of("cairn-pack", 11) == Severity::warning);
  CHECK(notify::severity_of("cairn-pack", 130) == Severity::warning);
  CHECK(notify::severity_of("cairn-verify", 4) == Severity::critical);
  CHECK(notify::severity_of("cairn status", 5) == Severity::critical);
  for (int code : {1, 2, 10, 12, 13, 77}) {
    CHECK(notify::severity_of("cairn-pack", code) == Severity::critical);
    CHECK(notify::severity_of("cairn-push", code) == Severity::critical);
    CHECK(notify::severity_of("cairn-diff", code) == Severity::warning);
  }
  CHECK(notify::severity_of("cairn-diff", 4) == Severity::critical);
  CHECK(notify::to_string(Severity::critical) == "critical");
  CHECK(notify::to_string(Severity::warning) == "warning");
  CHECK(notify::to_string(Severity::info) == "info");
  auto e = failure();
  CHECK(notify::severity_of(e) == Severity::critical);
  e.severity = Severity::warning;  // set explicitly: wins
  CHECK(notify::severity_of(e) == Severity::warning);
}

TEST_CASE("notify::to_json: severity, action and a dedup key stable across runs", "[notify]") {
  auto e = failure();
  auto j = nlohmann::json::parse(notify::to_json(e));
  CHECK(j["schema"] == "cairn.notify/1");
  CHECK(j["severity"] == "critical");
  CHECK(j["action"] == "trigger");
  CHECK(j["dedup_key"] == "cairn/db1/run/cairn-pack/app");
  CHECK(j["source"] == "app");
  CHECK(j["escalated"] == false);
  CHECK(j.find("objective") == j.end());
  CHECK(j["text"] ==
        "[critical] cairn-pack failed on db1 with exit status 13 (destination "
        "unreachable): cannot reach 's3://b/x'");
  e.time_unix += 86400;  // the next day's run: the same key
  e.message = "another cause";
  CHECK(nlohmann::json::parse(notify::to_json(e))["dedup_key"] == j["dedup_key"]);
  e.key.clear();
  CHECK(notify::dedup_key(e) == "cairn/db1/run/cairn-pack");
  e.action = notify::Action::resolve;
  e.headline = "cairn-pack succeeded on db1 after 3 failed runs";
  e.message.clear();
  j = nlohmann::json::parse(notify::to_json(e));
  CHECK(j["action"] == "resolve");
  CHECK(j["text"] == "[resolved] cairn-pack succeeded on db1 after 3 failed runs");
}

TEST_CASE("notify: the Slack payload has text and a coloured attachment", "[notify]") {
  auto e = failure();
  auto j = nlohmann::json::parse(notify::slack_json(e));
  CHECK(j["text"] == notify::summary(e));
  REQUIRE(j["attachments"].size() == 1);
  const auto& a = j["attachments"][0];
  CHECK(a["color"] == "#e01e5a");
  CHECK(a["fallback"] == notify::summary(e));
  REQUIRE(a["blocks"].size() == 2);
  CHECK(a["blocks"][0]["type"] == "section");
  CHECK(a["blocks"][0]["text"]["type"] == "mrkdwn");
  CHECK(a["blocks"][0]["text"]["text"] == notify::summary(e));
  CHECK(a["blocks"][1]["type"] == "context");
  const std::string ctx = a["blocks"][1]["elements"][0]["text"];
  CHECK(ctx.find("*severity:* critical") != std::string::npos);
  CHECK(ctx.find("*dedup key:* cairn/db1/run/cairn-pack/app") != std::string::npos);
  e.exit_code = 3;
  CHECK(nlohmann::json::parse(notify::slack_json(e))["attachments"][0]["color"] == "#ecb22e");
  e.exit_code = 0;
  CHECK(nlohmann::json::parse(notify::slack_json(e))["attachments"][0]["color"] == "#36c5f0");
  e.action = notify::Action::resolve;
  CHECK(nlohmann::json::parse(notify::slack_json(e))["attachments"][0]["color"] == "#2eb67d");
}

TEST_CASE("notify: the PagerDuty Events v2 payload", "[notify]") {
  auto e = failure();
  auto j = nlohmann::json::parse(notify::pagerduty_json(e, "R0UT1NGKEY"));
  CHECK(j["routing_key"] == "R0UT1NGKEY");
  CHECK(j["event_action"] == "trigger");
  CHECK(j["dedup_key"] == "cairn/db1/run/cairn-pack/app");
  const auto& p = j["payload"];
  CHECK(p["summary"] == notify::summary(e));
  CHECK(p["source"] == "db1");
  CHECK(p["severity"] == "critical");
  CHECK(p["timestamp"] == "2025-03-04T05:06:07Z");
  CHECK(p["component"] == "app");
  CHECK(p["group"] == "cairn");
  CHECK(p["class"] == "cairn-pack");
  CHECK(p["custom_details"]["exit_code"] == 13);
  CHECK(p["custom_details"]["status"] == "destination unreachable");
  e.message = std::string(2000, 'x');  // PagerDuty takes at most 1024 bytes of summary
  CHECK(nlohmann::json::parse(notify::pagerduty_json(e, "k"))["payload"]["summary"]
            .get<std::string>()
            .size() == 1024);
  e.action = notify::Action::resolve;
  j = nlohmann::json::parse(notify::pagerduty_json(e, "k"));
  CHECK(j["event_action"] == "resolve");
  CHECK(j["dedup_key"] == "cairn/db1/run/cairn-pack/app");
  CHECK(j.find("payload") == j.end());
}

TEST_CASE("notify: the Opsgenie payloads and the close URL", "[notify]") {
  auto e = failure();
  auto j = nlohmann::json::parse(notify::opsgenie_json(e));
  CHECK(j["alias"] == "cairn/db1/run/cairn-pack/app");
  CHECK(j["priority"] == "P1");
  CHECK(j["message"] == "[critical] cairn-pack failed on db1");
  CHECK(j["description"] == notify::summary(e));
  CHECK(j["source"] == "cairn@db1");
  CHECK(j["entity"] == "app");
  CHECK(j["details"]["exit_code"] == "13");  // strings only
  e.exit_code = 3;
  CHECK(nlohmann::json::parse(notify::opsgenie_json(e))["priority"] == "P3");
  e.exit_code = 0;
  CHECK(nlohmann::json::parse(notify::opsgenie_json(e))["priority"] == "P5");
  CHECK(notify::opsgenie_url("https://api.opsgenie.com/v2/alerts", e) ==
        "https://api.opsgenie.com/v2/alerts");
  e.action = notify::Action::resolve;
  CHECK(notify::opsgenie_url("https://api.opsgenie.com/v2/alerts/", e) ==
        "https://api.opsgenie.com/v2/alerts/cairn%2Fdb1%2Frun%2Fcairn-pack%2Fapp/close?"
        "identifierType=alias");
  j = nlohmann::json::parse(notify::opsgenie_json(e));
  CHECK(j["source"] == "cairn@db1");
  CHECK(j.find("alias") == j.end());
}

TEST_CASE("notify::parse_target: FORMAT+ prefixes pick the payload", "[notify]") {
  auto t = notify::parse_target("slack+https://hooks.slack.com/services/T/B/x");
  REQUIRE(t);
  CHECK(t->format == notify::Format::slack);
  CHECK(t->url == "https://hooks.slack.com/services/T/B/x");
  t = notify::parse_target("pagerduty+https://events.pagerduty.com/v2/enqueue");
  REQUIRE(t);
  CHECK(t->format == notify::Format::pagerduty);
  t = notify::parse_target("opsgenie+https://api.eu.opsgenie.com/v2/alerts");
  REQUIRE(t);
  CHECK(t->format == notify::Format::opsgenie);
  t = notify::parse_target("json+http://127.0.0.1:9/x");
  REQUIRE(t);
  CHECK(t->format == notify::Format::json);
  CHECK(notify::parse_target("https://h/x")->format == notify::Format::json);
  auto bad = notify::parse_target("slack+mailto:a@b");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message ==
        "invalid notify target 'slack+mailto:a@b': the slack+ prefix takes a webhook: "
        "slack+https://HOST/PATH");
  CHECK_FALSE(notify::parse_target("teams+https://h/x"));
  CHECK(notify::redact("slack+https://hooks.slack.com/services/T/B/x") ==
        "slack+https://hooks.slack.com/services/***");
  CHECK(notify::split_list("slack+https://a/x,pagerduty+https://b/y") ==
        std::vector<std::string>{"slack+https://a/x", "pagerduty+https://b/y"});
}

TEST_CASE("notify::route: targets hear every severity, each list its own", "[notify]") {
  auto p = policy::parse(R"([notify]
targets = ["exec:/all"]
critical = ["exec:/pager"]
warning = ["exec:/chat"]
info = ["exec:/log"]

[class.db]
keep-last = 3
[class.db.notify]
critical = ["exec:/dba"]

[class.web]
keep-last = 3
)",
                         "t");
  REQUIRE(p);
  const auto& top = notify::routes_for(*p, "web");
  CHECK(&top == &p->notify);
  CHECK(notify::route(top, Severity::critical) ==
        std::vector<std::string>{"exec:/all", "exec:/pager"});
  CHECK(notify::route(top, Severity::warning) ==
        std::vector<std::string>{"exec:/all", "exec:/chat"});
  CHECK(notify::route(top, Severity::info) == std::vector<std::string>{"exec:/all", "exec:/log"});
  CHECK(&notify::routes_for(*p, "") == &p->notify);
  const auto& db = notify::routes_for(*p, "db");
  CHECK(notify::route(db, Severity::critical) == std::vector<std::string>{"exec:/dba"});
  CHECK(notify::route(db, Severity::info).empty());
}

TEST_CASE("notify::after_run: escalates once at N failures, resolves once", "[notify]") {
  const auto esc = escalation(3, std::nullopt);
  notify::AlertState st;
  std::int64_t t = kDay;
  auto s = notify::after_run(st, true, Severity::critical, true, t, esc);
  CHECK_FALSE(s.escalate);
  CHECK(st.failures == 1);
  CHECK(st.since_ns == t);
  s = notify::after_run(st, true, Severity::critical, true, t + 1, esc);
  CHECK_FALSE(s.escalate);
  s = notify::after_run(st, true, Severity::critical, true, t + 2, esc);
  CHECK(s.escalate);
  CHECK(st.escalated_ns == t + 2);
  s = notify::after_run(st, true, Severity::critical, true, t + 3, esc);  // once only
  CHECK_FALSE(s.escalate);
  CHECK(st.failures == 4);
  CHECK(st.since_ns == t);
  s = notify::after_run(st, false, Severity::info, false, t + 4, esc);
  CHECK(s.resolve);
  CHECK(s.resolve_escalation);
  CHECK_FALSE(st.active());
  s = notify::after_run(st, false, Severity::info, false, t + 5, esc);  // resolved once
  CHECK_FALSE(s.resolve);
  CHECK_FALSE(s.resolve_escalation);

  // Two failures, then a success: resolved for the routed targets, not escalated.
  notify::after_run(st, true, Severity::critical, true, t, esc);
  notify::after_run(st, true, Severity::critical, true, t, esc);
  s = notify::after_run(st, false, Severity::info, false, t, esc);
  CHECK(s.resolve);
  CHECK_FALSE(s.resolve_escalation);
  // Failures nobody was told of (--notify-on excluded them): no resolve either.
  notify::after_run(st, true, Severity::critical, false, t, esc);
  s = notify::after_run(st, false, Severity::info, false, t, esc);
  CHECK_FALSE(s.resolve);
  // Without an escalation table: never escalates.
  for (int i = 0; i < 5; ++i)
    CHECK_FALSE(
        notify::after_run(st, true, Severity::critical, true, t, policy::Escalation{}).escalate);
}

TEST_CASE("notify::after_check: an objective triggers once, escalates after `after`", "[notify]") {
  const auto esc = escalation(std::nullopt, kDay);
  notify::AlertState st;
  auto s = notify::after_check(st, true, 10 * kDay, esc);
  CHECK(s.trigger);
  CHECK_FALSE(s.escalate);
  s = notify::after_check(st, true, 10 * kDay + kDay / 2, esc);
  CHECK_FALSE(s.trigger);
  CHECK_FALSE(s.escalate);
  s = notify::after_check(st, true, 11 * kDay, esc);
  CHECK(s.escalate);
  s = notify::after_check(st, true, 12 * kDay, esc);
  CHECK_FALSE(s.escalate);
  CHECK_FALSE(s.trigger);
  s = notify::after_check(st, false, 13 * kDay, esc);
  CHECK(s.resolve);
  CHECK(s.resolve_escalation);
  s = notify::after_check(st, false, 14 * kDay, esc);
  CHECK_FALSE(s.resolve);
  CHECK_FALSE(notify::after_check(st, false, 15 * kDay, esc).trigger);
}
