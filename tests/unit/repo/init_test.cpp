#include <sys/stat.h>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "io/file.hpp"
#include "repo/objects.hpp"
#include "repo/repo_fixture.hpp"

using namespace cairn;
using namespace cairn::test;

namespace {

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("repo::init: creates a repository that opens with its passphrase", "[repo]") {
  SodiumInit sodium;
  Scratch s;
  const fs::path dir = s.dir / "repo";
  auto o = small_options();
  o.chunk_hash = hash::Algo::blake2b_keyed;
  o.zstd_level = 5;
  REQUIRE(repo::init(dir, "correct horse", o));
  for (const char* sub : {"keys", "packs", "index", "sets", "tmp"})
    CHECK(fs::is_directory(dir / sub));
  CHECK(fs::is_regular_file(dir / "config"));

  auto r = open_ok(dir, "correct horse");
  const auto& c = r->config();
  CHECK(c.version == repo::kFormatVersion);
  CHECK(c.chunking.min_size == o.chunking.min_size);
  CHECK(c.chunking.avg_size == o.chunking.avg_size);
  CHECK(c.chunking.max_size == o.chunking.max_size);
  CHECK(c.chunk_hash == hash::Algo::blake2b_keyed);
  CHECK(c.zstd_level == 5);
  CHECK(c.pack_size == o.pack_size);
  CHECK(c.repo_id.size() == 32);
  CHECK(c.repo_id == r->keys().repo_id);
  CHECK(c.box_pk == r->keys().box_pk);
  CHECK(c.sign_pk == r->keys().sign_pk);
  CHECK(c.created_unix > 1'600'000'000);
  CHECK(r->keys().can_read());
  CHECK(r->chunker().params().avg_size == o.chunking.avg_size);
  auto keys = r->list_keys();
  REQUIRE(keys);
  REQUIRE(keys->size() == 1);
  CHECK(r->current_slot() == keys->front());
  CHECK(keys->front().size() == 32);
}

TEST_CASE("repo::init: files are 0600 and directories 0700", "[repo]") {
  TestRepo t;
  CHECK(mode_of(t.dir) == 0700);
  for (const auto& e : fs::recursive_directory_iterator(t.dir)) {
    INFO(e.path());
    CHECK(mode_of(e.path()) == (e.is_directory() ? 0700 : 0600));
  }
}

TEST_CASE("repo::init: refuses an existing repository and changes nothing", "[repo]") {
  TestRepo t;
  auto r = t.open();
  store(*r, {random_bytes(1000)});
  const auto before = snapshot(t.dir);
  auto again = repo::init(t.dir, "other", small_options());
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::exists);
  CHECK(again.error().message ==
        fmt::format("a repository already exists at '{}'", t.dir.string()));
  CHECK(snapshot(t.dir) == before);
  auto still = t.open();  // the old passphrase still opens it; the new one does not
  auto other = repo::Repository::open(t.dir, repo::Unlock{"other", {}});
  REQUIRE_FALSE(other);
  CHECK(other.error().code == Errc::auth);
}

TEST_CASE("repo::init: refuses a non-empty directory or a lone keys/ folder", "[repo]") {
  SodiumInit sodium;
  Scratch s;
  write_all(s.dir / "somefile", as_bytes("x"));
  auto st = repo::init(s.dir, "pass", small_options());
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::exists);
  CHECK_FALSE(fs::exists(s.dir / "config"));
  fs::remove(s.dir / "somefile");
  fs::create_directory(s.dir / "keys");
  auto st2 = repo::init(s.dir, "pass", small_options());
  REQUIRE_FALSE(st2);
  CHECK(st2.error().code == Errc::exists);
  // an empty directory is fine
  fs::remove(s.dir / "keys");
  CHECK(repo::init(s.dir, "pass", small_options()));
}

TEST_CASE("repo::init: refuses invalid options before touching the disk", "[repo]") {
  SodiumInit sodium;
  Scratch s;
  auto bad_chunks = small_options();
  bad_chunks.chunking.avg_size = 100'000;  // not a power of two
  auto bad_pack = small_options();
  bad_pack.pack_size = 10;
  auto bad_level = small_options();
  bad_level.zstd_level = 99;
  auto bad_kdf = small_options();
  bad_kdf.kdf.salt.clear();
  for (const auto* o : {&bad_chunks, &bad_pack, &bad_level, &bad_kdf}) {
    auto st = repo::init(s.dir / "repo", "pass", *o);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == Errc::bad_input);
    CHECK_FALSE(fs::exists(s.dir / "repo"));
  }
}

