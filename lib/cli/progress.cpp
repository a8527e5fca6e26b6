#include "cli/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/bytes.hpp"
#include "base/text.hpp"

namespace cairn::cli {

namespace {

constexpr std::string_view kSchema = "cairn.progress/1";

// Cuts `s` to at most `max` code points (a fair stand-in for terminal columns).
void truncate_columns(std::string& s, std::size_t max) {
  std::size_t cps = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (cps == max) {
      s.resize(i);
      return;
    }
    ++cps;
  }
}

std::int64_t ns_since(Clock::time_point start, Clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(now - start).count();
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      out += "\\\\";
      ++i;
    } else if (c == '\n') {
      out += "\\n";
      ++i;
    } else if (c == '\t') {
      out += "\\t";
      ++i;
    } else if (c == '\r') {
      out += "\\r";
      ++i;
    } else if (c == 0x1b) {
      out += "\\e";
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else {
      const std::size_t n = utf8_length(c);
      const bool c1_control = c == 0xC2 && i + 1 < s.size() &&
                              static_cast<unsigned char>(s[i + 1]) < 0xA0;  // U+0080..U+009F
      if (n != 0 && i + n <= s.size() && !c1_control && is_utf8(s.substr(i, n))) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out += fmt::format("\\x{:02x}", c);
        ++i;
      }
    }
  }
  return out;
}

std::string warning_line(std::string_view tool, std::string_view path, const Error& e) {
  if (path.empty()) return fmt::format("{}: warning: {}", tool, printable(e.message));
  return fmt::format("{}: warning: {}: {}", tool, printable(path), printable(e.message));
}

// ---- TextProgress

TextProgress::TextProgress(int fd, std::string tool, Timing timing,
                           std::unique_ptr<StageFile> stage)
    : fd_(fd),
      tool_(std::move(tool)),
      timing_(timing),
      start_(Clock::now()),
      columns_(80),
      next_draw_ns_(
          stage ? 0 : std::chrono::duration_cast<std::chrono::nanoseconds>(timing.delay).count()),
      stage_(std::move(stage)) {
  struct winsize ws {};
  if (::ioctl(fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) columns_ = ws.ws_col;
}

TextProgress::~TextProgress() = default;

void TextProgress::started(std::string_view path) {
  {
    std::unique_lock lock(mu_, std::try_to_lock);  // never make a worker wait for the display
    if (lock) path_.assign(path);
  }
  maybe_draw();
}

void TextProgress::advanced(std::uint64_t bytes, std::uint64_t items) {
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  items_.fetch_add(items, std::memory_order_relaxed);
  maybe_draw();
}

void TextProgress::expect(std::uint64_t bytes, std::uint64_t items) {
  total_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  total_items_.fetch_add(items, std::memory_order_relaxed);
}

void TextProgress::warning(std::string_view path, const Error& e) {
  print_line(warning_line(tool_, path, e));
}

void TextProgress::info(std::string_view line) {
  print_line(fmt::format("{}: {}", tool_, printable(line)));
}

void TextProgress::print_line(std::string_view line) {
  std::lock_guard lock(mu_);
  clear_locked();
  std::string l(line);
  l.push_back('\n');
  write_all(fd_, l);
}

Status TextProgress::above(const std::function<Status()>& write) {
  std::lock_guard lock(mu_);
  clear_locked();
  return write();
}

void TextProgress::finish() {
  std::lock_guard lock(mu_);
  finished_.store(true);
  clear_locked();
  stage_.reset();  // the record goes with the stage
}

void TextProgress::maybe_draw() {
  if (finished_.load(std::memory_order_relaxed)) return;
  const auto now = Clock::now();
  const std::int64_t t = ns_since(start_, now);
  if (t < next_draw_ns_.load(std::memory_order_relaxed)) return;
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock || finished_.load() || t < next_draw_ns_.load()) return;
  next_draw_ns_.store(
      t + std::chrono::duration_cast<std::chrono::nanoseconds>(timing_.interval).count());
  draw_locked(now);
}

