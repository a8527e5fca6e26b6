#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "base/tempdir.hpp"
#include "io/file.hpp"
#include "io/process.hpp"

using namespace cairn;

namespace {

// Runs `c` with stdout into a pipe; what it wrote, and its wait status.
std::pair<std::string, int> run(io::Command c) {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  io::Fd rd(p[0]), wr(p[1]);
  c.out = wr.get();
  auto pid = io::spawn(c, "the test command");
  REQUIRE(pid);
  wr = io::Fd();
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(rd.get(), buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  auto st = io::wait_status(*pid, "the test command");
  REQUIRE(st);
  return {out, *st};
}

}  // namespace

TEST_CASE("io::spawn: argv, environment, directory and standard descriptors", "[io]") {
  auto [out, st] = run(io::Command::shell("printf '%s|' \"$0\" hello"));
  CHECK(out == "sh|hello|");
  CHECK_FALSE(io::failure(st));

  io::Command env = io::Command::shell("printf '%s' \"$CAIRN_X\"; printf '%s' \"${HOME:-none}\"");
  env.env = std::vector<std::string>{"CAIRN_X=1 2"};
  CHECK(run(env).first == "1 2none");  // only what we gave

  auto dir = TempDir::create("cairn-process-test-");
  REQUIRE(dir);
  io::Command pwd = io::Command::shell("pwd -P");
  pwd.dir = dir->path();
  CHECK(run(pwd).first == std::filesystem::canonical(dir->path()).string() + "\n");

  io::Command in = io::Command::shell("cat; echo end");
  in.in = io::kDevNull;
  CHECK(run(in).first == "end\n");

  io::Command direct;
  direct.exe = "/bin/echo";
  direct.argv = {"echo", "a b", "c"};
  CHECK(run(direct).first == "a b c\n");
}

TEST_CASE("io::wait_success and failure: exit status and signals in words", "[io]") {
  CHECK(io::failure(run(io::Command::shell("exit 3")).second) ==
        std::optional<std::string>("failed with exit status 3"));
  CHECK(io::failure(run(io::Command::shell("kill -TERM $$")).second) ==
        std::optional<std::string>("was killed by signal 15"));

  auto ok = io::spawn(io::Command::shell("true"), "true");
  REQUIRE(ok);
  CHECK(io::wait_success(*ok, "pre command 'true'"));
  auto bad = io::spawn(io::Command::shell("exit 7"), "x");
  REQUIRE(bad);
  auto st = io::wait_success(*bad, "pre command 'exit 7'");
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::io);
  CHECK(st.error().message == "pre command 'exit 7' failed with exit status 7");
}

TEST_CASE("io::spawn: a program that is not there", "[io]") {
  io::Command c;
  c.exe = "/nonexistent/cairn-no-such-program";
  c.argv = {"x"};
  auto pid = io::spawn(c, "'x'");
  REQUIRE_FALSE(pid);
  CHECK(pid.error().message.starts_with("cannot run 'x': "));
  auto w = io::wait_status(999999999, "nothing");
  CHECK_FALSE(w);
}
