// lib/cli/log.hpp: the one writer of a tool's standard error lines (cairn(7) LOGGING). Each
// line is a LogRecord: its text form (what the tool has always printed, the default) and its
// parts, written with --log-format json as one JSON object a line:
//   {"time":"2026-12-07T03:41:08.123Z","tool":"cairn-pack","level":"error","event":"error",
//    "msg":"...","exit_code":2}
// Fields follow in the order given; strings that are not UTF-8 get U+FFFD for each bad byte.
// Depends on: base. Threads: Log::write() may be called from several threads at once; each
// line is one write(2) under a lock, so lines never interleave.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cairn::cli {

enum class LogFormat { text, json };
// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view s);

enum class LogLevel { error, warning, info, debug };
std::string_view level_name(LogLevel l);

// A field's value: a string (encoded as a JSON string) or a number.
using LogValue = std::variant<std::string, std::int64_t, std::uint64_t>;
struct LogField {
  std::string key;
  LogValue value;
};
using LogFields = std::vector<LogField>;

struct LogRecord {
  LogLevel level = LogLevel::info;
  std::string event;  // stable snake_case name (cairn(7) LOGGING lists them)
  std::string text;   // the whole text-format line, already printable (no newline)
  std::string msg;    // the message of that line without "<tool>: " and the level word, raw
  LogFields fields;
};

// Writes all of `s` to `fd` (retrying on EINTR and short writes); false when a write fails.
bool write_all(int fd, std::string_view s);
// The length of the UTF-8 sequence `lead` starts (2 to 4), 0 when it starts none.
std::size_t utf8_length(unsigned char lead);

// `s` with every byte that does not belong to valid UTF-8 replaced by U+FFFD.
std::string valid_utf8(std::string_view s);

// "2026-12-07T03:41:08.123Z" (RFC 3339, UTC, milliseconds) from ns since the epoch.
std::string format_time_ms(std::int64_t ns);

// Appends ,"key":value for each field (strings through valid_utf8).
void append_json_fields(std::string& out, const LogFields& fields);

// One record as a JSON object (no newline): time, tool, level, event, msg, then its fields.
std::string json_log_line(std::string_view tool, const LogRecord& r, std::int64_t unix_ns);

// The same fields for a warning about one item: "path" (U+FFFD for bad bytes) and, when the
// path is not UTF-8, "path_b64" with its exact bytes.
LogFields path_fields(std::string_view path);

class Log {
 public:
  explicit Log(std::string tool, int fd = 2, LogFormat format = LogFormat::text)
      : tool_(std::move(tool)), fd_(fd), format_(format) {}
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  void set_format(LogFormat f) { format_ = f; }
  LogFormat format() const { return format_; }
  bool json() const { return format_ == LogFormat::json; }
  const std::string& tool() const { return tool_; }

  // Writes r.text, or r as JSON, and a newline, in one write(2). Best effort: stderr has
  // nowhere to report its own failure.
  void write(const LogRecord& r);
  // The same text as the record, one line of either format, without writing it.
  std::string line(const LogRecord& r) const;

 private:
  std::string tool_;
  int fd_;
  LogFormat format_;
  std::mutex mu_;
};

// A record for a text line that names no event: "<tool>: <message>" becomes event "message"
// at level info, its msg the text after "<tool>: ".
LogRecord plain_record(std::string_view tool, std::string_view text);

}  // namespace cairn::cli
