#include "cli/stages.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/text.hpp"
#include "cli/progress.hpp"  // printable()

namespace cairn::cli {

namespace {

constexpr std::size_t kRecord = 96;  // fixed size: a record is rewritten in place

// $XDG_RUNTIME_DIR is the user's own; TMPDIR and /tmp may be shared, so the name carries the
// uid there (another user's directory of the same name would otherwise turn off the shared
// line, and what it holds must never reach this user's terminal).
std::string stage_dir() {
  if (const char* v = std::getenv("XDG_RUNTIME_DIR"); v != nullptr && *v == '/')
    return std::string(v) + "/cairn-progress";
  const char* tmp = std::getenv("TMPDIR");
  return fmt::format("{}/cairn-progress-{}", tmp != nullptr && *tmp == '/' ? tmp : "/tmp",
                     ::geteuid());
}

std::string prefix() { return fmt::format("{}-", ::getpgrp()); }

bool alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

std::unique_ptr<StageFile> StageFile::create(std::string_view tool) {
  const std::string dir = stage_dir();
  // Shared by the user's pipelines only: 0700, and refused when it is not ours.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return nullptr;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
    return nullptr;
  std::string path = fmt::format("{}/{}{}", dir, prefix(), ::getpid());
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return nullptr;
  std::string label(tool);
  if (label.starts_with("cairn-")) label.erase(0, 6);
  return std::unique_ptr<StageFile>(new StageFile(io::Fd(fd), std::move(path), std::move(label)));
}

StageFile::~StageFile() { ::unlink(path_.c_str()); }

void StageFile::publish(std::uint64_t items, std::uint64_t bytes) {
  std::string r = fmt::format("{} {} items", label_, items);
  if (bytes > 0) r += " " + format_bytes(bytes);
  r.resize(kRecord - 1, ' ');
  r.push_back('\n');
  (void)!::pwrite(fd_.get(), r.data(), r.size(), 0);
}

std::string other_stages() {
  const std::string dir = stage_dir(), mine = prefix();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return {};
  // Only a directory of ours (0700, StageFile::create) holds our stages' records.
  struct stat st {};
  if (::fstat(::dirfd(d), &st) != 0 || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    ::closedir(d);
    return {};
  }
  std::vector<std::pair<pid_t, std::string>> found;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (!name.starts_with(mine)) continue;
    pid_t pid = 0;
    const auto digits = name.substr(mine.size());
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (ec != std::errc{} || end != digits.data() + digits.size() || pid == ::getpid() ||
        !alive(pid))
      continue;
    const int fd = ::openat(::dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    char buf[kRecord];
    const ssize_t n = ::pread(fd, buf, sizeof buf, 0);
    ::close(fd);
    if (n <= 0) continue;
    std::string r(buf, static_cast<std::size_t>(n));
    while (!r.empty() && (r.back() == ' ' || r.back() == '\n')) r.pop_back();
    if (!r.empty()) found.emplace_back(pid, printable(r));  // never raw bytes to a terminal
  }
  ::closedir(d);
  std::sort(found.begin(), found.end());  // forked in pipeline order: the first stage first
  std::string line;
  for (const auto& [pid, r] : found) line += r + " | ";
  return line;
}

}  // namespace cairn::cli
