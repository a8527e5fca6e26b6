#include "cli/dispatch.hpp"

#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "cli/tool.hpp"
#include "cli/verb.hpp"

namespace cairn::cli {

namespace {

Status write_text(io::Writer& out, const std::string& text) {
  CAIRN_TRY(out.write(as_bytes(text)));
  return out.flush();
}

}  // namespace

Result<ops::Outcome> help(Tool& tool, Session& s, const std::string& verb) {
  io::FdWriter& out = s.stdout_writer();
  if (verb.empty()) {
    // Not app().help(): after parsing, that shows the help of the chosen command ("help").
    CLI::App& app = tool.app();
    CAIRN_TRY(write_text(
        out, app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal)));
    return ops::Outcome{};
  }
  if (CLI::App* sub = find_command(tool.app(), verb)) {
    CAIRN_TRY(write_text(out, sub->help(tool.name())));
    return ops::Outcome{};
  }
  const char* path_env = std::getenv("PATH");
  const std::string_view path = path_env != nullptr ? path_env : "";
  const auto exe = resolve_verb(verb, self_dir(), path);
  if (!exe)
    return Error{Errc::usage, fmt::format("'{}' is not a {} command; see '{} help'", verb,
                                          tool.name(), tool.name())};
  CAIRN_TRY(out.flush());
  const std::string page = fmt::format("{}-{}", tool.name(), verb);
  const auto dirs = split_path(path);
  if (const auto man = find_executable("man", dirs)) {
    if (run_silently(*man, {"man", "-w", page}) == 0) return exec_tool(*man, {"man", page});
  }
  return exec_tool(*exe, {page, "--help"});
}

}  // namespace cairn::cli
