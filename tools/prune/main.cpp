// tools/prune/main.cpp: cairn-prune applies the retention policy and deletes what no kept set
// needs, printing the deleted objects as -path lines for cairn-push. See cairn-prune(1).
#include "cli/repo_options.hpp"
#include "cli/tool.hpp"
#include "ops/prune.hpp"

int main(int argc, char** argv) {
  using namespace cairn;
  cli::Tool tool{"cairn-prune",
                 "Apply the retention policy: forget the sets it drops and delete the objects "
                 "no kept set needs, printing them as -path lines for cairn-push."};
  tool.record_runs();  // in the catalog, for `cairn status`
  ops::PruneOptions opt;
  auto& app = tool.app();
  tool.summarise({"packs", "freed"});  // the closing summary (cairn(7) SUMMARY)
  app.add_flag("-n,--dry-run", opt.dry_run,
               "print the plan (keep or drop, with the reason for "
               "each set) and change nothing");
  app.add_option("--policy", opt.policy, "the policy file (default: /etc/cairn/policy.toml)")
      ->envname("CAIRN_POLICY")
      ->type_name("FILE");
  app.add_option("--grace-sets", opt.grace_generations,
                 "sets written since a pack was marked before it may go (default 1)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1000000u));
  app.add_option("--grace-time", opt.grace_time,
                 "time since a pack was marked before it may go: 12h, 2d, 1d12h, 0 (default 12h)")
      ->type_name("DURATION");
  app.add_option("--max-unused", opt.max_unused,
                 "compact: rewrite the live chunks of packs whose unused share exceeds PCT (10%), "
                 "or of the packs with most unused bytes until SIZE would be freed (64M); "
                 "default: off")
      ->type_name("PCT%|SIZE");
  app.add_flag("--reencrypt", opt.reencrypt,
               "rewrite every pack sealed to a key generation older than the newest (after cairn "
               "key rotate), as compaction does; the old packs go once swept");
  app.add_option("--max-rewrite", opt.max_rewrite,
                 "with --max-unused or --reencrypt: rewrite packs holding at most about SIZE of "
                 "live chunks this run (the extra space it needs); the next run goes on")
      ->type_name("SIZE");
  tool.add_json_flag("print the plan and the deletions as JSON Lines (schema cairn.prune/1)");
  return tool.run(argc, argv, [&](cli::Session& s) -> Result<ops::Outcome> {
    CAIRN_TRY_ASSIGN(opt.repo, cli::repo_options(s));
    opt.json = s.json();
    return ops::prune(opt, s.stdout_writer(), s.observer(), s.cancel());
  });
}
