// A scratch repository for the prune, hold and rebuild tests: small chunks and packs, so a
// 100 KiB random file is one chunk in a pack of its own; sets are made with ops::pack.
#pragma once

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "base/tempdir.hpp"
#include "crypto/crypto.hpp"
#include "manifest/manifest.hpp"
#include "ops/context.hpp"
#include "ops/pack.hpp"
#include "ops/process.hpp"
#include "ops/prune.hpp"
#include "ops/restore.hpp"
#include "support/ops_repo.hpp"

namespace prune_test {

namespace fs = std::filesystem;
using namespace cairn;

constexpr std::int64_t kHour = 3600LL * 1'000'000'000LL;
constexpr std::int64_t kDay = 24 * kHour;
// 2025-03-01T00:00:00Z: the sets of the tests are dated from here.
constexpr std::int64_t kT0 = 1740787200LL * 1'000'000'000LL;

inline Bytes random_content(std::size_t n) { return test::random_bytes(n); }

using test::Files;

struct Pruned {
  Result<ops::Outcome> result = Error{Errc::internal, "not run"};
  std::string out;
  std::vector<std::string> info;
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    std::istringstream in(out);
    std::string l;
    while (std::getline(in, l)) v.push_back(l);
    return v;
  }
  bool has(std::string_view s) const { return out.find(s) != std::string::npos; }
  std::size_t count_prefix(std::string_view p) const {
    std::size_t n = 0;
    for (const auto& l : lines()) n += l.rfind(p, 0) == 0 ? 1 : 0;
    return n;
  }
};

struct InfoObserver final : Observer {
  std::vector<std::string> lines;
  int warnings = 0;
  void warning(std::string_view path, const Error& e) override {
    ++warnings;
    lines.push_back(std::string(path) + ": " + e.message);
  }
  void info(std::string_view line) override { lines.emplace_back(line); }
};

struct Fixture {
  TempDir tmp = TempDir::create("cairn-prune-").value();
  fs::path dir = tmp.path();
  ops::RepoOptions ro;
  fs::path policy_file;

  Fixture() {
    ro = test::init_ops_repo(dir);
    policy_file = dir / "policy.toml";
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  void policy(const std::string& toml) const {
    std::ofstream out(policy_file, std::ios::trunc);
    out << toml;
  }

  hash::SetId pack_set(const std::string& source, const std::string& klass, std::int64_t started_ns,
                       const Files& files,
                       model::SetKind kind = model::SetKind::incremental) const {
    return test::pack_files(ro, source, klass, started_ns, files, kind);
  }

  ops::PruneOptions options(bool dry_run = false) const {
    ops::PruneOptions o;
    o.repo = ro;
    o.policy = policy_file;
    o.dry_run = dry_run;
    o.grace_ns = 0;
    o.grace_generations = 1;
    o.now_ns = kT0 + 365 * kDay;
    return o;
  }

  Pruned prune(const ops::PruneOptions& o) const {
    Pruned p;
    io::StringWriter out;
    InfoObserver obs;
    CancelToken cancel;
    p.result = ops::prune(o, out, obs, cancel);
    p.out = out.out;
    p.info = obs.lines;
    return p;
  }
  Pruned prune(bool dry_run = false) const { return prune(options(dry_run)); }

  std::unique_ptr<repo::Repository> open() const {
    auto r = repo::Repository::open(ro.repo, ro.unlock);
    if (!r) FAIL("open: " << r.error().message);
    return std::move(*r);
  }

  catalog::Catalog catalog() const {
    auto ctx = ops::open_context(ro);
    if (!ctx) FAIL("open_context: " << ctx.error().message);
    return std::move(*ctx->cat);
  }

  std::vector<hash::PackId> packs_of(const hash::SetId& id) const {
    auto r = open();
    auto obj = r->read_set(id);
    REQUIRE(obj);
    return obj->body->packs;
  }

  bool exists(const backend::Key& k) const { return fs::exists(ro.repo / k.path()); }
  bool pack_exists(const hash::PackId& p) const { return exists(backend::Key::pack(p)); }
  bool set_exists(const hash::SetId& s) const { return exists(backend::Key::set(s)); }

  std::size_t count_files(std::string_view sub) const {
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(ro.repo / sub, ec);
         it != fs::recursive_directory_iterator(); ++it)
      n += it->is_regular_file() ? 1 : 0;
    return n;
  }

  // Restores set `id` into a fresh directory and checks every file against `files`.
  void check_restores(const hash::SetId& id, const Files& files) const {
    static int n = 0;
    test::check_restores(ro, id.hex(), dir / ("restore-" + std::to_string(++n)), files);
  }
};

}  // namespace prune_test
