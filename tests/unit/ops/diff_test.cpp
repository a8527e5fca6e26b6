// ops::diff on its own: a directory snapped (ops::snap) and packed, then changed, compared
// in a pipe (marks each entry) and as a report (SET SET, SET DIR).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "ops/diff.hpp"
#include "ops/snap.hpp"
#include "support/ops_repo.hpp"

using namespace cairn;
using namespace cairn::test;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, std::string_view s) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << s;
}

// cairn-snap DIR --source app: the manifest stream of `dir`.
std::string snap(const fs::path& dir) {
  ops::SnapOptions o;
  o.roots = {dir};
  o.source = "app";
  o.host = "testhost";
  Ran r = run_op(
      [&](auto& in, auto& out, auto& obs, auto& c) { return ops::snap(o, in, out, obs, c); });
  if (!r.result) FAIL("snap: " << r.result.error().message);
  return r.out;
}

Ran diff(const ops::DiffOptions& o, const std::string& in = {}) {
  return run_op(
      [&](auto& i, auto& out, auto& obs, auto& c) { return ops::diff(o, i, out, obs, c); }, in);
}

// path -> entry of a marked manifest stream (what cairn-diff writes in a pipe).
std::map<std::string, manifest::Entry> entries(const std::string& stream) {
  io::MemReader in(as_bytes(stream));
  manifest::Reader r(in, "diff");
  REQUIRE(r.open());
  std::map<std::string, manifest::Entry> m;
  manifest::Entry e;
  for (;;) {
    auto more = r.next(e);
    REQUIRE(more);
    if (!*more) break;
    m[e.path] = e;
  }
  return m;
}

// A tree "src" packed as a set of source "app", then changed: keep.txt untouched, edit.txt
// rewritten (another size), gone.txt removed, new.txt added (the root keeps its mtime).
struct Changed {
  ScratchRepo s;
  fs::path src = s.dir / "src";
  hash::SetId base;
  Changed() {
    write(src / "keep.txt", "the same\n");
    write(src / "edit.txt", "before\n");
    write(src / "gone.txt", "soon gone\n");
    write(src / "sub/deep.txt", "deep\n");
    const std::string packed = pack_stream(s.ro, snap(src));
    base = *hash::SetId::from_hex(packed.substr(0, 64));
    const auto root_mtime = fs::last_write_time(src);
    write(src / "edit.txt", "after the edit\n");
    fs::remove(src / "gone.txt");
    write(src / "new.txt", "new\n");
    fs::last_write_time(src, root_mtime);  // the root directory itself is unchanged
  }
  ops::DiffOptions options() const {
    ops::DiffOptions o;
    o.repo = s.ro;
    return o;
  }
};

}  // namespace

TEST_CASE("ops::diff: in a pipe, marks each entry against the latest set of the source",
          "[ops][diff]") {
  Changed c;
  auto d = diff(c.options(), snap(c.src));
  if (!d.result) FAIL(d.result.error().message);
  auto m = entries(d.out);
  REQUIRE(m.count("keep.txt"));
  REQUIRE(m.count("edit.txt"));
  REQUIRE(m.count("new.txt"));
  REQUIRE(m.count("gone.txt"));
  CHECK(m["keep.txt"].status == manifest::Change::unchanged);
  CHECK(!m["keep.txt"].chunks.empty());  // carried from the base set: cairn-pack reads nothing
  CHECK(m["sub/deep.txt"].status == manifest::Change::unchanged);
  CHECK(m["edit.txt"].status == manifest::Change::modified);
  CHECK(m["edit.txt"].chunks.empty());
  CHECK(m["new.txt"].status == manifest::Change::added);
  CHECK(m["gone.txt"].status == manifest::Change::deleted);
  CHECK(m["gone.txt"].chunks.empty());

  // Packed, the marked stream is a whole set: unchanged files restore from the base's chunks.
  const std::string packed = pack_stream(c.s.ro, d.out);
  check_restores(c.s.ro, packed.substr(0, 64), c.s.dir / "out",
                 Files{{"keep.txt", bytes_of("the same\n")},
                       {"edit.txt", bytes_of("after the edit\n")},
                       {"new.txt", bytes_of("new\n")},
                       {"sub/deep.txt", bytes_of("deep\n")}});
  CHECK(!fs::exists(c.s.dir / "out/gone.txt"));
}

TEST_CASE("ops::diff: in a pipe with no earlier set, every entry is added", "[ops][diff]") {
  ScratchRepo s;
  write(s.dir / "src/a.txt", "a\n");
  ops::DiffOptions o;
  o.repo = s.ro;
  auto d = diff(o, snap(s.dir / "src"));
  REQUIRE(d.result);
  for (const auto& [path, e] : entries(d.out)) {
    INFO(path);
    CHECK(e.status == manifest::Change::added);
  }
  // A base named with --against must exist.
  o.against = std::string(64, 'e');
  CHECK(failed_with(diff(o, snap(s.dir / "src")).result) == Errc::not_found);
}

