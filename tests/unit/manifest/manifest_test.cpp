#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "hash/hash.hpp"
#include "io/file.hpp"
#include "manifest/manifest.hpp"

using namespace cairn;
using namespace cairn::manifest;

namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(CAIRN_SOURCE_DIR) / "tests/data/streams/v1";

Entry file(std::string path) {
  Entry e;
  e.path = std::move(path);
  e.type = Type::file;
  e.mode = 0644;
  e.uid = 1000;
  e.gid = 100;
  e.user = "alice";
  e.group = "users";
  e.size = 12;
  e.mtime_ns = 1700000000123456789;
  e.ctime_ns = -1;
  e.ino = 77;
  e.dev = 2049;
  e.nlink = 1;
  return e;
}

struct Read {
  SetInfo set;
  std::vector<Entry> entries;
  std::vector<Bytes> contents;  // per entry (empty for entries without frames)
};

Result<Read> read_stream(std::string_view data) {
  io::MemReader in(as_bytes(data));
  Reader r(in);
  CAIRN_TRY(r.open());
  Read out;
  out.set = r.set();
  Entry e;
  Bytes buf;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool more, r.next(e));
    if (!more) break;
    Bytes content;
    for (;;) {
      CAIRN_TRY_ASSIGN(std::size_t n, r.read_frame(buf));
      if (n == 0) break;
      append(content, ByteView(buf.data(), n));
    }
    out.entries.push_back(e);
    out.contents.push_back(std::move(content));
  }
  return out;
}

std::string fixture(const char* name) {
  auto b = io::read_file(kFixtures / name);
  REQUIRE(b);
  return std::string(as_chars(*b));
}

}  // namespace

TEST_CASE("manifest::encode_entry: hostile paths round trip exactly", "[manifest]") {
  std::vector<std::string> paths = {
      "plain.txt",
      "dir/with\nnewline",
      "tab\there",
      "quote\"back\\slash",
      "ctl\x01\x1f\x7f",
      "-leading-dash",
      "latin1-\xe9\xff",
      "\xc0\xaf overlong",
      std::string(255, 'n'),
      std::string(255, 'a') + "/" + std::string(255, 'b'),
      "unicode/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xf0\x9f\x93\xa6",
      ".hidden/..dots/...",
      " space ",
  };
  for (const auto& p : paths) {
    INFO(p);
    Entry e = file(p);
    auto line = encode_entry(e);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(is_utf8(line));
    CHECK((line.find("\"path_b64\"") != std::string::npos) == !is_utf8(p));
    auto back = decode_entry(line);
    REQUIRE(back);
    CHECK(back->path == p);
    CHECK(*back == e);
  }
}

TEST_CASE("manifest::encode_entry: every field round trips", "[manifest]") {
  Entry e = file("a/b");
  e.mode = 07755;
  e.xattrs = {Xattr{"security.selinux", Bytes{'x', 0}},
              Xattr{"user.bin", Bytes{0, 0xff, '\n', '"'}}};
  e.acl_access = "user::rw-,user:1001:r--,group::r--,mask::r--,other::---";
  e.acl_default = "user::rwx,group::r-x,other::---";
  e.sparse = true;
  e.inline_content = true;
  e.status = Change::unchanged;
  e.digest = hash::blake2b(as_bytes("content"));
  e.chunks = {hash::ChunkId{hash::blake2b(as_bytes("1"))},
              hash::ChunkId{hash::blake2b(as_bytes("2"))}};
  auto back = decode_entry(encode_entry(e));
  REQUIRE(back);
  CHECK(*back == e);

  Entry l;
  l.path = "l";
  l.type = Type::symlink;
  l.target = "../\xff/x\ny";
  auto lb = decode_entry(encode_entry(l));
  REQUIRE(lb);
  CHECK(lb->target == l.target);

  Entry h = file("h");
  h.type = Type::hardlink;
  h.link = "a/\xfe";
  auto hb = decode_entry(encode_entry(h));
  REQUIRE(hb);
  CHECK(hb->link == h.link);

  Entry d = file("dev/sda");
  d.type = Type::blockdev;
  d.rdev_major = 8;
  d.rdev_minor = 16;
  auto db = decode_entry(encode_entry(d));
  REQUIRE(db);
  CHECK(db->rdev_major == 8);
  CHECK(db->rdev_minor == 16);

  // An empty file known to the repository: empty chunk list, but a digest.
  Entry z = file("z");
  z.digest = hash::blake2b({});
  auto line = encode_entry(z);
  CHECK(line.find("\"chunks\":[]") != std::string::npos);
  auto zb = decode_entry(line);
  REQUIRE(zb);
  CHECK(*zb == z);
}

