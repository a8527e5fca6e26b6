// lib/cli/session.hpp: what a tool's body gets from cli::Tool: the common options (already
// parsed and resolved against the environment), the passphrase, the Observer, the cancel
// token, and stdin/stdout as io objects.
// Depends on: base, io, ops (run_log). Threads: the Session is thread-compatible; observer() and
// cancel() may be used from any thread.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/observer.hpp"
#include "base/result.hpp"
#include "base/secret.hpp"
#include "cli/progress.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"  // repo::Unlock
#include "ops/run_log.hpp"

namespace cairn::cli {

// The flags every tool takes (cairn(7) "COMMON OPTIONS"); environment already applied.
struct CommonOptions {
  bool quiet = false;               // -q: no progress, no -v lines (warnings still print)
  bool verbose = false;             // -v: info lines on stderr
  bool json = false;                // --json, on the tools that offer it
  int progress_fd = -1;             // --progress-fd N: JSON Lines progress (cairn.progress/1)
  std::string repo;                 // --repo, CAIRN_REPO
  std::string catalog;              // --catalog, CAIRN_CATALOG (empty: ops picks its default)
  std::string passphrase_file;      // --passphrase-file, CAIRN_PASSPHRASE_FILE
  std::string key_file;             // --key-file, CAIRN_KEY_FILE
  std::vector<std::string> notify;  // --notify TARGET (repeatable), else CAIRN_NOTIFY; checked
                                    // by Tool::run, used when the tool fails (notify.hpp)
  std::string notify_on;            // --notify-on LIST ("" = not given: CAIRN_NOTIFY_ON or
                                    // the default, warnings and failures)
  std::string log_format;           // --log-format text|json ("" = not given: CAIRN_LOG_FORMAT
                                    // or text); checked and applied by Tool::run
};

class Session {
 public:
  // Checks --progress-fd (open, not 0 or 1), then builds the Observer: TextProgress only when
  // stderr is a terminal, not -q and not --log-format json, JsonProgress when --progress-fd is
  // given. Stderr lines go through `log` (which must outlive the Session), else a text Log.
  static Result<std::unique_ptr<Session>> open(std::string tool, const CommonOptions& o,
                                               Log* log = nullptr);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& tool() const { return tool_; }
  const CommonOptions& options() const { return opt_; }
  bool quiet() const { return opt_.quiet; }
  bool verbose() const { return opt_.verbose; }
  bool json() const { return opt_.json; }
  // A tool's closing summary line goes to stderr: when it is a terminal or -v is given,
  // or the log format is json, never with -q.
  bool wants_summary() const;

  // Errc::usage "no repository given: use --repo or CAIRN_REPO" when absent.
  Result<std::filesystem::path> repo() const;
  // The raw --catalog / CAIRN_CATALOG value; nullopt means "ops decides the default".
  std::optional<std::filesystem::path> catalog() const;
  // --key-file / CAIRN_KEY_FILE (e.g. a write-only key); nullopt when not given.
  std::optional<std::filesystem::path> key_file() const;
  // From CAIRN_PASSPHRASE_FD, else --passphrase-file / CAIRN_PASSPHRASE_FILE, else
  // CAIRN_PASSPHRASE_COMMAND, else a prompt on the terminal (see passphrase.hpp). Read once
  // and kept: a descriptor cannot be read twice. Warns (one line, not fatal, not with -q)
  // when the passphrase file or the key file can be read by its group or others.
  Result<SecretText> passphrase();
  // The passphrase about to be read is a new one (cairn init): a prompt asks twice.
  void expect_new_passphrase() { new_passphrase_ = true; }
  // What opens the repository: passphrase(), key_file(), and the kernel keyring cache
  // (CAIRN_KEY_CACHE: "off" or 0, else seconds, default 60; Errc::usage when malformed) for a
  // passphrase file; -v lines go to observer().
  Result<repo::Unlock> unlock();

  Observer& observer() { return *reporter_; }
  Reporter& reporter() { return *reporter_; }
  CancelToken& cancel() { return cancel_; }

  // The run, when the tool records runs (Tool::record_runs): repo_options() hands it to ops,
  // which begins it in the catalog; Tool finishes it. nullptr otherwise.
  void record_run(std::int64_t started_ns) { run_.emplace(tool_, started_ns); }
  // The same, recorded as the run of another tool (`cairn backup` records cairn-pack's run).
  void record_run(std::int64_t started_ns, std::string as_tool) {
    run_.emplace(std::move(as_tool), started_ns);
  }
  ops::RunLog* run() { return run_ ? &*run_ : nullptr; }
  // The body sent its own alerts (cairn status --alert): Tool sends none for the run.
  void alerts_sent(bool sent) { alerts_sent_ = sent; }
  bool alerts_sent() const { return alerts_sent_; }
  // Ends the run in the catalog (nothing when it never began), with what it measured and moved.
  Status finish_run(int exit_code, std::string_view message,
                    const catalog::RunMetrics& metrics = {},
                    const std::vector<catalog::TransferRecord>& transfers = {});

  io::FdReader& stdin_reader() { return in_; }
  io::FdWriter& stdout_writer() { return out_; }
  // The same, but Errc::usage when refuse_tty and the descriptor is a terminal: a binary or
  // JSON Lines stream is never typed in by hand or dumped on a screen.
  Result<std::reference_wrapper<io::FdReader>> stdin_stream(bool refuse_tty);
  Result<std::reference_wrapper<io::FdWriter>> stdout_stream(bool refuse_tty);

 private:
  Session(std::string tool, CommonOptions o, std::unique_ptr<Reporter> r);

  std::string tool_;
  CommonOptions opt_;
  std::unique_ptr<Reporter> reporter_;
  CancelToken cancel_;
  io::FdReader in_;
  io::FdWriter out_;
  std::optional<SecretText> passphrase_;  // wiped when released
  std::string binding_;                   // of the passphrase's source (passphrase.hpp)
  bool new_passphrase_ = false;           // expect_new_passphrase()
  std::optional<ops::RunLog> run_;
  bool alerts_sent_ = false;
};

}  // namespace cairn::cli
