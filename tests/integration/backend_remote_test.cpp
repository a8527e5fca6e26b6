// The remote backends against real servers (scripts/services/): the conformance suite, wrong
// credentials, host-key pinning, large objects in parts, and connections that drop or die.
// Environment (as the service scripts print it, plus):
//   S3:    CAIRN_TEST_S3_URL=s3://bucket/prefix, CAIRN_S3_ENDPOINT, AWS_ACCESS_KEY_ID,
//   AWS_SECRET_ACCESS_KEY SFTP:  CAIRN_TEST_SFTP_URL=sftp://user@127.0.0.1:port/dir, CAIRN_SSH_KEY,
//   CAIRN_SSH_KNOWN_HOSTS
//          (or CAIRN_SSH_HOST_SHA256)
//   Azure: CAIRN_TEST_AZURE_URL=azure://account/container[/prefix], CAIRN_AZURE_ENDPOINT,
//          AZURE_STORAGE_KEY (or AZURE_STORAGE_CONNECTION_STRING)
// Every test works under a fresh random prefix, so tests can run in parallel on one server.
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "backend/conformance.hpp"
#include "backend/remote.hpp"
#include "base/tempdir.hpp"
#include "hash/sha256.hpp"
#include "net/http.hpp"
#include "tcp_relay.hpp"

namespace fs = std::filesystem;
using namespace cairn;
using namespace cairn::backend;
using cairn::test::pattern_bytes;
using cairn::test::random_name;
using cairn::test::TcpRelay;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

RemoteOptions options() {
  RemoteOptions o = RemoteOptions::from_env();
  o.retry.first_delay = std::chrono::milliseconds(20);
  o.retry.attempts = 3;
  o.connect_timeout = std::chrono::milliseconds(5000);
  o.stall_timeout = std::chrono::seconds(30);
  return o;
}

// The test URL with a fresh random sub-prefix.
std::string fresh(const char* var) { return env(var) + "/t" + random_name(12); }

std::unique_ptr<Backend> open_ok(const std::string& url, const RemoteOptions& o) {
  auto be = open_url(url, o);
  INFO(url);
  if (!be) FAIL(be.error().message);
  return std::move(*be);
}

struct Scratch {
  TempDir tmp = TempDir::create("cairn-remote-test-").value();
  fs::path dir = tmp.path();
  fs::path write(const std::string& name, ByteView b) const {
    std::ofstream f(dir / name, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return dir / name;
  }
};

// The port of "http://127.0.0.1:PORT/..." (0 unless a loopback endpoint).
std::uint16_t loopback_port(const std::string& endpoint) {
  auto ep = net::parse_endpoint(endpoint);
  if (!ep || !ep->host.starts_with("127.0.0.1:")) return 0;
  return static_cast<std::uint16_t>(std::stoi(ep->host.substr(10)));
}

std::string with_port(const std::string& endpoint, std::uint16_t from, std::uint16_t to) {
  std::string s = endpoint;
  const std::string a = fmt::format("127.0.0.1:{}", from);
  s.replace(s.find(a), a.size(), fmt::format("127.0.0.1:{}", to));
  return s;
}

// Large objects: uploaded in parts above the threshold, read back whole and across part edges.
void check_large(Backend& be, std::uint64_t part) {
  const Key from_file = Key::pack(random_name(64));
  const Bytes big = pattern_bytes(static_cast<std::size_t>(2 * part + part / 2 + 17), 9);
  Scratch s;
  REQUIRE(be.put_file(from_file, s.write("big", big)));
  auto info = be.stat(from_file);
  REQUIRE(info);
  REQUIRE(info->has_value());
  CHECK((*info)->size == big.size());
  auto all = be.get(from_file);
  REQUIRE(all);
  CHECK(all->size() == big.size());
  CHECK(*all == big);
  auto edge = be.get(from_file, part - 100, 200);  // across the first part boundary
  REQUIRE(edge);
  CHECK(*edge == Bytes(big.begin() + static_cast<std::ptrdiff_t>(part - 100),
                       big.begin() + static_cast<std::ptrdiff_t>(part + 100)));
  // From memory, with no_replace: goes up in parts too and still refuses to replace.
  const Key slot = Key::slot(random_name(32));
  REQUIRE(be.put(slot, big, /*no_replace=*/true));
  auto again = be.put(slot, big, /*no_replace=*/true);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::exists);
  auto slot_back = be.get(slot);
  REQUIRE(slot_back);
  CHECK(*slot_back == big);
  REQUIRE(be.remove(from_file));
  REQUIRE(be.remove(slot));
}