void TextProgress::draw_locked(Clock::time_point now) {
  const std::uint64_t bytes = bytes_.load(std::memory_order_relaxed);
  if (stage_) {  // another stage draws the line
    stage_->publish(items_.load(std::memory_order_relaxed), bytes);
    return;
  }
  const double secs = std::chrono::duration<double>(now - start_).count();
  const auto rate = secs > 0 ? static_cast<std::uint64_t>(static_cast<double>(bytes) / secs) : 0;
  const auto whole = static_cast<std::uint64_t>(secs);
  std::string text = other_stages();
  const std::uint64_t items = items_.load(std::memory_order_relaxed);
  const std::uint64_t total = total_bytes_.load(std::memory_order_relaxed);
  const std::uint64_t total_items = total_items_.load(std::memory_order_relaxed);
  if (total > 0) {
    // "X of Y (P%)" and an ETA from the mean rate so far; a run that overshoots its estimate
    // (a file grown since the backup) shows 99% and no ETA rather than a lie.
    const std::uint64_t done = std::min(bytes, total);
    const auto pct = static_cast<unsigned>(done * 100 / total);
    text += fmt::format("{}: {} of {} ({}%)", tool_, format_bytes(bytes), format_bytes(total),
                        bytes > total ? 99u : pct);
    if (total_items > 0) text += fmt::format(", {} of {} items", items, total_items);
    text += fmt::format(", {}/s, {}:{:02}", format_bytes(rate), whole / 60, whole % 60);
    if (rate > 0 && bytes < total) {
      const std::uint64_t left = (total - bytes) / rate;
      text += fmt::format(", ETA {}:{:02}", left / 60, left % 60);
    }
  } else {
    text += fmt::format("{}: {} items, {}, {}/s, {}:{:02}", tool_, items, format_bytes(bytes),
                        format_bytes(rate), whole / 60, whole % 60);
  }
  if (!path_.empty()) text += "  " + printable(path_);
  truncate_columns(text, columns_ > 1 ? columns_ - 1 : columns_);
  write_all(fd_, "\r" + text + "\x1b[K");
  shown_ = true;
}

void TextProgress::clear_locked() {
  if (!shown_) return;
  write_all(fd_, "\r\x1b[K");
  shown_ = false;
}

// ---- JsonProgress

JsonProgress::JsonProgress(int fd, std::string tool, std::chrono::milliseconds interval)
    : fd_(fd), tool_(std::move(tool)), interval_(interval), start_(Clock::now()) {
  std::string r = begin("start");
  r += ",\"tool\":";
  append_json_string(r, tool_);
  std::lock_guard lock(mu_);
  emit(r);
}

std::string JsonProgress::begin(std::string_view event) const {
  std::string r = "{\"schema\":";
  append_json_string(r, kSchema);
  r += ",\"event\":";
  append_json_string(r, event);
  return r;
}

void JsonProgress::append_counters(std::string& r, Clock::time_point now) const {
  r += fmt::format(",\"elapsed_ms\":{},\"bytes\":{},\"items\":{}", ns_since(start_, now) / 1000000,
                   bytes_.load(std::memory_order_relaxed), items_.load(std::memory_order_relaxed));
  // Totals only once known (restore, verify --read-data, push): schema cairn.progress/1 adds
  // optional members, so older readers are unaffected.
  if (const auto t = total_bytes_.load(std::memory_order_relaxed); t > 0)
    r += fmt::format(",\"total_bytes\":{}", t);
  if (const auto t = total_items_.load(std::memory_order_relaxed); t > 0)
    r += fmt::format(",\"total_items\":{}", t);
}

void JsonProgress::emit(const std::string& record) {
  if (broken_) return;
  if (!write_all(fd_, record + "}\n")) broken_ = true;
}

void JsonProgress::started(std::string_view path) {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (lock) path_.assign(path);
}

