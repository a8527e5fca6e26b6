// tools/push/main.cpp: cairn-push replicates repository objects to destinations and records
// where each set lives. See cairn-push(1).
#include <unistd.h>

#include <fmt/format.h>

#include "base/time.hpp"
#include "cli/repo_options.hpp"
#include "cli/tool.hpp"
#include "ops/push.hpp"

int main(int argc, char** argv) {
  using namespace cairn;
  cli::Tool tool{"cairn-push",
                 "Copy the repository objects named on standard input (+path upload, -path "
                 "delete), or all of them, to one or more destinations."};
  tool.record_runs();  // in the catalog, for `cairn status`
  struct {
    std::vector<std::string> dests;
    bool all = false;
    unsigned jobs = 0;
    std::uint64_t limit_rate = 0;
    std::string endpoint, ssh_key, known_hosts, storage_class, lock_mode = "compliance";
    std::optional<std::filesystem::path> policy;
    std::string stall_timeout = "120";  // a bare number is seconds, as before
  } opt;
  auto& app = tool.app();
  tool.summarise({"objects", "sent"});  // the closing summary (cairn(7) SUMMARY)
  app.add_option("DEST", opt.dests,
                 "destination: a path, file://, s3://bucket/prefix, "
                 "azure://account/container/prefix or sftp://user@host/path")
      ->required();
  app.add_flag("--all", opt.all, "push every object the destination lacks (ignores stdin)");
  app.add_option("--jobs", opt.jobs, "parallel transfers (default: per destination)")
      ->type_name("N")
      ->check(CLI::Range(1u, 256u));
  cli::add_size_option(app, "--limit-rate", opt.limit_rate,
                       "at most RATE bytes a second per destination (K, M, G suffixes)")
      ->type_name("RATE");
  app.add_option("--endpoint", opt.endpoint,
                 "S3 or Azure endpoint URL (default: CAIRN_S3_ENDPOINT, CAIRN_AZURE_ENDPOINT, "
                 "else the provider's)")
      ->type_name("URL");
  app.add_option("--ssh-key", opt.ssh_key, "private key for sftp://")
      ->envname("CAIRN_SSH_KEY")
      ->type_name("FILE");
  app.add_option("--known-hosts", opt.known_hosts, "pinned host keys for sftp://")
      ->envname("CAIRN_SSH_KNOWN_HOSTS")
      ->type_name("FILE");
  app.add_option("--storage-class", opt.storage_class,
                 "S3 storage class of packs, index files and sets")
      ->type_name("CLASS");
  app.add_option("--policy", opt.policy,
                 "retention policy: S3 Object Lock retain-until from the classes' immutable_days")
      ->envname("CAIRN_POLICY")
      ->type_name("FILE");
  app.add_option("--object-lock-mode", opt.lock_mode,
                 "S3 Object Lock mode: compliance or governance")
      ->check(CLI::IsMember({"compliance", "governance"}, CLI::ignore_case))
      ->type_name("MODE");
  app.add_option("--stall-timeout", opt.stall_timeout,
                 "fail a transfer that moves nothing this long: 30s, 2m, 1h or SECONDS (default "
                 "120, at most 1d)")
      ->type_name("DURATION");
  return tool.run(argc, argv, [&](cli::Session& s) -> Result<ops::Outcome> {
    ops::PushOptions po;
    CAIRN_TRY_ASSIGN(po.repo, cli::repo_options(s));
    po.dests = opt.dests;
    po.all = opt.all;
    po.jobs = opt.jobs;
    po.limit_rate = opt.limit_rate;
    po.remote = backend::RemoteOptions::from_env();
    if (!opt.endpoint.empty()) po.remote.s3_endpoint = po.remote.azure_endpoint = opt.endpoint;
    if (!opt.ssh_key.empty()) po.remote.ssh_key = opt.ssh_key;
    if (!opt.known_hosts.empty()) po.remote.ssh_known_hosts = opt.known_hosts;
    po.remote.s3_storage_class = opt.storage_class;
    po.remote.s3_object_lock_mode = opt.lock_mode;
    // The one duration grammar (cairn(7)); a bare number stays seconds, as it always was.
    const bool bare = opt.stall_timeout.find_first_not_of("0123456789") == std::string::npos;
    CAIRN_TRY_ASSIGN(const std::int64_t stall_ns,
                     parse_duration(bare ? opt.stall_timeout + "s" : opt.stall_timeout));
    if (stall_ns < kNsPerSecond || stall_ns > kNsPerDay)
      return Error{Errc::usage,
                   fmt::format("--stall-timeout {}: give 1s to 1d", opt.stall_timeout)};
    po.remote.stall_timeout = std::chrono::seconds(stall_ns / kNsPerSecond);
    po.policy = opt.policy;
    // -q: not even the "+PATH DEST" lines (a cron job mails what it prints); -v or no -q
    // prints them.
    io::StringWriter dropped;
    io::Writer& out = s.quiet() ? static_cast<io::Writer&>(dropped) : s.stdout_writer();
    if (opt.all) {
      io::FdReader none(-1, "(none)");
      return ops::push(po, none, out, s.observer(), s.cancel());
    }
    if (::isatty(STDIN_FILENO) == 1)
      return Error{Errc::usage,
                   "standard input is a terminal: pipe in what cairn-pack or cairn-prune prints, "
                   "or use --all to push every object"};
    CAIRN_TRY_ASSIGN(io::Reader & in, s.stdin_stream(false));
    struct Counting final : io::Reader {
      explicit Counting(io::Reader& r) : in(r) {}
      Result<std::size_t> read(MutByteView buf) override {
        auto r = in.read(buf);
        if (r) bytes += *r;
        return r;
      }
      io::Reader& in;
      std::uint64_t bytes = 0;
    } counted(in);
    auto r = ops::push(po, counted, out, s.observer(), s.cancel());
    if (r && counted.bytes == 0 && !s.quiet())
      s.reporter().log({cli::LogLevel::info,
                        "empty_input",
                        "cairn-push: nothing to push: standard input was empty",
                        "nothing to push: standard input was empty",
                        {}});
    return r;
  });
}
