// SFTP listing parsing, quoting and the refusals that need no server (no pin, no key, a
// closed port). Real sshd runs are in tests/integration.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "backend/remote.hpp"
#include "backend/sftp/sftp.hpp"
#include "base/tempdir.hpp"
#include "fake_server.hpp"

namespace fs = std::filesystem;
using namespace cairn;
using namespace cairn::backend;
using cairn::test::FakeServer;

namespace {

struct Scratch {
  TempDir tmp = TempDir::create("cairn-sftp-test-").value();
  fs::path dir = tmp.path();
  fs::path file(const std::string& name, const std::string& content) const {
    std::ofstream(dir / name) << content;
    return dir / name;
  }
};

constexpr const char* kPin = "QqLjz7I9aiFXLZHAsiAsWv24lLlFhWH5ouk5pINHrT0";

}  // namespace

TEST_CASE("backend::sftp::parse_listing: files, folders, links, odd lines", "[backend]") {
  const std::string text =
      "drwxr-xr-x    2 root     root         4096 Nov 26 05:50 .\n"
      "drwxr-xr-x    3 root     root         4096 Nov 26 05:50 ..\n"
      "-rw-------    1 root     root      1048576 Nov 26 05:50 " +
      std::string(64, 'a') +
      "\n"
      "drwx------    2 backup   staff        4096 Jan  1  2023 ab\r\n"
      "lrwxrwxrwx    1 root     root            4 Nov 26 05:50 link -> target\n"
      "-rw-r--r--    1 root     root            0 Nov 26 05:50 name with spaces\n"
      "garbage\n"
      "-rw-r--r--    1 root     root          1x0 Nov 26 05:50 badsize\n";
  const auto e = sftp::parse_listing(text);
  REQUIRE(e.size() == 4);
  CHECK(e[0].type == '-');
  CHECK(e[0].size == 1048576);
  CHECK(e[0].name == std::string(64, 'a'));
  CHECK(e[1].type == 'd');
  CHECK(e[1].name == "ab");
  CHECK(e[2].type == 'l');
  CHECK(e[2].name == "link");
  CHECK(e[3].name == "name with spaces");
  CHECK(e[3].size == 0);
}

TEST_CASE("backend::sftp::quote_path: plain paths stay plain, others are quoted", "[backend]") {
  CHECK(sftp::quote_path("/srv/backup/keys/ab") == "/srv/backup/keys/ab");
  CHECK(sftp::quote_path("/~/repo/x") == "/~/repo/x");
  CHECK(sftp::quote_path("/srv/my repo/x") == "\"/srv/my repo/x\"");
  CHECK(sftp::quote_path("/a\"b\\c") == "\"/a\\\"b\\\\c\"");
}

TEST_CASE("backend::sftp: refuses to connect without a pinned host key", "[backend]") {
  Scratch s;
  RemoteOptions o;
  o.ssh_key = s.file("id_ed25519", "not really a key");
  o.ssh_known_hosts = s.dir / "no-such-known_hosts";
  auto be = open_url("sftp://backup@127.0.0.1:2222/srv/repo", o);
  REQUIRE_FALSE(be);
  CHECK(be.error().code == Errc::auth);
  CHECK_THAT(be.error().message, Catch::Contains("without a pinned host key"));
  CHECK_THAT(be.error().message, Catch::Contains("CAIRN_SSH_HOST_SHA256"));

  o.ssh_host_sha256 = "not-a-fingerprint";
  auto bad = open_url("sftp://127.0.0.1/srv/repo", o);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::usage);

  o.ssh_host_sha256 = std::string("SHA256:") + kPin;  // as ssh-keygen -l prints it
  CHECK(open_url("sftp://127.0.0.1/srv/repo", o));
  o.ssh_host_sha256.clear();
  o.ssh_known_hosts = s.file("known_hosts", "[127.0.0.1]:2222 ssh-ed25519 AAAA\n");
  CHECK(open_url("sftp://127.0.0.1:2222/srv/repo", o));
}

TEST_CASE("backend::sftp: refuses a missing key file", "[backend]") {
  Scratch s;
  RemoteOptions o;
  o.ssh_key = s.dir / "missing";
  o.ssh_host_sha256 = kPin;
  auto be = open_url("sftp://127.0.0.1/srv/repo", o);
  REQUIRE_FALSE(be);
  CHECK(be.error().code == Errc::auth);
  CHECK_THAT(be.error().message, Catch::Contains("CAIRN_SSH_KEY"));
}

