// tools/verify/main.cpp: cairn-verify checks sets, a repository or a destination: structure,
// data (--read-data), restore drills (--drill) and freshness (--max-age). See cairn-verify(1).
#include "cli/repo_options.hpp"
#include "cli/tool.hpp"
#include "ops/erase.hpp"
#include "ops/verify.hpp"

int main(int argc, char** argv) {
  using namespace cairn;
  cli::Tool tool{"cairn-verify",
                 "Check sets, the repository or a destination: structure, stored data, restore "
                 "drills and freshness."};
  tool.record_runs();  // in the catalog, for `cairn status`
  ops::VerifyOptions opt;
  auto& app = tool.app();
  tool.summarise({"items", "checked"});  // the closing summary (cairn(7) SUMMARY)
  app.add_option("SET", opt.sets,
                 "sets to check: id or prefix, latest, SOURCE@latest, @TIME (default: all)");
  app.add_flag("--all", opt.all, "check every set (the default when no SET is given)");
  app.add_flag("--read-data{all}", opt.read_data,
               "read and authenticate every stored pack, or a SUBSET: P% at random, or part I/N")
      ->type_name("[=SUBSET]");
  app.add_flag("--drill", opt.drill,
               "restore into scratch space, check every byte, time it, record the RTO");
  app.add_option("--to", opt.drill_to, "scratch directory for --drill (default: TMPDIR)")
      ->type_name("DIR");
  app.add_option(
         "--check", opt.drill_check,
         "with --drill: run CMD (/bin/sh -c) in each restored tree; non-zero fails the drill")
      ->type_name("CMD");
  app.add_option(
         "--max-age", opt.max_age,
         "exit 5 when a source's newest good set is older than DUR (45s, 90m, 26h, 1d12h, 1w)")
      ->type_name("DUR");
  app.add_option("--from", opt.from, "check a destination instead of the local repository")
      ->type_name("DEST");
  app.add_option("--jobs", opt.jobs, "worker threads (default: one per core)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u));
  std::vector<std::string> absent;
  app.add_option("--absent", absent,
                 "prove an erasure: search every set for paths matching PATTERN (as cairn erase "
                 "reads it); exit 1 listing them if any set holds one")
      ->type_name("PATTERN...");
  tool.add_json_flag("report as JSON Lines (schema cairn.verify/1)");
  return tool.run(argc, argv, [&](cli::Session& s) -> Result<ops::Outcome> {
    if (!absent.empty()) {  // a search, not a check: alone
      if (!opt.sets.empty() || opt.all || opt.read_data || opt.drill || opt.from || opt.max_age)
        return Error{Errc::usage,
                     "--absent searches every set of the local repository: give it "
                     "without SET, --all, --read-data, --drill, --max-age or --from"};
      ops::AbsentOptions ab;
      CAIRN_TRY_ASSIGN(ab.repo, cli::repo_options(s));
      ab.patterns = absent;
      return ops::verify_absent(ab, s.stdout_writer(), s.observer(), s.cancel());
    }
    if (opt.from) {  // the destination alone: no local repository needed
      CAIRN_TRY_ASSIGN(opt.repo.unlock, s.unlock());
      opt.repo.catalog = s.catalog();
      opt.repo.from = opt.from;
    } else {
      CAIRN_TRY_ASSIGN(opt.repo, cli::repo_options(s));
    }
    opt.json = s.json();
    if (!s.quiet() || opt.json)
      return ops::verify(opt, s.stdout_writer(), s.observer(), s.cancel());
    // -q: the text report only when something is wrong (a cron job that succeeds is silent).
    io::StringWriter report;
    auto r = ops::verify(opt, report, s.observer(), s.cancel());
    if (r && r->warnings == 0 && r->exit_code == 0 && s.reporter().warnings() == 0) return r;
    if (Status st = s.stdout_writer().write(as_bytes(report.out)); !st)
      return std::move(st).error();
    return r;
  });
}
