#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "base/time.hpp"

using namespace cairn;

namespace {
constexpr std::int64_t kS = kNsPerSecond;
constexpr std::int64_t kH = kNsPerHour;
constexpr std::int64_t kD = kNsPerDay;
}  // namespace

TEST_CASE("base::now_ns: the wall clock in ns since the epoch", "[base]") {
  const std::int64_t a = now_ns();
  CHECK(a > 1'700'000'000 * kS);  // after 2023
  CHECK(now_ns() >= a);
}

TEST_CASE("base::format_time and friends: UTC text forms", "[base]") {
  CHECK(format_time(0) == "1970-01-01T00:00:00Z");
  CHECK(format_time(1'764'133'200 * kS + 999'999'999) == "2025-11-26T05:00:00Z");  // truncated
  CHECK(format_utc_basic(1'741'064'767) == "20250304T050607Z");
  CHECK(format_rfc5322(1'741'064'767) == "Tue, 04 Mar 2025 05:06:07 +0000");
  CHECK(format_rfc5322(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
  CHECK(format_rfc5322(1369353600, "GMT") == "Fri, 24 May 2013 00:00:00 GMT");  // HTTP, Azure
  CHECK(format_utc_basic(1369353600) == "20130524T000000Z");                    // AWS SigV4
}

TEST_CASE("base::parse_time: ISO 8601 forms, offsets and refusals", "[base]") {
  const std::int64_t t = 1'764'133'200 * kS;  // 2025-11-26T05:00:00Z
  const std::map<std::string, std::int64_t> good{
      {"2025-11-26T05:00:00Z", t},      {"2025-11-26T05:00", t},
      {"2025-11-26 05:00:00", t},       {"2025-11-26T06:00:00+01:00", t},
      {"2025-11-26T04:30:00-00:30", t}, {"2025-11-26", t - 5 * kH}};
  for (const auto& [text, ns] : good) {
    INFO(text);
    auto v = parse_time(text);
    REQUIRE(v);
    CHECK(*v == ns);
    CHECK(parse_time(format_time(*v)).value() == *v);
  }
  CHECK(parse_time("2024-02-29").value() == 1'709'164'800 * kS);  // a leap day
  for (const char* bad : {"", "2025", "2025-13-01", "2025-11-26T25:00", "2025-11-26Tx",
                          "2025-11-26T05:00Q", "2025-11-26T05:00+1", "2026-02-31", "2025-02-29",
                          "2100-02-29", "2026-04-31T00:00", "2026-01-00", "2026-01-01T24:00",
                          "2026-01-01T05:60", "2026-01-01T05:00:60Z", "2026-01-01T-1:00"}) {
    INFO(bad);
    auto v = parse_time(bad);
    REQUIRE_FALSE(v);
    CHECK(v.error().code == Errc::usage);
    CHECK(v.error().message.find(bad) != std::string::npos);
  }
}

TEST_CASE("base::parse_time_span: a day, a minute or a second, to its last nanosecond", "[base]") {
  const std::int64_t t = 1'764'133'200 * kS;  // 2025-11-26T05:00:00Z
  const std::map<std::string, std::pair<std::int64_t, std::int64_t>> spans{
      {"2025-11-26T05:00:00Z", {t, t + kS - 1}},
      {"2025-11-26T06:00+01:00", {t, t + 60 * kS - 1}},
      {"2025-11-26", {t - 5 * kH, t + 19 * kH - 1}}};
  for (const auto& [text, want] : spans) {
    INFO(text);
    auto v = parse_time_span(text);
    REQUIRE(v);
    CHECK(v->start_ns == want.first);
    CHECK(v->last_ns == want.second);
  }
  CHECK_FALSE(parse_time_span("2026-02-31"));
}

TEST_CASE("base::parse_duration: units, sums and refusals", "[base]") {
  const std::map<std::string, std::int64_t> good{
      {"30d", 30 * kD},
      {"12h", 12 * kH},
      {"2w", 14 * kD},
      {"90m", 90 * 60'000'000'000LL},
      {"45s", 45'000'000'000LL},
      {"1d12h", kD + 12 * kH},
      {"1w2d3h4m5s", 9 * kD + 3 * kH + 4 * 60'000'000'000LL + 5'000'000'000LL}};
  for (const auto& [text, ns] : good) {
    INFO(text);
    auto d = parse_duration(text);
    REQUIRE(d);
    CHECK(*d == ns);
  }
  for (const char* bad :
       {"", "d", "30", "30x", "-1d", "1.5d", "30 d", " 30d", "0s", "99999999999999d", "1y"}) {
    INFO(bad);
    auto d = parse_duration(bad);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == Errc::usage);
  }
  CHECK(parse_duration("1y").error().message ==
        "'1y' is not a duration (use e.g. 30d, 12h, 2w, 1d12h; units s m h d w)");
  CHECK(parse_duration("0s").error().message == "duration '0s' is zero");
}

TEST_CASE("base::format_duration: one number in the largest exact unit; it reads back", "[base]") {
  CHECK(format_duration(14 * kD) == "2w");
  CHECK(format_duration(30 * kD) == "30d");
  CHECK(format_duration(26 * kH) == "26h");
  CHECK(format_duration(kD + 12 * kH) == "36h");
  CHECK(format_duration(90 * 60'000'000'000LL) == "90m");
  CHECK(format_duration(45'000'000'000LL) == "45s");
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(1500'000'000LL) == "1s");
  for (const char* text : {"30d", "12h", "1w2d3h4m5s", "45s"}) {
    auto d = parse_duration(text);
    REQUIRE(d);
    auto back = parse_duration(format_duration(*d));
    REQUIRE(back);
    CHECK(*back == *d);
  }
}

TEST_CASE("base::format_duration_short: the two largest units, rounded down", "[base]") {
  CHECK(format_duration_short(9 * kS) == "9s");
  CHECK(format_duration_short(727 * kS) == "12m7s");
  CHECK(format_duration_short(5 * kH + 12 * 60 * kS + 5 * kS) == "5h12m");
  CHECK(format_duration_short(3 * kD + 4 * kH) == "3d4h");
  CHECK(format_duration_short(3 * kD) == "3d");
  CHECK(format_duration_short(-5) == "0s");
  // The spaced form that keeps a zero second unit ("stale source" lines of cairn-verify).
  CHECK(format_duration_short(3 * kD, " ", true) == "3d 0h");
  CHECK(format_duration_short(26 * kH, " ", true) == "1d 2h");
  CHECK(format_duration_short(kH + 5 * kS, " ", true) == "1h 0m");
  CHECK(format_duration_short(61 * kS, " ", true) == "1m 1s");
  CHECK(format_duration_short(59 * kS, " ", true) == "59s");
}
