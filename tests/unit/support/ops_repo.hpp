// tests/unit/support/ops_repo.hpp: the scratch repository the ops tests share (shared test
// fixtures, issue 17): a repository with small chunks and packs and a catalog next to it,
// sets packed from in-memory files with ops::pack, read back with ops::restore. Header-only
// (each unit-test binary links only its own module); include it as "support/ops_repo.hpp".
#pragma once

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/tempdir.hpp"
#include "crypto/crypto.hpp"
#include "manifest/manifest.hpp"
#include "ops/context.hpp"
#include "ops/pack.hpp"
#include "ops/process.hpp"
#include "ops/restore.hpp"
#include "support/repo.hpp"

namespace cairn::test {

// Files of a set: path -> content, packed as regular files (mode 0644) with inline content.
using Files = std::vector<std::pair<std::string, Bytes>>;

// The lines of `text` (a tool's output), without their newlines.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> v;
  std::size_t p = 0;
  while (p < text.size()) {
    std::size_t n = text.find('\n', p);
    if (n == std::string::npos) n = text.size();
    v.push_back(text.substr(p, n - p));
    p = n + 1;
  }
  return v;
}

inline Bytes bytes_of(std::string_view s) { return Bytes(as_bytes(s).begin(), as_bytes(s).end()); }

// A repository at DIR/repo (passphrase "pass", small_options()) and its catalog DIR/catalog.db.
inline ops::RepoOptions init_ops_repo(const std::filesystem::path& dir,
                                      const repo::InitOptions& io = small_options()) {
  REQUIRE(ops::init_process());
  ops::RepoOptions ro;
  ro.repo = dir / "repo";
  ro.unlock.passphrase = "pass";
  ro.catalog = dir / "catalog.db";
  auto st = repo::init(ro.repo, "pass", io);
  if (!st) FAIL("init: " << st.error().message);
  return ro;
}

// The code of the error `r` holds (the test fails if `r` holds a value).
template <class T>
Errc failed_with(const Result<T>& r) {
  REQUIRE(!r);
  return r.error().code;
}

// A scratch directory with a repository in it (init_ops_repo), removed at the end of the test.
struct ScratchRepo {
  TempDir tmp = TempDir::create("cairn-ops-").value();
  std::filesystem::path dir = tmp.path();
  ops::RepoOptions ro = init_ops_repo(dir);
};

// A manifest stream of `files` (inline content), as cairn-snap --stdin writes one.
inline std::string manifest_stream(const std::string& source, const std::string& klass,
                                   std::int64_t started_ns, const Files& files) {
  io::StringWriter stream;
  manifest::Writer w(stream);
  REQUIRE(w.header(manifest::SetInfo{source, "testhost", klass, started_ns, {}}));
  for (const auto& [path, content] : files) {
    manifest::Entry e;
    e.path = path;
    e.type = manifest::Type::file;
    e.mode = 0644;
    e.inline_content = true;
    REQUIRE(w.entry(e));
    REQUIRE(w.frame(content));
    REQUIRE(w.end_frames());
  }
  REQUIRE(w.finish());
  return stream.out;
}

// What one run of an ops entry point gave: its result, what it wrote, the warnings it reported.
struct Ran {
  Result<ops::Outcome> result = Error{Errc::internal, "not run"};
  std::string out;
  int warnings = 0;
};

// Runs `op(in, out, obs, cancel)`, an ops entry point with its options bound, on `input`.
template <class Op>
Ran run_op(Op&& op, std::string_view input = {}) {
  io::MemReader in(as_bytes(input));
  io::StringWriter out;
  CountingObserver obs;
  CancelToken cancel;
  Ran r;
  r.result = op(static_cast<io::Reader&>(in), static_cast<io::Writer&>(out),
                static_cast<Observer&>(obs), cancel);
  r.out = std::move(out.out);
  r.warnings = static_cast<int>(obs.warnings.load());
  return r;
}

// ops::pack of `stream` with one worker (chunks land in packs in input order); returns what
// cairn-pack prints (the set id, then "+REL" per object written).
inline std::string pack_stream(const ops::RepoOptions& ro, const std::string& stream,
                               model::SetKind kind = model::SetKind::incremental) {
  const ops::PackOptions po{ro, kind, 1};
  Ran r = run_op(
      [&](auto& in, auto& out, auto& obs, auto& c) { return ops::pack(po, in, out, obs, c); },
      stream);
  if (!r.result) FAIL("pack: " << r.result.error().message);
  return r.out;
}

// Packs one set of `files`; returns its id (the first line cairn-pack prints).
inline hash::SetId pack_files(const ops::RepoOptions& ro, const std::string& source,
                              const std::string& klass, std::int64_t started_ns, const Files& files,
                              model::SetKind kind = model::SetKind::incremental) {
  const std::string out = pack_stream(ro, manifest_stream(source, klass, started_ns, files), kind);
  auto id = hash::SetId::from_hex(out.substr(0, out.find('\n')));
  REQUIRE(id);
  return *id;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Restores set `set` (any reference ops::restore takes) of the repository `ro` names into
// `to`, and checks every file against `files`.
inline void check_restores(const ops::RepoOptions& ro, const std::string& set,
                           const std::filesystem::path& to, const Files& files) {
  ops::RestoreOptions o;
  o.repo = ro;
  o.set = set;
  o.to = to;
  o.jobs = 1;
  Ran r =
      run_op([&](auto&, auto& out, auto& obs, auto& c) { return ops::restore(o, out, obs, c); });
  if (!r.result) FAIL("restore of " << set << ": " << r.result.error().message);
  for (const auto& [path, content] : files) {
    INFO(path);
    CHECK(read_text(to / path) == std::string(as_chars(content)));
  }
}

}  // namespace cairn::test
