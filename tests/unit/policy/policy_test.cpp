#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/tempdir.hpp"
#include "policy/policy.hpp"

using namespace cairn;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kH = 3600LL * 1'000'000'000LL;
constexpr std::int64_t kD = 24 * kH;

std::string error_of(std::string_view text) {
  auto p = policy::parse(text, "test.toml");
  if (p) FAIL("accepted: " << text);
  CHECK(p.error().code == Errc::bad_input);
  return p.error().message;
}

struct ScratchDir {
  TempDir tmp = TempDir::create("cairn-policy-").value();
  fs::path dir = tmp.path();
};

}  // namespace

TEST_CASE("policy::parse: reads every key of a class", "[policy]") {
  auto p = policy::parse(R"(
# a comment
[class.daily]
keep-last = 7
keep-hourly = 24
keep-daily = 14
keep-weekly = 8
keep-monthly = 12
keep-yearly = 3
keep-within = "2w"
rpo = "26h"
rto = "4h"
min-copies = 2
destinations = ["s3://dr-east/app", "sftp://nas/backups"]
immutable-days = 30
verify-every = "7d"

[class.critical]
keep-within = "1d12h"
)",
                         "test.toml");
  REQUIRE(p);
  REQUIRE(p->classes.size() == 2);
  const policy::Class* d = p->find("daily");
  REQUIRE(d);
  CHECK(d->name == "daily");
  CHECK(d->line == 3);
  CHECK(d->keep_last == 7u);
  CHECK(d->keep_hourly == 24u);
  CHECK(d->keep_daily == 14u);
  CHECK(d->keep_weekly == 8u);
  CHECK(d->keep_monthly == 12u);
  CHECK(d->keep_yearly == 3u);
  CHECK(d->keep_within_ns == 14 * kD);
  CHECK(d->rpo_ns == 26 * kH);
  CHECK(d->rto_ns == 4 * kH);
  CHECK(d->min_copies == 2u);
  CHECK(d->destinations == std::vector<std::string>{"s3://dr-east/app", "sftp://nas/backups"});
  CHECK(d->immutable_days == 30u);
  CHECK(d->verify_every_ns == 7 * kD);
  CHECK(d->has_retention_rules());
  const policy::Class* c = p->find("critical");
  REQUIRE(c);
  CHECK(c->keep_within_ns == kD + 12 * kH);
  CHECK_FALSE(c->keep_last.has_value());
  CHECK(c->has_retention_rules());
  CHECK(p->find("weekly") == nullptr);
}

TEST_CASE("policy::parse: dotted keys and inline tables mean the same", "[policy]") {
  auto a = policy::parse("class.daily.keep-last = 3\n", "a");
  auto b = policy::parse("[class]\ndaily = { keep-last = 3 }\n", "b");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->find("daily")->keep_last == 3u);
  CHECK(b->find("daily")->keep_last == 3u);
}

TEST_CASE("policy::parse: an empty file is a policy without classes", "[policy]") {
  auto p = policy::parse("", "empty");
  REQUIRE(p);
  CHECK(p->classes.empty());
}

TEST_CASE("policy::Class: counts of zero and objectives alone are no retention rules", "[policy]") {
  auto p =
      policy::parse("[class.a]\nkeep-last = 0\nkeep-daily = 0\nrpo = \"1h\"\n[class.b]\n", "t");
  REQUIRE(p);
  CHECK_FALSE(p->find("a")->has_retention_rules());
  CHECK_FALSE(p->find("b")->has_retention_rules());
}

TEST_CASE("policy::parse: refuses an unknown key with its line and name", "[policy]") {
  const std::string m = error_of("[class.daily]\nkeep-last = 3\n\nkeep-dialy = 7\n");
  CHECK(m == "policy 'test.toml' line 4: unknown key 'keep-dialy' in [class.daily]");
}

TEST_CASE("policy::parse: refuses an unknown top-level key or table", "[policy]") {
  CHECK(error_of("version = 1\n") ==
        "policy 'test.toml' line 1: unknown key 'version' (only [class.NAME], [notify], "
        "[capacity], [repository], [destination.\"URL\"] and [performance] tables belong here)");
  CHECK(error_of("[classes.daily]\nkeep-last = 1\n").find("line 1: unknown key 'classes'") !=
        std::string::npos);
}

