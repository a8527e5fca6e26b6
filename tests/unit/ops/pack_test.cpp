// ops::pack on its own: a manifest stream in, a committed set (objects, catalog row) out.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

#include "ops/pack.hpp"
#include "support/ops_repo.hpp"

using namespace cairn;
using namespace cairn::test;
namespace fs = std::filesystem;

namespace {

std::size_t count_files(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); ++it)
    n += it->is_regular_file() ? 1 : 0;
  return n;
}

catalog::Catalog open_catalog(const ops::RepoOptions& ro) {
  auto ctx = ops::open_context(ro);
  if (!ctx) FAIL("open_context: " << ctx.error().message);
  return std::move(*ctx->cat);
}

Ran try_pack(const ops::RepoOptions& ro, const std::string& stream) {
  const ops::PackOptions po{ro, model::SetKind::incremental, 1};
  return run_op(
      [&](auto& in, auto& out, auto& obs, auto& c) { return ops::pack(po, in, out, obs, c); },
      stream);
}

}  // namespace

TEST_CASE("ops::pack: prints the set id, then a +REL line for each object it wrote",
          "[ops][pack]") {
  ScratchRepo s;
  const Files files{{"a.bin", random_bytes(200u << 10)},
                    {"docs/b.txt", bytes_of("hello, cairn\n")}};
  const auto lines = lines_of(pack_stream(s.ro, manifest_stream("app", "daily", 0, files)));
  REQUIRE(lines.size() >= 3);  // the id, at least one pack, the set object
  auto id = hash::SetId::from_hex(lines[0]);
  REQUIRE(id);
  std::size_t packs = 0, sets = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    INFO(lines[i]);
    REQUIRE(lines[i].size() > 1);
    CHECK(lines[i][0] == '+');
    const std::string rel = lines[i].substr(1);
    CHECK(fs::is_regular_file(s.ro.repo / rel));
    packs += rel.rfind("packs/", 0) == 0 ? 1 : 0;
    if (rel.rfind("sets/", 0) == 0) {
      ++sets;
      CHECK(rel.find(id->hex()) != std::string::npos);
      CHECK(i == lines.size() - 1);  // the set object is written (and printed) last
    }
  }
  CHECK(packs >= 1);
  CHECK(sets == 1);
  // The catalog knows the set as the stream described it.
  auto rec = open_catalog(s.ro).get_set(*id);
  REQUIRE(rec);
  REQUIRE(rec->has_value());
  CHECK((*rec)->source == "app");
  CHECK((*rec)->host == "testhost");
  CHECK((*rec)->retention_class == "daily");
  // And it restores byte for byte.
  check_restores(s.ro, id->hex(), s.dir / "out", files);
}

TEST_CASE("ops::pack: content the repository holds already is not stored again", "[ops][pack]") {
  ScratchRepo s;
  const Files files{{"big.bin", random_bytes(300u << 10)}, {"small.bin", random_bytes(70u << 10)}};
  const hash::SetId first = pack_files(s.ro, "app", "daily", 0, files);
  const std::size_t packs = count_files(s.ro.repo / "packs");
  // 370 KiB of random data cut into chunks of 64 to 256 KiB (where depends on the bytes), each
  // pack closed at about 64 KiB: at least two packs, however the cuts fall.
  REQUIRE(packs >= 2);
  // The same bytes under other names, in another source: at most one new pack (for its stored
  // manifest, which differs), no data stored again.
  const Files renamed{{"copy-of-big.bin", files[0].second}, {"x/small.bin", files[1].second}};
  const auto lines = lines_of(pack_stream(s.ro, manifest_stream("other", "daily", 0, renamed)));
  CHECK(count_files(s.ro.repo / "packs") <= packs + 1);
  CHECK(std::count_if(lines.begin(), lines.end(),
                      [](const std::string& l) { return l.rfind("+packs/", 0) == 0; }) <= 1);
  auto second = hash::SetId::from_hex(lines.at(0));
  REQUIRE(second);
  CHECK(*second != first);
  check_restores(s.ro, second->hex(), s.dir / "out", renamed);
}

