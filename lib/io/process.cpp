#include "io/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>

#include <fmt/format.h>

extern char** environ;

namespace cairn::io {

namespace {

void redirect(posix_spawn_file_actions_t& fa, int from, int to) {
  if (from == kDevNull)
    posix_spawn_file_actions_addopen(&fa, to, "/dev/null", to == 0 ? O_RDONLY : O_WRONLY, 0);
  else if (from >= 0)  // also from == to: glibc then clears close-on-exec
    posix_spawn_file_actions_adddup2(&fa, from, to);
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Command Command::shell(const std::string& cmd) {
  Command c;
  c.exe = "/bin/sh";
  c.argv = {"sh", "-c", cmd};
  return c;
}

Result<pid_t> spawn(const Command& c, std::string_view what) {
  std::vector<std::string> args = c.argv;
  std::vector<std::string> vars = c.env.value_or(std::vector<std::string>{});
  auto argv = c_strings(args);
  auto envp = c_strings(vars);
  posix_spawn_file_actions_t fa;
  if (const int rc = posix_spawn_file_actions_init(&fa); rc != 0)
    return errno_error(rc, fmt::format("cannot run {}", what));
  redirect(fa, c.in, 0);
  redirect(fa, c.out, 1);
  redirect(fa, c.err, 2);
  if (!c.dir.empty()) posix_spawn_file_actions_addchdir_np(&fa, c.dir.c_str());
  if (c.fresh) posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  short flags = 0;
  if (c.own_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attr, 0);
  }
  if (c.fresh) {
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    flags |= POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
  }
  posix_spawnattr_setflags(&attr, flags);
  pid_t pid = -1;
  const int rc =
      ::posix_spawn(&pid, c.exe.c_str(), &fa, &attr, argv.data(), c.env ? envp.data() : environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return errno_error(rc, fmt::format("cannot run {}", what));
  return pid;
}

Result<int> wait_status(pid_t pid, std::string_view what) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return errno_error(errno, fmt::format("cannot wait for {}", what));
  return status;
}

std::optional<std::string> failure(int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::nullopt;
  if (WIFEXITED(status)) return fmt::format("failed with exit status {}", WEXITSTATUS(status));
  return fmt::format("was killed by signal {}", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

Status wait_success(pid_t pid, std::string_view what) {
  CAIRN_TRY_ASSIGN(const int status, wait_status(pid, what));
  if (auto why = failure(status)) return Error{Errc::io, fmt::format("{} {}", what, *why)};
  return {};
}

}  // namespace cairn::io