TEST_CASE("manifest::check_path: refuses absolute, dot-dot, empty and NUL components",
          "[manifest]") {
  for (std::string ok : {".", "a", "a/b", "..a", "a..", ".a/b.", "a/...", "-x"})
    CHECK(check_path(ok));
  for (std::string bad :
       std::vector<std::string>{"", "/abs", "a//b", "a/", "./a", "a/./b", "..", "../x", "a/../b",
                                "a/..", "/", std::string("a\0b", 3)}) {
    INFO(bad);
    auto st = check_path(bad);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == Errc::bad_input);
  }
}

TEST_CASE("manifest::Reader: refuses entries with bad paths", "[manifest]") {
  for (std::string bad : {"..", "/abs", "a//b", "x/../../etc/passwd", ""}) {
    INFO(bad);
    // Build a stream by hand with a valid digest, so only the path is wrong.
    std::string s = "{\"cairn\":\"manifest\",\"version\":[1,0],\"set\":{}}\n";
    s += fmt::format("{{\"path\":\"{}\",\"type\":\"file\"}}\n", bad);
    s += fmt::format("{{\"end\":true,\"entries\":1,\"digest\":\"{}\"}}\n",
                     hash::blake2b(as_bytes(s)).hex());
    auto r = read_stream(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::bad_input);
    CHECK(r.error().message.rfind("manifest line 2: ", 0) == 0);
  }
  // The same through path_b64, and a hardlink pointing outside.
  std::string s = "{\"cairn\":\"manifest\",\"version\":[1,0],\"set\":{}}\n";
  s += fmt::format("{{\"path_b64\":\"{}\",\"type\":\"file\"}}\n", to_base64(as_bytes("../x")));
  s += fmt::format("{{\"end\":true,\"entries\":1,\"digest\":\"{}\"}}\n",
                   hash::blake2b(as_bytes(s)).hex());
  CHECK_FALSE(read_stream(s));
  CHECK_FALSE(decode_entry("{\"path\":\"h\",\"type\":\"hardlink\",\"link\":\"../../etc/shadow\"}"));
  CHECK_FALSE(decode_entry("{\"path\":\"h\",\"type\":\"hardlink\"}"));
  CHECK_FALSE(decode_entry("{\"path\":\"s\",\"type\":\"symlink\"}"));
  CHECK_FALSE(decode_entry("{\"path\":\"s\",\"type\":\"door\"}"));
  CHECK_FALSE(decode_entry("{\"path\":\"s\",\"type\":\"file\",\"mode\":\"0644\"}"));
  CHECK_FALSE(decode_entry("{\"path\":\"s\",\"type\":\"file\",\"mode\":4096}"));
  CHECK_FALSE(decode_entry("{\"path\":\"s\",\"type\":\"file\",\"size\":-1}"));
  CHECK_FALSE(decode_entry("{\"path\":\"s\",\"type\":\"file\",\"chunks\":[\"abc\"]}"));
  CHECK_FALSE(decode_entry("{\"path\":\"s\",\"type\":\"file\",\"status\":\"maybe\"}"));
  CHECK_FALSE(decode_entry("{\"path\":\"s\",\"type\":\"file\",\"xattrs\":{\"user.x\":\"***\"}}"));
  CHECK(decode_entry("{\"path\":\"s\",\"type\":\"file\",\"mtime_ns\":-7}")->mtime_ns == -7);
}

