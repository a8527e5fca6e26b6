// lib/cli/verb.hpp: how `cairn VERB ARGS...` finds and runs `cairn-VERB` (as git does with
// git-VERB): next to the running executable first, then on PATH.
// Depends on: base. Threads: plain functions; exec_tool() replaces the process.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace cairn::cli {

// True for a name that may follow "cairn-": [a-z0-9][a-z0-9-]*, at most 64 bytes. Anything
// else (a slash, "..", upper case, an empty string) is never looked up.
bool is_verb_name(std::string_view verb);

// The first directory of `search` (in order) holding an executable regular file `name`.
// Empty entries are skipped (they would mean the current directory).
std::optional<std::filesystem::path> find_executable(std::string_view name,
                                                     std::span<const std::filesystem::path> search);

// The directories of a PATH-style value, in order, without empty entries.
std::vector<std::filesystem::path> split_path(std::string_view path_env);

// cairn-<verb> in self_dir, else on `path_env`; nullopt when the verb is not a valid name
// or nothing is found.
std::optional<std::filesystem::path> resolve_verb(std::string_view verb,
                                                  const std::filesystem::path& self_dir,
                                                  std::string_view path_env);

// The directory of /proc/self/exe; empty when it cannot be read.
std::filesystem::path self_dir();

// Index (in args, which excludes argv[0]) of the first argument that is neither an option
// nor the value of one. `value_options` lists options whose value may be the next
// argument ("--repo DIR"); "--repo=DIR" needs no listing. After "--" the next argument is
// taken. nullopt when there is none.
std::optional<std::size_t> find_verb(std::span<const std::string_view> args,
                                     std::span<const std::string> value_options);

// execv(exe, args) with args[0] as the program name. Returns only on failure.
Error exec_tool(const std::filesystem::path& exe, const std::vector<std::string>& args);

// Runs exe with args (args[0] = program name), its stdin, stdout and stderr on /dev/null,
// and waits. Its exit status, or -1 when it could not be run or was killed.
int run_silently(const std::filesystem::path& exe, const std::vector<std::string>& args);

}  // namespace cairn::cli
