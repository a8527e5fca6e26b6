#include "cli/passphrase.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>  // explicit_bzero
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "io/file.hpp"
#include "io/process.hpp"

namespace cairn::cli {

namespace {

using Buffer = std::array<char, kMaxPassphraseSize + 1>;

struct WipeOnExit {
  Buffer& b;
  ~WipeOnExit() { explicit_bzero(b.data(), b.size()); }
};

// Reads everything into a fixed buffer (no reallocation leaves copies of the secret in freed
// memory), then copies it once into the result and wipes the buffer.
Result<SecretText> read_all(int fd, std::string_view what) {
  Buffer buf;
  std::size_t n = 0;
  WipeOnExit wipe_buf{buf};
  while (n < buf.size()) {
    const ssize_t got = ::read(fd, buf.data() + n, buf.size() - n);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, fmt::format("cannot read the passphrase from {}", what));
    }
    n += static_cast<std::size_t>(got);
  }
  if (n > kMaxPassphraseSize)
    return Error{Errc::usage, fmt::format("the passphrase from {} is longer than {} bytes", what,
                                          kMaxPassphraseSize)};
  if (n > 0 && buf[n - 1] == '\n') --n;  // exactly one trailing newline
  if (n == 0) return Error{Errc::usage, fmt::format("the passphrase from {} is empty", what)};
  return SecretText(std::string_view(buf.data(), n));
}

}  // namespace

Result<SecretText> read_passphrase_fd(int fd, std::string_view what) { return read_all(fd, what); }

