// ops::push on its own: a local repository copied to local destinations (file://), read back
// with ops::restore --from.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

#include "ops/push.hpp"
#include "support/ops_repo.hpp"

using namespace cairn;
using namespace cairn::test;
namespace fs = std::filesystem;

namespace {

struct Pushed {
  Result<ops::Outcome> result = Error{Errc::internal, "not run"};
  std::vector<std::string> lines;  // "+REL DEST" / "-REL DEST"
};

Pushed push(const ops::RepoOptions& ro, const std::vector<std::string>& dests,
            const std::string& input, bool all = false) {
  ops::PushOptions o;
  o.repo = ro;
  o.dests = dests;
  o.all = all;
  o.jobs = 2;
  Ran r =
      run_op([&](auto& in, auto& out, auto& obs, auto& c) { return ops::push(o, in, out, obs, c); },
             input);
  return Pushed{std::move(r.result), lines_of(r.out)};
}

// The repository objects under `dir` (relative paths), sorted.
std::vector<std::string> objects(const fs::path& dir) {
  std::vector<std::string> v;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); ++it) {
    const std::string rel = fs::relative(it->path(), dir).string();
    if (it->is_regular_file() && rel.rfind("tmp/", 0) != 0) v.push_back(rel);
  }
  std::sort(v.begin(), v.end());
  return v;
}

std::size_t first_index(const std::vector<std::string>& lines, std::string_view prefix) {
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].rfind(prefix, 0) == 0) return i;
  return lines.size();
}
std::size_t last_index(const std::vector<std::string>& lines, std::string_view prefix) {
  std::size_t n = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].rfind(prefix, 0) == 0) n = i;
  return n;
}

}  // namespace

TEST_CASE("ops::push: --all makes a destination a whole repository that restores", "[ops][push]") {
  ScratchRepo s;
  const Files files{{"a.bin", random_bytes(150u << 10)}, {"b.txt", bytes_of("bee\n")}};
  const hash::SetId id = pack_files(s.ro, "app", "daily", 0, files);
  const std::string dest = "file://" + (s.dir / "dest").string();
  auto p = push(s.ro, {dest}, "", true);
  if (!p.result) FAIL(p.result.error().message);
  CHECK(p.result->warnings == 0);

  // Every line names an object and the destination; config and keys go first, set objects last.
  REQUIRE(!p.lines.empty());
  for (const auto& l : p.lines) {
    INFO(l);
    CHECK(l[0] == '+');
    CHECK(l.size() > dest.size() + 1);
    CHECK(l.substr(l.size() - dest.size() - 1) == " " + dest);
  }
  CHECK(p.lines.front().rfind("+config ", 0) == 0);
  CHECK(last_index(p.lines, "+keys/") < first_index(p.lines, "+packs/"));
  CHECK(last_index(p.lines, "+packs/") < first_index(p.lines, "+index/"));
  CHECK(last_index(p.lines, "+index/") < first_index(p.lines, "+sets/"));

  // The destination holds every object the repository does.
  const auto want = objects(s.ro.repo), got = objects(s.dir / "dest");
  for (const auto& o : want) {
    if (o.rfind("packs/", 0) != 0 && o.rfind("index/", 0) != 0 && o.rfind("sets/", 0) != 0 &&
        o.rfind("keys/", 0) != 0 && o != "config")
      continue;
    INFO(o);
    CHECK(std::binary_search(got.begin(), got.end(), o));
  }
  // It restores on its own.
  ops::RepoOptions from = s.ro;
  from.from = dest;
  check_restores(from, id.hex(), s.dir / "out", files);
  // The catalog records where the set lives.
  auto ctx = ops::open_context(s.ro);
  REQUIRE(ctx);
  auto placed = ctx->cat->placements_of(id);
  REQUIRE(placed);
  REQUIRE(placed->size() == 1);
  CHECK((*placed)[0].destination == backend::canonical_name(dest));
  CHECK((*placed)[0].pushed_at_ns.has_value());
}