// Retries get through connections dropped at once; a server that goes away is a network
// error after the retries.
void check_connection_failures(
    const std::function<std::unique_ptr<Backend>(std::uint16_t relay_port)>& open,
    std::uint16_t target) {
  const Key k = Key::index(random_name(64));
  const Bytes body = pattern_bytes(50'000, 5);
  {
    TcpRelay relay(target);
    auto be = open(relay.port());
    relay.drop_next(2);
    auto put = be->put(k, body);  // a fresh backend: the first two connections are cut
    if (!put) FAIL(put.error().message);
    CHECK(relay.accepted() >= 3);
    auto back = be->get(k);
    REQUIRE(back);
    CHECK(*back == body);
    relay.stop();  // the server is gone; live connections are cut
    const auto t0 = std::chrono::steady_clock::now();
    auto g = be->get(k);
    REQUIRE_FALSE(g);
    CHECK(g.error().code == Errc::network);
    CHECK_THAT(g.error().message, Catch::Contains("tried 3 times"));
    CHECK(std::chrono::steady_clock::now() - t0 >=
          std::chrono::milliseconds(20));  // it waited between tries
  }
  TcpRelay relay(target);
  auto be = open(relay.port());
  REQUIRE(be->remove(k));
}

// Four threads share one backend: puts, gets, stats and listings interleave.
void check_concurrent(Backend& be) {
  constexpr int kThreads = 4, kEach = 6;
  std::vector<std::vector<Key>> keys(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach && errors[static_cast<std::size_t>(t)].empty(); ++i) {
        const Key k = Key::pack(random_name(64));
        const Bytes b = pattern_bytes(10'000 + static_cast<std::size_t>(i) * 1000,
                                      static_cast<std::uint32_t>(t * 100 + i));
        auto& err = errors[static_cast<std::size_t>(t)];
        if (auto st = be.put(k, b); !st)
          err = st.error().message;
        else if (auto g = be.get(k, 100, 500); !g)
          err = g.error().message;
        else if (*g != Bytes(b.begin() + 100, b.begin() + 600))
          err = "a range came back wrong";
        else if (auto info = be.stat(k); !info || !info->has_value() || (*info)->size != b.size())
          err = "stat disagrees";
        keys[static_cast<std::size_t>(t)].push_back(k);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) CHECK(e.empty());
  auto packs = cairn::test::listed(be, Kind::pack);
  for (const auto& ks : keys)
    for (const auto& k : ks) {
      CHECK(packs.contains(k.name));
      REQUIRE(be.remove(k));
    }
}

// Names that need percent-encoding in the URL, the signature and the quote commands.
constexpr const char* kOddPrefix = "odd dir+x=y&z~\xc3\xa9";

}  // namespace

// ---------------------------------------------------------------- S3

TEST_CASE("backend::S3: conformance", "[backend][.s3]") {
  Scratch s;
  auto be = open_ok(fresh("CAIRN_TEST_S3_URL"), options());
  cairn::test::run_conformance(*be, s.dir);
}

TEST_CASE("backend::S3: concurrent use and a prefix that needs encoding", "[backend][.s3]") {
  auto be = open_ok(fresh("CAIRN_TEST_S3_URL") + "/" + kOddPrefix, options());
  check_concurrent(*be);
}