TEST_CASE("policy::parse: refuses values of the wrong type with their line", "[policy]") {
  CHECK(error_of("[class.daily]\nkeep-last = \"7\"\n") ==
        "policy 'test.toml' line 2: 'keep-last' in [class.daily] must be an integer, not a string");
  CHECK(error_of("[class.daily]\nkeep-daily = 7.5\n") ==
        "policy 'test.toml' line 2: 'keep-daily' in [class.daily] must be an integer, not a float");
  CHECK(
      error_of("[class.daily]\n\nkeep-within = 30\n") ==
      "policy 'test.toml' line 3: 'keep-within' in [class.daily] must be a duration string such as "
      "\"30d\", not an integer");
  CHECK(error_of("[class.daily]\ndestinations = \"s3://b\"\n") ==
        "policy 'test.toml' line 2: 'destinations' in [class.daily] must be an array of strings, "
        "not a string");
  CHECK(error_of("[class.daily]\ndestinations = [\"s3://b\",\n  3]\n") ==
        "policy 'test.toml' line 3: 'destinations' in [class.daily] must hold strings only, not an "
        "integer");
  CHECK(error_of("class = 3\n") ==
        "policy 'test.toml' line 1: 'class' must be a table, not an integer");
  CHECK(error_of("[class]\ndaily = true\n") ==
        "policy 'test.toml' line 2: 'class.daily' must be a table, not a boolean");
}

TEST_CASE("policy::parse: refuses values out of range", "[policy]") {
  CHECK(error_of("[class.daily]\nkeep-last = -1\n") ==
        "policy 'test.toml' line 2: 'keep-last' in [class.daily] must be between 0 and 1000000, "
        "not -1");
  CHECK(error_of("[class.daily]\nmin-copies = 1000\n").find("between 0 and 100") !=
        std::string::npos);
  CHECK(error_of("[class.daily]\nrpo = \"0h\"\n") ==
        "policy 'test.toml' line 2: 'rpo' in [class.daily]: duration '0h' is zero");
  CHECK(error_of("[class.daily]\nrto = \"4 hours\"\n")
            .find("line 2: 'rto' in [class.daily]: '4 hours' is not a duration") !=
        std::string::npos);
  CHECK(error_of("[class.\"bad name\"]\nkeep-last = 1\n")
            .find("class name 'bad name' may hold only") != std::string::npos);
}

TEST_CASE("policy::parse: a TOML syntax error names its line", "[policy]") {
  const std::string m = error_of("[class.daily]\nkeep-last = 3\nkeep-daily = \n");
  CHECK(m.rfind("policy 'test.toml' line 3: ", 0) == 0);
  const std::string dup = error_of("[class.daily]\nkeep-last = 3\nkeep-last = 4\n");
  CHECK(dup.rfind("policy 'test.toml' line 3: ", 0) == 0);
}

TEST_CASE("policy::locate: --policy, then CAIRN_POLICY, then /etc/cairn/policy.toml", "[policy]") {
  std::map<std::string, std::string> env;
  const GetEnv getenv = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  CHECK(policy::locate(std::nullopt, getenv) == fs::path("/etc/cairn/policy.toml"));
  env["CAIRN_POLICY"] = "";
  CHECK(policy::locate(std::nullopt, getenv) == fs::path("/etc/cairn/policy.toml"));
  env["CAIRN_POLICY"] = "/srv/policy.toml";
  CHECK(policy::locate(std::nullopt, getenv) == fs::path("/srv/policy.toml"));
  CHECK(policy::locate(fs::path("here.toml"), getenv) == fs::path("here.toml"));
}

TEST_CASE("policy::load: reads a file; a missing one is not_found", "[policy]") {
  ScratchDir s;
  const fs::path f = s.dir / "policy.toml";
  auto missing = policy::load(f);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
  CHECK(missing.error().message.find(f.string()) != std::string::npos);
  {
    std::ofstream out(f);
    out << "[class.daily]\nkeep-daily = 7\nbogus = 1\n";
  }
  auto bad = policy::load(f);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message ==
        "policy '" + f.string() + "' line 3: unknown key 'bogus' in [class.daily]");
  {
    std::ofstream out(f, std::ios::trunc);
    out << "[class.daily]\nkeep-daily = 7\n";
  }
  auto good = policy::load(f);
  REQUIRE(good);
  CHECK(good->find("daily")->keep_daily == 7u);
}