TEST_CASE("manifest::Writer: entries, content frames and set info round trip through Reader",
          "[manifest]") {
  io::StringWriter out;
  Writer w(out);
  SetInfo set{"app", "host-1", "weekly", 1700000000000000001, {"/srv/app", "/etc"}};
  REQUIRE(w.header(set));
  Entry root = file(".");
  root.type = Type::dir;
  REQUIRE(w.entry(root));
  Bytes three_mib(3u << 20);
  for (std::size_t i = 0; i < three_mib.size(); ++i)
    three_mib[i] = static_cast<std::uint8_t>(i * 7 + (i >> 13));
  Entry big = file("big\nname");
  big.inline_content = true;
  REQUIRE(w.entry(big));
  // Written in uneven pieces; the reader sees the same bytes.
  REQUIRE(w.frame(ByteView(three_mib).first(1000)));
  REQUIRE(w.frame(ByteView(three_mib).subspan(1000)));
  REQUIRE(w.end_frames());
  Entry empty = file("empty");
  empty.inline_content = true;
  REQUIRE(w.entry(empty));
  REQUIRE(w.frame(ByteView{}));  // writes nothing
  REQUIRE(w.end_frames());
  Entry plain = file("plain");
  REQUIRE(w.entry(plain));
  REQUIRE(w.finish());
  CHECK(w.entries() == 4);

  auto r = read_stream(out.out);
  REQUIRE(r);
  CHECK(r->set.source == "app");
  CHECK(r->set.host == "host-1");
  CHECK(r->set.retention_class == "weekly");
  CHECK(r->set.started_ns == 1700000000000000001);
  CHECK(r->set.roots == std::vector<std::string>{"/srv/app", "/etc"});
  REQUIRE(r->entries.size() == 4);
  CHECK(r->entries[0] == root);
  CHECK(r->entries[1] == big);
  CHECK(r->contents[1] == three_mib);
  CHECK(r->entries[2] == empty);
  CHECK(r->contents[2].empty());
  CHECK(r->entries[3] == plain);

  // Truncation anywhere (a sample of offsets through the whole stream, plus the edges of the
  // trailer) is an error, never a shorter success.
  std::vector<std::size_t> cuts;
  for (std::size_t c = 0; c < out.out.size(); c += 4099) cuts.push_back(c);
  for (std::size_t c = out.out.size() - 120; c < out.out.size(); ++c) cuts.push_back(c);
  for (auto c : cuts) {
    INFO("cut at " << c);
    auto t = read_stream(std::string_view(out.out).substr(0, c));
    REQUIRE_FALSE(t);
    CHECK(t.error().code == Errc::bad_input);
  }
}

TEST_CASE("manifest::Reader: a consumer may skip content frames", "[manifest]") {
  io::StringWriter out;
  Writer w(out);
  REQUIRE(w.header(SetInfo{}));
  Entry a = file("a");
  a.inline_content = true;
  REQUIRE(w.entry(a));
  REQUIRE(w.frame(as_bytes("1\n{\"end\":true}\n")));
  REQUIRE(w.end_frames());
  REQUIRE(w.entry(file("b")));
  REQUIRE(w.finish());
  io::MemReader in(as_bytes(out.out));
  Reader r(in);
  REQUIRE(r.open());
  Entry e;
  REQUIRE(*r.next(e));
  CHECK(e.path == "a");
  REQUIRE(*r.next(e));
  CHECK(e.path == "b");
  Bytes buf;
  CHECK(*r.read_frame(buf) == 0);  // no content for a non-inline entry
  auto end = r.next(e);
  REQUIRE(end);
  CHECK_FALSE(*end);
  CHECK(r.entries() == 2);
}

TEST_CASE("manifest::Writer: refuses bad paths and misplaced frames", "[manifest]") {
  io::StringWriter out;
  Writer w(out);
  REQUIRE(w.header(SetInfo{}));
  CHECK_FALSE(w.entry(file("../x")));
  CHECK_FALSE(w.entry(file("/x")));
  CHECK_FALSE(w.frame(as_bytes("x")));  // after nothing inline
  Entry h = file("h");
  h.type = Type::hardlink;
  h.link = "a//b";
  CHECK_FALSE(w.entry(h));
  Entry a = file("a");
  a.inline_content = true;
  REQUIRE(w.entry(a));
  CHECK_FALSE(w.entry(file("b")));  // frames not ended
  REQUIRE(w.end_frames());
  REQUIRE(w.finish());
  auto r = read_stream(out.out);
  REQUIRE(r);
  CHECK(r->entries.size() == 1);
}