TEST_CASE("backend::S3: a wrong secret is an auth error", "[backend][.s3]") {
  auto o = options();
  o.aws_secret_access_key = SecretString(o.aws_secret_access_key.reveal() + "x");
  auto be = open_ok(fresh("CAIRN_TEST_S3_URL"), o);
  const Key k = Key::index(random_name(64));
  auto put = be->put(k, as_bytes("x"));
  REQUIRE_FALSE(put);
  CHECK(put.error().code == Errc::auth);
  CHECK_THAT(put.error().message, Catch::Contains("SignatureDoesNotMatch"));
  auto get = be->get(k);
  REQUIRE_FALSE(get);
  CHECK(get.error().code == Errc::auth);
  auto stat = be->stat(k);
  REQUIRE_FALSE(stat);
  CHECK(stat.error().code == Errc::auth);
  auto list = be->list(Kind::index, [](const ObjectInfo&) -> Status { return {}; });
  REQUIRE_FALSE(list);
  CHECK(list.error().code == Errc::auth);
  // An unknown access key too.
  auto o2 = options();
  o2.aws_access_key_id = "nobody";
  auto be2 = open_ok(fresh("CAIRN_TEST_S3_URL"), o2);
  auto g2 = be2->stat(k);
  REQUIRE_FALSE(g2);
  CHECK(g2.error().code == Errc::auth);
}

TEST_CASE("backend::S3: multipart upload above the threshold", "[backend][.s3]") {
  auto o = options();
  o.multipart_threshold = 6ull << 20;
  o.part_size = 5ull << 20;
  auto be = open_ok(fresh("CAIRN_TEST_S3_URL"), o);
  check_large(*be, o.part_size);
}

TEST_CASE("backend::S3: a listing runs over many pages", "[backend][.s3]") {
  // 60 objects, 7 a page: the continuation tokens go back to the server signed.
  auto o = options();
  o.list_page_size = 7;
  auto be = open_ok(fresh("CAIRN_TEST_S3_URL"), o);
  std::set<std::string> names;
  for (int i = 0; i < 60; ++i) names.insert(random_name(32));
  for (const auto& n : names) REQUIRE(be->put(Key::slot(n), as_bytes("k")));
  CHECK(cairn::test::listed(*be, Kind::key) == names);
  for (const auto& n : names) REQUIRE(be->remove(Key::slot(n)));
  CHECK(cairn::test::listed(*be, Kind::key).empty());
}

TEST_CASE("backend::S3: dropped connections and a dead server", "[backend][.s3]") {
  const std::uint16_t port = loopback_port(env("CAIRN_S3_ENDPOINT"));
  if (port == 0) {
    WARN("CAIRN_S3_ENDPOINT is not a 127.0.0.1 endpoint: relay test not run");
    return;
  }
  const std::string url = fresh("CAIRN_TEST_S3_URL");
  check_connection_failures(
      [&](std::uint16_t relay) {
        auto o = options();
        o.s3_endpoint = with_port(o.s3_endpoint, port, relay);
        return open_ok(url, o);
      },
      port);
}

// ---------------------------------------------------------------- SFTP

namespace {

// The server's key blob (base64) from the known_hosts file the test environment names.
std::string known_host_key() {
  std::ifstream f(env("CAIRN_SSH_KNOWN_HOSTS"));
  std::string host, type, key;
  f >> host >> type >> key;
  return key;
}

std::string fingerprint(const std::string& key_b64) {
  auto blob = from_base64(key_b64);
  REQUIRE(blob);
  std::string fp = to_base64(hash::sha256(*blob));
  while (!fp.empty() && fp.back() == '=') fp.pop_back();
  return fp;
}

}  // namespace

TEST_CASE("backend::Sftp: conformance", "[backend][.sftp]") {
  Scratch s;
  auto be = open_ok(fresh("CAIRN_TEST_SFTP_URL"), options());
  cairn::test::run_conformance(*be, s.dir);
}