TEST_CASE("policy::load_optional: a named file must read; the default one may be absent",
          "[policy]") {
  ScratchDir s;
  const fs::path f = s.dir / "policy.toml";
  std::map<std::string, std::string> env;
  const GetEnv getenv = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  if (!fs::exists(policy::kDefaultFile)) {
    auto none = policy::load_optional(std::nullopt, getenv);
    REQUIRE(none);
    CHECK_FALSE(none->has_value());
    env["CAIRN_POLICY"] = "";  // empty is unset
    CHECK(policy::load_optional(std::nullopt, getenv).value() == std::nullopt);
  }
  auto flag_missing = policy::load_optional(f, getenv);
  REQUIRE_FALSE(flag_missing);
  CHECK(flag_missing.error().code == Errc::not_found);
  env["CAIRN_POLICY"] = f.string();
  auto env_missing = policy::load_optional(std::nullopt, getenv);
  REQUIRE_FALSE(env_missing);
  CHECK(env_missing.error().code == Errc::not_found);
  {
    std::ofstream out(f);
    out << "[class.daily]\nkeep-daily = 7\n";
  }
  auto good = policy::load_optional(std::nullopt, getenv);
  REQUIRE(good);
  REQUIRE(good->has_value());
  CHECK((*good)->find("daily")->keep_daily == 7u);
  {
    std::ofstream out(f, std::ios::trunc);
    out << "bogus = 1\n";
  }
  auto bad = policy::load_optional(f, getenv);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::bad_input);
}

TEST_CASE("policy::load: the shipped example policy parses", "[policy]") {
  const fs::path example = fs::path(CAIRN_SOURCE_DIR) / "examples" / "policy.toml";
  auto p = policy::load(example);
  if (!p) FAIL(p.error().message);
  CHECK(p->classes.size() >= 3);
  for (const auto& [name, c] : p->classes) {
    INFO(name);
    CHECK(c.has_retention_rules());
  }
}

TEST_CASE("policy::parse: incremental-chains is a boolean, off by default", "[policy]") {
  auto p = policy::parse(
      "[class.a]\nkeep-last = 1\nincremental-chains = true\n[class.b]\nkeep-last = 1\n", "t");
  REQUIRE(p);
  CHECK(p->find("a")->incremental_chains);
  CHECK_FALSE(p->find("b")->incremental_chains);
  CHECK(error_of("[class.a]\nincremental-chains = 1\n") ==
        "policy 'test.toml' line 2: 'incremental-chains' in [class.a] must be true or false, not "
        "an integer");
}

TEST_CASE("policy::parse: [notify] targets are read in order; absent means none", "[policy]") {
  auto p = policy::parse(R"([class.daily]
keep-last = 1

[notify]
targets = ["https://hooks.example.org/services/T1/B2/x", "mailto:ops@example.org?smtp=smtp://mx:25",
           "exec:/usr/local/bin/page-me"]
)",
                         "t");
  REQUIRE(p);
  CHECK(p->notify.line == 4);
  CHECK(p->notify.targets == std::vector<std::string>{"https://hooks.example.org/services/T1/B2/x",
                                                      "mailto:ops@example.org?smtp=smtp://mx:25",
                                                      "exec:/usr/local/bin/page-me"});
  auto none = policy::parse("[class.daily]\nkeep-last = 1\n", "t");
  REQUIRE(none);
  CHECK(none->notify.targets.empty());
  CHECK(none->notify.line == 0);
}

TEST_CASE("policy::parse: [notify] refuses unknown keys, wrong types and unknown schemes",
          "[policy]") {
  CHECK(error_of("[notify]\ntarget = [\"exec:/x\"]\n") ==
        "policy 'test.toml' line 2: unknown key 'target' in [notify] (only 'targets', "
        "'critical', 'warning', 'info' and [notify.escalation])");
  CHECK(
      error_of("[notify]\ntargets = \"exec:/x\"\n") ==
      "policy 'test.toml' line 2: 'targets' in [notify] must be an array of strings, not a string");
  CHECK(error_of("[notify]\ntargets = [\"exec:/x\", 3]\n") ==
        "policy 'test.toml' line 2: 'targets' in [notify] must hold strings only, not an integer");
  CHECK(error_of("[notify]\ntargets = [\n  \"exec:/x\",\n  \"ftp://h/\",\n]\n") ==
        "policy 'test.toml' line 4: a notify target must start with http://, https://, mailto: or "
        "exec: (a webhook may have a slack+, pagerduty+, opsgenie+ or json+ prefix)");
  CHECK(error_of("notify = 1\n") ==
        "policy 'test.toml' line 1: 'notify' must be a table, not an integer");
}

