// Sending for real: exec: commands, and webhooks and SMTP against small servers written
// here (one thread, 127.0.0.1, a port the kernel picks). The CLI tests (tests/cli/notify)
// send to Python's http.server and to aiosmtpd.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../backend/fake_server.hpp"
#include "base/tempdir.hpp"
#include "notify/notify.hpp"

using namespace cairn;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct ScratchDir {
  TempDir tmp = TempDir::create("cairn-notify-").value();
  fs::path dir = tmp.path();
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path script(const fs::path& dir, const std::string& name, const std::string& body) {
  const fs::path p = dir / name;
  std::ofstream(p) << "#!/bin/sh\n" << body;
  fs::permissions(p, fs::perms::owner_all);
  return p;
}

notify::Event sample() {
  notify::Event e;
  e.tool = "cairn-verify";
  e.host = "db1";
  e.exit_code = 4;
  e.message = "damage found: 1 damaged or missing objects";
  e.time_unix = 1'741'064'767;
  return e;
}

notify::Settings fast(std::chrono::milliseconds timeout = 5s) {
  notify::Settings s;
  s.timeout = timeout;
  return s;
}

// One connection at a time on 127.0.0.1 (tests/unit/backend/fake_server.hpp).
class Server {
 public:
  explicit Server(std::function<void(int)> serve)
      : server_([serve = std::move(serve)](int fd, int) { serve(fd); }) {}
  int port() const { return server_.port(); }

 private:
  test::LoopbackServer server_;
};

// Reads one line ending in "\r\n" (without it); "" at the end of the stream.
std::string read_line(int fd) {
  std::string line;
  char c = 0;
  while (::read(fd, &c, 1) == 1) {
    line.push_back(c);
    if (line.size() >= 2 && line.compare(line.size() - 2, 2, "\r\n") == 0)
      return line.substr(0, line.size() - 2);
  }
  return line;
}

void say(int fd, const std::string& s) { (void)!::write(fd, s.data(), s.size()); }

// One HTTP request: the request line and headers, then Content-Length bytes of body.
struct HttpRequest {
  std::string line;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

HttpRequest read_request(int fd) {
  HttpRequest r;
  r.line = read_line(fd);
  for (std::string h = read_line(fd); !h.empty(); h = read_line(fd)) {
    const auto colon = h.find(':');
    std::string name = h.substr(0, colon);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    r.headers[name] = h.substr(h.find_first_not_of(' ', colon + 1));
  }
  const std::size_t n =
      std::stoul(r.headers.count("content-length") ? r.headers["content-length"] : "0");
  r.body.resize(n);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t k = ::read(fd, r.body.data() + got, n - got);
    if (k <= 0) break;
    got += static_cast<std::size_t>(k);
  }
  return r;
}

int closed_port() { return test::LoopbackServer::closed_port(); }

}  // namespace

TEST_CASE(
    "notify::run_command: the event on stdin and in CAIRN_EVENT_*, a minimal environment; stdout "
    "goes to stderr",
    "[notify]") {
  ScratchDir s;
  const fs::path out = s.dir / "out";
  const fs::path cmd =
      script(s.dir, "hook",
             "cat > '" + out.string() +
                 ".stdin'\n"
                 "printf '%s|%s|%s|%s|%s' \"$CAIRN_EVENT_TOOL\" \"$CAIRN_EVENT_EXIT_CODE\" "
                 "\"$LANG\" \"$X_DROP\" \"$AWS_SECRET_ACCESS_KEY\" > '" +
                 out.string() +
                 ".env'\n"
                 "fd1=$(readlink /proc/$$/fd/1)\necho \"$fd1\" > '" +
                 out.string() + ".fd1'\n");
  const char* lang = std::getenv("LANG");
  const std::string saved_lang = lang != nullptr ? lang : "";
  ::setenv("LANG", "kept", 1);
  ::setenv("X_DROP", "dropped", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "dropped", 1);
  ::setenv("CAIRN_EVENT_TOOL", "stale", 1);
  const Status st = notify::run_command(cmd, "{\"a\":1}\n", notify::event_env(sample()), 5s);
  if (lang != nullptr)
    ::setenv("LANG", saved_lang.c_str(), 1);
  else
    ::unsetenv("LANG");
  ::unsetenv("X_DROP");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("CAIRN_EVENT_TOOL");
  REQUIRE(st);
  CHECK(slurp(out.string() + ".stdin") == "{\"a\":1}\n");
  CHECK(slurp(out.string() + ".env") == "cairn-verify|4|kept||");
  char ours[4096] = {};
  REQUIRE(::readlink("/proc/self/fd/2", ours, sizeof ours - 1) > 0);
  CHECK(slurp(out.string() + ".fd1") == std::string(ours) + "\n");
}

