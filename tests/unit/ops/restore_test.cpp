// ops::restore on its own: a set packed by ops::pack, restored to a directory or to stdout.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ops/restore.hpp"
#include "repo/repo.hpp"
#include "restore/restore.hpp"
#include "support/ops_repo.hpp"

using namespace cairn;
using namespace cairn::test;
namespace fs = std::filesystem;

namespace {

Ran run(ops::RestoreOptions o) {
  o.jobs = 2;
  return run_op([&](auto&, auto& out, auto& obs, auto& c) { return ops::restore(o, out, obs, c); });
}

// A set of three files: two in docs/, one large random one at the top.
struct Packed {
  ScratchRepo s;
  Files files{{"c.bin", random_bytes(200u << 10)},
              {"docs/a.txt", bytes_of("alpha\n")},
              {"docs/b.txt", bytes_of("beta\n")}};
  std::string packed = pack_stream(s.ro, manifest_stream("app", "daily", 0, files));
  hash::SetId id = *hash::SetId::from_hex(packed.substr(0, 64));

  ops::RestoreOptions to(const fs::path& dir) const {
    ops::RestoreOptions o;
    o.repo = s.ro;
    o.set = id.hex();
    o.to = dir;
    return o;
  }
};

}  // namespace

TEST_CASE("ops::restore: a set restores byte for byte, by id, prefix or latest", "[ops][restore]") {
  Packed p;
  for (const std::string& ref :
       {p.id.hex(), p.id.hex().substr(0, 12), std::string("latest"), std::string("app@latest")}) {
    INFO(ref);
    check_restores(p.s.ro, ref, p.s.dir / ("out-" + ref), p.files);
  }
}

TEST_CASE("ops::restore: patterns restore what they select and nothing else", "[ops][restore]") {
  Packed p;
  auto o = p.to(p.s.dir / "docs-only");
  o.patterns = {"docs"};
  auto r = run(o);
  REQUIRE(r.result);
  CHECK(read_text(p.s.dir / "docs-only/docs/a.txt") == "alpha\n");
  CHECK(read_text(p.s.dir / "docs-only/docs/b.txt") == "beta\n");
  CHECK(!fs::exists(p.s.dir / "docs-only/c.bin"));

  o = p.to(p.s.dir / "glob");
  o.patterns = {"*.bin"};
  REQUIRE(run(o).result);
  CHECK(fs::exists(p.s.dir / "glob/c.bin"));
  CHECK(!fs::exists(p.s.dir / "glob/docs/a.txt"));

  // A pattern that matches nothing is an error naming it.
  o = p.to(p.s.dir / "none");
  o.patterns = {"docs/zzz.txt"};
  r = run(o);
  REQUIRE(!r.result);
  CHECK(r.result.error().code == Errc::not_found);
  CHECK_THAT(r.result.error().message, Catch::Contains("docs/zzz.txt"));
}

TEST_CASE("ops::restore: stdout_file writes one file's content, and only a file the set holds",
          "[ops][restore]") {
  Packed p;
  ops::RestoreOptions o;
  o.repo = p.s.ro;
  o.set = "latest";
  o.stdout_file = "docs/b.txt";
  auto r = run(o);
  REQUIRE(r.result);
  CHECK(r.out == "beta\n");

  o.stdout_file = "docs/nope.txt";
  CHECK(failed_with(run(o).result) == Errc::not_found);
}

TEST_CASE("ops::restore: exactly one of to, tar and stdout_file", "[ops][restore]") {
  Packed p;
  auto o = p.to(p.s.dir / "both");
  o.tar = true;
  CHECK(failed_with(run(o).result) == Errc::usage);
  CHECK(!fs::exists(p.s.dir / "both/c.bin"));
  o = p.to(p.s.dir / "x");
  o.to.reset();
  CHECK(failed_with(run(o).result) == Errc::usage);
}

TEST_CASE("ops::restore: an unknown set is not found", "[ops][restore]") {
  Packed p;
  auto o = p.to(p.s.dir / "out");
  o.set = std::string(64, 'f');
  CHECK(failed_with(run(o).result) == Errc::not_found);
  o.set = "other-source@latest";
  CHECK(failed_with(run(o).result) == Errc::not_found);
}

TEST_CASE("ops::restore: a symlink planted in the target redirects nothing outside it",
          "[ops][restore]") {
  Packed p;
  const fs::path target = p.s.dir / "target", outside = p.s.dir / "outside";
  fs::create_directories(target);
  fs::create_directories(outside);
  fs::create_directory_symlink(outside, target / "docs");
  auto r = run(p.to(target));
  CHECK(!fs::exists(outside / "a.txt"));
  CHECK(!fs::exists(outside / "b.txt"));
  CHECK(fs::is_empty(outside));
  // The refusal is reported (an error or a warning per file), never silent.
  CHECK((!r.result || r.warnings > 0));
  CHECK(read_text(target / "c.bin") == std::string(as_chars(p.files[0].second)));
}

