// lib/cli/front_tags.hpp: the `cairn` front command's tag and audit verbs: `cairn tag SET
// [+TAG|-TAG]...`, `cairn audit [--json]`, `cairn report [--json|--csv TABLE] [--since T]`,
// and `--tag TAG` on `cairn ls`.
// Depends on: cli (Tool), ops (tag.hpp, admin.hpp, report.hpp). Threads: main thread only.
#pragma once

#include <memory>

#include "cli/tool.hpp"
#include "ops/admin.hpp"

namespace cairn::cli {

struct TagCommands;  // the verbs' option values; must live until Tool::run returns
struct TagCommandsDeleter {
  void operator()(TagCommands* p) const;
};
std::unique_ptr<TagCommands, TagCommandsDeleter> add_tag_commands(Tool& tool, CLI::App& app,
                                                                  ops::LsOptions& ls);

}  // namespace cairn::cli