namespace {

std::string file_binding(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {};
  return fmt::format("file:{:x}:{}:{}:{}.{:09}:{}.{:09}", st.st_dev, st.st_ino, st.st_size,
                     st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

}  // namespace

Result<SecretText> read_passphrase_file(const std::filesystem::path& file, std::string* binding) {
  const std::string what = fmt::format("'{}'", file.string());
  auto fd = io::open_file(file, O_RDONLY);
  if (!fd && fd.error().code == Errc::not_found)  // a missing passphrase is a usage error
    return Error{Errc::usage,
                 fmt::format("the passphrase file {} does not exist: give an existing file with "
                             "--passphrase-file or CAIRN_PASSPHRASE_FILE",
                             what)};
  if (!fd) return std::move(fd).error();
  if (binding == nullptr) return read_all(fd->get(), what);
  const std::string before = file_binding(fd->get());
  auto text = read_all(fd->get(), what);
  *binding = text && before == file_binding(fd->get()) ? before : std::string();
  return text;
}

namespace {

Result<SecretText> from_fd_env(std::string_view text) {
  int fd = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
  if (ec != std::errc{} || end != text.data() + text.size() || fd < 0)
    return Error{Errc::usage,
                 fmt::format("CAIRN_PASSPHRASE_FD is not a file descriptor number: '{}'", text)};
  return read_passphrase_fd(fd, fmt::format("file descriptor {} (CAIRN_PASSPHRASE_FD)", fd));
}

Result<unsigned> command_timeout(const char* env) {
  if (env == nullptr || *env == '\0') return 120u;
  const std::string_view text{env};
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n < 1 || n > 86400)
    return Error{Errc::usage,
                 fmt::format("CAIRN_PASSPHRASE_TIMEOUT must be a number of seconds from 1 to "
                             "86400, not '{}'",
                             text)};
  return n;
}

// Signals that end a prompt: the handler only interrupts read() (no SA_RESTART).
volatile sig_atomic_t g_prompt_signal = 0;
void on_prompt_signal(int sig) { g_prompt_signal = sig; }

}  // namespace

Result<SecretText> run_passphrase_command(const std::string& command, unsigned timeout_s) {
  const std::string what = "CAIRN_PASSPHRASE_COMMAND";
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return errno_error(errno, "cannot make a pipe");
  io::Fd rd(p[0]);
  io::Fd wr(p[1]);
  io::Command c = io::Command::shell(command);
  c.out = wr.get();
  c.own_group = true;
  auto pid = io::spawn(c, what);
  if (!pid) return Error{Errc::auth, pid.error().message};
  wr = io::Fd();  // the command holds the only writing end
  Buffer buf;
  WipeOnExit wipe{buf};
  std::size_t n = 0;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (n < buf.size()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{rd.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;  // the deadline check above ends it
    const ssize_t got = ::read(rd.get(), buf.data() + n, buf.size() - n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    n += static_cast<std::size_t>(got);
    if (std::memchr(buf.data(), '\n', n) != nullptr) break;  // the first line is all we take
  }
  rd = io::Fd();  // a command still writing gets SIGPIPE
  // It has until the deadline to exit too; then its process group is killed.
  if (timed_out) ::kill(-*pid, SIGKILL);
  int status = 0;
  for (;;) {
    const pid_t got = ::waitpid(*pid, &status, timed_out ? 0 : WNOHANG);
    if (got == *pid) break;
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno_error(errno, fmt::format("cannot wait for {}", what));
    if (std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      ::kill(-*pid, SIGKILL);
      continue;
    }
    ::usleep(10'000);
  }
  if (timed_out) {
    ::kill(-*pid, SIGKILL);  // what it started in its group, too
    return Error{Errc::auth, fmt::format("{} did not finish within {} seconds (set "
                                         "CAIRN_PASSPHRASE_TIMEOUT for a longer wait)",
                                         what, timeout_s)};
  }
  // Once its first line is read, a command that goes on writing may die of SIGPIPE (or its
  // shell exit 141): that is not a failure.
  const bool line_read = std::memchr(buf.data(), '\n', n) != nullptr;
  const bool sigpipe = (WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) ||
                       (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGPIPE);
  if (auto why = io::failure(status); why && !(line_read && sigpipe))
    return Error{Errc::auth, fmt::format("{} {}: no passphrase", what, *why)};
  const char* nl = static_cast<const char*>(std::memchr(buf.data(), '\n', n));
  const std::size_t len = nl != nullptr ? static_cast<std::size_t>(nl - buf.data()) : n;
  if (len > kMaxPassphraseSize)
    return Error{Errc::auth, fmt::format("the passphrase from {} is longer than {} bytes", what,
                                         kMaxPassphraseSize)};
  if (len == 0)
    return Error{Errc::auth, fmt::format("{} printed no passphrase on its first line", what)};
  return SecretText(std::string_view(buf.data(), len));
}

Result<SecretText> prompt_passphrase(int tty, std::string_view prompt) {
  termios old{};
  if (::tcgetattr(tty, &old) != 0) return errno_error(errno, "cannot read the terminal's mode");
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ICANON | ECHONL;
  struct sigaction sa {};
  sa.sa_handler = on_prompt_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{}, old_hup{};
  g_prompt_signal = 0;
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);
  ::sigaction(SIGHUP, &sa, &old_hup);
  // The signals stay blocked but while ppoll() waits: one that came between a check of the
  // flag and a blocking read() would leave the read waiting for a line that never comes (a
  // Ctrl-C on a loaded machine hung cli:key/prompt). A signal still pending when the prompt
  // ends goes to the handler that was there before, once that is back.
  sigset_t stop_set{}, outer_mask{};
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGINT);
  sigaddset(&stop_set, SIGTERM);
  sigaddset(&stop_set, SIGHUP);
  ::pthread_sigmask(SIG_BLOCK, &stop_set, &outer_mask);
  struct Restore {
    int tty;
    const termios& mode;
    struct sigaction &i, &t, &h;
    const sigset_t& mask;
    ~Restore() {
      ::tcsetattr(tty, TCSAFLUSH, &mode);
      ::sigaction(SIGINT, &i, nullptr);
      ::sigaction(SIGTERM, &t, nullptr);
      ::sigaction(SIGHUP, &h, nullptr);
      ::pthread_sigmask(SIG_SETMASK, &mask, nullptr);
    }
  } restore{tty, old, old_int, old_term, old_hup, outer_mask};
  if (::tcsetattr(tty, TCSAFLUSH, &quiet) != 0)
    return errno_error(errno, "cannot turn the terminal's echo off");
  const std::string text = fmt::format("{}: ", prompt);
  if (::write(tty, text.data(), text.size()) < 0)
    return errno_error(errno, "cannot write to the terminal");
  Buffer buf;
  WipeOnExit wipe{buf};
  std::size_t n = 0;
  bool line = false;
  while (n < buf.size() && !line) {
    if (g_prompt_signal != 0) {
      (void)::write(tty, "\n", 1);
      return Error{Errc::cancelled, "interrupted at the passphrase prompt"};
    }
    pollfd pfd{tty, POLLIN, 0};
    if (::ppoll(&pfd, 1, nullptr, &outer_mask) < 0) {
      if (errno == EINTR) continue;  // a signal: the check above
      return errno_error(errno, "cannot wait for the terminal");
    }
    const ssize_t got = ::read(tty, buf.data() + n, buf.size() - n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno_error(errno, "cannot read the passphrase from the terminal");
    if (got == 0) break;  // Ctrl-D
    n += static_cast<std::size_t>(got);
    line = buf[n - 1] == '\n';
  }
  if (line) --n;
  if (n > kMaxPassphraseSize)
    return Error{Errc::usage,
                 fmt::format("the passphrase typed is longer than {} bytes", kMaxPassphraseSize)};
  if (n == 0) return Error{Errc::usage, "the passphrase typed is empty"};
  return SecretText(std::string_view(buf.data(), n));
}

std::optional<std::string> readable_by_others(const std::filesystem::path& file,
                                              std::string_view what) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  if ((st.st_mode & (S_IRGRP | S_IROTH)) == 0) return std::nullopt;
  return fmt::format("the {} '{}' can be read by {} (mode {:04o}): chmod 600 it", what,
                     file.string(), (st.st_mode & S_IROTH) != 0 ? "other users" : "its group",
                     st.st_mode & 07777);
}

LogRecord readable_record(std::string_view tool, const std::filesystem::path& file,
                          std::string_view warning, bool prefixed) {
  return {LogLevel::warning, "readable_by_others",
          prefixed ? fmt::format("{}: warning: {}", tool, warning) : std::string(warning),
          std::string(warning), path_fields(file.string())};
}

Result<SecretText> find_passphrase(const PassphraseSources& src, std::string* binding) {
  if (src.fd != nullptr && *src.fd != '\0') return from_fd_env(src.fd);
  if (!src.file.empty()) return read_passphrase_file(src.file, binding);
  if (src.command != nullptr && *src.command != '\0') {
    CAIRN_TRY_ASSIGN(const unsigned timeout, command_timeout(src.timeout));
    return run_passphrase_command(src.command, timeout);
  }
  if (src.prompt && ::isatty(STDIN_FILENO) == 1) {
    auto tty = io::open_file("/dev/tty", O_RDWR | O_NOCTTY);
    if (tty) {
      std::string first(src.what);
      first[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(first[0])));
      CAIRN_TRY_ASSIGN(SecretText a, prompt_passphrase(tty->get(), first));
      if (!src.confirm) return a;
      CAIRN_TRY_ASSIGN(SecretText b, prompt_passphrase(tty->get(), "Repeat it"));
      if (a.view() != b.view())
        return Error{Errc::usage,
                     fmt::format("the two {}s typed differ: nothing was changed", src.what)};
      return a;
    }
  }
  return Error{Errc::usage,
               fmt::format("no {} given: use --passphrase-file, CAIRN_PASSPHRASE_FILE, "
                           "CAIRN_PASSPHRASE_FD or CAIRN_PASSPHRASE_COMMAND, or run on a terminal",
                           src.what)};
}

Result<SecretText> load_passphrase(const std::filesystem::path& file, const char* fd_env,
                                   std::string* binding) {
  PassphraseSources src;
  src.file = file;
  src.fd = fd_env;
  src.prompt = false;
  return find_passphrase(src, binding);
}

}  // namespace cairn::cli
