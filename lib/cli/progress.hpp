// lib/cli/progress.hpp: renders the library's Observer (STYLE.md C11). TextProgress draws one
// status line on a terminal's stderr (after 1 s, at most 5 times a second); JsonProgress writes
// JSON Lines to --progress-fd (schema cairn.progress/1, see cairn(7)); NullProgress drops
// everything. Reporter is what a Session hands to ops: it counts and prints warnings
// ("cairn-x: warning: <path>: <message>", always, even with -q), prints -v lines, and feeds
// the renderers. Its lines go through a cli::Log, so with --log-format json each is a JSON
// record (log.hpp) and no status line is drawn.
// Depends on: base. Threads: every Observer method may be called from several threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/observer.hpp"
#include "cli/log.hpp"
#include "cli/stages.hpp"

namespace cairn::cli {

// One terminal line's worth of text: control characters become \n, \t, \r, \e or \xNN, and
// bytes that are not UTF-8 become \xNN (backslashes are doubled), so paths cannot forge lines.
std::string printable(std::string_view s);

// The human line for a per-item warning.
std::string warning_line(std::string_view tool, std::string_view path, const Error& e);

using Clock = std::chrono::steady_clock;

class TextProgress final : public Observer {
 public:
  struct Timing {
    std::chrono::milliseconds delay{1000};    // nothing is drawn before this
    std::chrono::milliseconds interval{200};  // at most 5 refreshes a second
  };
  // Draws on `fd` (a terminal); `tool` prefixes every line, after the counts the other stages
  // of the pipeline published (stages.hpp). With `stage`, draws nothing and publishes its counts
  // there instead, from the start (a stage whose standard output is a pipe).
  TextProgress(int fd, std::string tool, Timing timing, std::unique_ptr<StageFile> stage = {});
  TextProgress(int fd, std::string tool) : TextProgress(fd, std::move(tool), Timing{}) {}
  ~TextProgress() override;

  void started(std::string_view path) override;
  void advanced(std::uint64_t bytes, std::uint64_t items) override;
  void expect(std::uint64_t bytes, std::uint64_t items) override;  // "X of Y", percent, ETA
  void warning(std::string_view path, const Error& e) override;    // a line above the status line
  void info(std::string_view line) override;                       // likewise
  // Prints a whole line (no trailing newline) above the status line.
  void print_line(std::string_view line);
  // Runs `write` (output to the same terminal, e.g. stdout) with the status line erased and
  // not drawn meanwhile; the next update draws it again below what was written.
  Status above(const std::function<Status()>& write);
  // Erases the status line; later calls draw nothing.
  void finish();

 private:
  void maybe_draw();
  void draw_locked(Clock::time_point now);
  void clear_locked();

  int fd_;
  std::string tool_;
  Timing timing_;
  Clock::time_point start_;
  std::size_t columns_;
  std::atomic<std::uint64_t> bytes_{0}, items_{0};
  std::atomic<std::uint64_t> total_bytes_{0}, total_items_{0};  // 0: not known
  std::atomic<std::int64_t> next_draw_ns_;                      // since start_
  std::atomic<bool> finished_{false};
  std::mutex mu_;  // guards path_, shown_ and the fd's output
  std::string path_;
  bool shown_ = false;  // a status line is on screen
  std::unique_ptr<StageFile> stage_;
};

class JsonProgress final : public Observer {
 public:
  // Writes to `fd`; `interval` throttles "progress" records. Writes the "start" record now.
  JsonProgress(int fd, std::string tool, std::chrono::milliseconds interval);
  JsonProgress(int fd, std::string tool)
      : JsonProgress(fd, std::move(tool), std::chrono::milliseconds{200}) {}

  void started(std::string_view path) override;
  void advanced(std::uint64_t bytes, std::uint64_t items) override;
  void expect(std::uint64_t bytes, std::uint64_t items) override;
  void warning(std::string_view path, const Error& e) override;
  void info(std::string_view line) override;
  // The final "done" record.
  void finish(std::uint64_t warnings, int exit_code);

 private:
  void emit(const std::string& record);  // record lacks the closing brace and newline
  std::string begin(std::string_view event) const;
  void append_counters(std::string& r, Clock::time_point now) const;

  int fd_;
  std::string tool_;
  std::chrono::milliseconds interval_;
  Clock::time_point start_;
  std::atomic<std::uint64_t> total_bytes_{0}, total_items_{0};
  std::atomic<std::uint64_t> bytes_{0}, items_{0};
  std::atomic<std::int64_t> next_emit_ns_{0};
  std::mutex mu_;  // guards path_, broken_ and the fd's output
  std::string path_;
  bool broken_ = false;  // a write failed; stop writing, never fail the run for it
};

struct NullProgress final : Observer {
  void warning(std::string_view, const Error&) override {}
};

class Reporter final : public Observer {
 public:
  // `text` and `json` may be null. Lines go to `err_fd` (stderr) or through `text`.
  Reporter(std::string tool, int err_fd, bool verbose, std::unique_ptr<TextProgress> text,
           std::unique_ptr<JsonProgress> json);
  // The same, writing its lines through `log` (which must outlive it): as JSON records when
  // log.json(), then `text` should be null.
  Reporter(Log& log, bool verbose, std::unique_ptr<TextProgress> text,
           std::unique_ptr<JsonProgress> json);
  ~Reporter() override;

  void started(std::string_view path) override;
  void advanced(std::uint64_t bytes, std::uint64_t items) override;
  void expect(std::uint64_t bytes, std::uint64_t items) override;
  bool shows_progress() const override { return text_ || json_; }
  void warning(std::string_view path, const Error& e) override;
  void info(std::string_view line) override;

  // A line on stderr that does not garble the status line (a JSON record with event
  // "message" in the json format; prefer log()).
  void print_line(std::string_view line);
  // One record: its text above the status line, or the JSON record.
  void log(const LogRecord& r);
  bool json_log() const { return log_->json(); }
  std::uint64_t warnings() const { return warnings_.load(); }
  // What advanced() was told in all, for the closing summary.
  std::uint64_t bytes() const { return bytes_.load(); }
  std::uint64_t items() const { return items_.load(); }
  TextProgress* text_progress() const { return text_.get(); }
  // Erases the status line for good (the body is over), so that a result written to the
  // same terminal on stdout does not land after it.
  void end_status_line() {
    if (text_) text_->finish();
  }
  // Erases the status line and writes the JSON "done" record.
  void finish(int exit_code);

 private:
  std::string tool_;
  std::unique_ptr<Log> own_log_;  // with the first constructor
  Log* log_;                      // serialises lines written without text_
  bool verbose_;
  std::unique_ptr<TextProgress> text_;
  std::unique_ptr<JsonProgress> json_;
  std::atomic<std::uint64_t> warnings_{0};
  std::atomic<std::uint64_t> bytes_{0}, items_{0};
  bool finished_ = false;
};

}  // namespace cairn::cli