TEST_CASE("ops::push: --all again sends nothing (an interrupted push resumes)", "[ops][push]") {
  ScratchRepo s;
  pack_files(s.ro, "app", "daily", 0, Files{{"a.bin", random_bytes(100u << 10)}});
  const std::string dest = (s.dir / "dest").string();  // a bare path names a local directory
  REQUIRE(push(s.ro, {dest}, "", true).result);
  const auto before = objects(s.dir / "dest");
  auto again = push(s.ro, {dest}, "", true);
  REQUIRE(again.result);
  CHECK(again.lines.empty());
  CHECK(objects(s.dir / "dest") == before);
}

TEST_CASE("ops::push: cairn-pack's output sends that set and what it needs", "[ops][push]") {
  ScratchRepo s;
  const std::string dest = "file://" + (s.dir / "dest").string();
  const Files one{{"one.bin", random_bytes(100u << 10)}};
  const std::string first = pack_stream(s.ro, manifest_stream("app", "daily", 0, one));
  auto p = push(s.ro, {dest}, first);
  if (!p.result) FAIL(p.result.error().message);
  const auto id1 = hash::SetId::from_hex(first.substr(0, 64));
  REQUIRE(id1);
  // The config and key slots went first, though the input did not name them.
  CHECK(p.lines.front().rfind("+config ", 0) == 0);
  CHECK(first_index(p.lines, "+sets/") < p.lines.size());

  // A second set: only its own objects travel (no config, no key slot again).
  const Files two{{"two.bin", random_bytes(100u << 10)}};
  const std::string second = pack_stream(s.ro, manifest_stream("app", "daily", 0, two));
  p = push(s.ro, {dest}, second);
  REQUIRE(p.result);
  CHECK(first_index(p.lines, "+config") == p.lines.size());
  CHECK(first_index(p.lines, "+keys/") == p.lines.size());
  CHECK(first_index(p.lines, "+sets/") < p.lines.size());
  ops::RepoOptions from = s.ro;
  from.from = dest;
  check_restores(from, second.substr(0, 64), s.dir / "out2", two);
  check_restores(from, id1->hex(), s.dir / "out1", one);
}

TEST_CASE("ops::push: -REL deletes the object at the destination", "[ops][push]") {
  ScratchRepo s;
  const hash::SetId id =
      pack_files(s.ro, "app", "daily", 0, Files{{"a.bin", random_bytes(80u << 10)}});
  const fs::path dest = s.dir / "dest";
  REQUIRE(push(s.ro, {dest.string()}, "", true).result);
  std::string set_rel;
  for (const auto& o : objects(dest))
    if (o.rfind("sets/", 0) == 0 && o.find(id.hex()) != std::string::npos) set_rel = o;
  REQUIRE(!set_rel.empty());
  auto p = push(s.ro, {dest.string()}, "-" + set_rel + "\n");
  REQUIRE(p.result);
  REQUIRE(p.lines.size() == 1);
  CHECK(p.lines[0] == "-" + set_rel + " " + dest.string());
  CHECK(!fs::exists(dest / set_rel));
  CHECK(fs::exists(s.ro.repo / set_rel));  // the repository keeps its own
}

TEST_CASE("ops::push: bad input or a bad destination is refused before anything is sent",
          "[ops][push]") {
  ScratchRepo s;
  const std::string packed =
      pack_stream(s.ro, manifest_stream("app", "daily", 0, Files{{"a", bytes_of("x")}}));
  const fs::path dest = s.dir / "dest";

  auto p = push(s.ro, {dest.string()}, packed + "packs/not-a-line\n");
  REQUIRE(!p.result);
  CHECK(p.result.error().code == Errc::bad_input);
  CHECK_THAT(p.result.error().message, Catch::Contains("expected +PATH or -PATH"));
  CHECK(failed_with(push(s.ro, {dest.string()}, "+../../etc/passwd\n").result) == Errc::bad_input);
  CHECK(objects(dest).empty());

  CHECK(failed_with(push(s.ro, {}, packed).result) == Errc::usage);

  // A password in a URL: a usage error, and the good destination next to it gets nothing.
  p = push(s.ro, {dest.string(), "sftp://u:Pa55w0rd@host.invalid/p"}, packed);
  REQUIRE(!p.result);
  CHECK(p.result.error().code == Errc::usage);
  CHECK(p.result.error().message.find("Pa55w0rd") == std::string::npos);
  CHECK(objects(dest).empty());
}