TEST_CASE("backend::Sftp: concurrent use and a path that needs quoting", "[backend][.sftp]") {
  const std::string odd = "odd dir+x=y&z~\xc3\xa9 \"q\" back\\slash";
  auto be = open_ok(fresh("CAIRN_TEST_SFTP_URL") + "/" + net::uri_encode(odd, false), options());
  check_concurrent(*be);
  const Key slot = Key::slot(random_name(32));  // replacing goes through the quote commands
  REQUIRE(be->put(slot, as_bytes("one")));
  REQUIRE(be->put(slot, as_bytes("two")));
  auto back = be->get(slot);
  REQUIRE(back);
  CHECK(as_chars(*back) == "two");
  REQUIRE(be->remove(slot));
  auto st = be->stat(slot);
  REQUIRE(st);
  CHECK_FALSE(st->has_value());
}

TEST_CASE("backend::Sftp: large files and replacing a key object", "[backend][.sftp]") {
  auto be = open_ok(fresh("CAIRN_TEST_SFTP_URL"), options());
  check_large(*be, 3ull << 20);
  const Key slot = Key::slot(random_name(32));
  for (int i = 0; i < 3; ++i) {
    const Bytes b =
        pattern_bytes(1000 + static_cast<std::size_t>(i), static_cast<std::uint32_t>(i));
    REQUIRE(be->put(slot, b));
    auto back = be->get(slot);
    REQUIRE(back);
    CHECK(*back == b);
  }
  CHECK(cairn::test::listed(*be, Kind::key) ==
        std::set<std::string>{slot.name});  // no temporaries left
  REQUIRE(be->remove(slot));
}

TEST_CASE("backend::Sftp: space is the server's file system, as statvfs reads it here",
          "[backend][.sftp]") {
  // The server runs on this host: its path is a local one too.
  auto u = parse_url(env("CAIRN_TEST_SFTP_URL"));
  REQUIRE(u);
  auto be = open_ok(env("CAIRN_TEST_SFTP_URL"), options());
  auto remote = be->space();
  REQUIRE(remote);
  REQUIRE(remote->has_value());
  auto here = fs_space(u->path);
  REQUIRE(here);
  CHECK((*remote)->size == here->size);
  // Others write meanwhile: allow 1 GiB of drift.
  CHECK(std::llabs(static_cast<long long>((*remote)->avail - here->avail)) < (1ll << 30));
  // A root that does not exist: the server refuses, so it cannot tell.
  auto none = open_ok(fresh("CAIRN_TEST_SFTP_URL") + "/not/made", options());
  auto missing = none->space();
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
}

TEST_CASE("backend::Sftp: the host key pin is enforced", "[backend][.sftp]") {
  const std::string url = fresh("CAIRN_TEST_SFTP_URL");
  const Key k = Key::config();
  auto base = options();
  const std::string key = base.ssh_host_sha256.empty() ? known_host_key() : "";

  SECTION("a wrong SHA-256 fingerprint is refused") {
    auto o = base;
    o.ssh_host_sha256 = std::string(43, 'A');
    auto be = open_ok(url, o);
    auto st = be->stat(k);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == Errc::auth);
    CHECK_THAT(st.error().message, Catch::Contains("host key"));
  }
  SECTION("the right SHA-256 fingerprint connects") {
    if (key.empty()) return;  // the environment pins by fingerprint already: conformance covers it
    auto o = base;
    o.ssh_host_sha256 = fingerprint(key);
    auto be = open_ok(url, o);
    CHECK(be->stat(k));
  }
  SECTION("known_hosts with another key for the host is refused") {
    Scratch s;
    std::ifstream in(env("CAIRN_SSH_KNOWN_HOSTS"));
    std::string host;
    in >> host;
    if (host.empty()) return;  // no known_hosts file in this environment
    // A well-formed ed25519 key that is not the server's.
    Bytes blob = {0, 0, 0, 11};
    append(blob, as_bytes("ssh-ed25519"));
    append(blob, Bytes{0, 0, 0, 32});
    append(blob, pattern_bytes(32, 77));
    std::ofstream(s.dir / "known_hosts") << host << " ssh-ed25519 " << to_base64(blob) << "\n";
    auto o = base;
    o.ssh_host_sha256.clear();
    o.ssh_known_hosts = s.dir / "known_hosts";
    auto be = open_ok(url, o);
    auto st = be->stat(k);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == Errc::auth);
    // ... and a known_hosts that does not list the host at all.
    std::ofstream(s.dir / "other") << "[192.0.2.1]:22 ssh-ed25519 " << to_base64(blob) << "\n";
    o.ssh_known_hosts = s.dir / "other";
    auto be2 = open_ok(url, o);
    auto st2 = be2->stat(k);
    REQUIRE_FALSE(st2);
    CHECK(st2.error().code == Errc::auth);
  }
}

