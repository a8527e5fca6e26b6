// lib/cli/completion.hpp: shell completion scripts generated from a tool's CLI11 command tree,
// so they never drift from the options the binary takes. `TOOL --completion=bash|zsh|fish`
// prints one (Tool::run answers it before parsing; it is not in --help); the build runs it
// for every executable and `cmake --install` installs the files (tools/CMakeLists.txt).
// Depends on: CLI11 (include only from lib/cli .cpp files). Threads: plain functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace cairn::cli {

// The script for `shell` (bash, zsh or fish) completing `tool`: its commands (nested ones
// too), the options of the command typed so far and of the commands above it (common
// options may follow a command), and file names for option values and arguments. With
// `dispatch_verbs` (the front command) a first word may also be any `TOOL-VERB` on PATH,
// whose own completion then takes over. nullopt for an unknown shell.
std::optional<std::string> completion_script(const CLI::App& app, std::string_view tool,
                                             std::string_view shell, bool dispatch_verbs);

}  // namespace cairn::cli