TEST_CASE(
    "manifest::Reader: refuses other kinds, unknown majors and truncation with clear messages",
    "[manifest]") {
  auto major2 = read_stream(fixture("major2.jsonl"));
  REQUIRE_FALSE(major2);
  CHECK(major2.error().code == Errc::unsupported_format);
  CHECK(major2.error().message == "manifest format 2.0 is not supported by this cairn (reads 1.x)");

  auto kind = read_stream("{\"cairn\":\"objects\",\"version\":[1,0]}\n");
  REQUIRE_FALSE(kind);
  CHECK(kind.error().message == "expected a manifest stream on stdin, got an objects stream");

  auto trunc = read_stream(fixture("truncated.jsonl"));
  REQUIRE_FALSE(trunc);
  CHECK(trunc.error().message == "manifest stream is truncated: no trailer after 16 entries");

  auto digest = read_stream(fixture("bad-digest.jsonl"));
  REQUIRE_FALSE(digest);
  CHECK(digest.error().message.find("manifest line 18: trailer digest mismatch") == 0);
}

TEST_CASE("manifest::path_less: subtrees are contiguous, parents first", "[manifest]") {
  std::vector<std::string> v = {"a-b", "a/b",   ".",      "a",   "a/b/c",
                                "b",   "a.txt", "a/\xff", "a/z", "A"};
  std::sort(v.begin(), v.end(), path_less);
  CHECK(v == std::vector<std::string>{".", "A", "a", "a/b", "a/b/c", "a/z", "a/\xff", "a-b",
                                      "a.txt", "b"});
  CHECK_FALSE(path_less("a", "a"));
  CHECK_FALSE(path_less(".", "."));
}

// ---- frozen fixtures (tests/data/streams/v1): these must keep reading forever ----------------

TEST_CASE("manifest::Reader: v1 fixture directory.jsonl reads with every field", "[manifest]") {
  auto r = read_stream(fixture("directory.jsonl"));
  REQUIRE(r);
  CHECK(r->set.source == "app");
  CHECK(r->set.host == "build-host");
  CHECK(r->set.retention_class == "daily");
  CHECK(r->set.started_ns == 1700000000123456789);
  CHECK(r->set.roots == std::vector<std::string>{"/srv/app"});
  const auto& e = r->entries;
  REQUIRE(e.size() == 16);
  std::vector<std::string> paths;
  for (const auto& x : e) paths.push_back(x.path);
  CHECK(std::is_sorted(paths.begin(), paths.end(), path_less));
  CHECK(e[0].path == ".");
  CHECK(e[0].type == Type::dir);
  CHECK(e[0].mode == 0755);
  CHECK(e[0].user == "root");
  CHECK(e[1].acl_access == "user::rwx,user:1001:r-x,group::r-x,mask::r-x,other::---");
  CHECK(e[1].acl_default == "user::rwx,group::r-x,other::---");
  CHECK(e[2].path == "bin/run.sh");
  CHECK(e[2].mode == 04755);
  CHECK(e[2].size == 42);
  REQUIRE(e[2].xattrs.size() == 2);
  CHECK(e[2].xattrs[0].name == "user.comment");
  CHECK(e[2].xattrs[0].value == Bytes{'h', 'i', 0, 0xff});
  CHECK(e[3].mode == 01777);
  CHECK(e[4].path == "data/a\nb\t\"c\\");
  CHECK_FALSE(e[4].user.has_value());
  CHECK(e[4].uid == 4242);
  CHECK(e[5].type == Type::hardlink);
  CHECK(e[5].link == "bin/run.sh");
  CHECK(e[6].type == Type::symlink);
  CHECK(e[6].target == "../bin/run.sh");
  CHECK(e[7].sparse);
  CHECK(e[7].size == 1073741824u);
  CHECK(e[8].target == "caf\xe9");
  CHECK(e[9].path == "data/\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x93\xa6");
  CHECK(e[10].path == "data/\xff\xfe-latin1-\xe9");
  CHECK(e[10].mtime_ns == -5);
  CHECK(e[12].type == Type::fifo);
  CHECK(e[13].type == Type::chardev);
  CHECK(e[13].rdev_major == 1);
  CHECK(e[13].rdev_minor == 3);
  CHECK(e[14].type == Type::blockdev);
  CHECK(e[15].type == Type::socket);
  for (const auto& x : e) CHECK_FALSE(x.inline_content);
}

