#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "cli/progress.hpp"
#include "cli/stages.hpp"

using namespace cairn::cli;
using cairn::Errc;
using cairn::Error;

namespace {

// A pipe whose read side is drained after the writer is done (tests write little).
struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    r = p[0];
    w = p[1];
    ::fcntl(r, F_SETFL, O_NONBLOCK);
  }
  ~Pipe() {
    ::close(r);
    if (w >= 0) ::close(w);
  }
  std::string drain() {
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(r, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
};

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  if (start < s.size()) out.push_back(s.substr(start));
  return out;
}

}  // namespace

TEST_CASE("cli::printable: escapes control characters and stray bytes", "[cli]") {
  CHECK(printable("plain/path.txt") == "plain/path.txt");
  CHECK(printable("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(printable("a\nb") == "a\\nb");
  CHECK(printable("tab\there") == "tab\\there");
  CHECK(printable("\x1b[31mred") == "\\e[31mred");
  CHECK(printable("back\\slash") == "back\\\\slash");
  CHECK(printable("bad\xff") == "bad\\xff");
  CHECK(printable("\xc2\x9b") == "\\xc2\\x9b");  // C1 CSI, a terminal escape in UTF-8
  CHECK(printable(std::string("nul\0x", 5)) == "nul\\x00x");
}

TEST_CASE("cli::JsonProgress: start, throttled progress, warnings and done", "[cli]") {
  Pipe p;
  {
    JsonProgress json(p.w, "cairn-test", std::chrono::hours(1));
    json.started("dir/a");
    json.advanced(100, 1);  // the first advance is always reported
    json.advanced(50, 1);   // throttled
    json.warning(std::string("bad\xff", 4), Error{Errc::io, "cannot read"});
    json.finish(1, 3);
  }
  const auto l = lines(p.drain());
  REQUIRE(l.size() == 4);
  CHECK(l[0] == R"({"schema":"cairn.progress/1","event":"start","tool":"cairn-test"})");
  CHECK(l[1].find(R"("event":"progress")") != std::string::npos);
  CHECK(l[1].find(R"("bytes":100,"items":1,"path":"dir/a")") != std::string::npos);
  CHECK(l[2] == R"({"schema":"cairn.progress/1","event":"warning","path_b64":"YmFk/w==",)"
                R"("message":"cannot read"})");
  CHECK(l[3].find(R"("event":"done")") != std::string::npos);
  CHECK(l[3].find(R"("bytes":150,"items":2,"warnings":1,"exit_code":3})") != std::string::npos);
}

TEST_CASE("cli::JsonProgress: a closed reader does not fail the run", "[cli]") {
  Pipe p;
  ::close(p.r);
  p.r = ::open("/dev/null", O_RDONLY);
  // With SIGPIPE ignored here, writes fail with EPIPE; the renderer stops writing quietly.
  struct sigaction ign {
  }, old{};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  {
    JsonProgress json(p.w, "cairn-test");
    json.warning("x", Error{Errc::io, "y"});
    json.finish(1, 3);
  }
  ::sigaction(SIGPIPE, &old, nullptr);
  SUCCEED("no crash, no exception");
}

TEST_CASE("cli::Reporter: counts warnings and prints one line each", "[cli]") {
  Pipe err, json_pipe;
  {
    Reporter r("cairn-test", err.w, false, nullptr,
               std::make_unique<JsonProgress>(json_pipe.w, "cairn-test"));
    r.warning("a/b", Error{Errc::io, "cannot read 'a/b': Permission denied"});
    r.warning("evil\nname", Error{Errc::io, "changed while read"});
    r.info("not shown without -v");
    CHECK(r.warnings() == 2);
    r.finish(3);
  }
  const auto l = lines(err.drain());
  REQUIRE(l.size() == 2);
  CHECK(l[0] == "cairn-test: warning: a/b: cannot read 'a/b': Permission denied");
  CHECK(l[1] == "cairn-test: warning: evil\\nname: changed while read");
  const auto j = lines(json_pipe.drain());
  REQUIRE(j.size() == 4);  // start, 2 warnings, done
  CHECK(j[3].find(R"("warnings":2,"exit_code":3)") != std::string::npos);
}

TEST_CASE("cli::Reporter: -v lines only when verbose", "[cli]") {
  Pipe err;
  {
    Reporter r("cairn-test", err.w, true, nullptr, nullptr);
    r.info("opened repository");
    r.finish(0);
  }
  CHECK(err.drain() == "cairn-test: opened repository\n");
}

TEST_CASE("cli::TextProgress: nothing before the delay, then a status line", "[cli]") {
  Pipe p;
  {
    TextProgress slow(p.w, "cairn-test", {std::chrono::hours(1), std::chrono::milliseconds(0)});
    slow.started("x");
    slow.advanced(10, 1);
    slow.finish();
  }
  CHECK(p.drain().empty());
  {
    TextProgress now(p.w, "cairn-test", {std::chrono::milliseconds(0), std::chrono::hours(1)});
    now.advanced(2048, 3);  // drawn
    now.advanced(1, 1);     // within the interval: not drawn
    now.warning("dir/file", Error{Errc::io, "vanished"});
    now.finish();
  }
  const std::string out = p.drain();
  CHECK(out.rfind("\rcairn-test: 3 items, 2.0 KiB", 0) == 0);
  CHECK(out.find("4 items") == std::string::npos);
  // The warning erases the status line first, and finish() has nothing left to erase.
  CHECK(out.find("\x1b[K\r\x1b[Kcairn-test: warning: dir/file: vanished\n") != std::string::npos);
  CHECK(out.substr(out.size() - 1) == "\n");
}

TEST_CASE("cli::TextProgress: shows the current path, cut to the terminal width", "[cli]") {
  Pipe p;
  {
    TextProgress t(p.w, "cairn-test", {std::chrono::milliseconds(0), std::chrono::milliseconds(0)});
    t.started("dir/" + std::string(200, 'x') + "\n");
    t.finish();
  }
  const std::string out = p.drain();
  const auto end = out.find("\x1b[K");
  REQUIRE(end != std::string::npos);
  const std::string line = out.substr(1, end - 1);  // without the leading \r
  CHECK(line.find("  dir/xxx") != std::string::npos);
  CHECK(line.size() == 79);  // a pipe has no size: 80 columns, less one
  CHECK(out.find('\n') == std::string::npos);
}

TEST_CASE("cli::TextProgress: a known total gives X of Y, a percentage and an ETA", "[cli]") {
  Pipe p;
  {
    TextProgress t(p.w, "cairn-test", {std::chrono::milliseconds(0), std::chrono::hours(1)});
    t.expect(4 << 20, 8);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a rate above zero
    t.advanced(1 << 20, 2);                                      // drawn
    t.finish();
  }
  const std::string out = p.drain();
  CHECK(out.find("cairn-test: 1.0 MiB of 4.0 MiB (25%), 2 of 8 items, ") != std::string::npos);
  CHECK(out.find(", ETA ") != std::string::npos);
  Pipe q;
  {
    // More than the estimate (a file grew): never 100% before the end, and no ETA.
    TextProgress t(q.w, "cairn-test", {std::chrono::milliseconds(0), std::chrono::hours(1)});
    t.expect(1000, 0);
    t.advanced(1500, 1);
    t.finish();
  }
  const std::string over = q.drain();
  CHECK(over.find("cairn-test: 1.5 KiB of 1000 B (99%)") != std::string::npos);
  CHECK(over.find("ETA") == std::string::npos);
  CHECK(over.find("items") == std::string::npos);  // no item total: bytes only
  Pipe r;
  {
    TextProgress t(r.w, "cairn-test", {std::chrono::milliseconds(0), std::chrono::hours(1)});
    t.expect(1000, 0);
    t.advanced(1000, 1);  // exactly the total: done
    t.finish();
  }
  CHECK(r.drain().find("cairn-test: 1000 B of 1000 B (100%)") != std::string::npos);
}

TEST_CASE("cli::JsonProgress: totals appear once known", "[cli]") {
  Pipe p;
  {
    JsonProgress j(p.w, "cairn-test", std::chrono::milliseconds(0));
    j.advanced(1, 0);  // before any total
    j.expect(300, 2);
    j.expect(200, 1);  // totals add up (push plans batch by batch)
    j.finish(0, 0);
  }
  const auto ls = lines(p.drain());
  REQUIRE(ls.size() == 3);
  CHECK(ls[1].find("total_bytes") == std::string::npos);
  CHECK(ls[2].find("\"total_bytes\":500,\"total_items\":3") != std::string::npos);
}

TEST_CASE("cli::other_stages: only our own directory, and records as text", "[cli]") {
  char tmpl[] = "/tmp/cairn-stages-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string runtime = tmpl, dir = runtime + "/cairn-progress";
  const char* old = std::getenv("XDG_RUNTIME_DIR");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("XDG_RUNTIME_DIR", runtime.c_str(), 1);
  REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
  // A record of a live process of our group (our parent stands in for an earlier stage),
  // holding a terminal escape sequence: it is shown escaped, never raw.
  const std::string rec =
      dir + "/" + std::to_string(::getpgrp()) + "-" + std::to_string(::getppid());
  {
    const int fd = ::open(rec.c_str(), O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    const std::string evil = "snap \x1b]0;owned\x07 9 items\n";
    REQUIRE(::write(fd, evil.data(), evil.size()) == static_cast<ssize_t>(evil.size()));
    ::close(fd);
  }
  const std::string line = other_stages();
  CHECK(line.find("snap \\e]0;owned\\x07 9 items | ") != std::string::npos);
  CHECK(line.find('\x1b') == std::string::npos);
  // A directory others may write: nothing from it is shown.
  REQUIRE(::chmod(dir.c_str(), 0777) == 0);
  CHECK(other_stages().empty());
  ::unlink(rec.c_str());
  ::rmdir(dir.c_str());
  ::rmdir(runtime.c_str());
  if (old != nullptr)
    ::setenv("XDG_RUNTIME_DIR", saved.c_str(), 1);
  else
    ::unsetenv("XDG_RUNTIME_DIR");
}
