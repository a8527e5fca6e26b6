// backend::parse_url and open_url: the URL registry.
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "backend/conformance.hpp"
#include "backend/remote.hpp"
#include "base/tempdir.hpp"

namespace fs = std::filesystem;
using namespace cairn;
using namespace cairn::backend;

namespace {

Url parsed(std::string_view s) {
  auto u = parse_url(s);
  INFO(s);
  REQUIRE(u);
  return *u;
}

void refused(std::string_view s) {
  auto u = parse_url(s);
  INFO(s);
  REQUIRE_FALSE(u);
  CHECK(u.error().code == Errc::usage);
}

// Sets environment variables for one test and puts the old values back.
class EnvGuard {
 public:
  ~EnvGuard() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second)
        ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else
        ::unsetenv(it->first.c_str());
    }
  }
  void set(const char* name, const char* value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace

TEST_CASE("backend::parse_url: local paths", "[backend]") {
  auto bare = parsed("relative/repo");
  CHECK(bare.scheme == Url::Scheme::file);
  CHECK(bare.path == "relative/repo");
  auto abs = parsed("/srv/backups");
  CHECK(abs.scheme == Url::Scheme::file);
  CHECK(abs.path == "/srv/backups");
  auto file = parsed("file:///mnt/nas/my%20repo");
  CHECK(file.scheme == Url::Scheme::file);
  CHECK(file.path == "/mnt/nas/my repo");
  CHECK(parsed("file://localhost/x").path == "/x");
  refused("file://otherhost/x");
  refused("file:///bad%zz");
  refused("");
}

TEST_CASE("backend::parse_url: s3 buckets and prefixes", "[backend]") {
  auto u = parsed("s3://dr-east/app/");
  CHECK(u.scheme == Url::Scheme::s3);
  CHECK(u.bucket == "dr-east");
  CHECK(u.path == "app");
  CHECK(parsed("s3://my.bucket.example").path.empty());
  CHECK(parsed("s3://bkt/a/b/c").path == "a/b/c");
  refused("s3://Upper/x");
  refused("s3://ab");
  refused("s3://-bad/x");
  refused("s3://bkt/a//b");
  refused("s3://bkt/a/../b");
  refused("s3:///x");
}

TEST_CASE("backend::parse_url: sftp user, host, port and path", "[backend]") {
  auto u = parsed("sftp://backup@nas.local:2222/srv/backups/app");
  CHECK(u.scheme == Url::Scheme::sftp);
  CHECK(u.user == "backup");
  CHECK(u.host == "nas.local");
  CHECK(u.port == 2222);
  CHECK(u.path == "/srv/backups/app");
  auto plain = parsed("sftp://nas/backups");
  CHECK(plain.user.empty());
  CHECK(plain.port == 0);
  CHECK(plain.path == "/backups");
  CHECK(parsed("sftp://nas/~/repo").path == "/~/repo");
  CHECK(parsed("sftp://nas/~").path == "/~/");
  CHECK(parsed("sftp://nas/a%20b").path == "/a b");
  auto v6 = parsed("sftp://u@[::1]:22/x");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 22);
  refused("sftp://nas");
  refused("sftp://user:secret@nas/x");  // no passwords in URLs
  refused("sftp://nas:0/x");
  refused("sftp://nas:70000/x");
  refused("sftp://nas:22x/x");
  refused("sftp://@nas/x");
  refused("sftp://na$s/x");
}

TEST_CASE("backend::parse_url: azure account, container, prefix", "[backend]") {
  auto u = parsed("azure://devstoreaccount1/cairn-test/a/b");
  CHECK(u.scheme == Url::Scheme::azure);
  CHECK(u.account == "devstoreaccount1");
  CHECK(u.bucket == "cairn-test");
  CHECK(u.path == "a/b");
  CHECK(parsed("azure://acct/box").path.empty());
  refused("azure://acct");
  refused("azure://Acct/box");
  refused("azure://acct/bo");
  refused("azure://acct/a--b");
  refused("azure://ac/box");
  refused("gs://bucket/x");
}

TEST_CASE("backend::open_url: remotes without credentials are refused before any contact",
          "[backend]") {
  RemoteOptions o;  // nothing set
  auto s3 = open_url("s3://bucket/p", o);
  REQUIRE_FALSE(s3);
  CHECK(s3.error().code == Errc::auth);
  CHECK_THAT(s3.error().message, Catch::Contains("AWS_ACCESS_KEY_ID"));
  auto az = open_url("azure://acct/box", o);
  REQUIRE_FALSE(az);
  CHECK(az.error().code == Errc::auth);
  auto bad = open_url("ftp://host/x", o);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::usage);
  o.aws_access_key_id = "id";
  o.aws_secret_access_key = SecretString("secret");
  o.s3_endpoint = "ftp://127.0.0.1";
  auto ep = open_url("s3://bucket/p", o);
  REQUIRE_FALSE(ep);
  CHECK(ep.error().code == Errc::usage);
}

TEST_CASE("backend::open_url: file URLs and bare paths open a local repository", "[backend]") {
  const TempDir tmp = TempDir::create("cairn-url-test-").value();
  const fs::path& dir = tmp.path();
  RemoteOptions o;
  auto missing = open_url((dir / "repo").string(), o);
  REQUIRE_FALSE(missing);  // not created unless asked
  o.create = true;
  auto be = open_url("file://" + (dir / "repo").string(), o);
  REQUIRE(be);
  CHECK((*be)->properties().local);
  CHECK(fs::is_directory(dir / "repo" / "packs"));
  o.create = false;
  auto again = open_url((dir / "repo").string(), o);
  REQUIRE(again);
  cairn::test::run_conformance(**again, dir);
}

