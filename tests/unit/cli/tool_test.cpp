#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/tool.hpp"
#include "scratch.hpp"

using namespace cairn;
using cairn::cli::Session;
using cairn::cli::Tool;

namespace {

struct Run {
  int code = -1;
  std::string out, err;
};

// Runs a fresh Tool "cairn-test" with `args`, stdout and stderr captured.
Run run(std::vector<std::string> args, cli::Body body,
        const std::function<void(Tool&)>& declare = {}) {
  test::ScratchDir dir;
  Tool tool{"cairn-test", "a tool for tests"};
  if (declare) declare(tool);
  args.insert(args.begin(), "cairn-test");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Run r;
  test::Capture out(STDOUT_FILENO, dir.path() / "out"), err(STDERR_FILENO, dir.path() / "err");
  r.code = tool.run(static_cast<int>(args.size()), argv.data(), std::move(body));
  r.out = out.text();
  r.err = err.text();
  return r;
}

cli::Body returning(Error e) {
  return [e](Session&) -> Result<ops::Outcome> { return e; };
}

const cli::Body kOk = [](Session&) -> Result<ops::Outcome> { return ops::Outcome{}; };

}  // namespace

TEST_CASE("cli::Tool: --version prints the name and version on stdout", "[cli]") {
  const Run r = run({"--version"}, kOk);
  CHECK(r.code == 0);
  // "cairn-test X.Y.Z\n" (std::regex trips -Wmaybe-uninitialized under the sanitizers)
  REQUIRE(r.out.rfind("cairn-test ", 0) == 0);
  const std::string version = r.out.substr(11);
  int dots = 0;
  for (char c : version.substr(0, version.size() - 1)) {
    if (c == '.')
      ++dots;
    else
      CHECK((c >= '0' && c <= '9'));
  }
  CHECK(dots == 2);
  CHECK(version.back() == '\n');
  CHECK(r.err.empty());
}

TEST_CASE("cli::Tool: --help prints usage and the common options on stdout", "[cli]") {
  const Run r = run({"--help"}, kOk);
  CHECK(r.code == 0);
  CHECK(r.out.find("Usage: cairn-test") != std::string::npos);
  for (const char* opt : {"--quiet", "--verbose", "--progress-fd", "--repo", "--catalog",
                          "--passphrase-file", "--key-file", "CAIRN_REPO"}) {
    INFO(opt);
    CHECK(r.out.find(opt) != std::string::npos);
  }
  CHECK(r.err.empty());
}

TEST_CASE("cli::Tool: a usage error exits 2 with one error line and a hint", "[cli]") {
  bool ran = false;
  const Run r = run({"--frob"}, [&](Session&) -> Result<ops::Outcome> {
    ran = true;
    return ops::Outcome{};
  });
  CHECK(r.code == 2);
  CHECK_FALSE(ran);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "cairn-test: error: the following argument was not expected: --frob\n"
        "Try 'cairn-test --help'.\n");
}

TEST_CASE("cli::Tool: an error prints one line and maps to the exit-code table", "[cli]") {
  const std::vector<std::pair<Errc, int>> table{
      {Errc::usage, 2},       {Errc::bad_input, 1},    {Errc::corrupt, 4}, {Errc::objective, 5},
      {Errc::no_repo, 10},    {Errc::locked, 11},      {Errc::auth, 12},   {Errc::network, 13},
      {Errc::cancelled, 130}, {Errc::unimplemented, 1}};
  for (const auto& [errc, code] : table) {
    const Run r = run({}, returning(Error{errc, "it went wrong"}));
    INFO(static_cast<int>(errc));
    CHECK(r.code == code);
    CHECK(r.err == "cairn-test: error: it went wrong\n");
  }
}

TEST_CASE("cli::Tool: an exception becomes an internal error, exit 1", "[cli]") {
  const Run r = run({}, [](Session&) -> Result<ops::Outcome> { throw std::runtime_error("boom"); });
  CHECK(r.code == 1);
  CHECK(r.err == "cairn-test: error: internal error: boom\n");
}

TEST_CASE("cli::Tool: warnings make exit 3 with a summary line", "[cli]") {
  const Run counted = run({}, [](Session&) -> Result<ops::Outcome> { return ops::Outcome{2, ""}; });
  CHECK(counted.code == 3);
  CHECK(counted.err == "cairn-test: warning: 2 items had problems (named above)\n");

  const Run observed = run({"-q"}, [](Session& s) -> Result<ops::Outcome> {
    s.observer().warning("etc/shadow", Error{Errc::io, "cannot open: Permission denied"});
    return ops::Outcome{};
  });
  CHECK(observed.code == 3);
  CHECK(observed.err ==
        "cairn-test: warning: etc/shadow: cannot open: Permission denied\n"
        "cairn-test: warning: 1 item had problems (named above)\n");
}

