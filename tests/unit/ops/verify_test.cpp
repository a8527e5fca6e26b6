#include <catch2/catch.hpp>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/tempdir.hpp"
#include "crypto/crypto.hpp"
#include "manifest/manifest.hpp"
#include "ops/context.hpp"
#include "ops/pack.hpp"
#include "ops/process.hpp"
#include "ops/verify.hpp"
#include "repo/stored.hpp"
#include "support/ops_repo.hpp"

using namespace cairn;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kDay = 86400LL * 1'000'000'000LL;

struct VerifyScratch {
  TempDir tmp = TempDir::create("cairn-verify-").value();
  fs::path dir = tmp.path();
};

Bytes random_content(std::size_t n) { return test::random_bytes(n); }

// Random content of exactly the minimum chunk size of the Fixture's repository: the chunker
// cannot cut it, so it is one chunk, and that chunk fills a pack of its own.
Bytes one_pack() { return random_content(64u << 10); }

// Remembers which packs a --read-data run read (started() names each one).
struct PackObserver final : Observer {
  std::mutex mu;
  std::vector<std::string> packs;
  std::atomic<int> warnings{0};
  void started(std::string_view what) override {
    if (what.size() != 64) return;  // "set ...", "drill ..."
    std::lock_guard l(mu);
    packs.emplace_back(what);
  }
  void warning(std::string_view, const Error&) override { ++warnings; }
};

struct Verified {
  Result<ops::Outcome> result = Error{Errc::internal, "not run"};
  std::string out;
  std::vector<std::string> packs_read;

  bool has(std::string_view s) const { return out.find(s) != std::string::npos; }
  std::size_t count(std::string_view s) const {
    std::size_t n = 0;
    for (auto p = out.find(s); p != std::string::npos; p = out.find(s, p + 1)) ++n;
    return n;
  }
  Errc code() const { return result ? Errc::internal : result.error().code; }
  nlohmann::json summary() const {  // the --json summary line
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line);
      if (j["type"] == "summary") return j;
    }
    FAIL("no summary line in: " << out);
    return {};
  }
};

// A repository with small chunks (64..256 KiB) and small packs (64 KiB), so a 64 KiB random
// file is one chunk in a pack of its own, and a catalog next to it.
struct Fixture {
  VerifyScratch scratch;
  ops::RepoOptions ro;

  Fixture() { ro = test::init_ops_repo(scratch.dir); }

  // Packs one set of regular files with inline content; returns the set id.
  hash::SetId pack_set(const std::string& source,
                       const std::vector<std::pair<std::string, Bytes>>& files,
                       model::SetKind kind = model::SetKind::incremental,
                       std::int64_t started_ns = 0) {
    return test::pack_files(ro, source, "daily", started_ns, files, kind);
  }

  ops::VerifyOptions options() const {
    ops::VerifyOptions o;
    o.repo = ro;
    o.jobs = 2;
    return o;
  }

  Verified verify(const ops::VerifyOptions& o) const {
    Verified v;
    io::StringWriter out;
    PackObserver obs;
    CancelToken cancel;
    v.result = ops::verify(o, out, obs, cancel);
    v.out = out.out;
    v.packs_read = obs.packs;
    return v;
  }

  std::unique_ptr<repo::Repository> open() const {
    auto r = repo::Repository::open(ro.repo, ro.unlock);
    if (!r) FAIL("open: " << r.error().message);
    return std::move(*r);
  }

  // The pack holding the (single) first chunk of `path` in set `id`.
  hash::PackId pack_of(const hash::SetId& id, std::string_view path) const {
    auto r = open();
    auto set = repo::open_stored_set(*r, id);
    REQUIRE(set);
    manifest::Entry e;
    for (;;) {
      auto more = set->manifest->next(e);
      REQUIRE(more);
      REQUIRE(*more);
      if (e.path != path) continue;
      REQUIRE(!e.chunks.empty());
      auto loc = r->locate(e.chunks.front());
      REQUIRE(loc);
      return loc->pack;
    }
  }

  // The files of set `id` with a chunk that the repository locates in `pack`.
  std::set<std::string> files_in(const hash::SetId& id, const hash::PackId& pack) const {
    auto r = open();
    auto set = repo::open_stored_set(*r, id);
    REQUIRE(set);
    std::set<std::string> out;
    manifest::Entry e;
    for (;;) {
      auto more = set->manifest->next(e);
      REQUIRE(more);
      if (!*more) return out;
      for (const auto& c : e.chunks)
        if (r->locate(c)->pack == pack) out.insert(e.path);
    }
  }