TEST_CASE("backend::Sftp: a key the server does not accept is an auth error", "[backend][.sftp]") {
  Scratch s;
  // A fresh ed25519 key that the server has never seen.
  const fs::path key = s.dir / "id_ed25519";
  if (std::system(fmt::format("ssh-keygen -q -t ed25519 -N '' -f '{}' </dev/null >/dev/null 2>&1",
                              key.string())
                      .c_str()) != 0) {
    WARN("ssh-keygen is not available: test not run");
    return;
  }
  auto o = options();
  o.ssh_key = s.dir / "id_ed25519";
  auto be = open_ok(fresh("CAIRN_TEST_SFTP_URL"), o);
  auto st = be->stat(Key::config());
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::auth);
}

TEST_CASE("backend::Sftp: dropped connections and a dead server", "[backend][.sftp]") {
  auto u = parse_url(env("CAIRN_TEST_SFTP_URL"));
  REQUIRE(u);
  if (u->host != "127.0.0.1") {
    WARN("CAIRN_TEST_SFTP_URL is not on 127.0.0.1: relay test not run");
    return;
  }
  const std::uint16_t port = u->port ? u->port : 22;
  const std::string path = u->path + "/t" + random_name(12);
  const std::string user = u->user.empty() ? "" : u->user + "@";
  auto o = options();
  if (o.ssh_host_sha256.empty())
    o.ssh_host_sha256 = fingerprint(known_host_key());  // known_hosts names the port
  check_connection_failures(
      [&](std::uint16_t relay) {
        return open_ok(fmt::format("sftp://{}127.0.0.1:{}{}", user, relay, path), o);
      },
      port);
}

// ---------------------------------------------------------------- Azure

TEST_CASE("backend::Azure: conformance", "[backend][.azure]") {
  Scratch s;
  auto be = open_ok(fresh("CAIRN_TEST_AZURE_URL"), options());
  cairn::test::run_conformance(*be, s.dir);
}

TEST_CASE("backend::Azure: concurrent use and a prefix that needs encoding", "[backend][.azure]") {
  auto be = open_ok(fresh("CAIRN_TEST_AZURE_URL") + "/" + kOddPrefix, options());
  check_concurrent(*be);
}

TEST_CASE("backend::Azure: a wrong key is an auth error", "[backend][.azure]") {
  auto o = options();
  auto good = from_base64(o.azure_key.reveal());
  Bytes wrong = good && !good->empty() ? *good : Bytes(64, 1);
  wrong[0] ^= 1;
  o.azure_key = SecretString(to_base64(wrong));
  o.azure_connection_string = SecretString{};
  auto be = open_ok(fresh("CAIRN_TEST_AZURE_URL"), o);
  const Key k = Key::index(random_name(64));
  auto put = be->put(k, as_bytes("x"));
  REQUIRE_FALSE(put);
  CHECK(put.error().code == Errc::auth);
  auto get = be->get(k);
  REQUIRE_FALSE(get);
  CHECK(get.error().code == Errc::auth);
  auto list = be->list(Kind::index, [](const ObjectInfo&) -> Status { return {}; });
  REQUIRE_FALSE(list);
  CHECK(list.error().code == Errc::auth);
}