TEST_CASE("ops::restore: a damaged pack fails its file, never written under its final name",
          "[ops][restore]") {
  Packed p;
  // The first pack written holds the first chunk of c.bin (one worker, input order).
  std::string pack;
  for (const auto& l : lines_of(p.packed))
    if (l.rfind("+packs/", 0) == 0) {
      pack = l.substr(1);
      break;
    }
  REQUIRE(!pack.empty());
  {
    std::fstream f(p.s.ro.repo / pack, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(200);
    const char c = static_cast<char>(f.get());
    f.seekp(200);
    f.put(static_cast<char>(~c));  // always a change (flip_byte)
  }
  auto r = run(p.to(p.s.dir / "out"));
  REQUIRE(!r.result);
  CHECK(r.result.error().code == Errc::corrupt);
  CHECK(!fs::exists(p.s.dir / "out/c.bin"));

  // --keep-going restores the rest, and still fails at the end.
  auto o = p.to(p.s.dir / "rest");
  o.keep_going = true;
  r = run(o);
  REQUIRE(!r.result);
  CHECK(r.result.error().code == Errc::corrupt);
  CHECK(!fs::exists(p.s.dir / "rest/c.bin"));
  CHECK(read_text(p.s.dir / "rest/docs/a.txt") == "alpha\n");
  CHECK(read_text(p.s.dir / "rest/docs/b.txt") == "beta\n");
  for (const auto& e : fs::recursive_directory_iterator(p.s.dir / "rest")) {
    INFO(e.path());
    CHECK(e.path().filename().string().find("c.bin") == std::string::npos);  // no temporary left
  }
}

TEST_CASE("ops::selected: a path, a directory with its subtree, or a glob", "[ops][restore]") {
  const std::vector<std::string> pats{"docs", "*.log", "etc/hosts"};
  CHECK(restore::selected("docs", pats));
  CHECK(restore::selected("docs/a/b.txt", pats));
  CHECK(!restore::selected("docsx/a.txt", pats));
  CHECK(restore::selected("var/log/x.log", pats));
  CHECK(restore::selected("etc/hosts", pats));
  CHECK(!restore::selected("etc/hosts.allow", pats));
  CHECK(restore::selected("anything", {}));
  std::vector<char> used(pats.size(), 0);
  CHECK(restore::selected("a.log", pats, &used));
  CHECK(used == std::vector<char>{0, 1, 0});
}

namespace {

// Remembers the paths warnings name.
struct NamingObserver final : Observer {
  std::mutex mu;
  std::vector<std::string> named;
  void warning(std::string_view path, const Error&) override {
    std::lock_guard l(mu);
    named.emplace_back(path);
  }
};

}  // namespace

TEST_CASE(
    "ops::restore: a damaged blob amid a batch of small files read in one region fails "
    "only its own file",
    "[ops][restore]") {
  // 40 small files of one directory: restored as batches whose adjacent blobs are read from
  // their pack in one go (repo::ChunkRun). The blob in the middle is damaged.
  ScratchRepo s;
  Files files;
  for (int i = 0; i < 40; ++i) files.push_back({fmt::format("many/f{:02}", i), random_bytes(1000)});
  const std::string packed = pack_stream(s.ro, manifest_stream("app", "daily", 0, files));
  auto r = repo::Repository::open(s.ro.repo, s.ro.unlock);
  REQUIRE(r);
  struct Blob {
    fs::path pack;
    std::uint64_t offset, length;
  };
  std::vector<Blob> blobs;  // data blobs, in the order they were written (one worker)
  for (const auto& l : lines_of(packed)) {
    if (l.rfind("+packs/", 0) != 0) continue;
    const fs::path rel = l.substr(1);
    auto id = hash::PackId::from_hex(rel.filename().string());
    REQUIRE(id);
    auto entries = (*r)->read_pack_index(*id);
    REQUIRE(entries);
    for (const auto& e : *entries)
      if (e.type == static_cast<std::uint8_t>(repo::BlobType::data))
        blobs.push_back({s.ro.repo / rel, e.offset, e.sealed_len});
  }
  REQUIRE(blobs.size() == files.size());
  {
    const Blob& b = blobs[blobs.size() / 2];
    std::fstream f(b.pack, std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(b.offset + b.length / 2);
    f.seekg(at);
    const char c = static_cast<char>(f.get());
    f.seekp(at);
    f.put(static_cast<char>(~c));  // always a change (flip_byte)
  }
  for (unsigned jobs : {1u, 2u}) {
    INFO("jobs " << jobs);
    const fs::path to = s.dir / fmt::format("out-{}", jobs);
    ops::RestoreOptions o;
    o.repo = s.ro;
    o.set = "latest";
    o.to = to;
    o.jobs = jobs;
    o.keep_going = true;
    io::StringWriter out;
    NamingObserver obs;
    CancelToken cancel;
    auto res = ops::restore(o, out, obs, cancel);
    REQUIRE(!res);
    CHECK(res.error().code == Errc::corrupt);
    std::vector<std::string> missing;
    for (const auto& [path, content] : files) {
      if (!fs::exists(to / path)) {
        missing.push_back(path);
        continue;
      }
      INFO(path);
      CHECK(read_text(to / path) == std::string(as_chars(content)));
    }
    REQUIRE(missing.size() == 1);
    CHECK(obs.named == missing);
    for (const auto& e : fs::directory_iterator(to / "many")) {
      INFO(e.path());
      CHECK(e.path().filename().string().rfind(".cairn-restore-", 0) == std::string::npos);
    }
  }
}