TEST_CASE("notify::run_command: descriptors above 2 are not inherited", "[notify]") {
  ScratchDir s;
  const int fd = ::open((s.dir / "open").c_str(), O_CREAT | O_WRONLY, 0600);  // no O_CLOEXEC
  REQUIRE(fd >= 0);
  REQUIRE(::dup2(fd, 57) == 57);
  const fs::path cmd = script(s.dir, "hook", "if [ -e /dev/fd/57 ]; then exit 9; fi\nexit 0\n");
  const Status st = notify::run_command(cmd, "", {}, 5s);
  ::close(57);
  ::close(fd);
  CHECK(st);
}

TEST_CASE("notify::run_command: a non-zero exit, a signal or a missing command is a failure",
          "[notify]") {
  ScratchDir s;
  auto r = notify::run_command(script(s.dir, "three", "exit 3\n"), "", {}, 5s);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "the command exited with status 3");
  auto k = notify::run_command(script(s.dir, "kill", "kill -9 $$\n"), "", {}, 5s);
  REQUIRE_FALSE(k);
  CHECK(k.error().message == "the command was killed by signal 9");
  auto m = notify::run_command(s.dir / "nope", "", {}, 5s);
  REQUIRE_FALSE(m);
  CHECK(m.error().message ==
        "cannot run '" + (s.dir / "nope").string() + "': No such file or directory");
  std::ofstream(s.dir / "plain") << "not executable\n";
  auto p = notify::run_command(s.dir / "plain", "", {}, 5s);
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("Permission denied") != std::string::npos);
}

TEST_CASE("notify::run_command: a command that hangs is killed, with its children, at the timeout",
          "[notify]") {
  ScratchDir s;
  const fs::path pidfile = s.dir / "child.pid";
  const fs::path cmd =
      script(s.dir, "hang", "sleep 30 &\necho $! > '" + pidfile.string() + "'\nwait\n");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = notify::run_command(cmd, "", {}, 400ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "the command did not finish within 400 ms and was killed");
  CHECK(took < 5s);
  const std::string pid = slurp(pidfile);
  REQUIRE_FALSE(pid.empty());
  // The grandchild was in the command's process group: gone (or a zombie about to be reaped).
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    const std::string stat = slurp("/proc/" + std::to_string(std::stoi(pid)) + "/stat");
    gone = stat.empty() || stat.find(") Z ") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  CHECK(gone);
}

TEST_CASE("notify::run_command: a command that ignores a large stdin does not kill the caller",
          "[notify]") {
  ScratchDir s;
  const std::string big(1u << 20, 'x');
  auto r = notify::run_command(script(s.dir, "deaf", "exec 0<&-\nexit 0\n"), big, {}, 5s);
  CHECK(r);  // SIGPIPE was held back; the command's own status decides
}