TEST_CASE("ops::pack: a stream that ends before its trailer commits no set", "[ops][pack]") {
  ScratchRepo s;
  const std::string whole =
      manifest_stream("app", "daily", 0, Files{{"a.bin", random_bytes(100u << 10)}});
  // Everything but the trailer: the stream as a failed cairn-snap --from-command leaves it.
  io::StringWriter cut;
  {
    manifest::Writer w(cut);
    REQUIRE(w.header(manifest::SetInfo{"app", "testhost", "daily", 0, {}}));
    manifest::Entry e;
    e.path = "a.bin";
    e.type = manifest::Type::file;
    e.mode = 0644;
    e.inline_content = true;
    REQUIRE(w.entry(e));
    REQUIRE(w.frame(random_bytes(100u << 10)));
    REQUIRE(w.end_frames());
  }
  REQUIRE(cut.out.size() < whole.size());
  auto r = try_pack(s.ro, cut.out);
  REQUIRE(!r.result);
  CHECK(r.out.find("+sets/") == std::string::npos);
  CHECK(count_files(s.ro.repo / "sets") == 0);
  auto sets = open_catalog(s.ro).list_sets();
  REQUIRE(sets);
  CHECK(sets->empty());
  // The repository takes the whole stream afterwards.
  CHECK(try_pack(s.ro, whole).result);
}

TEST_CASE("ops::pack: input that is not a manifest stream is refused", "[ops][pack]") {
  ScratchRepo s;
  CHECK(!try_pack(s.ro, "this is not a manifest stream\n").result);
  CHECK(count_files(s.ro.repo / "sets") == 0);
}

TEST_CASE("ops::pack: each set gets the next sequence number", "[ops][pack]") {
  ScratchRepo s;
  const hash::SetId a = pack_files(s.ro, "app", "daily", 0, Files{{"a", bytes_of("one")}});
  const hash::SetId b = pack_files(s.ro, "db", "daily", 0, Files{{"b", bytes_of("two")}});
  auto cat = open_catalog(s.ro);
  auto ra = cat.get_set(a), rb = cat.get_set(b);
  REQUIRE(ra);
  REQUIRE(rb);
  REQUIRE(ra->has_value());
  REQUIRE(rb->has_value());
  CHECK((*rb)->seq == (*ra)->seq + 1);
}

TEST_CASE("ops::pack: content is cut where the chunker cuts it whole, however it is fed",
          "[ops][pack]") {
  // cairn-pack looks for a cut once twice the average chunk size is pending, before max_size
  // is (repo/ingest.cpp, ChunkSink::feed): the chunks must be those next_cut() finds on the
  // whole content, or a repository written by an older cairn-pack would no longer deduplicate.
  // Average 128 KiB, max 2 MiB: random bytes cut early, a zero run only at max_size.
  TempDir tmp = TempDir::create("cairn-ops-").value();
  repo::InitOptions io = small_options();
  io.chunking = chunker::Params{64u << 10, 128u << 10, 2u << 20};
  const ops::RepoOptions ro = init_ops_repo(tmp.path(), io);
  Bytes content = random_bytes(3u << 20);
  content.insert(content.end(), 5u << 20, std::uint8_t{0});
  const Bytes more = random_bytes(700u << 10);
  content.insert(content.end(), more.begin(), more.end());
  pack_files(ro, "whole", "daily", 0, {{"big.bin", content}});

  // The same bytes cut by next_cut() on the whole, each piece a file of its own: if pack cut
  // the first set where next_cut() does, every piece is one chunk stored already.
  auto ctx = ops::open_context(ro);
  REQUIRE(ctx);
  const auto& chunker = ctx->repo->chunker();
  Files pieces;
  ByteView rest(content);
  while (!rest.empty()) {
    const std::size_t n = chunker.next_cut(rest, true);
    REQUIRE(n > 0);
    pieces.emplace_back(fmt::format("p{:03}", pieces.size()),
                        Bytes(rest.begin(), rest.begin() + n));
    rest = rest.subspan(n);
  }
  REQUIRE(pieces.size() >= 10);
  const ops::PackOptions po{ro, model::SetKind::incremental, 1};
  Ran r = run_op(
      [&](auto& in, auto& out, auto& obs, auto& c) { return ops::pack(po, in, out, obs, c); },
      manifest_stream("pieces", "daily", 0, pieces));
  REQUIRE(r.result);
  REQUIRE(r.result->tally);
  // Only the second set's stored manifest is new (a few KiB); a chunk cut elsewhere would be
  // at least the minimum chunk size, 64 KiB.
  CHECK(r.result->tally->bytes_new.value_or(~0ull) < (16u << 10));
  check_restores(ro, lines_of(r.out).at(0), tmp.path() / "out", pieces);
}