namespace {

// Each stderr line of `r` as JSON (parse throws on anything else).
std::vector<nlohmann::json> json_lines(const Run& r) {
  std::vector<nlohmann::json> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < r.err.size(); ++i)
    if (r.err[i] == '\n') {
      out.push_back(nlohmann::json::parse(r.err.substr(start, i - start)));
      start = i + 1;
    }
  CHECK(start == r.err.size());  // no partial last line
  return out;
}

}  // namespace

TEST_CASE("cli::Tool: --log-format json makes every stderr line a JSON record", "[cli]") {
  ::unsetenv("CAIRN_LOG_FORMAT");
  const Run failed = run({"--log-format", "json"}, returning(Error{Errc::locked, "busy \xff"}));
  CHECK(failed.code == 11);
  auto l = json_lines(failed);
  REQUIRE(l.size() == 1);
  CHECK(l[0]["tool"] == "cairn-test");
  CHECK(l[0]["level"] == "error");
  CHECK(l[0]["event"] == "error");
  CHECK(l[0]["msg"] == "busy \xEF\xBF\xBD");
  CHECK(l[0]["exit_code"] == 11);

  const Run warned = run({"--log-format=json", "-v"}, [](Session& s) -> Result<ops::Outcome> {
    s.observer().info("looked around");
    s.observer().warning("etc/shadow", Error{Errc::io, "cannot open: Permission denied"});
    return ops::Outcome{};
  });
  CHECK(warned.code == 3);
  l = json_lines(warned);
  REQUIRE(l.size() == 3);
  CHECK(l[0]["level"] == "info");
  CHECK(l[0]["event"] == "verbose");
  CHECK(l[1]["event"] == "warning");
  CHECK(l[1]["path"] == "etc/shadow");
  CHECK(l[2]["level"] == "warning");
  CHECK(l[2]["event"] == "problems");
  CHECK(l[2]["items"] == 1);
  CHECK(l[2]["exit_code"] == 3);
  CHECK(l[2]["msg"] == "1 item had problems (named above)");
}

TEST_CASE("cli::Tool: CAIRN_LOG_FORMAT, and the flag over it", "[cli]") {
  ::setenv("CAIRN_LOG_FORMAT", "json", 1);
  const Run env = run({}, returning(Error{Errc::io, "disk"}));
  REQUIRE(json_lines(env).size() == 1);
  // a usage error is one record, the hint a field
  const Run usage = run({"--frob"}, kOk);
  CHECK(usage.code == 2);
  const auto l = json_lines(usage);
  REQUIRE(l.size() == 1);
  CHECK(l[0]["msg"] == "the following argument was not expected: --frob");
  CHECK(l[0]["hint"] == "Try 'cairn-test --help'.");
  CHECK(l[0]["exit_code"] == 2);
  const Run text = run({"--log-format", "text"}, returning(Error{Errc::io, "disk"}));
  CHECK(text.err == "cairn-test: error: disk\n");
  ::setenv("CAIRN_LOG_FORMAT", "yaml", 1);
  const Run bad_env = run({}, kOk);
  CHECK(bad_env.code == 2);
  CHECK(bad_env.err ==
        "cairn-test: error: CAIRN_LOG_FORMAT must be 'text' or 'json', not 'yaml'\n");
  ::unsetenv("CAIRN_LOG_FORMAT");
}

TEST_CASE("cli::Tool: a bad --log-format is a usage error, one line, nothing run", "[cli]") {
  ::unsetenv("CAIRN_LOG_FORMAT");
  bool ran = false;
  const Run r = run({"--log-format", "xml"}, [&](Session&) -> Result<ops::Outcome> {
    ran = true;
    return ops::Outcome{};
  });
  CHECK(r.code == 2);
  CHECK_FALSE(ran);
  CHECK(r.err == "cairn-test: error: --log-format must be 'text' or 'json', not 'xml'\n");
}