TEST_CASE("backend::Sftp: a refused connection is a network error after the retries", "[backend]") {
  Scratch s;
  RemoteOptions o;
  o.ssh_key = s.file("id_ed25519", "x");
  o.ssh_host_sha256 = kPin;
  o.retry.first_delay = std::chrono::milliseconds(1);
  o.retry.attempts = 3;
  const auto port = FakeServer::closed_port();
  auto be = open_url(fmt::format("sftp://u@127.0.0.1:{}/srv/repo/", port), o);
  REQUIRE(be);
  CHECK((*be)->location() == fmt::format("sftp://u@127.0.0.1:{}/srv/repo", port));
  auto st = (*be)->stat(Key::config());
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::network);
  CHECK_THAT(st.error().message, Catch::Contains("tried 3 times"));
}

TEST_CASE("backend::sftp::parse_statvfs: OpenSSH's answer as libcurl reports it", "[backend]") {
  // What `curl -Q "statvfs /dir" -I sftp://...` printed against OpenSSH 9.2's sftp-server.
  const std::string real =
      "statvfs:\n"
      "f_bsize: 4096\n"
      "f_frsize: 4096\n"
      "f_blocks: 66053021\n"
      "f_bfree: 55136983\n"
      "f_bavail: 14168259\n"
      "f_files: 16777216\n"
      "f_ffree: 16305111\n"
      "f_favail: 16305111\n"
      "f_fsid: 7300189421298360639\n"
      "f_flag: 0\n"
      "f_namemax: 255\n";
  auto f = sftp::parse_statvfs(real);
  REQUIRE(f);
  // As `df -B1 --output=size,used,avail` shows the same file system.
  CHECK(f->size == 66053021ull * 4096);
  CHECK(f->used == (66053021ull - 55136983ull) * 4096);
  CHECK(f->avail == 14168259ull * 4096);
  // CRLF line ends, and text before the answer, change nothing.
  std::string crlf;
  for (char c : real) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  CHECK(sftp::parse_statvfs(crlf) == f);
  CHECK(sftp::parse_statvfs("Content-Length: 0\n" + real) == f);
  // f_frsize 0 (some servers): the block size is f_bsize.
  auto frsize0 = sftp::parse_statvfs(
      "statvfs:\nf_bsize: 512\nf_frsize: 0\nf_blocks: 100\n"
      "f_bfree: 40\nf_bavail: 30\n");
  REQUIRE(frsize0);
  CHECK(*frsize0 == SpaceFigures{51200, 30720, 15360});
}

TEST_CASE("backend::sftp::parse_statvfs: garbled or partial answers cannot tell", "[backend]") {
  const std::string head = "statvfs:\nf_bsize: 4096\nf_frsize: 4096\n";
  const std::string tail = "f_bfree: 10\nf_bavail: 5\n";
  CHECK(sftp::parse_statvfs(head + "f_blocks: 20\n" + tail));  // the well-formed baseline
  for (const std::string& bad : {
           std::string(""), std::string("garbage\x01\xff"),
           head + "f_blocks: 20\n" + tail.substr(0, tail.find('\n') + 1),  // no f_bavail
           "f_bsize: 4096\nf_frsize: 4096\nf_blocks: 20\n" + tail,         // no "statvfs:"
           head + tail,                                                    // no f_blocks
           head + "f_blocks: -20\n" + tail, head + "f_blocks: 20x\n" + tail,
           head + "f_blocks: \n" + tail,
           head + "f_blocks: 99999999999999999999999\n" + tail,  // above 2^64
           head + "f_blocks: 20\nf_blocks: 21\n" + tail,         // given twice
           head + "f_blocks: 20\nf_bfree 10\nf_bavail: 5\n",     // no ": "
           head + "f_blocks: 20\nsomething: 1\n" + tail,
           head + "f_blocks: 20\nf_Bfree: 10\nf_bavail: 5\n",
           head + "f_blocks: 5\n" + tail,                               // f_bfree above f_blocks
           "statvfs:\nf_bsize: 0\nf_frsize: 0\nf_blocks: 20\n" + tail,  // no block size
           "statvfs:\nf_frsize: 4611686018427387904\nf_blocks: 20\n" + tail,  // overflows
       }) {
    INFO(bad);
    CHECK_FALSE(sftp::parse_statvfs(bad));
  }
}