TEST_CASE("manifest::Reader: v1 fixture inline.jsonl gives back its content frames", "[manifest]") {
  auto r = read_stream(fixture("inline.jsonl"));
  REQUIRE(r);
  CHECK(r->set.source == "pg");
  CHECK(r->set.roots.empty());
  REQUIRE(r->entries.size() == 3);
  CHECK(r->entries[0].path == "flextime.dump");
  CHECK(r->entries[0].inline_content);
  Bytes want;
  append(want, as_bytes("PGDMP header\n"));
  append(want, Bytes{0x00, 0x01, '\n', '0', '\n', 0xff});
  CHECK(r->contents[0] == want);
  CHECK(r->entries[1].inline_content);
  CHECK(r->contents[1].empty());
  CHECK(r->entries[2].type == Type::dir);
  CHECK_FALSE(r->entries[2].inline_content);
}

TEST_CASE("manifest::Reader: v1 fixture diffed.jsonl carries status, digest and chunks",
          "[manifest]") {
  auto r = read_stream(fixture("diffed.jsonl"));
  REQUIRE(r);
  const auto& e = r->entries;
  REQUIRE(e.size() == 6);
  CHECK(e[1].status == Change::unchanged);
  CHECK(e[1].digest == hash::blake2b(as_bytes("hello")));
  REQUIRE(e[1].chunks.size() == 2);
  CHECK(e[1].chunks[1] == hash::ChunkId{hash::blake2b(as_bytes("chunk-2"))});
  CHECK(e[2].digest == hash::blake2b({}));
  CHECK(e[2].chunks.empty());
  CHECK(e[3].status == Change::added);
  CHECK(e[4].status == Change::modified);
  CHECK(e[5].status == Change::deleted);
  CHECK_FALSE(e[3].digest.has_value());
}

TEST_CASE("manifest::Reader: a later minor version with unknown keys still reads", "[manifest]") {
  const std::string data = fixture("future-minor.jsonl");
  io::MemReader in(as_bytes(data));
  Reader r(in);
  REQUIRE(r.open());
  CHECK(r.version().major == 1);
  CHECK(r.version().minor == 3);
  CHECK(r.set().retention_class == "weekly");
  Entry e;
  REQUIRE(*r.next(e));
  CHECK(e.path == ".");
  REQUIRE(*r.next(e));
  CHECK(e.path == "f");
  CHECK(e.size == 3);
  auto end = r.next(e);
  REQUIRE(end);
  CHECK_FALSE(*end);
}

TEST_CASE("manifest::Writer: rewriting a fixture's entries reproduces it byte for byte",
          "[manifest]") {
  // Guards the writer against drift: what v1 readers were given must stay what we write.
  for (const char* name : {"directory.jsonl", "diffed.jsonl", "inline.jsonl"}) {
    INFO(name);
    auto original = fixture(name);
    auto r = read_stream(original);
    REQUIRE(r);
    io::StringWriter out;
    Writer w(out);
    REQUIRE(w.header(r->set));
    for (std::size_t i = 0; i < r->entries.size(); ++i) {
      REQUIRE(w.entry(r->entries[i]));
      if (r->entries[i].inline_content) {
        // The fixture's frame boundaries: split like the generator did.
        if (r->entries[i].path == "flextime.dump") {
          REQUIRE(w.frame(ByteView(r->contents[i]).first(13)));
          REQUIRE(w.frame(ByteView(r->contents[i]).subspan(13)));
        } else {
          REQUIRE(w.frame(r->contents[i]));
        }
        REQUIRE(w.end_frames());
      }
    }
    REQUIRE(w.finish());
    CHECK(out.out == original);
  }
}

namespace {

// One entry line's body after "{": the fast reader (taking "{\"") and the JSON parser (taken
// by the blank in "{ ") give the same entry or the same error.
void same_as_parser(const std::string& body) {
  INFO(body);
  auto fast = decode_entry("{" + body);
  auto slow = decode_entry("{ " + body);
  REQUIRE(bool(fast) == bool(slow));
  if (fast)
    CHECK(*fast == *slow);
  else
    CHECK(fast.error().message == slow.error().message);
}

}  // namespace