TEST_CASE("backend::RemoteOptions::from_env: reads credentials and defaults", "[backend]") {
  EnvGuard env;
  env.set("AWS_ACCESS_KEY_ID", "AKIDTEST");
  env.set("AWS_SECRET_ACCESS_KEY", "s3cr3t");
  env.set("AWS_REGION", nullptr);
  env.set("AWS_DEFAULT_REGION", "eu-west-2");
  env.set("CAIRN_SSH_HOST_SHA256", "pin");
  env.set("HOME", "/home/tester");
  env.set("CAIRN_SSH_KEY", nullptr);
  env.set("CAIRN_SSH_KNOWN_HOSTS", nullptr);
  auto o = RemoteOptions::from_env();
  CHECK(o.aws_access_key_id == "AKIDTEST");
  CHECK(o.aws_secret_access_key.reveal() == "s3cr3t");
  CHECK(o.aws_region == "eu-west-2");
  CHECK(o.ssh_host_sha256 == "pin");
  CHECK(o.ssh_key == fs::path("/home/tester/.ssh/id_ed25519"));
  CHECK(o.ssh_known_hosts == fs::path("/home/tester/.ssh/known_hosts"));
  env.set("AWS_REGION", "ap-south-1");
  CHECK(RemoteOptions::from_env().aws_region == "ap-south-1");
}

TEST_CASE("backend::RemoteOptions::from_env: the AWS credentials file and profile, env first",
          "[backend]") {
  auto dir = TempDir::create("cairn-aws-");
  REQUIRE(dir);
  const fs::path creds = dir->path() / "credentials";
  {
    std::FILE* f = std::fopen(creds.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs(
        "; comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = sd\n\n"
        "[ci]\nAWS_ACCESS_KEY_ID=AKIDCI\naws_secret_access_key=sci\naws_session_token = tok\n"
        "[half]\naws_access_key_id = AKIDHALF\n",
        f);
    std::fclose(f);
  }
  EnvGuard env;
  env.set("AWS_ACCESS_KEY_ID", nullptr);
  env.set("AWS_SECRET_ACCESS_KEY", nullptr);
  env.set("AWS_SESSION_TOKEN", nullptr);
  env.set("AWS_PROFILE", nullptr);
  env.set("HOME", dir->path().c_str());  // no .aws there: no credentials, no error
  env.set("AWS_SHARED_CREDENTIALS_FILE", nullptr);
  auto none = RemoteOptions::from_env();
  CHECK(none.aws_access_key_id.empty());
  CHECK(none.aws_credentials_error.empty());

  env.set("AWS_SHARED_CREDENTIALS_FILE", creds.c_str());
  auto d = RemoteOptions::from_env();
  CHECK(d.aws_access_key_id == "AKIDDEFAULT");
  CHECK(d.aws_secret_access_key.reveal() == "sd");
  CHECK(d.aws_session_token.empty());
  env.set("AWS_PROFILE", "ci");
  auto ci = RemoteOptions::from_env();
  CHECK(ci.aws_access_key_id == "AKIDCI");
  CHECK(ci.aws_secret_access_key.reveal() == "sci");
  CHECK(ci.aws_session_token.reveal() == "tok");
  env.set("AWS_PROFILE", "half");
  CHECK(RemoteOptions::from_env().aws_credentials_error.find("lacks aws_access_key_id or") !=
        std::string::npos);
  env.set("AWS_PROFILE", "nope");
  auto nope = RemoteOptions::from_env();
  CHECK(nope.aws_credentials_error.find("'nope' is not in") != std::string::npos);
  CHECK(nope.aws_credentials_error.find("it has: default, ci, half") != std::string::npos);
  auto opened = open_url("s3://bucket/p", nope);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code == Errc::auth);
  env.set("AWS_ACCESS_KEY_ID", "AKIDENV");  // the environment first: the profile is not read
  env.set("AWS_SECRET_ACCESS_KEY", "senv");
  auto e = RemoteOptions::from_env();
  CHECK(e.aws_access_key_id == "AKIDENV");
  CHECK(e.aws_credentials_error.empty());
  env.set("AWS_ACCESS_KEY_ID", nullptr);
  env.set("AWS_PROFILE", nullptr);
  env.set("AWS_SHARED_CREDENTIALS_FILE", (dir->path() / "missing").c_str());
  CHECK(RemoteOptions::from_env().aws_credentials_error.find("does not exist") !=
        std::string::npos);
}

TEST_CASE("backend::canonical_name: a local directory by its absolute path, other URLs as given",
          "[backend]") {
  const std::string cwd = fs::current_path().string();
  CHECK(canonical_name("dest") == "file://" + cwd + "/dest");
  CHECK(canonical_name("./dest/") == "file://" + cwd + "/dest");
  CHECK(canonical_name("file:///mnt/nas/./cairn/") == "file:///mnt/nas/cairn");
  CHECK(canonical_name("/mnt/nas/x/../cairn") == "file:///mnt/nas/cairn");
  CHECK(canonical_name("s3://bucket/app") == "s3://bucket/app");
  CHECK(canonical_name("sftp://u@nas/backups/") == "sftp://u@nas/backups/");
}
