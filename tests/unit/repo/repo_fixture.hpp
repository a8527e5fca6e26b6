// tests/unit/repo/repo_fixture.hpp: scratch repositories and file mutations for repo tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "backend/backend.hpp"
#include "base/tempdir.hpp"
#include "crypto/crypto.hpp"
#include "io/file.hpp"
#include "repo/repo.hpp"
#include "support/repo.hpp"  // small_options, random_bytes

namespace cairn::test {

namespace fs = std::filesystem;

struct SodiumInit {
  SodiumInit() { REQUIRE(crypto::init()); }
};

// A scratch directory removed at the end of the test.
struct Scratch {
  TempDir tmp = TempDir::create("cairn-repo-").value();
  fs::path dir = tmp.path();
};

inline std::unique_ptr<repo::Repository> open_ok(const fs::path& dir, std::string pass,
                                                 std::optional<fs::path> key_file = std::nullopt) {
  auto r = repo::Repository::open(dir, repo::Unlock{std::move(pass), std::move(key_file)});
  if (!r) FAIL("open failed: " << r.error().message);
  return std::move(*r);
}

// A fresh repository at <scratch>/repo with passphrase "pass".
struct TestRepo {
  SodiumInit init;
  Scratch scratch;
  fs::path dir = scratch.dir / "repo";
  explicit TestRepo(repo::InitOptions o = small_options()) {
    auto st = repo::init(dir, "pass", o);
    if (!st) FAIL("init failed: " << st.error().message);
  }
  std::unique_ptr<repo::Repository> open(std::string pass = "pass") const {
    return open_ok(dir, std::move(pass));
  }
  // Opened over its storage wrapped in a W (made from the storage and `args`), which `w`
  // points to: a backend that counts, delays or changes calls.
  template <typename W, typename... Args>
  std::unique_ptr<repo::Repository> open_over(W*& w, Args&&... args) const {
    auto local = backend::open_local(dir, false);
    REQUIRE(local);
    auto wrapped = std::make_unique<W>(std::move(*local), std::forward<Args>(args)...);
    w = wrapped.get();
    fs::create_directories(scratch.dir / "tmp");
    auto r = repo::Repository::open(std::move(wrapped), repo::Unlock{std::string("pass"), {}},
                                    scratch.dir / "tmp");
    if (!r) FAIL("open failed: " << r.error().message);
    return std::move(*r);
  }
};

inline Bytes text_bytes(std::size_t n, std::uint32_t seed) {  // compressible
  static constexpr std::string_view kWords[] = {"cairn ", "backup ", "pack ",
                                                "chunk ", "stone ",  "trail "};
  Bytes b;
  b.reserve(n);
  std::uint32_t x = seed * 2654435761u + 7;
  while (b.size() < n) {
    x = x * 1664525u + 1013904223u;
    append(b, as_bytes(kWords[(x >> 16) % 6]));
  }
  b.resize(n);
  return b;
}

// Stores chunks in one session and finishes it; returns the ids in order.
inline std::vector<hash::ChunkId> store(
    repo::Repository& r, const std::vector<Bytes>& chunks,
    repo::WriteSession::Scope scope = repo::WriteSession::Scope::any) {
  auto s = r.begin_write(scope);
  REQUIRE(s);
  std::vector<hash::ChunkId> ids;
  for (const auto& c : chunks) {
    ids.push_back((*s)->id_of(c));
    auto put = (*s)->put(ids.back(), repo::BlobType::data, c);
    REQUIRE(put);
  }
  auto fin = (*s)->finish();
  REQUIRE(fin);
  return ids;
}

// Every regular file under `dir` with its bytes (to show that nothing changed).
inline std::map<std::string, Bytes> snapshot(const fs::path& dir) {
  std::map<std::string, Bytes> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    auto b = io::read_file(e.path());
    REQUIRE(b);
    out[fs::relative(e.path(), dir).string()] = std::move(*b);
  }
  return out;
}

inline std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); ++it)
    if (it->is_regular_file()) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

inline Bytes read_all(const fs::path& p) {
  auto b = io::read_file(p);
  REQUIRE(b);
  return std::move(*b);
}

inline void write_all(const fs::path& p, ByteView b) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  REQUIRE(f.good());
}

// The ways a stored file can be damaged. Each returns a description for INFO().
enum class Damage {
  flip_header,
  flip_middle,
  flip_end,
  truncate_one,
  truncate_half,
  append_garbage
};
inline constexpr Damage kAllDamage[] = {Damage::flip_header,   Damage::flip_middle,
                                        Damage::flip_end,      Damage::truncate_one,
                                        Damage::truncate_half, Damage::append_garbage};

inline std::string damage(const fs::path& p, Damage d) {
  Bytes b = read_all(p);
  REQUIRE(b.size() > 16);
  std::string what;
  switch (d) {
    case Damage::flip_header:
      b[9] ^= 0x01;
      what = "bit flip at 9";
      break;
    case Damage::flip_middle:
      b[b.size() / 2] ^= 0x40;
      what = "bit flip in the middle";
      break;
    case Damage::flip_end:
      b[b.size() - 1] ^= 0x80;
      what = "bit flip in the last byte";
      break;
    case Damage::truncate_one:
      b.pop_back();
      what = "truncated by one byte";
      break;
    case Damage::truncate_half:
      b.resize(b.size() / 2);
      what = "truncated to half";
      break;
    case Damage::append_garbage:
      append(b, as_bytes("garbage!"));
      what = "garbage appended";
      break;
  }
  write_all(p, b);
  return what + " of " + p.filename().string();
}

}  // namespace cairn::test
