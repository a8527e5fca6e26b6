#include "cli/session.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "cli/passphrase.hpp"
#include "ops/context.hpp"

namespace cairn::cli {
namespace {

// The status line's timing: drawn after a second, at most 5 times a second. Test builds
// (CAIRN_TEST_HOOKS) take the delay from CAIRN_TEST_PROGRESS_DELAY_MS, so a test can see the
// line of a run that lasts less than a second.
TextProgress::Timing progress_timing() {
  TextProgress::Timing t;
#ifdef CAIRN_TEST_HOOKS
  if (const char* ms = std::getenv("CAIRN_TEST_PROGRESS_DELAY_MS"); ms != nullptr && *ms != '\0')
    t.delay = std::chrono::milliseconds(std::strtol(ms, nullptr, 10));
#endif
  return t;
}

}  // namespace

bool Session::wants_summary() const {
  return !opt_.quiet && (opt_.verbose || reporter_->json_log() || ::isatty(STDERR_FILENO) == 1);
}

Result<std::unique_ptr<Session>> Session::open(std::string tool, const CommonOptions& o, Log* log) {
  std::unique_ptr<JsonProgress> json;
  if (o.progress_fd >= 0) {
    if (o.progress_fd <= STDOUT_FILENO)
      return Error{Errc::usage,
                   fmt::format("--progress-fd {}: standard input and output are not available "
                               "for progress",
                               o.progress_fd)};
    if (::fcntl(o.progress_fd, F_GETFD) < 0)
      return Error{Errc::usage,
                   fmt::format("--progress-fd {}: not an open file descriptor", o.progress_fd)};
    json = std::make_unique<JsonProgress>(o.progress_fd, tool);
  }
  std::unique_ptr<TextProgress> text;
  // The stages of one pipeline share the terminal's line: only the last one draws (a stage
  // whose stdout is a pipe has another after it), with the counts the others publish.
  struct stat out_st {};
  const bool piped = ::fstat(STDOUT_FILENO, &out_st) == 0 && S_ISFIFO(out_st.st_mode);
  // A status line has no place in a log: none with --log-format json.
  const bool json_log = log != nullptr && log->json();
  if (!o.quiet && !json_log && ::isatty(STDERR_FILENO) == 1) {
    if (!piped)
      text = std::make_unique<TextProgress>(STDERR_FILENO, tool, progress_timing());
    else if (auto stage = StageFile::create(tool))  // publishes its counts for the last stage
      text = std::make_unique<TextProgress>(STDERR_FILENO, tool, TextProgress::Timing{},
                                            std::move(stage));
  }
  auto reporter = log != nullptr
                      ? std::make_unique<Reporter>(*log, o.verbose && !o.quiet, std::move(text),
                                                   std::move(json))
                      : std::make_unique<Reporter>(tool, STDERR_FILENO, o.verbose && !o.quiet,
                                                   std::move(text), std::move(json));
  std::unique_ptr<Session> s(new Session(std::move(tool), o, std::move(reporter)));
  // A result on stdout that is the terminal the status line is on (cairn-verify's report):
  // each write erases the line first, so the text never starts at its end.
  if (TextProgress* t = s->reporter_->text_progress(); t != nullptr && ::isatty(STDOUT_FILENO) == 1)
    s->out_.set_guard([t](const std::function<Status()>& write) { return t->above(write); });
  return s;
}

Session::Session(std::string tool, CommonOptions o, std::unique_ptr<Reporter> r)
    : tool_(std::move(tool)),
      opt_(std::move(o)),
      reporter_(std::move(r)),
      in_(STDIN_FILENO, "standard input"),
      out_(STDOUT_FILENO, "standard output") {}

Session::~Session() = default;

Result<std::filesystem::path> Session::repo() const {
  if (opt_.repo.empty()) return Error{Errc::usage, "no repository given: use --repo or CAIRN_REPO"};
  return std::filesystem::path(opt_.repo);
}

std::optional<std::filesystem::path> Session::catalog() const {
  if (opt_.catalog.empty()) return std::nullopt;
  return std::filesystem::path(opt_.catalog);
}

std::optional<std::filesystem::path> Session::key_file() const {
  if (opt_.key_file.empty()) return std::nullopt;
  return std::filesystem::path(opt_.key_file);
}

Result<SecretText> Session::passphrase() {
  if (!passphrase_) {
    PassphraseSources src;
    src.fd = std::getenv("CAIRN_PASSPHRASE_FD");
    src.file = opt_.passphrase_file;
    src.command = std::getenv("CAIRN_PASSPHRASE_COMMAND");
    src.timeout = std::getenv("CAIRN_PASSPHRASE_TIMEOUT");
    src.confirm = new_passphrase_;
    const bool from_file = (src.fd == nullptr || *src.fd == '\0') && !src.file.empty();
    CAIRN_TRY_ASSIGN(passphrase_, find_passphrase(src, &binding_));
    // Not fatal: the file may be shared on purpose; the warning says what to do.
    if (from_file && !opt_.quiet)
      if (auto w = readable_by_others(src.file, "passphrase file"))
        reporter_->log(readable_record(tool_, src.file, *w, true));
    if (auto k = key_file(); k && !opt_.quiet)
      if (auto w = readable_by_others(*k, "key file"))
        reporter_->log(readable_record(tool_, *k, *w, true));
  }
  return *passphrase_;
}

namespace {

Result<unsigned> key_cache_seconds(const char* env) {
  if (env == nullptr || *env == '\0') return 60u;
  const std::string_view text{env};
  if (text == "off") return 0u;
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n > 86400)
    return Error{Errc::usage,
                 fmt::format("CAIRN_KEY_CACHE must be 'off' or a number of seconds from 0 to "
                             "86400, not '{}'",
                             text)};
  return n;
}

}  // namespace

Result<repo::Unlock> Session::unlock() {
  repo::Unlock u;
  CAIRN_TRY_ASSIGN(u.cache_seconds, key_cache_seconds(std::getenv("CAIRN_KEY_CACHE")));
  CAIRN_TRY_ASSIGN(u.passphrase, passphrase());
  u.key_file = key_file();
  u.cache_binding = binding_;
  u.observer = &observer();
  return u;
}

Status Session::finish_run(int exit_code, std::string_view message,
                           const catalog::RunMetrics& metrics,
                           const std::vector<catalog::TransferRecord>& transfers) {
  if (!run_) return {};
  return run_->finish(now_ns(), exit_code, message, metrics, transfers);
}

Result<std::reference_wrapper<io::FdReader>> Session::stdin_stream(bool refuse_tty) {
  if (refuse_tty && ::isatty(STDIN_FILENO) == 1)
    return Error{Errc::usage,
                 "standard input is a terminal: pipe a stream into this tool or redirect it "
                 "from a file"};
  (void)io::widen_pipe(STDIN_FILENO);  // whichever end grows it first, both gain
  return std::ref(in_);
}

Result<std::reference_wrapper<io::FdWriter>> Session::stdout_stream(bool refuse_tty) {
  if (refuse_tty && ::isatty(STDOUT_FILENO) == 1)
    return Error{Errc::usage,
                 "refusing to write a stream to a terminal: pipe it into the next tool or "
                 "redirect it to a file"};
  return std::ref(out_);
}

}  // namespace cairn::cli
