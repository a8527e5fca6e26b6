// tools/pack/main.cpp: cairn-pack stores what a manifest stream names into the repository and
// commits the set. See cairn-pack(1).
#include "cli/repo_options.hpp"
#include "cli/tool.hpp"
#include "ops/pack.hpp"

int main(int argc, char** argv) {
  using namespace cairn;
  cli::Tool tool{"cairn-pack",
                 "Chunk, deduplicate, compress and encrypt what a manifest stream on standard "
                 "input names into the repository, and commit the set."};
  tool.record_runs();  // in the catalog, for `cairn status`
  ops::PackOptions opt;
  auto& app = tool.app();
  tool.summarise({"entries", "read"});  // files, directories, links: as ls ENTRIES  // the closing
                                        // summary (cairn(7) SUMMARY)
  cli::add_kind_flags(app, opt.kind);
  app.add_option("--jobs", opt.jobs, "worker threads (default: one per core)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--compression", opt.compression,
                 "compress this run's new chunks with zstd LEVEL (1 to 19), auto or off, "
                 "instead of the repository's default")
      ->type_name("LEVEL|auto|off");
  app.add_option("--policy", opt.policy,
                 "the policy, for its class's compression (default: CAIRN_POLICY, "
                 "/etc/cairn/policy.toml if it exists)")
      ->envname("CAIRN_POLICY")
      ->type_name("FILE");
  app.add_flag("--stream", opt.stream,
               "print each pack's line as soon as it is stored, the set id last (for cairn-push)");
  return tool.run(argc, argv, [&](cli::Session& s) -> Result<ops::Outcome> {
    CAIRN_TRY_ASSIGN(opt.repo, cli::repo_options(s));
    CAIRN_TRY_ASSIGN(io::Reader & in, s.stdin_stream(true));
    return ops::pack(opt, in, s.stdout_writer(), s.observer(), s.cancel());
  });
}