TEST_CASE("repo::Repository::open: wrong passphrase is an auth error", "[repo]") {
  TestRepo t;
  auto r = repo::Repository::open(t.dir, repo::Unlock{"wrong", {}});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::auth);
  CHECK(r.error().message == fmt::format("wrong passphrase for repository '{}'", t.dir.string()));
}

TEST_CASE("repo::Repository::open: no repository is no_repo", "[repo]") {
  SodiumInit sodium;
  Scratch s;
  const repo::Unlock u{"pass", {}};
  auto missing = repo::Repository::open(s.dir / "absent", u);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::no_repo);
  CHECK(missing.error().message ==
        fmt::format("no cairn repository at '{}' (run 'cairn init' first)",
                    (s.dir / "absent").string()));
  auto empty = repo::Repository::open(s.dir, u);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == Errc::no_repo);
  // keys but no config (an interrupted init), or a config but no keys
  TestRepo t;
  fs::rename(t.dir / "config", s.dir / "config.saved");
  auto no_config = repo::Repository::open(t.dir, u);
  REQUIRE_FALSE(no_config);
  CHECK(no_config.error().code == Errc::no_repo);
  fs::rename(s.dir / "config.saved", t.dir / "config");
  fs::rename(t.dir / "keys", s.dir / "keys.saved");
  auto no_keys = repo::Repository::open(t.dir, u);
  REQUIRE_FALSE(no_keys);
  CHECK(no_keys.error().code == Errc::no_repo);
}

TEST_CASE("repo::decode_config: verifies the signature before parsing", "[repo]") {
  SodiumInit sodium;
  auto k = crypto::KeyMaterial::generate(Bytes(32, 1));
  repo::Config c;
  c.repo_id = k.repo_id;
  c.box_pk = k.box_pk;
  c.sign_pk = k.sign_pk;
  c.chunking = small_options().chunking;
  c.pack_size = 1 << 20;
  c.created_unix = 1234;
  const Bytes file = repo::encode_config(c, k.sign_sk.view());
  auto back = repo::decode_config(file, k.sign_pk, "config");
  REQUIRE(back);
  CHECK(back->repo_id == c.repo_id);
  CHECK(back->created_unix == 1234);
  CHECK(back->pack_size == c.pack_size);
  // signed by another key: refused although the JSON is fine
  auto other = crypto::KeyMaterial::generate(Bytes(32, 1));
  auto forged =
      repo::decode_config(repo::encode_config(c, other.sign_sk.view()), k.sign_pk, "config");
  REQUIRE_FALSE(forged);
  CHECK(forged.error().code == Errc::corrupt);
  // a write-only host re-signs the config with the only signing key it has (its writer key)
  auto w = k.write_only();
  auto resigned =
      repo::decode_config(repo::encode_config(c, w.writer_sk.view()), k.sign_pk, "config");
  REQUIRE_FALSE(resigned);
  CHECK(resigned.error().code == Errc::corrupt);
  // a valid signature over a config with another version: unsupported
  c.version = 3;
  auto v2 = repo::decode_config(repo::encode_config(c, k.sign_sk.view()), k.sign_pk, "config");
  REQUIRE_FALSE(v2);
  CHECK(v2.error().code == Errc::unsupported_format);
}

TEST_CASE("repo::init: the compression default round-trips; a plain level writes no field",
          "[repo]") {
  SodiumInit sodium;
  Scratch s;
  using Mode = compress::Setting::Mode;
  for (Mode m : {Mode::level, Mode::automatic, Mode::off}) {
    const fs::path dir = s.dir / fmt::format("repo{}", static_cast<int>(m));
    auto o = small_options();
    o.compression_mode = m;
    REQUIRE(repo::init(dir, "correct horse", o));
    auto r = open_ok(dir, "correct horse");
    CHECK(r->config().compression_mode == m);
    CHECK(r->config().compression().level == o.zstd_level);
    // Older repositories have no "compression" key: a plain level must not add one.
    auto text = io::read_file(dir / "config");
    REQUIRE(text.has_value());
    const std::string_view json(reinterpret_cast<const char*>(text->data()), text->size());
    CHECK((json.find("\"compression\"") != std::string_view::npos) == (m != Mode::level));
  }
}
