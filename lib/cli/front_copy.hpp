// lib/cli/front_copy.hpp: the `cairn` front command's `copy` verb: `cairn copy SET... --to REPO`
// (or --all), with the target's own passphrase (--to-passphrase-file, CAIRN_TO_PASSPHRASE_FILE;
// never on the command line) and key file.
// Depends on: cli (Tool), ops (copy.hpp). Threads: main thread only.
#pragma once

#include <memory>

#include "cli/tool.hpp"

namespace cairn::cli {

struct CopyCommand;  // the verb's option values; must live until Tool::run returns
struct CopyCommandDeleter {
  void operator()(CopyCommand* p) const;
};
std::unique_ptr<CopyCommand, CopyCommandDeleter> add_copy_command(Tool& tool, CLI::App& app);

}  // namespace cairn::cli