TEST_CASE("policy::parse: severity routes, per class routes and escalation", "[policy]") {
  auto p = policy::parse(R"([notify]
targets = ["json+https://hooks.example.org/all"]
critical = ["pagerduty+https://events.pagerduty.com/v2/enqueue"]
warning = ["slack+https://hooks.slack.com/services/T/B/x"]
info = ["exec:/usr/local/bin/log-it"]

[notify.escalation]
after-failures = 3
after = "1d"
targets = ["opsgenie+https://api.opsgenie.com/v2/alerts"]

[class.db]
keep-last = 3

[class.db.notify]
critical = ["mailto:dba@example.org"]
)",
                         "t");
  REQUIRE(p);
  CHECK(p->notify.targets == std::vector<std::string>{"json+https://hooks.example.org/all"});
  CHECK(p->notify.critical ==
        std::vector<std::string>{"pagerduty+https://events.pagerduty.com/v2/enqueue"});
  CHECK(p->notify.warning ==
        std::vector<std::string>{"slack+https://hooks.slack.com/services/T/B/x"});
  CHECK(p->notify.info == std::vector<std::string>{"exec:/usr/local/bin/log-it"});
  CHECK(p->notify.escalation.line == 7);
  CHECK(p->notify.escalation.after_failures == 3u);
  CHECK(p->notify.escalation.after_ns == 86400LL * 1'000'000'000);
  CHECK(p->notify.escalation.targets ==
        std::vector<std::string>{"opsgenie+https://api.opsgenie.com/v2/alerts"});
  REQUIRE(p->find("db")->notify);
  CHECK(p->find("db")->notify->critical == std::vector<std::string>{"mailto:dba@example.org"});
  CHECK(p->find("db")->notify->targets.empty());
  CHECK(p->find("db")->notify->line == 15);
  CHECK(p->find("db")->keep_last == 3u);

  auto plain = policy::parse("[class.a]\nkeep-last = 1\n", "t");
  REQUIRE(plain);
  CHECK_FALSE(plain->find("a")->notify);
  CHECK(plain->notify.escalation.line == 0);
}

TEST_CASE("policy::parse: the routing tables refuse what they do not know, with its line",
          "[policy]") {
  CHECK(error_of("[notify]\ncritcal = [\"exec:/x\"]\n") ==
        "policy 'test.toml' line 2: unknown key 'critcal' in [notify] (only 'targets', "
        "'critical', 'warning', 'info' and [notify.escalation])");
  CHECK(error_of("[notify]\nwarning = [\"teams+https://x/y\"]\n") ==
        "policy 'test.toml' line 2: a notify target must start with http://, https://, mailto: or "
        "exec: (a webhook may have a slack+, pagerduty+, opsgenie+ or json+ prefix)");
  CHECK(error_of("[class.a]\nkeep-last = 1\n[class.a.notify]\nescalation = 1\n") ==
        "policy 'test.toml' line 4: unknown key 'escalation' in [class.a.notify] (only 'targets', "
        "'critical', 'warning', 'info')");
  CHECK(error_of("[class.a]\nnotify = 3\n") ==
        "policy 'test.toml' line 2: 'notify' must be a table, not an integer");
  CHECK(error_of("[notify.escalation]\nafter-failures = 2\ntarget = [\"exec:/x\"]\n") ==
        "policy 'test.toml' line 3: unknown key 'target' in [notify.escalation] (only "
        "'after-failures', 'after' and 'targets')");
  CHECK(error_of("[notify.escalation]\nafter-failures = 2\n") ==
        "policy 'test.toml' line 1: [notify.escalation] needs 'targets' (where escalations go)");
  CHECK(error_of("[notify.escalation]\ntargets = [\"exec:/x\"]\n") ==
        "policy 'test.toml' line 1: [notify.escalation] needs 'after-failures', 'after' or both");
  CHECK(error_of("[notify.escalation]\nafter-failures = 0\ntargets = [\"exec:/x\"]\n") ==
        "policy 'test.toml' line 2: 'after-failures' in [notify.escalation] must be at least 1");
  CHECK(error_of("[notify.escalation]\nafter = \"soon\"\ntargets = [\"exec:/x\"]\n")
            .starts_with("policy 'test.toml' line 2: 'after' in [notify.escalation]: "));
  CHECK(error_of("[notify.escalation]\nafter-failures = \"3\"\ntargets = [\"exec:/x\"]\n") ==
        "policy 'test.toml' line 2: 'after-failures' in [notify.escalation] must be an integer, "
        "not a string");
}