TEST_CASE("backend::Azure: a SAS token instead of the key", "[backend][.azure]") {
  // An account SAS (blob service, read/write/delete/list), signed here with the account key.
  auto o = options();
  auto u = parse_url(env("CAIRN_TEST_AZURE_URL"));
  REQUIRE(u);
  auto key = from_base64(o.azure_key.reveal());
  if (!key || key->empty()) {
    WARN("AZURE_STORAGE_KEY is not set: SAS test not run");
    return;
  }
  const std::string to_sign = fmt::format(
      "{}\nrwdlac\nb\nsco\n\n2099-01-01T00:00:00Z\n\nhttps,http\n2021-12-02\n\n", u->account);
  const std::string sig = to_base64(hash::hmac_sha256(*key, as_bytes(to_sign)));
  const std::string sas =
      "sv=2021-12-02&ss=b&srt=sco&sp=rwdlac&se=2099-01-01T00%3A00%3A00Z&spr=https%2Chttp&sig=" +
      net::uri_encode(sig, false);
  o.azure_key = SecretString{};
  o.azure_connection_string = SecretString{};
  o.azure_sas_token = SecretString("?" + sas);
  const std::string url = fresh("CAIRN_TEST_AZURE_URL");
  auto be = open_ok(url, o);
  const Key k = Key::set(random_name(64));
  const Bytes body = pattern_bytes(3000, 1);
  REQUIRE(be->put(k, body));
  auto back = be->get(k, 10, 20);
  REQUIRE(back);
  CHECK(*back == Bytes(body.begin() + 10, body.begin() + 30));
  CHECK(cairn::test::listed(*be, Kind::set) == std::set<std::string>{k.name});
  // A tampered signature is refused.
  auto bad = o;
  bad.azure_sas_token = SecretString(sas.substr(0, sas.size() - 6) + "AAAAAA");
  auto be_bad = open_ok(url, bad);
  auto g = be_bad->get(k);
  REQUIRE_FALSE(g);
  CHECK(g.error().code == Errc::auth);
  REQUIRE(be->remove(k));
}

TEST_CASE("backend::Azure: blocks above the threshold", "[backend][.azure]") {
  auto o = options();
  o.multipart_threshold = 2ull << 20;
  o.part_size = 1ull << 20;
  auto be = open_ok(fresh("CAIRN_TEST_AZURE_URL"), o);
  check_large(*be, o.part_size);
}

TEST_CASE("backend::Azure: a listing runs over many pages", "[backend][.azure]") {
  // 60 objects, 7 a page: the markers go back to the server signed.
  auto o = options();
  o.list_page_size = 7;
  auto be = open_ok(fresh("CAIRN_TEST_AZURE_URL"), o);
  std::set<std::string> names;
  for (int i = 0; i < 60; ++i) names.insert(random_name(32));
  for (const auto& n : names) REQUIRE(be->put(Key::slot(n), Bytes{}));
  CHECK(cairn::test::listed(*be, Kind::key) == names);
  for (const auto& n : names) REQUIRE(be->remove(Key::slot(n)));
}

TEST_CASE("backend::Azure: dropped connections and a dead server", "[backend][.azure]") {
  const std::uint16_t port = loopback_port(env("CAIRN_AZURE_ENDPOINT"));
  if (port == 0) {
    WARN("CAIRN_AZURE_ENDPOINT is not a 127.0.0.1 endpoint: relay test not run");
    return;
  }
  const std::string url = fresh("CAIRN_TEST_AZURE_URL");
  check_connection_failures(
      [&](std::uint16_t relay) {
        auto o = options();
        o.azure_endpoint = with_port(o.azure_endpoint, port, relay);
        return open_ok(url, o);
      },
      port);
}