TEST_CASE("notify::send: a webhook gets one JSON POST", "[notify]") {
  HttpRequest got;
  Server srv([&](int fd) {
    got = read_request(fd);
    say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  });
  auto t = notify::parse_target("http://127.0.0.1:" + std::to_string(srv.port()) + "/hook");
  REQUIRE(t);
  REQUIRE(notify::send(*t, sample(), fast()));
  CHECK(got.line == "POST /hook HTTP/1.1");
  CHECK(got.headers["content-type"] == "application/json");
  const auto j = nlohmann::json::parse(got.body);
  CHECK(j["schema"] == "cairn.notify/1");
  CHECK(j["exit_code"] == 4);
  CHECK(j["text"] == notify::summary(sample()));
}

TEST_CASE("notify::send: a webhook's error status, a closed port and a silent server fail",
          "[notify]") {
  Server err([](int fd) {
    (void)read_request(fd);
    say(fd, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  auto t = notify::parse_target("http://127.0.0.1:" + std::to_string(err.port()) + "/hook");
  REQUIRE(t);
  auto r = notify::send(*t, sample(), fast());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::network);
  CHECK(r.error().message == "HTTP 500");

  auto closed = notify::parse_target("http://127.0.0.1:" + std::to_string(closed_port()) + "/hook");
  REQUIRE(closed);
  auto c = notify::send(*closed, sample(), fast());
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::network);

  Server silent([](int fd) {  // reads the request, never answers
    (void)read_request(fd);
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 3000);
  });
  auto q = notify::parse_target("http://127.0.0.1:" + std::to_string(silent.port()) + "/hook");
  REQUIRE(q);
  const auto t0 = std::chrono::steady_clock::now();
  auto s = notify::send(*q, sample(), fast(500ms));
  CHECK(std::chrono::steady_clock::now() - t0 < 2500ms);
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::network);
  CHECK(s.error().message.rfind("timed out", 0) == 0);
}

namespace {

// A small SMTP server (RFC 5321 commands in order) that keeps what it was sent, and can
// refuse recipients.
struct SmtpLog {
  std::vector<std::string> commands;
  std::string data;
};

void smtp_session(int fd, SmtpLog& log, bool refuse_rcpt) {
  say(fd, "220 test ESMTP\r\n");
  for (;;) {
    const std::string cmd = read_line(fd);
    if (cmd.empty()) return;
    log.commands.push_back(cmd);
    if (cmd.rfind("EHLO", 0) == 0) {
      say(fd, "250-test\r\n250 8BITMIME\r\n");
    } else if (cmd.rfind("MAIL FROM:", 0) == 0) {
      say(fd, "250 ok\r\n");
    } else if (cmd.rfind("RCPT TO:", 0) == 0) {
      say(fd, refuse_rcpt ? "550 no such user\r\n" : "250 ok\r\n");
    } else if (cmd == "DATA") {
      say(fd, "354 go on\r\n");
      for (std::string l = read_line(fd); l != "."; l = read_line(fd)) log.data += l + "\r\n";
      say(fd, "250 queued\r\n");
    } else if (cmd == "QUIT") {
      say(fd, "221 bye\r\n");
      return;
    } else {
      say(fd, "502 not implemented\r\n");
    }
  }
}

}  // namespace

TEST_CASE("notify::send: an email goes through SMTP with its envelope and headers", "[notify]") {
  SmtpLog log;
  Server srv([&](int fd) { smtp_session(fd, log, false); });
  auto t = notify::parse_target("mailto:ops@example.org,dba@example.org?smtp=smtp://127.0.0.1:" +
                                std::to_string(srv.port()) + "&from=cairn@db1.example.org");
  REQUIRE(t);
  REQUIRE(notify::send(*t, sample(), fast()));
  const auto has = [&](const std::string& c) {
    return std::find(log.commands.begin(), log.commands.end(), c) != log.commands.end();
  };
  CHECK(has("MAIL FROM:<cairn@db1.example.org>"));
  CHECK(has("RCPT TO:<ops@example.org>"));
  CHECK(has("RCPT TO:<dba@example.org>"));
  CHECK(log.data.find("\r\nSubject: cairn: [critical] cairn-verify failed on db1\r\n") !=
        std::string::npos);
  CHECK(log.data.find("\r\nTo: ops@example.org, dba@example.org\r\n") != std::string::npos);
  CHECK(log.data.find("\r\nMessage-ID: <") != std::string::npos);
  CHECK(log.data.find(".cairn@db1>\r\n") != std::string::npos);
}