TEST_CASE("cli::Tool: the json summary is a record with its counts as numbers", "[cli]") {
  ::unsetenv("CAIRN_LOG_FORMAT");
  const Run r = run(
      {"--log-format", "json"},
      [](Session& s) -> Result<ops::Outcome> {
        s.observer().advanced(2048, 3);
        return ops::Outcome{};
      },
      [](Tool& t) {
        t.summarise({"files", "read"});
      });
  CHECK(r.code == 0);
  const auto l = json_lines(r);
  REQUIRE(l.size() == 1);  // json logs the summary without -v
  CHECK(l[0]["event"] == "summary");
  CHECK(l[0]["level"] == "info");
  CHECK(l[0]["files"] == 3);
  CHECK(l[0]["bytes_read"] == 2048);
  CHECK(l[0]["duration_ms"].is_number_integer());
  CHECK(l[0]["msg"].get<std::string>().starts_with("3 files, 2.0 KiB read, in "));
}

TEST_CASE("cli::Tool: the result is printed on stdout, nothing else", "[cli]") {
  const Run r = run({}, [](Session&) -> Result<ops::Outcome> { return ops::Outcome{0, "ab12cd"}; });
  CHECK(r.code == 0);
  CHECK(r.out == "ab12cd\n");
  CHECK(r.err.empty());
}

TEST_CASE("cli::Tool: Outcome::exit_code is the exit status, with no error line", "[cli]") {
  const Run r = run({}, [](Session& s) -> Result<ops::Outcome> {
    CAIRN_TRY(s.stdout_writer().write(as_bytes("M changed/file\n")));
    ops::Outcome o;
    o.exit_code = 1;
    return o;
  });
  CHECK(r.code == 1);
  CHECK(r.out == "M changed/file\n");
  CHECK(r.err.empty());
}

TEST_CASE("cli::Tool: a failed stdout flush is exit 1", "[cli]") {
  test::ScratchDir dir;
  Tool tool{"cairn-test", "a tool for tests"};
  char name[] = "cairn-test";
  char* argv[] = {name, nullptr};
  test::Capture err(STDERR_FILENO, dir.path() / "err");
  const int saved = ::dup(STDOUT_FILENO);
  const int full = ::open("/dev/full", O_WRONLY);
  ::dup2(full, STDOUT_FILENO);
  ::close(full);
  const int code = tool.run(1, argv, [](Session& s) -> Result<ops::Outcome> {
    CAIRN_TRY(s.stdout_writer().write(as_bytes("product\n")));
    return ops::Outcome{};
  });
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  const std::string e = err.text();
  CHECK(code == 1);
  CHECK(e.rfind("cairn-test: error: cannot write", 0) == 0);
  CHECK(e.find("No space left on device") != std::string::npos);
}

TEST_CASE("cli::Tool: --repo, CAIRN_REPO and the missing-repository error", "[cli]") {
  auto repo_of = [](Session& s) -> Result<ops::Outcome> {
    CAIRN_TRY_ASSIGN(auto repo, s.repo());
    return ops::Outcome{0, repo.string()};
  };
  ::unsetenv("CAIRN_REPO");
  const Run none = run({}, repo_of);
  CHECK(none.code == 2);
  CHECK(none.err == "cairn-test: error: no repository given: use --repo or CAIRN_REPO\n");

  CHECK(run({"--repo", "/flag"}, repo_of).out == "/flag\n");
  ::setenv("CAIRN_REPO", "/env", 1);
  CHECK(run({}, repo_of).out == "/env\n");
  CHECK(run({"--repo=/flag"}, repo_of).out == "/flag\n");  // the flag wins
  ::unsetenv("CAIRN_REPO");
}

TEST_CASE("cli::Tool: the passphrase comes from --passphrase-file, read once", "[cli]") {
  test::ScratchDir dir;
  const auto file = dir.write("pw", "correct horse\n");
  ::unsetenv("CAIRN_PASSPHRASE_FILE");
  ::unsetenv("CAIRN_PASSPHRASE_FD");
  const Run r = run({"--passphrase-file", file.string()}, [](Session& s) -> Result<ops::Outcome> {
    CAIRN_TRY_ASSIGN(auto a, s.passphrase());
    CAIRN_TRY_ASSIGN(auto b, s.passphrase());
    return ops::Outcome{0, a == b.view() ? std::string(a.view()) : "differs"};
  });
  CHECK(r.out == "correct horse\n");
  const Run none = run({}, [](Session& s) -> Result<ops::Outcome> {
    CAIRN_TRY(s.passphrase());
    return ops::Outcome{};
  });
  CHECK(none.code == 2);
}

TEST_CASE("cli::Tool: --progress-fd must be an open descriptor other than 0 and 1", "[cli]") {
  CHECK(run({"--progress-fd", "1"}, kOk).code == 2);
  CHECK(run({"--progress-fd", "999"}, kOk).code == 2);
  CHECK(run({"--progress-fd", "x"}, kOk).code == 2);
}

