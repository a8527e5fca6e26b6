// lib/cli/front.cpp: the `cairn` front command's command table (init, key, ls, status,
// catalog, policy, hold, release, help) and its verb dispatch. It lives here rather than in
// tools/cairn/main.cpp so that main stays a one-line call (STYLE.md C7).
#include "cli/front.hpp"

#include "cli/dispatch.hpp"
#include "cli/passphrase.hpp"
#include "cli/repo_options.hpp"
#include "cli/tool.hpp"
#include "cli/units.hpp"
#include "ops/admin.hpp"
#include "ops/hold.hpp"
#include "ops/policy_check.hpp"
#include "ops/rebuild.hpp"
#include "ops/status.hpp"

namespace cairn::cli {

int run_front(int argc, char** argv) {
  Tool tool{"cairn",
            "Composable backup and disaster-recovery tools: repository, keys, "
            "catalog and policy commands."};
  tool.dispatch_verbs();
  auto& app = tool.app();
  app.footer(
      "Tools, run as 'cairn VERB ARGS...' or 'cairn-VERB ARGS...': snap, diff, pack, "
      "push, verify, restore, prune.\nSee cairn(1), and cairn(7) for the overview.");

  repo::InitOptions init;
  auto& in = tool.command(app, "init",
                          "create a repository in --repo (new passphrase: "
                          "--passphrase-file or CAIRN_PASSPHRASE_FD)",
                          [&](Session& s) -> Result<ops::Outcome> {
                            CAIRN_TRY_ASSIGN(auto ro, repo_options(s));
                            return ops::init(ro, init, s.stdout_writer());
                          });
  add_size_option(in, "--chunk-min", init.chunking.min_size, "smallest chunk")->default_str("512K");
  add_size_option(in, "--chunk-avg", init.chunking.avg_size, "average chunk, a power of 2")
      ->default_str("1M");
  add_size_option(in, "--chunk-max", init.chunking.max_size, "largest chunk")->default_str("8M");
  in.add_option("--compression", init.zstd_level, "zstd level, 1 to 19")
      ->check(CLI::Range(1, 19))
      ->type_name("LEVEL")
      ->capture_default_str();
  add_choice_option(
      in, "--hash", init.chunk_hash,
      {{"hmac-sha256", hash::Algo::hmac_sha256}, {"blake2b-keyed", hash::Algo::blake2b_keyed}},
      "keyed chunk-id hash: hmac-sha256 or blake2b-keyed")
      ->default_str("hmac-sha256");
  add_size_option(in, "--pack-size", init.pack_size, "target pack size")->default_str("32M");

  ops::KeyOptions key;
  std::string new_passphrase_file;  // read with read_passphrase_file into key.new_passphrase
  const auto key_body = [&](ops::KeyVerb verb) -> Body {
    return [&, verb](Session& s) -> Result<ops::Outcome> {
      key.verb = verb;
      CAIRN_TRY_ASSIGN(key.repo, repo_options(s));
      if (!new_passphrase_file.empty()) {
        CAIRN_TRY_ASSIGN(key.new_passphrase, read_passphrase_file(new_passphrase_file));
      }
      return ops::key(key, s.stdout_writer());
    };
  };
  const char* new_help = "read the new passphrase from FILE";
  auto& k = tool.group(app, "key", "manage the repository's key slots and key files");
  tool.command(k, "add", "add a key slot with a new passphrase", key_body(ops::KeyVerb::add))
      .add_option("--new-passphrase-file", new_passphrase_file, new_help)
      ->type_name("FILE")
      ->required();
  tool.command(k, "passwd", "change the passphrase of the slot that opens",
               key_body(ops::KeyVerb::passwd))
      .add_option("--new-passphrase-file", new_passphrase_file, new_help)
      ->type_name("FILE")
      ->required();
  tool.command(k, "remove", "remove a key slot (never the last one)",
               key_body(ops::KeyVerb::remove))
      .add_option("SLOT", key.slot, "the slot id, as 'cairn key list' shows it")
      ->required();
  tool.command(k, "list", "list the key slots", key_body(ops::KeyVerb::list));
  tool.command(k, "forget", "drop the keys kept in the kernel keyring (CAIRN_KEY_CACHE) now",
               [&](Session& s) -> Result<ops::Outcome> { return ops::forget_keys(s.observer()); });
  auto& ex = tool.command(k, "export", "write a key file for --key-file",
                          key_body(ops::KeyVerb::export_key));
  ex.add_flag("--write-only", key.write_only, "a key that can add sets but not read or delete");
  ex.add_option("--new-passphrase-file", new_passphrase_file, new_help)->type_name("FILE");
  ex.add_option("FILE", key.file, "the key file to create")->required();
  tool.command(k, "writers", "list the writers that signed sets, and which are revoked",
               key_body(ops::KeyVerb::writers));
  auto& rv = tool.command(k, "revoke", "refuse a writer's future sets (its sets so far are kept)",
                          key_body(ops::KeyVerb::revoke));
  rv.add_option("WRITER", key.slot,
                "the writer id, as 'cairn key writers' or 'cairn key export' shows it")
      ->required();
  rv.add_option("--reason", key.reason, "why (kept in the revocation record)");

  ops::LsOptions ls;
  std::string prometheus, policy, set, reason, verb;
  tool.command(app, "ls", "list backup sets from the catalog",
               [&](Session& s) -> Result<ops::Outcome> {
                 CAIRN_TRY_ASSIGN(ls.repo, repo_options(s));
                 ls.json = s.json();
                 return ops::ls(ls, s.stdout_writer());
               })
      .add_option("SOURCE", ls.source, "only this source");
  tool.add_json_flag(*app.get_subcommand("ls"), "one JSON object a line (schema cairn.ls/1)");
  std::string status_policy;
  auto& st = tool.command(app, "status",
                          "objectives per source and class (exit 5 when one "
                          "is violated)",
                          [&](Session& s) -> Result<ops::Outcome> {
                            ops::StatusOptions o;
                            CAIRN_TRY_ASSIGN(o.repo, repo_options(s));
                            if (!status_policy.empty()) o.policy = status_policy;
                            if (!prometheus.empty()) o.prometheus = prometheus;
                            o.json = s.json();
                            return ops::status(o, s.stdout_writer());
                          });
  tool.add_json_flag(st, "one JSON object a line (schema cairn.status/1)");
  st.add_option("--prometheus", prometheus, "also write a node_exporter textfile (atomically)")
      ->type_name("FILE");
  st.add_option("--policy", status_policy,
                "the policy setting the objectives (default: /etc/cairn/policy.toml, if it exists)")
      ->type_name("FILE")
      ->envname("CAIRN_POLICY");
  auto& cat = tool.group(app, "catalog", "maintain the catalog");
  tool.command(cat, "rebuild", "recreate the catalog from the repository",
               [&](Session& s) -> Result<ops::Outcome> {
                 ops::RebuildOptions o;
                 CAIRN_TRY_ASSIGN(o.repo, repo_options(s));
                 // --repo may name a destination (s3://, azure://, sftp://, file://): read alone.
                 if (o.repo.repo.string().find("://") != std::string::npos)
                   o.repo.from = o.repo.repo.string();
                 return ops::rebuild_catalog(o, s.observer(), s.cancel());
               });
  auto& pol = tool.group(app, "policy", "work with the retention policy");
  tool.command(pol, "check", "parse and check a policy file",
               [&](Session& s) -> Result<ops::Outcome> {
                 ops::PolicyCheckOptions o;
                 if (!policy.empty()) o.file = policy;
                 o.json = s.json();
                 return ops::policy_check(o, s.stdout_writer());
               })
      .add_option("FILE", policy, "the policy (default: CAIRN_POLICY, /etc/cairn/policy.toml)")
      ->envname("CAIRN_POLICY");
  const auto hold_body = [&](bool on) -> Body {
    return [&, on](Session& s) -> Result<ops::Outcome> {
      ops::HoldOptions o;
      CAIRN_TRY_ASSIGN(o.repo, repo_options(s));
      o.set = set;
      o.hold = on;
      o.reason = reason;
      return ops::hold(o, s.stdout_writer(), s.observer());
    };
  };
  auto& hold =
      tool.command(app, "hold", "put a set under legal hold (prune keeps it)", hold_body(true));
  hold.add_option("SET", set, "the set")->required();
  hold.add_option("--reason", reason, "why, for the audit log")->required()->type_name("TEXT");
  tool.command(app, "release", "release a set's legal hold", hold_body(false))
      .add_option("SET", set, "the set")
      ->required();
  tool.command(app, "help", "show a tool's manual page or a command's help",
               [&](Session& s) { return help(tool, s, verb); })
      .add_option("VERB", verb, "a tool (snap, pack, ...) or a command (init, key, ...)");
  return tool.run(argc, argv);
}

}  // namespace cairn::cli
