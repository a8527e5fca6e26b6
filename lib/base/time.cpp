#include "base/time.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace cairn {

namespace {

constexpr std::int64_t kMaxDuration = 36525 * kNsPerDay;  // 100 years

std::tm utc(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return tm;
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_time(std::int64_t ns) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", utc(ns / kNsPerSecond));
}

std::string format_utc_basic(std::int64_t unix_seconds) {
  return fmt::format("{:%Y%m%dT%H%M%SZ}", utc(unix_seconds));
}

std::string format_rfc5322(std::int64_t unix_seconds, std::string_view zone) {
  // Own name tables: %a and %b would follow the locale.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::tm tm = utc(unix_seconds);
  return fmt::format("{}, {:%d} {} {:%Y %H:%M:%S} {}", kDays[tm.tm_wday % 7], tm,
                     kMonths[tm.tm_mon % 12], tm, zone);
}

Result<TimeSpan> parse_time_span(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  std::string str(s);
  int n = 0;
  if (std::sscanf(str.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
    return Error{Errc::usage,
                 fmt::format("cannot read time '{}': use ISO 8601, e.g. 2026-11-26T05:00:00Z", s)};
  std::size_t pos = 10;
  long offset_s = 0;
  std::int64_t span = kNsPerDay;  // what the text names: a day, a minute or a second
  if (pos < str.size() && (str[pos] == 'T' || str[pos] == ' ')) {
    span = kNsPerMinute;
    int m2 = 0;
    if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d%n", &h, &mi, &m2) != 2)
      return Error{Errc::usage,
                   fmt::format("cannot read time '{}': expected HH:MM after the date", s)};
    pos += 1 + static_cast<std::size_t>(m2);
    if (pos < str.size() && str[pos] == ':') {
      int m3 = 0;
      if (std::sscanf(str.c_str() + pos + 1, "%2d%n", &sec, &m3) != 1)
        return Error{Errc::usage, fmt::format("cannot read time '{}': bad seconds", s)};
      pos += 1 + static_cast<std::size_t>(m3);
      span = kNsPerSecond;
    }
  }
  if (pos < str.size()) {
    if (str[pos] == 'Z' && pos + 1 == str.size()) {
      pos++;
    } else if ((str[pos] == '+' || str[pos] == '-') && pos + 6 == str.size() &&
               str[pos + 3] == ':') {
      int oh = 0, om = 0;
      if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2)
        return Error{Errc::usage, fmt::format("cannot read time '{}': bad offset", s)};
      offset_s = (oh * 3600L + om * 60L) * (str[pos] == '+' ? 1 : -1);
      pos = str.size();
    } else {
      return Error{Errc::usage,
                   fmt::format("cannot read time '{}': unexpected '{}'", s, str.substr(pos))};
    }
  }
  // Each field is checked on its own (timegm would turn 2026-02-31 into March 3rd). A leap
  // second (:60) is refused: the tools never write one.
  if (mo < 1 || mo > 12)
    return Error{Errc::usage, fmt::format("cannot read time '{}': there is no month {}", s, mo)};
  if (d < 1 || d > days_in_month(y, mo))
    return Error{Errc::usage,
                 fmt::format("cannot read time '{}': {:04d}-{:02d} has no day {}", s, y, mo, d)};
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
    return Error{Errc::usage,
                 fmt::format("cannot read time '{}': {:02d}:{:02d}:{:02d} is not a time of day "
                             "(00:00:00 to 23:59:59)",
                             s, h, mi, sec)};
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  std::time_t t = ::timegm(&tm);
  const std::int64_t start = (static_cast<std::int64_t>(t) - offset_s) * kNsPerSecond;
  return TimeSpan{start, start + span - 1};
}

Result<std::int64_t> parse_time(std::string_view s) {
  CAIRN_TRY_ASSIGN(TimeSpan t, parse_time_span(s));
  return t.start_ns;
}

Result<std::int64_t> parse_duration(std::string_view text) {
  const auto bad = [&] {
    return Error{
        Errc::usage,
        fmt::format("'{}' is not a duration (use e.g. 30d, 12h, 2w, 1d12h; units s m h d w)",
                    text)};
  };
  if (text.empty()) return bad();
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (++digits > 12) return bad();
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (digits == 0 || i == text.size()) return bad();
    std::int64_t unit = 0;
    switch (text[i]) {
      case 's': unit = kNsPerSecond; break;
      case 'm': unit = kNsPerMinute; break;
      case 'h': unit = kNsPerHour; break;
      case 'd': unit = kNsPerDay; break;
      case 'w': unit = kNsPerWeek; break;
      default: return bad();
    }
    ++i;
    if (n > kMaxDuration / unit) return bad();
    total += n * unit;
    if (total > kMaxDuration) return bad();
  }
  if (total == 0) return Error{Errc::usage, fmt::format("duration '{}' is zero", text)};
  return total;
}

std::string format_duration(std::int64_t ns) {
  if (ns <= 0) return "0s";
  for (const auto& [unit, suffix] :
       {std::pair{kNsPerWeek, 'w'}, std::pair{kNsPerDay, 'd'}, std::pair{kNsPerHour, 'h'},
        std::pair{kNsPerMinute, 'm'}, std::pair{kNsPerSecond, 's'}})
    if (ns % unit == 0) return fmt::format("{}{}", ns / unit, suffix);
  return fmt::format("{}s", ns / kNsPerSecond);  // below a second: not expressible in policy units
}

std::string format_duration_short(std::int64_t ns, std::string_view sep, bool keep_zero) {
  const std::int64_t s = std::max<std::int64_t>(ns, 0) / kNsPerSecond;
  const auto two = [&](std::int64_t big, const char* bu, std::int64_t small, const char* su) {
    return small == 0 && !keep_zero ? fmt::format("{}{}", big, bu)
                                    : fmt::format("{}{}{}{}{}", big, bu, sep, small, su);
  };
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return two(s / 60, "m", s % 60, "s");
  if (s < 86400) return two(s / 3600, "h", s % 3600 / 60, "m");
  return two(s / 86400, "d", s % 86400 / 3600, "h");
}

}  // namespace cairn