  std::vector<hash::PackId> manifest_packs(const hash::SetId& id) const {
    auto r = open();
    auto obj = r->read_set(id);
    REQUIRE(obj);
    std::vector<hash::PackId> out;
    for (const auto& c : obj->body->manifest) out.push_back(r->locate(c)->pack);
    return out;
  }

  fs::path pack_file(const hash::PackId& p) const { return ro.repo / backend::Key::pack(p).path(); }

  catalog::Catalog catalog() const {
    auto ctx = ops::open_context(ro);
    REQUIRE(ctx);
    return std::move(*ctx->cat);
  }
};

void flip_byte(const fs::path& p, std::size_t offset_from_middle = 0) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  f.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(f.tellg());
  const auto at = static_cast<std::streamoff>(size / 2 + offset_from_middle);
  f.seekg(at);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x20);
  f.seekp(at);
  f.write(&c, 1);
  REQUIRE(f.good());
}

std::string prefix(const hash::SetId& id) { return id.hex().substr(0, 12); }

}  // namespace

TEST_CASE("ops::verify: a clean repository verifies, with and without --read-data, and is recorded",
          "[ops][verify]") {
  Fixture fx;
  const auto a = fx.pack_set("app", {{"one", one_pack()}, {"two", one_pack()}});
  const auto b = fx.pack_set("db", {{"dump", random_content(150 << 10)}}, model::SetKind::full);

  auto plain = fx.verify(fx.options());
  INFO(plain.out);
  REQUIRE(plain.result);
  CHECK(plain.result->warnings == 0);
  CHECK(plain.has("checked 2 sets"));
  CHECK(plain.has(": 0 damaged, 0 garbage"));
  CHECK(plain.packs_read.empty());

  auto o = fx.options();
  o.read_data = "";
  o.json = true;
  auto data = fx.verify(o);
  INFO(data.out);
  REQUIRE(data.result);
  const auto s = data.summary();
  CHECK(s["damaged"] == 0);
  CHECK(s["packs_read"].get<std::size_t>() == data.packs_read.size());
  CHECK(data.packs_read.size() >= 4);  // two data packs for "app", one for "db", manifests
  CHECK(s["bytes_read"].get<std::uint64_t>() > (278u << 10));  // 64 + 64 + 150 KiB of random data
  std::istringstream lines(data.out);
  for (std::string line; std::getline(lines, line);)
    CHECK(line.rfind(R"({"schema":"cairn.verify/1",)", 0) == 0);

  auto cat = fx.catalog();
  for (const auto& id : {a, b}) {
    auto v = cat.verifies(id);
    REQUIRE(v);
    REQUIRE(v->size() == 2);
    CHECK(v->at(0).kind == catalog::VerifyKind::structure);
    CHECK(v->at(1).kind == catalog::VerifyKind::read_data);
    CHECK(v->at(1).ok);
  }
}

TEST_CASE(
    "ops::verify: --read-data names a damaged pack, the set that needs it and exactly its files",
    "[ops][verify]") {
  Fixture fx;
  const Bytes shared = one_pack();
  const auto a =
      fx.pack_set("app", {{"a1", shared}, {"a2", one_pack()}, {"a3", shared}, {"a4", one_pack()}});
  // A full set has its own packs, so the damage below cannot reach it. (Its content differs:
  // a chunk stored twice is read from whichever copy the index lists first.)
  const auto b = fx.pack_set("app", {{"b1", one_pack()}, {"b2", one_pack()}}, model::SetKind::full);
  const auto damaged = fx.pack_of(a, "a1");
  REQUIRE(damaged == fx.pack_of(a, "a3"));
  REQUIRE(damaged != fx.pack_of(a, "a2"));
  REQUIRE(damaged != fx.pack_of(b, "b1"));
  for (const auto& p : fx.manifest_packs(a)) REQUIRE(p != damaged);
  flip_byte(fx.pack_file(damaged));

  // The structure is intact: only reading the data finds the flipped byte.
  auto structural = fx.verify(fx.options());
  INFO(structural.out);
  CHECK(structural.result);

  auto o = fx.options();
  o.read_data = "";
  auto v = fx.verify(o);
  INFO(v.out);
  REQUIRE(!v.result);
  CHECK(v.code() == Errc::corrupt);
  CHECK(v.has(fmt::format("damaged pack {}: ", damaged.hex())));
  CHECK(v.has(fmt::format("affected set {} (app ", a.hex())));
  CHECK_FALSE(v.has(b.hex()));
  CHECK(v.has(fmt::format("affected file {} a1\n", prefix(a))));
  CHECK(v.has(fmt::format("affected file {} a3\n", prefix(a))));
  CHECK(v.count("affected file ") == 2);
  CHECK(fx.files_in(a, damaged) == std::set<std::string>{"a1", "a3"});
  CHECK(fx.files_in(b, damaged).empty());
  CHECK(v.has(": 1 damaged, 0 garbage"));

  auto cat = fx.catalog();
  auto ra = cat.get_set(a);
  auto rb = cat.get_set(b);
  REQUIRE(ra);
  REQUIRE(rb);
  CHECK((*ra)->status == catalog::SetStatus::damaged);
  CHECK((*rb)->status == catalog::SetStatus::committed);
  auto recs = cat.verifies(a);
  REQUIRE(recs);
  REQUIRE(!recs->empty());
  CHECK_FALSE(recs->back().ok);
}