TEST_CASE("ops::pack: the stored manifest is cut smaller than content, so little of it is new",
          "[ops][pack]") {
  // Content at the default sizes (512 KiB / 1 MiB / 8 MiB); the stored manifest at
  // repo::manifest_chunking's 64 KiB / 128 KiB / 1 MiB. Cut like content, a set with one
  // changed file would store at least 512 KiB of its manifest anew.
  TempDir tmp = TempDir::create("cairn-ops-").value();
  repo::InitOptions io = small_options();
  io.chunking = chunker::Params{};
  const ops::RepoOptions ro = init_ops_repo(tmp.path(), io);
  CHECK(repo::manifest_chunking(io.chunking).avg_size == (128u << 10));
  Files files;
  // Names that vary along their length, as real ones do (a long run of one byte gives the
  // gear hash one value, so a manifest of padded names has few places to cut at all).
  for (std::uint32_t i = 0; i < 20000; ++i)
    files.emplace_back(fmt::format("src/module-{:03}/component_{:08x}/generated-{}.py", i / 100,
                                   i * 2654435761u, i),
                       bytes_of("x"));
  const hash::SetId first = pack_files(ro, "many", "daily", 0, files);
  std::uint64_t manifest_size = 0;
  {
    auto ctx = ops::open_context(ro);
    REQUIRE(ctx);
    auto obj = ctx->repo->read_set(first);
    REQUIRE(obj);
    const auto& body = *obj->body;
    INFO("stored manifest " << body.manifest_size << " bytes in " << body.manifest.size()
                            << " chunks");
    manifest_size = body.manifest_size;
    REQUIRE(manifest_size > (4u << 20));
    // At most 1 MiB each, ~190 KiB on average; content's sizes (512 KiB minimum) would give at
    // most 5 for this manifest.
    CHECK(body.manifest.size() > body.manifest_size / (512u << 10) + 1);
    for (const auto& c : body.manifest) {
      auto at = ctx->repo->locate(c);
      REQUIRE(at);
      CHECK(at->type == repo::BlobType::meta);
      CHECK(at->raw_size <= (1u << 20));
    }
  }
  // One file in the middle changes: its chunk, the manifest chunk holding its line and the one
  // holding the stream's header (its start time differs) are new, a few hundred KiB of a
  // manifest of 6 MB (at most 3 MiB were both chunks as large as a chunk may be). Cut at
  // content's sizes this manifest is a handful of chunks of several MiB: most of it is new.
  files[10000].second = bytes_of("y");
  const ops::PackOptions po{ro, model::SetKind::incremental, 1};
  Ran r = run_op(
      [&](auto& in, auto& out, auto& obs, auto& c) { return ops::pack(po, in, out, obs, c); },
      manifest_stream("many", "daily", 1, files));
  REQUIRE(r.result);
  REQUIRE(r.result->tally);
  CHECK(r.result->tally->bytes_new.value_or(~0ull) < manifest_size / 2);
}
