// tools/cairn/main.cpp: the front command: repository, key, catalog and policy commands, and
// `cairn VERB ARGS...` running cairn-VERB (as git does). See cairn(1).
#include "cli/dispatch.hpp"
#include "cli/tool.hpp"
#include "cli/passphrase.hpp"
#include "cli/repo_options.hpp"
#include "ops/admin.hpp"

int main(int argc, char** argv) {
  using namespace cairn;
  cli::Tool tool{"cairn", "Composable backup and disaster-recovery tools: repository, keys, "
                          "catalog and policy commands."};
  tool.dispatch_verbs();
  auto& app = tool.app();
  app.footer("Tools, run as 'cairn VERB ARGS...' or 'cairn-VERB ARGS...': snap, diff, pack, "
             "push, verify, restore, prune.\nSee cairn(1), and cairn(7) for the overview.");
  const cli::Body todo = [](cli::Session&) -> Result<ops::Outcome> {
    return Error{Errc::unimplemented, "not implemented yet"};
  };

  repo::InitOptions init;
  auto& in = tool.command(app, "init", "create a repository in --repo (new passphrase: "
                                       "--passphrase-file or CAIRN_PASSPHRASE_FD)",
                          [&](cli::Session& s) -> Result<ops::Outcome> {
                            CAIRN_TRY_ASSIGN(auto ro, cli::repo_options(s));
                            return ops::init(ro, init, s.stdout_writer());
                          });
  cli::add_size_option(in, "--chunk-min", init.chunking.min_size, "smallest chunk")
      ->default_str("512K");
  cli::add_size_option(in, "--chunk-avg", init.chunking.avg_size, "average chunk, a power of 2")
      ->default_str("1M");
  cli::add_size_option(in, "--chunk-max", init.chunking.max_size, "largest chunk")
      ->default_str("8M");
  in.add_option("--compression", init.zstd_level, "zstd level, 1 to 19")
      ->check(CLI::Range(1, 19))->type_name("LEVEL")->capture_default_str();
  cli::add_choice_option(in, "--hash", init.chunk_hash,
                         {{"hmac-sha256", hash::Algo::hmac_sha256},
                          {"blake2b-keyed", hash::Algo::blake2b_keyed}},
                         "keyed chunk-id hash: hmac-sha256 or blake2b-keyed")
      ->default_str("hmac-sha256");
  cli::add_size_option(in, "--pack-size", init.pack_size, "target pack size")->default_str("32M");

  ops::KeyOptions key;
  std::string new_passphrase_file;  // read with cli::read_passphrase_file into key.new_passphrase
  const auto key_body = [&](ops::KeyVerb verb) -> cli::Body {
    return [&, verb](cli::Session& s) -> Result<ops::Outcome> {
      key.verb = verb;
      CAIRN_TRY_ASSIGN(key.repo, cli::repo_options(s));
      if (!new_passphrase_file.empty()) {
        CAIRN_TRY_ASSIGN(key.new_passphrase, cli::read_passphrase_file(new_passphrase_file));
      }
      return ops::key(key, s.stdout_writer());
    };
  };
  const char* new_help = "read the new passphrase from FILE";
  auto& k = tool.group(app, "key", "manage the repository's key slots and key files");
  tool.command(k, "add", "add a key slot with a new passphrase", key_body(ops::KeyVerb::add))
      .add_option("--new-passphrase-file", new_passphrase_file, new_help)->type_name("FILE")
      ->required();
  tool.command(k, "passwd", "change the passphrase of the slot that opens",
               key_body(ops::KeyVerb::passwd))
      .add_option("--new-passphrase-file", new_passphrase_file, new_help)->type_name("FILE")
      ->required();
  tool.command(k, "remove", "remove a key slot (never the last one)", key_body(ops::KeyVerb::remove))
      .add_option("SLOT", key.slot, "the slot id, as 'cairn key list' shows it")->required();
  tool.command(k, "list", "list the key slots", key_body(ops::KeyVerb::list));
  auto& ex = tool.command(k, "export", "write a key file for --key-file",
                          key_body(ops::KeyVerb::export_key));
  ex.add_flag("--write-only", key.write_only, "a key that can add sets but not read or delete");
  ex.add_option("--new-passphrase-file", new_passphrase_file, new_help)->type_name("FILE");
  ex.add_option("FILE", key.file, "the key file to create")->required();

  ops::LsOptions ls;
  std::string prometheus, policy, set, reason, verb;
  tool.command(app, "ls", "list backup sets from the catalog",
               [&](cli::Session& s) -> Result<ops::Outcome> {
                 CAIRN_TRY_ASSIGN(ls.repo, cli::repo_options(s));
                 ls.json = s.json();
                 return ops::ls(ls, s.stdout_writer());
               })
      .add_option("SOURCE", ls.source, "only this source");
  tool.add_json_flag(*app.get_subcommand("ls"), "one JSON object a line (schema cairn.ls/1)");
  auto& st = tool.command(app, "status", "objectives per source and class (exit 5 when one "
                                         "is violated)", todo);
  tool.add_json_flag(st, "one JSON object a line (schema cairn.status/1)");
  st.add_option("--prometheus", prometheus, "also write a node_exporter textfile")
      ->type_name("FILE");
  auto& cat = tool.group(app, "catalog", "maintain the catalog");
  tool.command(cat, "rebuild", "recreate the catalog from the repository", todo);
  auto& pol = tool.group(app, "policy", "work with the retention policy");
  tool.command(pol, "check", "parse and check a policy file", todo)
      .add_option("FILE", policy, "the policy (default: CAIRN_POLICY, /etc/cairn/policy.toml)")
      ->envname("CAIRN_POLICY");
  auto& hold = tool.command(app, "hold", "put a set under legal hold (prune keeps it)", todo);
  hold.add_option("SET", set, "the set")->required();
  hold.add_option("--reason", reason, "why, for the audit log")->required()->type_name("TEXT");
  tool.command(app, "release", "release a set's legal hold", todo)
      .add_option("SET", set, "the set")->required();
  tool.command(app, "help", "show a tool's manual page or a command's help",
               [&](cli::Session& s) { return cli::help(tool, s, verb); })
      .add_option("VERB", verb, "a tool (snap, pack, ...) or a command (init, key, ...)");
  return tool.run(argc, argv);
}