TEST_CASE("ops::verify: the structural check finds a deleted pack without reading data",
          "[ops][verify]") {
  Fixture fx;
  const auto a = fx.pack_set("app", {{"a1", one_pack()}, {"a2", one_pack()}});
  const auto gone = fx.pack_of(a, "a2");
  for (const auto& p : fx.manifest_packs(a)) REQUIRE(p != gone);
  REQUIRE(fs::remove(fx.pack_file(gone)));

  auto v = fx.verify(fx.options());
  INFO(v.out);
  REQUIRE(!v.result);
  CHECK(v.code() == Errc::corrupt);
  CHECK(v.packs_read.empty());
  CHECK(v.has(fmt::format("missing pack {}: ", gone.hex())));
  CHECK(v.has(fmt::format("affected set {} ", a.hex())));
  CHECK(v.has(fmt::format("affected file {} a2\n", prefix(a))));
  CHECK(v.count("affected file ") == 1);
  CHECK(fx.files_in(a, gone) == std::set<std::string>{"a2"});
}

TEST_CASE("ops::verify: a set object that is gone or fails its signature is damage",
          "[ops][verify]") {
  Fixture fx;
  const auto gone = fx.pack_set("app", {{"a", random_content(10 << 10)}});
  const auto forged = fx.pack_set("db", {{"b", random_content(10 << 10)}});
  const auto fine = fx.pack_set("etc", {{"c", random_content(10 << 10)}});
  const auto set_file = [&](const hash::SetId& id) {
    return fx.ro.repo / backend::Key::set(id).path();
  };
  REQUIRE(fs::remove(set_file(gone)));
  flip_byte(set_file(forged), 3);

  auto v = fx.verify(fx.options());
  INFO(v.out);
  CHECK(v.code() == Errc::corrupt);
  CHECK(v.has(fmt::format("missing set {}: the catalog records it as committed", gone.hex())));
  CHECK(v.has(fmt::format("damaged set {}: ", forged.hex())));
  CHECK_FALSE(v.has(fine.hex()));
  CHECK(v.has(": 2 damaged, "));
  auto cat = fx.catalog();
  CHECK((*cat.get_set(gone))->status == catalog::SetStatus::damaged);
  CHECK((*cat.get_set(fine))->status == catalog::SetStatus::committed);
}

TEST_CASE("ops::verify: unreferenced packs are counted as garbage, not damage", "[ops][verify]") {
  Fixture fx;
  fx.pack_set("app", {{"a1", one_pack()}});
  {
    auto r = fx.open();
    auto s = r->begin_write(repo::WriteSession::Scope::own);
    REQUIRE(s);
    Bytes lonely = random_content(80 << 10);
    REQUIRE((*s)->put((*s)->id_of(lonely), repo::BlobType::data, lonely));
    REQUIRE((*s)->finish());
  }
  auto v = fx.verify(fx.options());
  INFO(v.out);
  REQUIRE(v.result);
  CHECK(v.has(": 0 damaged, 1 garbage"));
}