// The reader takes lines shaped as encode_entry writes them without building a JSON value, and
// leaves every other line to the JSON parser. A space after '{' sends a line to the parser: so
// each line below must give the same entry, or fail the same way, both ways.
TEST_CASE("manifest::decode_entry: the fast reader agrees with the JSON parser", "[manifest]") {
  const std::string canonical = encode_entry(file("a"));
  const std::string f = R"("path":"a","type":"file")";
  const std::vector<std::string> bodies = {
      canonical.substr(1),
      f + R"(,"mode":4095})",
      f + R"(,"mode":4096})",
      f + R"(,"size":-0})",
      f + R"(,"size":1.0})",
      f + R"(,"size":1e3})",
      f + R"(,"size":01})",
      f + R"(,"size":0})",
      f + R"(,"size":18446744073709551615})",
      f + R"(,"size":18446744073709551616})",
      f + R"(,"uid":4294967296})",
      f + R"(,"mtime_ns":-9223372036854775808})",
      f + R"(,"mtime_ns":-9223372036854775809})",
      f + R"(,"mtime_ns":9223372036854775807})",
      f + R"(,"mtime_ns":9223372036854775808})",
      f + R"(,"mtime_ns":-})",
      f + R"(,"path":"b"})",
      f + R"(,"path_b64":"Yg=="})",
      R"("path_b64":"Yg==","type":"file"})",
      R"("path_b64":"Y!==","type":"file"})",
      f + R"(,"zz":null,"zy":"x","zx":-5,"zw":true})",
      f + R"(,"zz":[1]})",
      f + R"(,"zz":{"a":1}})",
      f + R"(,"zz":1.5})",
      f + R"(,"end":true})",
      f + R"(,"status":""})",
      f + R"(,"status":"bogus"})",
      f + R"(,"status":"unchanged"})",
      f + R"(,"digest":"abcd"})",
      f + R"(,"chunks":["zz"]})",
      f + R"(,"chunks":[],"proofs":[])" + "\"" + std::string(64, 'a') + "\"]}",
      f + R"(,"chunks":[")" + std::string(64, 'b') + R"("],"proofs":[")" + std::string(64, 'c') +
          "\"]}",
      R"("path":"l","type":"symlink"})",
      R"("path":"l","type":"symlink","target":""})",
      R"("path":"l","type":"symlink","target_b64":"YQBi"})",
      R"("path":"h","type":"hardlink","link":"."})",
      R"("path":"h","type":"hardlink"})",
      R"("path":"h","type":"hardlink","link_b64":"YQ=="})",
      f + R"(,"xattrs":{"user.b":"YQ==","user.a":"Yg=="}})",
      f + R"(,"xattrs":{"user.a":"YQ==","user.a":"Yg=="}})",
      f + R"(,"xattrs":{"user.a":"Y!=="}})",
      f + R"(,"xattrs":{"user.a":1}})",
      f + R"(,"xattrs":{}})",
      "\"path\":\"\xff\",\"type\":\"file\"}",
      "\"path\":\"\xc0\xaf\",\"type\":\"file\"}",
      "\"path\":\"\xed\xa0\x80\",\"type\":\"file\"}",
      "\"path\":\"caf\xc3\xa9\",\"type\":\"file\"}",
      f + "}x",
      f + ",}",
      f,
      f + R"(,"sparse":1})",
      f + R"(,"sparse":true,"inline":false})",
      f + R"(,"user":null})",
      R"("path":"a","type":"door"})",
      R"("path":"a"})",
      R"("path":"../a","type":"file"})",
      R"("path":"a\/b","type":"file"})",
      "}",
  };
  for (const auto& body : bodies) {
    same_as_parser(body);
  }
}

TEST_CASE("manifest::decode_entry: the fast reader finds a string's end and bad bytes anywhere",
          "[manifest]") {
  // Each byte that stops, escapes or spoils a string, at every offset of the first 21 bytes
  // of a path and a user name (one with a chunk id after it): the same as the JSON parser.
  const std::vector<std::string> odd = {"\x01", "\x1f",    "\x7f",         "\\\"",     "\\\\",
                                        "\\n",  "\\u0041", "\xff",         "\xc3\xa9", "\xc0\xaf",
                                        "\"",   "\\",      "\xe2\x82\xac", " ",        "~"};
  for (const auto& o : odd) {
    for (std::size_t k = 0; k <= 20; ++k) {
      const std::string path = std::string(k, 'a') + o + std::string(20 - k, 'b');
      const std::string body = "\"path\":\"" + path + "\",\"type\":\"file\",\"user\":\"" + path +
                               "\",\"chunks\":[\"" + std::string(64, 'c') + "\"]}";
      same_as_parser(body);
    }
  }
}