TEST_CASE("ops::diff: a report of SET against DIR, and against another SET", "[ops][diff]") {
  Changed c;
  auto o = c.options();
  o.args = {c.base.hex(), c.src.string()};
  auto d = diff(o);
  REQUIRE(d.result);
  CHECK(d.out == "M edit.txt\nD gone.txt\nA new.txt\n");
  CHECK(d.result->exit_code == 0);

  o.stat = true;
  o.exit_code = true;
  d = diff(o);
  REQUIRE(d.result);
  CHECK(d.out == "1 added, 1 modified, 1 deleted\n");
  CHECK(d.result->exit_code == 1);  // diff(1): they differ

  // SET SET: the same set twice has nothing to report, and exits 0 even with exit_code.
  o.args = {c.base.hex(), c.base.hex()};
  o.stat = false;
  d = diff(o);
  REQUIRE(d.result);
  CHECK(d.out.empty());
  CHECK(d.result->exit_code == 0);

  // The changed tree packed as a second set: SET SET gives the same report as SET DIR.
  const std::string second = pack_stream(c.s.ro, snap(c.src)).substr(0, 64);
  o.args = {c.base.hex(), second};
  o.exit_code = false;
  d = diff(o);
  REQUIRE(d.result);
  CHECK(d.out == "M edit.txt\nD gone.txt\nA new.txt\n");

  o.json = true;
  d = diff(o);
  REQUIRE(d.result);
  CHECK_THAT(d.out,
             Catch::StartsWith(R"({"schema":"cairn.diff/1","change":"M","path":"edit.txt"})"));
}

TEST_CASE("ops::diff: a report needs two arguments that resolve", "[ops][diff]") {
  Changed c;
  auto o = c.options();
  o.args = {c.base.hex()};
  CHECK(failed_with(diff(o).result) == Errc::usage);
  o.args = {c.base.hex(), "no-such-set@latest"};
  CHECK(failed_with(diff(o).result) == Errc::not_found);
}

namespace {

// A --stdin-like stream (inline content) of `paths` in the given order, each holding its name.
std::string stream_of(const std::vector<std::string>& paths, std::int64_t started_ns = 9) {
  Files files;
  for (const auto& p : paths) files.emplace_back(p, bytes_of(p));
  return manifest_stream("app", "daily", started_ns, files);
}

// path -> status of a marked stream, checking that no path appears twice and that the deleted
// entries come last.
std::map<std::string, manifest::Change> marks(const std::string& stream) {
  io::MemReader in(as_bytes(stream));
  manifest::Reader r(in, "diff");
  REQUIRE(r.open());
  std::map<std::string, manifest::Change> m;
  manifest::Entry e;
  bool deleted_seen = false;
  for (;;) {
    auto more = r.next(e);
    REQUIRE(more);
    if (!*more) break;
    INFO(e.path);
    CHECK(m.emplace(e.path, e.status).second);
    if (e.status == manifest::Change::deleted) deleted_seen = true;
    CHECK((!deleted_seen || e.status == manifest::Change::deleted));
  }
  return m;
}

}  // namespace

// Directory snapshots are in path order on both sides and are merged side by side; --tar and
// --stdin streams (and the sets made of them) need not be: then the walk falls back to a lookup.
TEST_CASE("ops::diff: input or a base out of path order is still matched entry by entry",
          "[ops][diff]") {
  using manifest::Change;
  ScratchRepo s;
  ops::DiffOptions o;
  o.repo = s.ro;
  // A base stored in archive order. Inline content is never trusted unseen, so an entry
  // matched with the base is "modified", one that is not is "added".
  pack_stream(s.ro, stream_of({"c", "a", "bx", "b"}, 1));

  SECTION("the same archive order again, one entry gone and one new") {
    auto d = diff(o, stream_of({"c", "n", "bx", "b"}));
    REQUIRE(d.result);
    CHECK(marks(d.out) == std::map<std::string, Change>{{"a", Change::deleted},
                                                        {"b", Change::modified},
                                                        {"bx", Change::modified},
                                                        {"c", Change::modified},
                                                        {"n", Change::added}});
  }
  SECTION("sorted input against the unsorted base") {
    // Entries passed before the base was seen out of order may be marked added (read again:
    // cairn-pack deduplicates), never twice and never both added and deleted.
    auto d = diff(o, stream_of({"b", "bx", "c", "n"}));
    REQUIRE(d.result);
    auto m = marks(d.out);
    CHECK(m.size() == 5);
    CHECK(m["a"] == Change::deleted);
    CHECK(m["c"] == Change::modified);
    CHECK(m["n"] == Change::added);
    CHECK(m["b"] != Change::deleted);
    CHECK(m["bx"] != Change::deleted);
  }
  SECTION("unsorted input against a sorted base") {
    pack_stream(s.ro, stream_of({"a", "b", "bx", "c", "d"}, 2));
    auto d = diff(o, stream_of({"a", "c", "bx", "n", "d"}));
    REQUIRE(d.result);
    CHECK(marks(d.out) == std::map<std::string, Change>{{"a", Change::modified},
                                                        {"b", Change::deleted},
                                                        {"bx", Change::modified},
                                                        {"c", Change::modified},
                                                        {"d", Change::modified},
                                                        {"n", Change::added}});
  }
  SECTION("sorted input against a sorted base: deleted entries in path order") {
    pack_stream(s.ro, stream_of({"a", "b", "bx", "by", "c", "d"}, 2));
    auto d = diff(o, stream_of({"a", "bx", "c"}));
    REQUIRE(d.result);
    CHECK(marks(d.out) == std::map<std::string, Change>{{"a", Change::modified},
                                                        {"b", Change::deleted},
                                                        {"bx", Change::modified},
                                                        {"by", Change::deleted},
                                                        {"c", Change::modified},
                                                        {"d", Change::deleted}});
    CHECK(d.out.find("\"path\":\"b\",") < d.out.find("\"path\":\"by\""));
    CHECK(d.out.find("\"path\":\"by\"") < d.out.find("\"path\":\"d\""));
  }
}