TEST_CASE("ops::verify: --read-data=I/N with N = 3 reads every pack exactly once over three runs",
          "[ops][verify]") {
  Fixture fx;
  std::vector<std::pair<std::string, Bytes>> files;
  for (int i = 0; i < 7; ++i) files.emplace_back(fmt::format("f{}", i), one_pack());
  fx.pack_set("app", files);
  fx.pack_set("db", {{"dump", one_pack()}});

  auto o = fx.options();
  o.read_data = "all";
  auto every = fx.verify(o);
  REQUIRE(every.result);
  const std::set<std::string> all(every.packs_read.begin(), every.packs_read.end());
  REQUIRE(all.size() == every.packs_read.size());
  REQUIRE(all.size() >= 9);

  std::multiset<std::string> seen;
  for (int i = 1; i <= 3; ++i) {
    o.read_data = fmt::format("{}/3", i);
    o.json = true;
    auto part = fx.verify(o);
    INFO(part.out);
    REQUIRE(part.result);
    CHECK(part.summary()["packs_read"].get<std::size_t>() == part.packs_read.size());
    // A pack's part comes from its name (random): parts hold about a third each, not exactly.
    seen.insert(part.packs_read.begin(), part.packs_read.end());
  }
  CHECK(seen.size() == all.size());                               // no pack twice...
  CHECK(std::set<std::string>(seen.begin(), seen.end()) == all);  // ...and none left out

  o.read_data = "10%";
  auto some = fx.verify(o);
  REQUIRE(some.result);
  CHECK(some.packs_read.size() == 1);
}

TEST_CASE("ops::verify: --max-age fails with an objective error when the newest set is too old",
          "[ops][verify]") {
  Fixture fx;
  auto o = fx.options();
  o.max_age = "26h";
  auto empty = fx.verify(o);
  INFO(empty.out);
  CHECK(empty.code() == Errc::objective);

  fx.pack_set("old", {{"x", random_content(10 << 10)}}, model::SetKind::incremental,
              now_ns() - 10 * kDay);
  fx.pack_set("new", {{"y", random_content(10 << 10)}});

  o.max_age = "3d";
  auto stale = fx.verify(o);
  INFO(stale.out);
  REQUIRE(!stale.result);
  CHECK(stale.code() == Errc::objective);
  CHECK(stale.has("stale source 'old': newest set is 10d 0h old (max 3d)"));
  CHECK_FALSE(stale.has("'new'"));

  o.max_age = "2w";
  auto fresh = fx.verify(o);
  INFO(fresh.out);
  CHECK(fresh.result);

  o.sets = {"new@latest"};
  o.max_age = "3d";
  auto only_new = fx.verify(o);
  INFO(only_new.out);
  CHECK(only_new.result);
}

TEST_CASE("ops::verify: damage wins over a stale source", "[ops][verify]") {
  Fixture fx;
  const auto a = fx.pack_set("old", {{"x", one_pack()}, {"y", one_pack()}},
                             model::SetKind::incremental, now_ns() - 10 * kDay);
  REQUIRE(fs::remove(fx.pack_file(fx.pack_of(a, "x"))));
  auto o = fx.options();
  o.max_age = "1d";
  auto v = fx.verify(o);
  INFO(v.out);
  CHECK(v.code() == Errc::corrupt);
  CHECK(v.has("stale source 'old': no good set (max 1d)"));
}

TEST_CASE(
    "ops::verify: --drill restores the latest set of each source, checks it and records restore_ms",
    "[ops][verify]") {
  Fixture fx;
  fx.pack_set("app", {{"old", random_content(20 << 10)}});
  const auto latest = fx.pack_set(
      "app",
      {{"big", random_content(300 << 10)}, {"small", random_content(3 << 10)}, {"empty", Bytes{}}});
  const auto db = fx.pack_set("db", {{"dump", one_pack()}});
  auto o = fx.options();
  o.drill = true;
  o.drill_to = fx.scratch.dir / "drills";
  auto v = fx.verify(o);
  INFO(v.out);
  REQUIRE(v.result);
  CHECK(v.has(fmt::format("drill {} (app ", latest.hex())));
  CHECK(v.has(fmt::format("drill {} (db ", db.hex())));
  CHECK(v.count(": ok, ") == 2);
  CHECK(v.has("3 files, 310272 bytes restored in "));
  CHECK(fs::is_empty(*o.drill_to));  // the scratch space is gone

  auto cat = fx.catalog();
  auto recs = cat.verifies(latest);
  REQUIRE(recs);
  auto drill = std::find_if(recs->begin(), recs->end(), [](const catalog::VerifyRecord& r) {
    return r.kind == catalog::VerifyKind::drill;
  });
  REQUIRE(drill != recs->end());
  CHECK(drill->ok);
  CHECK(drill->restore_ms.has_value());
}

