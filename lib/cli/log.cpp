#include "cli/log.hpp"

#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/bytes.hpp"
#include "base/text.hpp"
#include "base/time.hpp"

namespace cairn::cli {

std::optional<LogFormat> parse_log_format(std::string_view s) {
  if (s == "text") return LogFormat::text;
  if (s == "json") return LogFormat::json;
  return std::nullopt;
}

std::string_view level_name(LogLevel l) {
  switch (l) {
    case LogLevel::error: return "error";
    case LogLevel::warning: return "warning";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
  }
  return "info";
}

bool write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::size_t utf8_length(unsigned char lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

std::string valid_utf8(std::string_view s) {
  if (is_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    const std::size_t n = utf8_length(c);
    if (n != 0 && i + n <= s.size() && is_utf8(s.substr(i, n))) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    }
  }
  return out;
}

std::string format_time_ms(std::int64_t ns) {
  const std::int64_t ms = (ns >= 0 ? ns : ns - 999'999) / 1'000'000;  // floor
  const std::int64_t secs = (ms >= 0 ? ms : ms - 999) / 1000;
  std::string t = format_time(secs * kNsPerSecond);  // "...T05:00:00Z"
  t.insert(t.size() - 1, fmt::format(".{:03}", ms - secs * 1000));
  return t;
}

void append_json_fields(std::string& out, const LogFields& fields) {
  for (const LogField& f : fields) {
    out += ',';
    append_json_string(out, f.key);
    out += ':';
    if (const auto* s = std::get_if<std::string>(&f.value))
      append_json_string(out, valid_utf8(*s));
    else if (const auto* i = std::get_if<std::int64_t>(&f.value))
      out += fmt::format("{}", *i);
    else
      out += fmt::format("{}", std::get<std::uint64_t>(f.value));
  }
}

std::string json_log_line(std::string_view tool, const LogRecord& r, std::int64_t unix_ns) {
  std::string j = "{\"time\":";
  append_json_string(j, format_time_ms(unix_ns));
  j += ",\"tool\":";
  append_json_string(j, valid_utf8(tool));
  j += ",\"level\":";
  append_json_string(j, level_name(r.level));
  j += ",\"event\":";
  append_json_string(j, r.event);
  j += ",\"msg\":";
  append_json_string(j, valid_utf8(r.msg));
  append_json_fields(j, r.fields);
  j += '}';
  return j;
}

LogFields path_fields(std::string_view path) {
  LogFields f{{"path", std::string(path)}};
  if (!is_utf8(path)) f.push_back({"path_b64", to_base64(as_bytes(path))});
  return f;
}

std::string Log::line(const LogRecord& r) const {
  return json() ? json_log_line(tool_, r, now_ns()) : r.text;
}

void Log::write(const LogRecord& r) {
  std::string l = line(r);
  l.push_back('\n');
  std::lock_guard lock(mu_);
  write_all(fd_, l);
}

LogRecord plain_record(std::string_view tool, std::string_view text) {
  LogRecord r;
  r.event = "message";
  r.text = std::string(text);
  std::string_view msg = text;
  if (msg.size() > tool.size() + 1 && msg.starts_with(tool) &&
      msg.substr(tool.size()).starts_with(": "))
    msg.remove_prefix(tool.size() + 2);
  r.msg = std::string(msg);
  return r;
}

}  // namespace cairn::cli