TEST_CASE("policy::parse: a class's compression is a level, auto or off", "[policy]") {
  auto p = policy::parse(
      "[class.a]\ncompression = \"auto\"\n[class.b]\ncompression = 9\n"
      "[class.c]\ncompression = \"off\"\n[class.d]\nkeep-last = 1\n",
      "test.toml");
  REQUIRE(p);
  CHECK(p->find("a")->compression == "auto");
  CHECK(p->find("b")->compression == "9");
  CHECK(p->find("c")->compression == "off");
  CHECK_FALSE(p->find("d")->compression.has_value());
  for (const char* bad : {"compression = 0", "compression = \"fast\"", "compression = true"})
    CHECK(error_of(std::string("[class.daily]\n") + bad + "\n") ==
          "policy 'test.toml' line 2: 'compression' in [class.daily] must be a zstd level from 1 "
          "to 19, \"auto\" or \"off\"");
}

TEST_CASE("policy::parse: [capacity], [repository] and [destination.\"URL\"]", "[policy]") {
  auto p = policy::parse(R"([capacity]
warn = "80%"
warn-within = "14d"
[repository]
price-gb-month = 0
[destination."s3://bucket/cairn"]
quota = "500G"
warn = "92.5%"
price-gb-month = 0.023
[destination."/mnt/usb"]
warn-within = "2d"
price-gb-month = 1
price-put-1000 = 0.005
price-get-1000 = 0.0004
price-gb-out = 0.09
)",
                         "t");
  REQUIRE(p);
  CHECK(p->has_capacity());
  CHECK(p->capacity.warn_percent == 80.0);
  CHECK(p->capacity.warn_within_ns == 14LL * 86400 * 1'000'000'000);
  CHECK(p->capacity.line == 1);
  CHECK(p->repository.price_gb_month == 0.0);
  CHECK_FALSE(p->repository.quota);
  REQUIRE(p->destinations.size() == 2);
  const auto& s3 = p->destinations.at("s3://bucket/cairn");
  CHECK(s3.name == "s3://bucket/cairn");
  CHECK(s3.quota == 500ULL << 30);
  CHECK(s3.warn_percent == 92.5);
  CHECK(s3.price_gb_month == 0.023);
  CHECK(p->destinations.at("/mnt/usb").price_gb_month == 1.0);
  CHECK(p->destinations.at("/mnt/usb").price_put_1000 == 0.005);
  CHECK(p->destinations.at("/mnt/usb").price_get_1000 == 0.0004);
  CHECK(p->destinations.at("/mnt/usb").price_gb_out == 0.09);
  CHECK_FALSE(s3.price_put_1000);
  CHECK(p->destinations.at("/mnt/usb").warn_within_ns == 2LL * 86400 * 1'000'000'000);
  auto none = policy::parse("[class.a]\nkeep-last = 1\n", "t");
  REQUIRE(none);
  CHECK_FALSE(none->has_capacity());
}

TEST_CASE("policy::parse: capacity values out of range or of the wrong kind", "[policy]") {
  for (const char* bad : {"0%", "101%", "80", "-5%", "80 %", "x%", "%"})
    CHECK(error_of(fmt::format("[capacity]\nwarn = \"{}\"\n", bad))
              .starts_with("policy 'test.toml' line 2: 'warn' in [capacity] must be a share"));
  CHECK(error_of("[capacity]\nquota = \"1G\"\n") ==
        "policy 'test.toml' line 2: unknown key 'quota' in [capacity] (only 'warn' and "
        "'warn-within')");
  CHECK(error_of("[destination.\"s3://b\"]\nquota = \"lots\"\n") ==
        "policy 'test.toml' line 2: 'quota' in [destination.\"s3://b\"] must be a size such as "
        "\"500G\"");
  CHECK(error_of("[repository]\nquota = \"0\"\n").find("'quota' in [repository]") !=
        std::string::npos);
  for (const char* bad : {"-1", "\"0.02\"", "true", "nan"})
    CHECK(error_of(fmt::format("[repository]\nprice-gb-month = {}\n", bad))
              .find("'price-gb-month' in [repository] must be a number") != std::string::npos);
  CHECK(error_of("[repository]\nwarn-within = \"soon\"\n").find("'warn-within'") !=
        std::string::npos);
  CHECK(error_of("destination = 3\n").find("'destination' must be a table") != std::string::npos);
  CHECK(error_of("[destination.\"s3://b\"]\nprice-gb-out = -0.5\n") ==
        "policy 'test.toml' line 2: 'price-gb-out' in [destination.\"s3://b\"] must be a number "
        "of at least 0 (the price of a GiB read)");
  CHECK(error_of("[destination.\"s3://b\"]\nprice-put = 1\n")
            .find("unknown key 'price-put' in [destination.\"s3://b\"]") != std::string::npos);
}

TEST_CASE("policy::parse: [performance] and a class's own slow-run and min-throughput",
          "[policy]") {
  auto p = policy::parse(
               "[performance]\nslow-run = 3\nmin-throughput = \"20MiB/s\"\n"
               "min-transfer-rate = \"512K/s\"\nmin-duration = \"5m\"\n\n"
               "[class.db]\nslow-run = 1.5\nmin-throughput = \"1G/s\"\n\n[class.files]\n",
               "test.toml")
               .value();
  CHECK(p.performance.line == 1);
  CHECK(p.performance.slow_run == 3.0);
  CHECK(p.performance.min_throughput == 20u << 20);
  CHECK(p.performance.min_transfer_rate == 512u << 10);
  CHECK(p.performance.min_duration() == 300 * 1'000'000'000LL);
  const auto db = p.performance_for(p.find("db"));
  CHECK(db.slow_run == 1.5);
  CHECK(db.min_throughput == 1u << 30);
  CHECK(db.min_transfer_rate == 512u << 10);  // [performance] only
  const auto files = p.performance_for(p.find("files"));
  CHECK(files == p.performance);
  CHECK(p.performance_for(nullptr) == p.performance);
  // Without the table: nothing is checked, and a run shorter than a minute is never slow.
  auto none = policy::parse("[class.db]\n", "test.toml").value();
  CHECK(none.performance.line == 0);
  CHECK_FALSE(none.performance.slow_run);
  CHECK(none.performance.min_duration() == 60 * 1'000'000'000LL);
}

TEST_CASE("policy::parse: performance values out of range or of the wrong kind", "[policy]") {
  for (const char* bad : {"1", "0.5", "-3", "1001", "\"3\"", "true"})
    CHECK(error_of(fmt::format("[performance]\nslow-run = {}\n", bad)) ==
          "policy 'test.toml' line 2: 'slow-run' in [performance] must be a number above 1 and at "
          "most 1000 (how many times the median duration), such as 3");
  for (const char* bad : {"\"20MiB\"", "\"0/s\"", "\"fast/s\"", "20", "\"/s\""})
    CHECK(error_of(fmt::format("[performance]\nmin-transfer-rate = {}\n", bad)) ==
          "policy 'test.toml' line 2: 'min-transfer-rate' in [performance] must be a rate such as "
          "\"20MiB/s\" (a size a second, above 0)");
  CHECK(
      error_of("[class.db]\nmin-throughput = \"1M\"\n")
          .starts_with("policy 'test.toml' line 2: 'min-throughput' in [class.db] must be a rate"));
  CHECK(error_of("[class.db]\nmin-transfer-rate = \"1M/s\"\n") ==
        "policy 'test.toml' line 2: unknown key 'min-transfer-rate' in [class.db]");
  CHECK(error_of("[performance]\nslow = 3\n") ==
        "policy 'test.toml' line 2: unknown key 'slow' in [performance] (only 'slow-run', "
        "'min-throughput', 'min-transfer-rate' and 'min-duration')");
  CHECK(error_of("[performance]\nmin-duration = \"0s\"\n").find("'min-duration'") !=
        std::string::npos);
  CHECK(error_of("performance = 3\n") ==
        "policy 'test.toml' line 1: 'performance' must be a table, not an integer");
}
