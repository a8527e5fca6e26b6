#include "cli/verb.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "io/process.hpp"

namespace cairn::cli {

namespace {

bool is_executable_file(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

std::vector<char*> c_argv(const std::vector<std::string>& args) {
  std::vector<char*> v;
  v.reserve(args.size() + 1);
  for (const auto& a : args) v.push_back(const_cast<char*>(a.c_str()));
  v.push_back(nullptr);
  return v;
}

}  // namespace

bool is_verb_name(std::string_view verb) {
  if (verb.empty() || verb.size() > 64 || verb.front() == '-') return false;
  for (char c : verb) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::filesystem::path> find_executable(
    std::string_view name, std::span<const std::filesystem::path> search) {
  for (const auto& dir : search) {
    if (dir.empty()) continue;
    auto candidate = dir / name;
    if (is_executable_file(candidate)) return candidate;
  }
  return std::nullopt;
}

std::vector<std::filesystem::path> split_path(std::string_view path_env) {
  std::vector<std::filesystem::path> dirs;
  while (!path_env.empty()) {
    const auto colon = path_env.find(':');
    const auto part = path_env.substr(0, colon);
    if (!part.empty()) dirs.emplace_back(part);
    if (colon == std::string_view::npos) break;
    path_env.remove_prefix(colon + 1);
  }
  return dirs;
}

std::optional<std::filesystem::path> resolve_verb(std::string_view verb,
                                                  const std::filesystem::path& self_dir,
                                                  std::string_view path_env) {
  if (!is_verb_name(verb)) return std::nullopt;
  const std::string name = fmt::format("cairn-{}", verb);
  std::vector<std::filesystem::path> search;
  if (!self_dir.empty()) search.push_back(self_dir);
  for (auto& d : split_path(path_env)) search.push_back(std::move(d));
  return find_executable(name, search);
}

std::filesystem::path self_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path();
}

std::optional<std::size_t> find_verb(std::span<const std::string_view> args,
                                     std::span<const std::string> value_options) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--") return i + 1 < args.size() ? std::optional<std::size_t>(i + 1) : std::nullopt;
    if (a.size() > 1 && a.front() == '-') {
      if (a.find('=') != std::string_view::npos) continue;  // --opt=value
      for (const auto& v : value_options) {
        if (a == v) {
          ++i;  // skip the value
          break;
        }
      }
      continue;
    }
    return i;
  }
  return std::nullopt;
}

Error exec_tool(const std::filesystem::path& exe, const std::vector<std::string>& args) {
  auto argv = c_argv(args);
  ::execv(exe.c_str(), argv.data());
  return errno_error(errno, fmt::format("cannot run '{}'", exe.string()));
}

int run_silently(const std::filesystem::path& exe, const std::vector<std::string>& args) {
  io::Command c{
      .exe = exe, .argv = args, .in = io::kDevNull, .out = io::kDevNull, .err = io::kDevNull};
  auto pid = io::spawn(c, exe.string());
  if (!pid) return -1;
  auto status = io::wait_status(*pid, exe.string());
  return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

}  // namespace cairn::cli
