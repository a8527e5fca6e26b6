// tools/diff/main.cpp: cairn-diff marks a manifest stream against a base set (unchanged /
// added / modified / deleted), or reports the changes between two sets or a set and a
// directory. See cairn-diff(1).
#include "cli/repo_options.hpp"
#include "cli/tool.hpp"
#include "ops/diff.hpp"

int main(int argc, char** argv) {
  using namespace cairn;
  cli::Tool tool{"cairn-diff",
                 "Mark a manifest stream on standard input against a base set, or report what "
                 "changed between two sets or a set and a directory."};
  ops::DiffOptions opt;
  auto& app = tool.app();
  tool.summarise({"entries", ""});  // the closing summary (cairn(7) SUMMARY)
  app.add_option("ARG", opt.args, "two sets, or a set and a directory: report the changes");
  app.add_option("--against", opt.against,
                 "base set: an id or prefix, latest, SOURCE@latest, @TIME, or last-full "
                 "(default: the latest set of the stream's source)")
      ->type_name("SET");
  tool.add_json_flag("report as JSON Lines (schema cairn.diff/1)");
  app.add_flag("--stat", opt.stat, "report only counts and sizes per kind of change");
  app.add_flag("--exit-code", opt.exit_code, "exit 1 when something changed, as diff(1) does");
  return tool.run(argc, argv, [&](cli::Session& s) -> Result<ops::Outcome> {
    CAIRN_TRY_ASSIGN(opt.repo, cli::repo_options(s));
    opt.json = s.json();
    CAIRN_TRY_ASSIGN(io::Reader & in, s.stdin_stream(opt.args.empty()));
    CAIRN_TRY_ASSIGN(io::Writer & out, s.stdout_stream(opt.args.empty()));
    return ops::diff(opt, in, out, s.observer(), s.cancel());
  });
}
