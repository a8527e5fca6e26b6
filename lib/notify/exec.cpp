// exec: targets: the command run directly (io::spawn, no shell) in a process group of its
// own with fresh signals, the event on stdin, bounded by a timeout. A command that cannot be
// run is "cannot run", told apart from "exited 127".
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "io/process.hpp"
#include "notify/notify.hpp"

namespace cairn::notify {

namespace {

using Clock = std::chrono::steady_clock;

class Pipe {
 public:
  Status open() {
    if (::pipe2(fd_, O_CLOEXEC) != 0) return errno_error(errno, "cannot create a pipe");
    return {};
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  int read_end() const { return fd_[0]; }
  int write_end() const { return fd_[1]; }
  void close_read() { close_one(fd_[0]); }
  void close_write() { close_one(fd_[1]); }

 private:
  static void close_one(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int fd_[2] = {-1, -1};
};

// SIGPIPE blocked while the child's stdin is written (a command that does not read its
// stdin must not kill the tool); a pending one is consumed before the mask is restored.
class NoSigpipe {
 public:
  NoSigpipe() {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    sigpending(&pending_before_);
    ::pthread_sigmask(SIG_BLOCK, &s, &old_);
  }
  ~NoSigpipe() {
    if (sigismember(&pending_before_, SIGPIPE) == 0) {
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, SIGPIPE);
      const timespec zero{0, 0};
      while (::sigtimedwait(&s, nullptr, &zero) == SIGPIPE) {}
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  NoSigpipe(const NoSigpipe&) = delete;
  NoSigpipe& operator=(const NoSigpipe&) = delete;

 private:
  sigset_t old_{};
  sigset_t pending_before_{};
};

int remaining_ms(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<std::int64_t>(left, 1'000'000));
}

// Writes `input` to the non-blocking `fd` until done, the reader goes away, or the deadline.
// false only on the deadline.
bool feed(int fd, std::string_view input, Clock::time_point deadline) {
  NoSigpipe guard;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  while (!input.empty()) {
    const ssize_t n = ::write(fd, input.data(), input.size());
    if (n > 0) {
      input.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      const int ms = remaining_ms(deadline);
      if (ms == 0) return false;
      if (::poll(&p, 1, ms) == 0) return false;
      continue;
    }
    return true;  // EPIPE: the command does not want its input; its exit status will tell
  }
  return true;
}

void kill_group(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
}

// Waits for `pid` until the deadline: its wait status, or nullopt on the deadline.
std::optional<int> wait_until(pid_t pid, Clock::time_point deadline) {
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    // Not our child any more (SIGCHLD ignored by whoever started us): its status is unknown,
    // and an alert that may have failed must not pass for delivered.
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    const timespec nap{0, 5'000'000};  // 5 ms: an alert is not a hot path
    ::nanosleep(&nap, nullptr);
  }
}

}  // namespace

Status run_command(const std::filesystem::path& command, std::string_view input,
                   const std::vector<std::string>& env, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;

  // The environment: only the harmless variables of ours that a command needs to run
  // (kPassedVariables), plus `env`. Nothing else is inherited: not the cloud credentials
  // (AWS_*, AZURE_*), not CAIRN_* settings, not a caller's tokens.
  std::vector<std::string> vars;
  for (const char* name : kPassedVariables) {
    const bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& x) {
      return x.size() > std::strlen(name) && x[std::strlen(name)] == '=' && x.starts_with(name);
    });
    if (replaced) continue;
    if (const char* v = std::getenv(name))
      vars.push_back(fmt::format("{}={}", name, v));
    else if (std::string_view(name) == "PATH")
      vars.emplace_back("PATH=/usr/local/bin:/usr/bin:/bin");
  }
  for (const auto& x : env) vars.push_back(x);

  Pipe in;
  CAIRN_TRY(in.open());
  io::Command c;
  c.exe = command;
  c.argv = {command.string()};
  c.env = std::move(vars);
  c.in = in.read_end();
  c.out = STDERR_FILENO;
  c.own_group = true;  // killed as a group on the deadline
  c.fresh = true;      // nothing above 2 survives (a passphrase descriptor, the tool's own pipes)
  CAIRN_TRY_ASSIGN(const pid_t pid, io::spawn(c, fmt::format("'{}'", command.string())));
  in.close_read();

  const bool fed = feed(in.write_end(), input, deadline);
  in.close_write();
  std::optional<int> status;
  if (fed) status = wait_until(pid, deadline);
  if (!status) {
    kill_group(pid);
    (void)io::wait_status(pid, "the command");
    const auto ms = timeout.count();
    return Error{
        Errc::io,
        ms % 1000 == 0
            ? fmt::format("the command did not finish within {} s and was killed", ms / 1000)
            : fmt::format("the command did not finish within {} ms and was killed", ms)};
  }
  if (*status == -1)
    return Error{Errc::io, "cannot learn the command's exit status (is SIGCHLD ignored?)"};
  if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) return {};
  if (WIFEXITED(*status))
    return Error{Errc::io, fmt::format("the command exited with status {}", WEXITSTATUS(*status))};
  if (WIFSIGNALED(*status))
    return Error{Errc::io, fmt::format("the command was killed by signal {}", WTERMSIG(*status))};
  return Error{Errc::io, "the command ended abnormally"};
}

}  // namespace cairn::notify
