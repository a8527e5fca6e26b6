// lib/base/time.hpp: the wall clock, UTC timestamps and durations in their text forms.
// One copy for every module: the catalog, the policy file, notify and ops all read and
// write these, and base is the one module all of them may use (catalog and policy depend
// on base alone). Times are int64 nanoseconds since the Unix epoch unless a name says seconds.
// Depends on: std, fmt (fmt/chrono). Threads: plain functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace cairn {

inline constexpr std::int64_t kNsPerSecond = 1'000'000'000LL;
inline constexpr std::int64_t kNsPerMinute = 60 * kNsPerSecond;
inline constexpr std::int64_t kNsPerHour = 60 * kNsPerMinute;
inline constexpr std::int64_t kNsPerDay = 24 * kNsPerHour;
inline constexpr std::int64_t kNsPerWeek = 7 * kNsPerDay;

// Nanoseconds since the Unix epoch, now (the system clock).
std::int64_t now_ns();

// "2026-11-26T05:00:00Z": UTC, whole seconds (truncated).
std::string format_time(std::int64_t ns);
// "20261126T050000Z" (ISO 8601 basic form, as AWS SigV4 wants it), from seconds.
std::string format_utc_basic(std::int64_t unix_seconds);
// "Tue, 04 Mar 2025 05:06:07 +0000" (RFC 5322 3.3, English names whatever the locale), from
// seconds; `zone` "GMT" gives HTTP's IMF-fixdate (RFC 9110 5.6.7, Azure's x-ms-date).
std::string format_rfc5322(std::int64_t unix_seconds, std::string_view zone = "+0000");

// Parses ISO 8601 "2026-11-26", "2026-11-26T05:00", "2026-11-26T05:00:00Z",
// "2026-11-26 05:00:00+01:00" (UTC unless an offset is given) to ns since the epoch.
// Errc::usage saying what is wrong.
// Dates that do not exist (2026-02-31) and times out of range (25:00) are refused.
Result<std::int64_t> parse_time(std::string_view s);
// The same text as the span of time it names, to its precision: a whole day
// ("2026-11-26"), minute ("2026-11-26T05:00") or second; last_ns is its last nanosecond.
struct TimeSpan {
  std::int64_t start_ns = 0, last_ns = 0;
};
Result<TimeSpan> parse_time_span(std::string_view s);

// Durations: one or more <count><unit> groups, units s, m (minutes), h, d, w: "30d", "12h",
// "2w", "1d12h", "90m". Errc::usage for anything else, zero, or more than 100 years.
Result<std::int64_t> parse_duration(std::string_view text);
// One number in the largest unit that divides it exactly: "2w", "30d", "26h", "90m", "45s"
// (parse_duration reads it back); "0s" for zero or less.
std::string format_duration(std::int64_t ns);

// A rounded-down duration in its two largest units, for people: "9s", "12m7s", "5h12m",
// "3d4h"; `sep` goes between the two ("3d 4h"). A zero second unit is left out ("3d")
// unless `keep_zero` ("3d 0h"). Negative is "0s".
std::string format_duration_short(std::int64_t ns, std::string_view sep = "",
                                  bool keep_zero = false);

}  // namespace cairn
