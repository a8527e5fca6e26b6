#include "cli/front_copy.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/passphrase.hpp"
#include "cli/repo_options.hpp"
#include "ops/copy.hpp"

namespace cairn::cli {

struct CopyCommand {
  ops::CopyOptions o;
  std::string to, passphrase_file, key_file, catalog;
};

void CopyCommandDeleter::operator()(CopyCommand* p) const { delete p; }

namespace {

// The target's RepoOptions: its own passphrase file (else the source's passphrase, for a
// target made with the same one) and key file; never the source's catalog.
Result<ops::RepoOptions> target_options(const CopyCommand& c, Session& s) {
  if (c.to.find("://") != std::string::npos)
    return Error{Errc::usage,
                 fmt::format("--to {}: the target must be a local repository; copy into one and "
                             "send it with 'cairn-push --all {}'",
                             c.to, c.to)};
  ops::RepoOptions to;
  to.repo = c.to;
  to.observer = &s.observer();
  if (!c.catalog.empty()) to.catalog = c.catalog;
  if (!c.key_file.empty()) to.unlock.key_file = c.key_file;
  to.unlock.observer = &s.observer();
  if (c.passphrase_file.empty())
    return Error{Errc::usage,
                 "no passphrase for the target: give --to-passphrase-file FILE or "
                 "CAIRN_TO_PASSPHRASE_FILE"};
  std::error_code ec;
  if (!std::filesystem::exists(c.passphrase_file, ec))
    return Error{Errc::usage,
                 fmt::format("the target's passphrase file '{}' does not exist: give an existing "
                             "file with --to-passphrase-file or CAIRN_TO_PASSPHRASE_FILE",
                             c.passphrase_file)};
  if (auto w = readable_by_others(c.passphrase_file, "the target's passphrase file"))
    s.reporter().log(readable_record(s.tool(), c.passphrase_file, *w, false));
  CAIRN_TRY_ASSIGN(to.unlock.passphrase, read_passphrase_file(c.passphrase_file));
  return to;
}

}  // namespace

std::unique_ptr<CopyCommand, CopyCommandDeleter> add_copy_command(Tool& tool, CLI::App& app) {
  std::unique_ptr<CopyCommand, CopyCommandDeleter> v(new CopyCommand);
  CopyCommand* c = v.get();
  auto& cp = tool.command(
      app, "copy",
      "copy sets into another repository (its own keys and chunking), keeping their metadata",
      [c](Session& s) -> Result<ops::Outcome> {
        CAIRN_TRY_ASSIGN(c->o.to, target_options(*c, s));
        CAIRN_TRY_ASSIGN(c->o.repo, repo_options(s));
        return ops::copy(c->o, s.stdout_writer(), s.observer(), s.cancel());
      });
  cp.add_option("SET", c->o.sets,
                "a set (ID, prefix, SOURCE@latest, SOURCE@TIME, SOURCE@tag:T, latest); repeatable");
  cp.add_flag("--all", c->o.all, "every committed set of the repository");
  cp.add_option("--to", c->to, "the target repository (a local directory, made by 'cairn init')")
      ->envname("CAIRN_TO_REPO")
      ->type_name("REPO")
      ->required();
  cp.add_option("--to-passphrase-file", c->passphrase_file, "the target's passphrase, from FILE")
      ->envname("CAIRN_TO_PASSPHRASE_FILE")
      ->type_name("FILE");
  cp.add_option("--to-key-file", c->key_file,
                "unlock the target with this key file (a write-only key will do)")
      ->envname("CAIRN_TO_KEY_FILE")
      ->type_name("FILE");
  cp.add_option("--to-catalog", c->catalog,
                "the target's catalog (default: CAIRN_TO_CATALOG, else the default place for its "
                "repository id; never CAIRN_CATALOG)")
      ->envname("CAIRN_TO_CATALOG")
      ->type_name("FILE");
  cp.add_option("--jobs", c->o.jobs, "worker threads for compress+encrypt (default: one per core)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u));
  return v;
}

}  // namespace cairn::cli