void JsonProgress::advanced(std::uint64_t bytes, std::uint64_t items) {
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  items_.fetch_add(items, std::memory_order_relaxed);
  const auto now = Clock::now();
  const std::int64_t t = ns_since(start_, now);
  if (t < next_emit_ns_.load(std::memory_order_relaxed)) return;
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock || t < next_emit_ns_.load()) return;
  next_emit_ns_.store(t + std::chrono::duration_cast<std::chrono::nanoseconds>(interval_).count());
  std::string r = begin("progress");
  append_counters(r, now);
  if (!path_.empty()) {
    if (is_utf8(path_)) {
      r += ",\"path\":";
      append_json_string(r, path_);
    } else {
      r += ",\"path_b64\":";
      append_json_string(r, to_base64(as_bytes(path_)));
    }
  }
  emit(r);
}

void JsonProgress::expect(std::uint64_t bytes, std::uint64_t items) {
  total_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  total_items_.fetch_add(items, std::memory_order_relaxed);
}

void JsonProgress::warning(std::string_view path, const Error& e) {
  std::string r = begin("warning");
  if (is_utf8(path)) {
    r += ",\"path\":";
    append_json_string(r, path);
  } else {
    r += ",\"path_b64\":";
    append_json_string(r, to_base64(as_bytes(path)));
  }
  r += ",\"message\":";
  append_json_string(r, printable(e.message));
  std::lock_guard lock(mu_);
  emit(r);
}

void JsonProgress::info(std::string_view line) {
  std::string r = begin("info");
  r += ",\"message\":";
  append_json_string(r, printable(line));
  std::lock_guard lock(mu_);
  emit(r);
}

void JsonProgress::finish(std::uint64_t warnings, int exit_code) {
  std::string r = begin("done");
  append_counters(r, Clock::now());
  r += fmt::format(",\"warnings\":{},\"exit_code\":{}", warnings, exit_code);
  std::lock_guard lock(mu_);
  emit(r);
}

// ---- Reporter

Reporter::Reporter(std::string tool, int err_fd, bool verbose, std::unique_ptr<TextProgress> text,
                   std::unique_ptr<JsonProgress> json)
    : tool_(tool),
      own_log_(std::make_unique<Log>(std::move(tool), err_fd)),
      log_(own_log_.get()),
      verbose_(verbose),
      text_(std::move(text)),
      json_(std::move(json)) {}

Reporter::Reporter(Log& log, bool verbose, std::unique_ptr<TextProgress> text,
                   std::unique_ptr<JsonProgress> json)
    : tool_(log.tool()),
      log_(&log),
      verbose_(verbose),
      text_(std::move(text)),
      json_(std::move(json)) {}

Reporter::~Reporter() {
  if (text_) text_->finish();
}

void Reporter::started(std::string_view path) {
  if (text_) text_->started(path);
  if (json_) json_->started(path);
}

void Reporter::advanced(std::uint64_t bytes, std::uint64_t items) {
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  items_.fetch_add(items, std::memory_order_relaxed);
  if (text_) text_->advanced(bytes, items);
  if (json_) json_->advanced(bytes, items);
}

void Reporter::expect(std::uint64_t bytes, std::uint64_t items) {
  if (text_) text_->expect(bytes, items);
  if (json_) json_->expect(bytes, items);
}

void Reporter::warning(std::string_view path, const Error& e) {
  warnings_.fetch_add(1);
  LogRecord r{LogLevel::warning, "warning", warning_line(tool_, path, e), e.message, {}};
  if (!path.empty()) {
    r.msg = fmt::format("{}: {}", path, e.message);
    r.fields = path_fields(path);
  }
  log(r);
  if (json_) json_->warning(path, e);
}

void Reporter::info(std::string_view line) {
  if (!verbose_) return;
  log({LogLevel::info,
       "verbose",
       fmt::format("{}: {}", tool_, printable(line)),
       std::string(line),
       {}});
  if (json_) json_->info(line);
}

void Reporter::print_line(std::string_view line) { log(plain_record(tool_, line)); }

void Reporter::log(const LogRecord& r) {
  if (text_ && !log_->json()) {
    text_->print_line(r.text);
    return;
  }
  log_->write(r);
}

void Reporter::finish(int exit_code) {
  if (finished_) return;
  finished_ = true;
  if (text_) text_->finish();
  if (json_) json_->finish(warnings(), exit_code);
}

}  // namespace cairn::cli
