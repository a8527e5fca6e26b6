// lib/cli/front.cpp: the `cairn` front command's command table (init, key, ls, find, status,
// catalog, policy, hold, release, help) and its verb dispatch. It lives here rather than in
// tools/cairn/main.cpp so that main stays a one-line call (STYLE.md C7).
#include "cli/front.hpp"

#include <chrono>

#include "base/text.hpp"
#include "base/time.hpp"
#include "cli/dispatch.hpp"
#include "cli/front_copy.hpp"
#include "cli/front_tags.hpp"
#include "cli/passphrase.hpp"
#include "cli/repo_options.hpp"
#include "cli/tool.hpp"
#include "cli/units.hpp"
#include "compress/zstd.hpp"
#include "ops/admin.hpp"
#include "ops/backup.hpp"
#include "ops/browse.hpp"
#include "ops/erase.hpp"
#include "ops/hold.hpp"
#include "ops/mount.hpp"
#include "ops/parity.hpp"
#include "ops/policy_check.hpp"
#include "ops/rebuild.hpp"
#include "ops/repair.hpp"
#include "ops/salvage.hpp"
#include "ops/status.hpp"

namespace cairn::cli {

namespace {

// `cairn backup --json`: the summary (cli/summary.hpp) as one cairn.backup/1 object on stdout
// in place of the set id.
std::string backup_json(ops::Outcome& r, std::chrono::steady_clock::time_point t0,
                        bool on_stderr_too) {
  const auto took =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::string j = summary_json("cairn.backup/1", "cairn backup", *r.tally, {"files", "read"}, took,
                               std::nullopt);
  // Said on stdout: not again on stderr. The tally also goes to the catalog (the run's
  // metrics), so it is dropped only when the summary line would be printed.
  if (on_stderr_too) r.tally.reset();
  return j;
}

// --source and --since of find and erase: which sets they read (ops::sets_to_search).
void add_set_filter(CLI::App& app, std::optional<std::string>& source,
                    std::optional<std::string>& since) {
  app.add_option("--source", source, "only the sets of this source")->type_name("SOURCE");
  app.add_option("--since", since,
                 "only sets started at or after TIME (2026-11-26T05:00) or within a duration (7d)")
      ->type_name("TIME");
}

}  // namespace

// What `cairn init` says on stderr once the repository exists (to a person: when stderr is a
// terminal or -v is given, as the summaries).
constexpr std::string_view kLostPassphrase =
    "cairn: note: keep the passphrase safe: without it (or a key file and its passphrase) the "
    "data in this repository cannot be read, and nobody can recover it";

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
  std::string init_compression = "3";
  auto& in = tool.command(app, "init",
                          "create a repository in --repo (new passphrase: "
                          "--passphrase-file, CAIRN_PASSPHRASE_FD or _COMMAND, or asked twice)",
                          [&](Session& s) -> Result<ops::Outcome> {
                            s.expect_new_passphrase();  // a prompt asks twice
                            CAIRN_TRY_ASSIGN(auto ro, repo_options(s));
                            CAIRN_TRY_ASSIGN(auto c, compress::parse_setting(init_compression));
                            init.zstd_level = c.level;
                            init.compression_mode = c.mode;
                            CAIRN_TRY_ASSIGN(auto out, ops::init(ro, init, s.stdout_writer()));
                            if (s.wants_summary())
                              s.reporter().log({LogLevel::info,
                                                "passphrase_note",
                                                std::string(kLostPassphrase),
                                                std::string(kLostPassphrase.substr(13)),
                                                {}});
                            return out;
                          });
  add_size_option(in, "--chunk-min", init.chunking.min_size, "smallest chunk")->default_str("512K");
  add_size_option(in, "--chunk-avg", init.chunking.avg_size, "average chunk, a power of 2")
      ->default_str("1M");
  add_size_option(in, "--chunk-max", init.chunking.max_size, "largest chunk")->default_str("8M");
  in.add_option("--compression", init_compression,
                "how chunks are compressed by default: zstd LEVEL (1 to 19), auto (only chunks "
                "that shrink by 1/8) or off")
      ->type_name("LEVEL|auto|off")
      ->default_str("3");
  add_choice_option(
      in, "--hash", init.chunk_hash,
      {{"hmac-sha256", hash::Algo::hmac_sha256}, {"blake2b-keyed", hash::Algo::blake2b_keyed}},
      "keyed chunk-id hash: hmac-sha256 or blake2b-keyed")
      ->default_str("hmac-sha256");
  add_size_option(in, "--pack-size", init.pack_size, "target pack size")->default_str("32M");
  in.add_option("--parity", init.parity,
                "erasure-coded parity cairn-pack writes for its packs: M parity shards per group "
                "of K packs (e.g. 8+2; default: none)")
      ->type_name("K+M");