TEST_CASE("cli::Tool: --progress-fd receives JSON Lines progress", "[cli]") {
  test::ScratchDir dir;
  const auto file = dir.path() / "progress";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd > 2);
  const Run r = run({"--progress-fd", std::to_string(fd)}, [](Session& s) -> Result<ops::Outcome> {
    s.observer().advanced(10, 1);
    return ops::Outcome{};
  });
  ::close(fd);
  CHECK(r.code == 0);
  const std::string p = test::slurp(file);
  CHECK(p.rfind(R"({"schema":"cairn.progress/1","event":"start","tool":"cairn-test"})", 0) == 0);
  CHECK(p.find(R"("event":"done")") != std::string::npos);
  CHECK(p.find(R"("exit_code":0})") != std::string::npos);
}

TEST_CASE("cli::Tool: SIGINT trips the cancel token, exit 130; handlers are undone", "[cli]") {
  struct sigaction before {};
  ::sigaction(SIGINT, nullptr, &before);
  const Run r = run({}, [](Session& s) -> Result<ops::Outcome> {
    ::raise(SIGINT);
    if (!s.cancel().cancelled()) return ops::Outcome{0, "not cancelled"};
    return Error{Errc::cancelled, "interrupted"};
  });
  CHECK(r.code == 130);
  CHECK(r.err == "cairn-test: error: interrupted\n");
  struct sigaction after {};
  ::sigaction(SIGINT, nullptr, &after);
  CHECK(after.sa_handler == before.sa_handler);
}

TEST_CASE("cli::Tool: an error after a signal is reported as interrupted", "[cli]") {
  const Run r = run({}, [](Session&) -> Result<ops::Outcome> {
    ::raise(SIGTERM);
    return Error{Errc::bad_input, "truncated stream"};
  });
  CHECK(r.code == 130);
}

TEST_CASE("cli::Tool: the chosen command's body runs; common options may follow it", "[cli]") {
  std::string which;
  auto declare = [&](Tool& t) {
    auto body = [&](std::string name) {
      return [&which, name](Session& s) -> Result<ops::Outcome> {
        which = name + " " + s.options().repo;
        return ops::Outcome{};
      };
    };
    t.command(t.app(), "init", "create", body("init"));
    t.command(t.app(), "help", "help", [&which, &t](Session&) -> Result<ops::Outcome> {
       which = "help " + t.app().get_subcommand("help")->get_option("VERB")->as<std::string>();
       return ops::Outcome{};
     }).add_option("VERB", "a command");
    auto& key = t.group(t.app(), "key", "keys");
    t.command(key, "list", "list", body("key list"));
  };
  auto run_cmd = [&](std::vector<std::string> args) {
    test::ScratchDir dir;
    Tool tool{"cairn-test", "commands"};
    declare(tool);
    args.insert(args.begin(), "cairn-test");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    test::Capture err(STDERR_FILENO, dir.path() / "err");
    const int code = tool.run(static_cast<int>(args.size()), argv.data());
    return std::make_pair(code, err.text());
  };
  CHECK(run_cmd({"init", "--repo", "/r"}).first == 0);
  CHECK(which == "init /r");
  CHECK(run_cmd({"--repo", "/q", "key", "list"}).first == 0);
  CHECK(which == "key list /q");
  CHECK(run_cmd({"help", "init"}).first == 0);  // an argument, not a second command
  CHECK(which == "help init");
  CHECK(run_cmd({"key", "list", "init"}).first == 2);
  const auto no_cmd = run_cmd({"key"});
  CHECK(no_cmd.first == 2);
  CHECK(no_cmd.second ==
        "cairn-test: error: a command is required\nTry 'cairn-test key --help'.\n");
  CHECK(run_cmd({}).first == 2);
}

TEST_CASE("the summary line gives a rate only when bytes moved", "[cli][summary]") {
  using cairn::cli::summary_line;
  cairn::ops::Tally t;
  t.files = 6227;
  t.bytes = 0;
  const std::int64_t two_s = 2'000'000'000;
  CHECK(summary_line("cairn-snap", t, {"entries", "read"}, two_s) ==
        "cairn-snap: 6227 entries, 0 B read, in 2.0s");
  t.bytes = 4 << 20;
  CHECK(summary_line("cairn-snap", t, {"entries", "read"}, two_s) ==
        "cairn-snap: 6227 entries, 4.0 MiB read, in 2.0s (2.0 MiB/s)");
}