TEST_CASE("notify::send: a refused recipient and a closed SMTP port fail", "[notify]") {
  SmtpLog log;
  Server srv([&](int fd) { smtp_session(fd, log, true); });
  auto t = notify::parse_target("mailto:ghost@example.org?smtp=smtp://127.0.0.1:" +
                                std::to_string(srv.port()));
  REQUIRE(t);
  auto r = notify::send(*t, sample(), fast());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::bad_input);
  CHECK(r.error().message.find("550") != std::string::npos);
  CHECK(log.data.empty());

  auto c = notify::parse_target("mailto:ops@example.org?smtp=smtp://127.0.0.1:" +
                                std::to_string(closed_port()));
  REQUIRE(c);
  auto d = notify::send(*c, sample(), fast());
  REQUIRE_FALSE(d);
  CHECK(d.error().code == Errc::network);
}

TEST_CASE("notify::send_all: each target once, failures named in redacted form", "[notify]") {
  ScratchDir s;
  const fs::path count = s.dir / "count";
  const std::string ok =
      "exec:" + script(s.dir, "ok", "echo x >> '" + count.string() + "'\n").string();
  const std::string bad = "exec:" + script(s.dir, "bad", "exit 1\n").string();
  const std::string hook =
      "http://u:pw@127.0.0.1:" + std::to_string(closed_port()) + "/services/T1/SECRET";
  const auto failures = notify::send_all({ok, bad, ok, hook, "nonsense"}, sample(), fast());
  CHECK(slurp(count) == "x\n");
  REQUIRE(failures.size() == 3);
  CHECK(failures[0].message == "cannot notify '" + bad + "': the command exited with status 1");
  CHECK(failures[1].message.rfind("cannot notify 'http://***@127.0.0.1:", 0) == 0);
  CHECK(failures[1].message.find("/services/***': ") != std::string::npos);
  CHECK(failures[1].message.find("SECRET") == std::string::npos);
  CHECK(failures[1].message.find("pw") == std::string::npos);
  CHECK(failures[2].message.rfind("invalid notify target 'nonsense'", 0) == 0);
}

TEST_CASE("notify::policy_targets: --policy, then CAIRN_POLICY; none without a policy",
          "[notify]") {
  ScratchDir s;
  const fs::path a = s.dir / "a.toml", b = s.dir / "b.toml";
  std::ofstream(a) << "[notify]\ntargets = [\"exec:/bin/a\"]\n";
  std::ofstream(b) << "[notify]\ntargets = [\"exec:/bin/b\", \"http://h/x\"]\n";
  std::map<std::string, std::string> env;
  const GetEnv getenv = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  env["CAIRN_POLICY"] = b.string();
  auto flag = notify::policy_targets(a, getenv);
  REQUIRE(flag);
  CHECK(*flag == std::vector<std::string>{"exec:/bin/a"});
  auto from_env = notify::policy_targets(std::nullopt, getenv);
  REQUIRE(from_env);
  CHECK(*from_env == std::vector<std::string>{"exec:/bin/b", "http://h/x"});
  env["CAIRN_POLICY"] = (s.dir / "missing.toml").string();
  auto missing = notify::policy_targets(std::nullopt, getenv);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
  if (!fs::exists("/etc/cairn/policy.toml")) {
    env.clear();
    auto none = notify::policy_targets(std::nullopt, getenv);
    REQUIRE(none);
    CHECK(none->empty());
  }
}