  ops::KeyOptions key;
  std::string new_passphrase_file;  // read with read_passphrase_file into key.new_passphrase
  const auto key_body = [&](ops::KeyVerb verb) -> Body {
    return [&, verb](Session& s) -> Result<ops::Outcome> {
      key.verb = verb;
      CAIRN_TRY_ASSIGN(key.repo, repo_options(s));
      if (!new_passphrase_file.empty()) {
        CAIRN_TRY_ASSIGN(key.new_passphrase, read_passphrase_file(new_passphrase_file));
      } else if (verb == ops::KeyVerb::add || verb == ops::KeyVerb::passwd) {
        PassphraseSources src;  // a prompt only, twice; no terminal: the usage error
        src.what = "new passphrase";
        src.confirm = true;
        auto pw = find_passphrase(src);
        if (!pw && pw.error().code == Errc::usage && pw.error().message.starts_with("no new"))
          return Error{Errc::usage,
                       "no new passphrase given: use --new-passphrase-file FILE, "
                       "or run on a terminal to be asked"};
        CAIRN_TRY_ASSIGN(key.new_passphrase, std::move(pw));
      }
      return ops::key(key, s.stdout_writer());
    };
  };
  const char* new_help = "read the new passphrase from FILE (else, on a terminal, ask twice)";
  auto& k = tool.group(app, "key", "manage the repository's key slots and key files");
  tool.command(k, "add", "add a key slot with a new passphrase", key_body(ops::KeyVerb::add))
      .add_option("--new-passphrase-file", new_passphrase_file, new_help)
      ->type_name("FILE");
  tool.command(k, "passwd", "change the passphrase of the slot that opens",
               key_body(ops::KeyVerb::passwd))
      .add_option("--new-passphrase-file", new_passphrase_file, new_help)
      ->type_name("FILE");
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

