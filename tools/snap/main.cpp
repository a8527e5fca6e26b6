// tools/snap/main.cpp: cairn-snap describes directories, a tar stream or a raw stream as a
// manifest stream (cairn-manifest(5)) on stdout. See cairn-snap(1).
#include "cli/tool.hpp"
#include "ops/snap.hpp"

int main(int argc, char** argv) {
  using namespace cairn;
  cli::Tool tool{"cairn-snap",
                 "Describe directories, a tar stream or a raw stream as a manifest stream on "
                 "standard output."};
  ops::SnapOptions opt;
  auto& app = tool.app();
  tool.summarise({"entries", "read"});  // the closing summary (cairn(7) SUMMARY)
  auto* paths = app.add_option("PATH", opt.roots, "directories (or files) to describe");
  app.add_option("--source", opt.source,
                 "source name of the set (default: the first PATH's basename, the --stdin NAME "
                 "or the tar file's name)")
      ->type_name("NAME");
  app.add_option("--class", opt.retention_class, "retention class of the set (default: daily)")
      ->type_name("CLASS");
  app.add_option("--host", opt.host, "host name recorded in the set (default: this host's)")
      ->type_name("NAME");
  app.add_option("--tag", opt.tags, "tag the set with TAG; repeatable")
      ->type_name("TAG")
      ->allow_extra_args(false);
  app.add_option("-x,--exclude", opt.excludes, "skip paths matching GLOB; repeatable")
      ->type_name("GLOB")
      ->allow_extra_args(false);
  app.add_option("--exclude-file", opt.exclude_file, "read exclude globs from FILE, one a line")
      ->type_name("FILE");
  app.add_flag("--exclude-caches", opt.exclude_caches,
               "skip the content of directories holding a valid CACHEDIR.TAG (keep the tag)");
  app.add_option("--exclude-if-present", opt.exclude_if_present,
                 "skip the content of directories holding a file NAME (keep NAME); repeatable")
      ->type_name("NAME")
      ->allow_extra_args(false);
  app.add_flag("--one-file-system", opt.one_file_system, "do not cross mount points");
  app.add_option("--pre", opt.pre, "run CMD (/bin/sh -c) before reading; repeatable")
      ->type_name("CMD")
      ->allow_extra_args(false);
  app.add_option("--post", opt.post, "run CMD after reading, even after a failure; repeatable")
      ->type_name("CMD")
      ->allow_extra_args(false);
  auto* inl = app.add_flag("--inline", opt.inline_content,
                           "carry file content inside the stream (to pack on another host)");
  auto* in = app.add_option("--stdin", opt.stdin_name, "describe standard input as one file NAME")
                 ->type_name("NAME");
  app.add_flag("--rdb", opt.stdin_rdb,
               "with --stdin: the input is a Redis RDB (redis-cli --rdb -); check its CRC64 "
               "and drop the bytes after its end")
      ->needs(in);
  app.add_option("--from-command", opt.from_command,
                 "with --stdin NAME or --tar -: read the input from CMD's output (/bin/sh -c); "
                 "if CMD fails, so does the snapshot and nothing is committed")
      ->type_name("CMD");
  auto* tar = app.add_option("--tar", opt.tar_input,
                             "describe the entries of a tar stream "
                             "(FILE, or - for standard input)")
                  ->type_name("FILE|-");
  paths->excludes(in)->excludes(tar);
  in->excludes(tar)->excludes(inl);
  tar->excludes(inl);
  return tool.run(argc, argv, [&](cli::Session& s) -> Result<ops::Outcome> {
    CAIRN_TRY_ASSIGN(io::FdWriter & out, s.stdout_stream(true));
    // The walk goes on while cairn-diff derives the key (cairn(7), MEMORY BUDGETS).
    out.write_ahead(ops::kSnapWriteAhead);
    CAIRN_TRY_ASSIGN(io::Reader & in,
                     s.stdin_stream(!opt.from_command && (opt.stdin_name || opt.tar_input == "-")));
    return ops::snap(opt, in, out, s.observer(), s.cancel());
  });
}