TEST_CASE("ops::verify: a drill of a set with damaged data fails with corrupt and is recorded",
          "[ops][verify]") {
  Fixture fx;
  const auto a = fx.pack_set("app", {{"a1", one_pack()}, {"a2", one_pack()}});
  flip_byte(fx.pack_file(fx.pack_of(a, "a2")));
  auto o = fx.options();
  o.drill = true;
  o.drill_to = fx.scratch.dir / "drills";
  auto v = fx.verify(o);
  INFO(v.out);
  CHECK(v.code() == Errc::corrupt);
  CHECK(v.has(fmt::format("drill {} (app ", a.hex())));
  CHECK(v.has(": failed: "));
  CHECK(v.has(fmt::format("drill mismatch {} a2: ", prefix(a))));
  CHECK_FALSE(v.has(fmt::format("drill mismatch {} a1: ", prefix(a))));
  CHECK(fs::is_empty(*o.drill_to));

  auto recs = fx.catalog().verifies(a);
  REQUIRE(recs);
  auto drill = std::find_if(recs->begin(), recs->end(), [](const catalog::VerifyRecord& r) {
    return r.kind == catalog::VerifyKind::drill;
  });
  REQUIRE(drill != recs->end());
  CHECK_FALSE(drill->ok);
  CHECK_FALSE(drill->restore_ms.has_value());
}

TEST_CASE("ops::verify: refuses bad option combinations before touching the repository",
          "[ops][verify]") {
  Fixture fx;
  auto o = fx.options();
  o.sets = {"latest"};
  o.all = true;
  CHECK(fx.verify(o).code() == Errc::usage);
  o = fx.options();
  o.read_data = "4/3";
  CHECK(fx.verify(o).code() == Errc::usage);
  o = fx.options();
  o.max_age = "soon";
  CHECK(fx.verify(o).code() == Errc::usage);
  o = fx.options();
  o.from = "ftp://bucket/x";
  CHECK(fx.verify(o).code() == Errc::usage);
}

TEST_CASE("ops::verify: --from checks a destination alone and records verified_at locally",
          "[ops][verify]") {
  Fixture fx;
  const auto a = fx.pack_set("app", {{"a1", one_pack()}});
  const auto pack = fx.pack_of(a, "a1");
  const fs::path dest = fx.scratch.dir / "dest";
  fs::copy(fx.ro.repo, dest, fs::copy_options::recursive);  // what cairn-push --all makes
  REQUIRE(fx.catalog().record_placement({a, "file://" + dest.string(), 1, std::nullopt}));

  auto o = fx.options();
  o.repo.repo = fx.scratch.dir / "no-such-repo";  // not used with --from
  o.from = "file://" + dest.string();
  o.read_data = "";
  auto clean = fx.verify(o);
  INFO(clean.out);
  REQUIRE(clean.result);
  CHECK(clean.has("checked 1 sets"));
  CHECK(clean.has(": 0 damaged"));
  auto placed = fx.catalog().placements_of(a);
  REQUIRE(placed);
  REQUIRE(placed->size() == 1);
  CHECK(placed->front().verified_at_ns.has_value());
  auto recs = fx.catalog().verifies(a);
  REQUIRE(recs);
  REQUIRE_FALSE(recs->empty());
  CHECK(recs->back().target == "file://" + dest.string());
  CHECK(recs->back().ok);

  // A flipped byte in the destination's copy of the pack: damage, named; the local
  // repository (whole) is not what was checked.
  const fs::path f = dest / "packs" / pack.hex().substr(0, 2) / pack.hex();
  {
    std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(fs::file_size(f) / 2));
    io.put('\x5a');
  }
  auto damaged = fx.verify(o);
  INFO(damaged.out);
  CHECK(damaged.code() == Errc::corrupt);
  CHECK(damaged.has(fmt::format("damaged pack {}", pack.hex())));
  recs = fx.catalog().verifies(a);
  REQUIRE(recs);
  CHECK_FALSE(recs->back().ok);
  CHECK(fx.verify(fx.options()).result);  // the local repository is whole
}