  ops::BackupOptions bk;
  std::string bk_endpoint;
  auto& b = tool.command(
      app, "backup",
      "back up PATH...: cairn-snap | cairn-diff | cairn-pack (| cairn-push) in one process",
      [&](Session& s) -> Result<ops::Outcome> {
        s.record_run(now_ns(), "cairn-pack");  // as the pipeline's cairn-pack, for `cairn status`
        CAIRN_TRY_ASSIGN(bk.repo, repo_options(s));
        bk.record_push_run = true;
        bk.remote = backend::RemoteOptions::from_env();
        if (!bk_endpoint.empty()) bk.remote.s3_endpoint = bk.remote.azure_endpoint = bk_endpoint;
        const auto t0 = std::chrono::steady_clock::now();
        io::StringWriter dropped;  // -q: not even the set id (`cairn ls` has it)
        io::Writer& out = s.quiet() ? static_cast<io::Writer&>(dropped) : s.stdout_writer();
        auto r = ops::backup(bk, out, s.observer(), s.cancel());
        if (r && r->tally && s.json()) r->result = backup_json(*r, t0, s.wants_summary());
        if (r && s.quiet() && !s.json()) r->result.clear();
        return r;
      });
  tool.add_json_flag(b, "print the summary as JSON (schema cairn.backup/1) instead of the set id");
  b.add_option("PATH", bk.snap.roots, "directories (or files) to back up")->required();
  b.add_option("--source", bk.snap.source,
               "source name of the set (default: the first PATH's basename)")
      ->type_name("NAME");
  b.add_option("--class", bk.snap.retention_class, "retention class of the set (default: daily)")
      ->type_name("CLASS");
  b.add_option("--host", bk.snap.host, "host name recorded in the set (default: this host's)")
      ->type_name("NAME");
  b.add_option("--tag", bk.snap.tags, "tag the set with TAG; repeatable")
      ->type_name("TAG")
      ->allow_extra_args(false);
  b.add_option("-x,--exclude", bk.snap.excludes, "skip paths matching GLOB; repeatable")
      ->type_name("GLOB")
      ->allow_extra_args(false);
  b.add_option("--exclude-file", bk.snap.exclude_file, "read exclude globs from FILE, one a line")
      ->type_name("FILE");
  b.add_flag("--exclude-caches", bk.snap.exclude_caches,
             "skip the content of directories holding a valid CACHEDIR.TAG (keep the tag)");
  b.add_option("--exclude-if-present", bk.snap.exclude_if_present,
               "skip the content of directories holding a file NAME (keep NAME); repeatable")
      ->type_name("NAME")
      ->allow_extra_args(false);
  b.add_flag("--one-file-system", bk.snap.one_file_system, "do not cross mount points");
  b.add_option("--pre", bk.snap.pre, "run CMD (/bin/sh -c) before reading; repeatable")
      ->type_name("CMD")
      ->allow_extra_args(false);
  b.add_option("--post", bk.snap.post, "run CMD after reading, even after a failure; repeatable")
      ->type_name("CMD")
      ->allow_extra_args(false);
  b.add_option("--against", bk.against,
               "base set, as cairn-diff --against (default: the latest set of the source)")
      ->type_name("SET");
  add_kind_flags(b, bk.kind);
  b.add_option("--jobs", bk.jobs, "worker threads of the pack stage (default: one per core)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u));
  b.add_option("--compression", bk.compression,
               "compress this run's new chunks with zstd LEVEL (1 to 19), auto or off, "
               "instead of the repository's default")
      ->type_name("LEVEL|auto|off");
  b.add_option("--push", bk.push, "then copy the set to DEST, as cairn-push DEST does; repeatable")
      ->type_name("DEST")
      ->allow_extra_args(false);
  b.add_flag("--push-policy", bk.push_policy,
             "then copy the set to the destinations the policy gives its class");
  b.add_option("--policy", bk.policy,
               "the policy, for --push-policy, S3 Object Lock and the class's compression "
               "(default: CAIRN_POLICY, /etc/cairn/policy.toml)")
      ->envname("CAIRN_POLICY")
      ->type_name("FILE");
  b.add_option("--endpoint", bk_endpoint,
               "S3 or Azure endpoint URL for --push (default: CAIRN_S3_ENDPOINT, "
               "CAIRN_AZURE_ENDPOINT, else the provider's)")
      ->type_name("URL");

  ops::LsOptions ls;
  std::string prometheus, policy, set, reason, verb;
  auto& lsc = tool.command(app, "ls", "list backup sets from the catalog, or the files of a set",
                           [&](Session& s) -> Result<ops::Outcome> {
                             CAIRN_TRY_ASSIGN(ls.repo, repo_options(s));
                             ls.json = s.json();
                             return ops::ls(ls, s.stdout_writer());
                           });
  lsc.add_option("SOURCE|SET", ls.source,
                 "only this source's sets; or a set (ID, SOURCE@latest, SOURCE@TIME, latest): "
                 "its files");
  lsc.add_option("PATH", ls.path, "with a set: only this file or directory");
  lsc.add_flag("--bytes", ls.bytes, "exact byte counts instead of human sizes (1.5MiB)");
  tool.add_json_flag(lsc,
                     "one JSON object a line (schema cairn.ls/1; for a set's files "
                     "cairn.ls-files/1)");
  std::string status_policy;
  bool status_bytes = false;
  bool status_alert = false;
  auto& st = tool.command(app, "status",
                          "objectives per source and class (exit 5 when one "
                          "is violated)",
                          [&](Session& s) -> Result<ops::Outcome> {
                            ops::StatusOptions o;
                            CAIRN_TRY_ASSIGN(o.repo, repo_options(s));
                            if (!status_policy.empty()) o.policy = status_policy;
                            if (!prometheus.empty()) o.prometheus = prometheus;
                            o.json = s.json();
                            o.bytes = status_bytes;
                            std::vector<std::string> problems;
                            o.alert = status_alert;
                            o.notify = s.options().notify;
                            o.alert_problems = &problems;
                            auto r = ops::status(o, s.stdout_writer(), &s.observer());
                            // --alert: the objectives' alerts replace the run's (exit 5);
                            // a status that could not report is alerted as usual.
                            s.alerts_sent(status_alert && (r || r.error().code == Errc::objective));
                            for (const auto& p : problems)
                              s.reporter().print_line(fmt::format("cairn: {}", printable(p)));
                            return r;
                          });
  tool.add_json_flag(st, "one JSON object a line (schema cairn.status/1)");
  st.add_flag("--bytes", status_bytes, "exact byte counts instead of human sizes (1.5GiB)");
  st.add_option("--prometheus", prometheus, "also write a node_exporter textfile (atomically)")
      ->type_name("FILE");
  st.add_flag("--alert", status_alert,
              "alert once per violated objective, and once when it is met again (cron)");
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
  // --- T2: cairn mount ---
  ops::MountOptions mnt;
  std::string mnt_from;
  auto& mn = tool.command(
      app, "mount", "show every set as a read-only directory tree at DIR (FUSE) until unmounted",
      [&](Session& s) -> Result<ops::Outcome> {
        if (!mnt_from.empty()) {  // the destination alone, as cairn-restore --from
          CAIRN_TRY_ASSIGN(mnt.repo.unlock, s.unlock());
          mnt.repo.from = mnt_from;
        } else {
          CAIRN_TRY_ASSIGN(mnt.repo, repo_options(s));
        }
        mnt.ready = [&](std::size_t sets) {
          if (s.quiet()) return;
          const std::string msg =
              fmt::format("{} sets at {}; unmount with 'fusermount3 -u {}' or Ctrl-C", sets,
                          mnt.dir.string(), mnt.dir.string());
          s.reporter().log({LogLevel::info,
                            "mounted",
                            "cairn: mount: " + msg,
                            msg,
                            {{"sets", std::uint64_t{sets}}, {"dir", mnt.dir.string()}}});
        };
        return ops::mount(mnt, s.observer());
      });
  mn.add_option("DIR", mnt.dir, "the mount point, an existing directory")->required();
  mn.add_option("--from", mnt_from, "mount a destination's sets instead of the local repository")
      ->type_name("DEST");
  // --- T1 find ---
  ops::FindOptions find;
  auto& fd = tool.command(app, "find", "which sets hold a path matching PATTERN",
                          [&](Session& s) -> Result<ops::Outcome> {
                            CAIRN_TRY_ASSIGN(find.repo, repo_options(s));
                            find.json = s.json();
                            return ops::find(find, s.stdout_writer(), s.observer(), s.cancel());
                          });
  fd.add_option("PATTERN", find.pattern,
                "a glob (fnmatch); without '/' it matches the file name, with '/' the whole path")
      ->required();
  add_set_filter(fd, find.source, find.since);
  fd.add_flag("--bytes", find.bytes, "exact byte counts instead of human sizes (1.5MiB)");
  tool.add_json_flag(fd, "one JSON object a line (schema cairn.find/1)");
  // --- T3 tags and audit ---
  const auto tag_commands = add_tag_commands(tool, app, ls);
  // --- U4 salvage ---
  ops::SalvageOptions salvage;
  tool.command(app, "salvage",
               "write a damaged set's intact files as a new set (tagged salvaged), naming the "
               "dropped ones",
               [&](Session& s) -> Result<ops::Outcome> {
                 CAIRN_TRY_ASSIGN(salvage.repo, repo_options(s));
                 return ops::salvage(salvage, s.stdout_writer(), s.observer(), s.cancel());
               })
      .add_option("SET", salvage.set, "the damaged set: id or prefix, SOURCE@TIME, ...")
      ->required();
  // --- issue 19: erase ---
  ops::EraseOptions er;
  auto& ec = tool.command(app, "erase",
                          "remove matching files from every set that holds them (GDPR erasure; "
                          "a full key; compaction then frees the bytes)",
                          [&](Session& s) -> Result<ops::Outcome> {
                            CAIRN_TRY_ASSIGN(er.repo, repo_options(s));
                            return ops::erase(er, s.stdout_writer(), s.observer(), s.cancel());
                          });
  ec.add_option("PATTERN", er.patterns,
                "a path or glob (fnmatch), as cairn find reads one; a directory's files go too")
      ->required();
  add_set_filter(ec, er.source, er.since);
  ec.add_flag("--dry-run", er.dry_run, "list the entries that would be erased, change nothing");
  ec.add_flag("--force-hold", er.force_hold,
              "rewrite sets under legal hold too (they keep the hold); without it a held set "
              "stops the erasure");
  // --- U5 copy between repositories ---
  const auto copy_command = add_copy_command(tool, app);
  // --- U3 repair ---
  ops::RepairOptions rep;
  auto& rp = tool.command(app, "repair",
                          "mend damaged or lost packs and index files (exit 4: damage left)",
                          [&](Session& s) -> Result<ops::Outcome> {
                            CAIRN_TRY_ASSIGN(rep.repo, repo_options(s));
                            rep.remote = backend::RemoteOptions::from_env();
                            return ops::repair(rep, s.stdout_writer(), s.observer(), s.cancel());
                          });
  rp.add_option("--from", rep.from,
                "fetch intact copies of damaged or missing packs from DEST; repeatable, tried "
                "in order")
      ->type_name("DEST")
      ->allow_extra_args(false);
  rp.add_flag("--mark-lost", rep.mark_lost,
              "record a needed pack no destination holds intact as lost: out of the index, "
              "moved aside to damaged/");
  rp.add_flag("--dry-run", rep.dry_run, "say what would be done, change nothing");
  // --- U6 parity ---
  ops::ParityOptions par;
  auto& pg = tool.group(app, "parity", "erasure-coded parity against bit rot");
  tool.command(pg, "build", "write parity for every pack no parity object covers yet",
               [&](Session& s) -> Result<ops::Outcome> {
                 CAIRN_TRY_ASSIGN(par.repo, repo_options(s));
                 return ops::parity_build(par, s.stdout_writer(), s.observer());
               })
      .add_option("--code", par.code,
                  "M parity shards per group of K packs (default: the "
                  "repository's, from cairn init --parity)")
      ->type_name("K+M");
  // --- U2 key rotation ---
  tool.command(k, "rotate",
               "seal everything written from now on to a new key generation (old ones still read)",
               key_body(ops::KeyVerb::rotate));
  tool.command(k, "generations", "list the key generations and how many packs and sets each seals",
               key_body(ops::KeyVerb::generations));
  tool.command(app, "help", "show a tool's manual page or a command's help",
               [&](Session& s) { return help(tool, s, verb); })
      .add_option("VERB", verb, "a tool (snap, pack, ...) or a command (init, key, ...)");
  return tool.run(argc, argv);
}

}  // namespace cairn::cli
