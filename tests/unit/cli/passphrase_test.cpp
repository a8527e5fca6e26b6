#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <type_traits>

#include "cli/passphrase.hpp"
#include "scratch.hpp"

using cairn::Errc;
using namespace cairn::cli;

namespace {

// A pipe holding `content`, write end closed: the read end sees it, then EOF.
int pipe_with(const std::string& content) {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  REQUIRE(::write(p[1], content.data(), content.size()) == static_cast<ssize_t>(content.size()));
  ::close(p[1]);
  return p[0];
}

}  // namespace

TEST_CASE("cli::read_passphrase_file: strips exactly one trailing newline", "[cli]") {
  cairn::test::ScratchDir dir;
  CHECK(*read_passphrase_file(dir.write("a", "secret\n")) == "secret");
  CHECK(*read_passphrase_file(dir.write("b", "secret")) == "secret");
  CHECK(*read_passphrase_file(dir.write("c", "secret\n\n")) == "secret\n");
  CHECK(*read_passphrase_file(dir.write("d", " two words \n")) == " two words ");
  CHECK(*read_passphrase_file(dir.write("e", "line1\nline2\n")) == "line1\nline2");
}

TEST_CASE("cli::read_passphrase_file: refuses an empty passphrase", "[cli]") {
  cairn::test::ScratchDir dir;
  for (const char* content : {"", "\n"}) {
    auto r = read_passphrase_file(dir.write("empty", content));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::usage);
    CHECK(r.error().message.find("is empty") != std::string::npos);
  }
}

TEST_CASE("cli::read_passphrase_file: a missing file is a usage error naming it", "[cli]") {
  cairn::test::ScratchDir dir;
  auto r = read_passphrase_file(dir.path() / "absent");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::usage);  // exit 2, cairn(7)
  CHECK(r.error().message.find("absent") != std::string::npos);
}

TEST_CASE("cli::read_passphrase_file: refuses input above the size limit", "[cli]") {
  cairn::test::ScratchDir dir;
  CHECK(read_passphrase_file(dir.write("max", std::string(kMaxPassphraseSize, 'x'))).has_value());
  auto r = read_passphrase_file(dir.write("big", std::string(kMaxPassphraseSize + 1, 'x')));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::usage);
}

TEST_CASE("cli::read_passphrase_fd: reads to end of file and strips one newline", "[cli]") {
  const int fd = pipe_with("from a pipe\n");
  auto r = read_passphrase_fd(fd, "a pipe");
  ::close(fd);
  REQUIRE(r.has_value());
  CHECK(*r == "from a pipe");

  const int empty = pipe_with("\n");
  auto e = read_passphrase_fd(empty, "a pipe");
  ::close(empty);
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().code == Errc::usage);
}

TEST_CASE("cli::load_passphrase: CAIRN_PASSPHRASE_FD comes before a file", "[cli]") {
  cairn::test::ScratchDir dir;
  const int fd = pipe_with("from fd\n");
  const std::string fd_text = std::to_string(fd);
  auto r = load_passphrase(dir.write("pw", "from file\n"), fd_text.c_str());
  ::close(fd);
  REQUIRE(r.has_value());
  CHECK(*r == "from fd");
  auto f = load_passphrase(dir.write("pw", "from file\n"), nullptr);  // no descriptor: the file
  REQUIRE(f.has_value());
  CHECK(*f == "from file");
}

TEST_CASE("cli::find_passphrase: a file before the command, the command before a prompt", "[cli]") {
  cairn::test::ScratchDir dir;
  PassphraseSources src;
  src.command = "printf 'from command\\nsecond line\\n'";
  src.prompt = false;
  auto c = find_passphrase(src);
  REQUIRE(c.has_value());
  CHECK(*c == "from command");  // the first line only
  src.file = dir.write("pw", "from file\n");
  std::string binding;
  auto f = find_passphrase(src, &binding);
  REQUIRE(f.has_value());
  CHECK(*f == "from file");
  CHECK_FALSE(binding.empty());
  src.file.clear();
  binding = "stale";
  REQUIRE(find_passphrase(src, &binding).has_value());
  CHECK(binding == "stale");  // a command is never bound: left as the caller had it
}

TEST_CASE("cli::run_passphrase_command: failures are Errc::auth, one line", "[cli]") {
  for (const char* cmd : {"exit 3", "true", "printf '\\n'", "kill -9 $$"}) {
    INFO(cmd);
    auto r = run_passphrase_command(cmd, 30);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::auth);
    CHECK(r.error().message.find("CAIRN_PASSPHRASE_COMMAND") != std::string::npos);
    CHECK(r.error().message.find('\n') == std::string::npos);
  }
  auto slow = run_passphrase_command("sleep 30", 1);
  REQUIRE_FALSE(slow.has_value());
  CHECK(slow.error().message.find("did not finish within 1 seconds") != std::string::npos);
  // A command that prints its line and goes on writing is not waited for to the end.
  auto chatty = run_passphrase_command("echo first; yes", 30);
  REQUIRE(chatty.has_value());
  CHECK(*chatty == "first");
}

TEST_CASE("cli::readable_by_others: group or other read bits", "[cli]") {
  cairn::test::ScratchDir dir;
  const auto f = dir.write("pw", "x\n");
  ::chmod(f.c_str(), 0600);
  CHECK_FALSE(readable_by_others(f, "passphrase file").has_value());
  ::chmod(f.c_str(), 0640);
  CHECK(readable_by_others(f, "passphrase file").value_or("").find("its group (mode 0640)") !=
        std::string::npos);
  ::chmod(f.c_str(), 0604);
  CHECK(readable_by_others(f, "key file").value_or("").find("other users (mode 0604)") !=
        std::string::npos);
}

TEST_CASE("cli::load_passphrase: no source, or a bad CAIRN_PASSPHRASE_FD, is a usage error",
          "[cli]") {
  for (const char* env : {static_cast<const char*>(nullptr), "", "x", "3x", "-1", " 3"}) {
    INFO((env != nullptr ? env : "(unset)"));
    auto r = load_passphrase({}, env);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::usage);
  }
  auto none = load_passphrase({}, nullptr);
  CHECK(none.error().message.find("--passphrase-file") != std::string::npos);
}

TEST_CASE("cli::load_passphrase: a closed descriptor is an error, not an empty passphrase",
          "[cli]") {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  ::close(p[0]);
  ::close(p[1]);
  const std::string fd_text = std::to_string(p[0]);
  auto r = load_passphrase({}, fd_text.c_str());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("CAIRN_PASSPHRASE_FD") != std::string::npos);
}

TEST_CASE("cli::load_passphrase: a SecretText, not a std::string", "[cli]") {
  // The passphrase never passes through a std::string whose freed buffer or inline bytes
  // would keep a copy (base/secret.hpp).
  static_assert(
      std::is_same_v<decltype(load_passphrase({}, nullptr)), cairn::Result<cairn::SecretText>>);
}
