// tools/restore/main.cpp: cairn-restore restores a set, or part of it, into a directory, as a
// tar stream, or one file's content to stdout. See cairn-restore(1).
#include <chrono>

#include "backend/remote.hpp"
#include "cli/repo_options.hpp"
#include "cli/tool.hpp"
#include "ops/restore.hpp"

int main(int argc, char** argv) {
  using namespace cairn;
  cli::Tool tool{"cairn-restore",
                 "Restore a set, or the paths and globs given, into a directory, as a tar stream "
                 "on standard output, or one file's content on standard output."};
  tool.record_runs();  // in the catalog, for `cairn status`
  ops::RestoreOptions opt;
  std::string from;
  auto& app = tool.app();
  tool.summarise(
      {"files",
       "restored"});  // written, or kept by --overwrite  // the closing summary (cairn(7) SUMMARY)
  app.add_option("SET", opt.set, "id or prefix, latest, SOURCE@latest, @TIME or SOURCE@TIME")
      ->required();
  app.add_option("PATH", opt.patterns, "paths (with everything below them) or globs to restore");
  auto* target = app.add_option_group("Target", "exactly one of");
  target->add_option("--to", opt.to, "restore into DIR (created when absent)")->type_name("DIR");
  target->add_flag("--tar", opt.tar, "write a tar (pax) stream to standard output");
  target->add_option("--stdout", opt.stdout_file, "write the content of FILE to standard output")
      ->type_name("FILE");
  target->require_option(1);
  app.add_flag("--keep-going", opt.keep_going,
               "go on after a damaged or unwritable file; name each one (exit 4 or 3 at the end)");
  app.add_flag("--special", opt.special,
               "also restore device nodes, setuid/setgid bits and file capabilities "
               "(default: skipped or cleared)");
  app.add_flag("--search", opt.search,
               "if SET lacks the --stdout FILE (or a PATH), use the newest older set of its "
               "source that has it");
  std::string overwrite;
  app.add_option("--overwrite", overwrite,
                 "with --to, what to do with a file already there: always (replace it, the "
                 "default), if-changed (keep it when its content is the set's), never (keep it)")
      ->type_name("MODE")
      ->check(CLI::IsMember({"always", "if-changed", "never"}));
  app.add_flag("--delete", opt.remove,
               "with --to, delete what the target holds under the restored paths that the set "
               "does not");
  app.add_option("--from", from, "restore from a destination instead of the local repository")
      ->type_name("DEST");
  app.add_option("--jobs", opt.jobs, "worker threads (default: one per core)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u));
  return tool.run(argc, argv, [&](cli::Session& s) -> Result<ops::Outcome> {
    if (overwrite == "always") opt.overwrite = restore::Overwrite::always;
    if (overwrite == "if-changed") opt.overwrite = restore::Overwrite::if_changed;
    if (overwrite == "never") opt.overwrite = restore::Overwrite::never;
    if (!from.empty()) {  // the destination alone: no local repository; the run is
      // recorded in this host's catalog of it when there is one (ops/context.hpp)
      CAIRN_TRY_ASSIGN(opt.repo.unlock, s.unlock());
      opt.repo.from = from;
      opt.repo.catalog = s.catalog();
      opt.repo.run = s.run();
    } else {
      CAIRN_TRY_ASSIGN(opt.repo, cli::repo_options(s));
    }
    CAIRN_TRY_ASSIGN(io::Writer & out, s.stdout_stream(opt.tar));
    const auto t0 = std::chrono::steady_clock::now();
    auto r = ops::restore(opt, out, s.observer(), s.cancel());
    if (r && !from.empty()) {  // what came from the destination, for `cairn status`
      const auto took = std::chrono::steady_clock::now() - t0;
      r->transfers.push_back(catalog::TransferRecord{
          backend::canonical_name(from), catalog::Direction::restore, s.reporter().bytes(),
          static_cast<std::uint64_t>(
              std::chrono::duration_cast<std::chrono::milliseconds>(took).count())});
    }
    return r;
  });
}
