#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "hash/hash.hpp"
#include "io/file.hpp"
#include "stream/stream.hpp"

using namespace cairn;
using nlohmann::json;

namespace {

std::string write_sample(int records, bool frames) {
  io::StringWriter out;
  stream::Writer w(out, stream::kManifest);
  REQUIRE(w.header(json{{"set", {{"source", "x"}}}}));
  for (int i = 0; i < records; ++i) {
    REQUIRE(w.record(frames ? fmt::format("{{\"n\":{},\"frames\":true}}", i)
                            : fmt::format("{{\"n\":{}}}", i)));
    if (frames) {
      REQUIRE(w.frame(as_bytes(fmt::format("content {}\nwith newline", i))));
      REQUIRE(w.end_frames());
    }
  }
  REQUIRE(w.finish());
  return out.out;
}

// Reads a whole stream; returns the error, or a description of what was read.
Result<std::vector<std::string>> read_all(std::string_view data) {
  io::MemReader in(as_bytes(data));
  stream::Reader r(in, stream::kManifest);
  json h;
  CAIRN_TRY(r.header(h));
  std::vector<std::string> got;
  json rec;
  Bytes buf;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool more, r.next(rec));
    if (!more) break;
    got.push_back(rec.dump());
    if (rec.contains("frames")) {
      r.expect_frames();
      for (;;) {
        CAIRN_TRY_ASSIGN(std::size_t n, r.read_frame(buf));
        if (n == 0) break;
        got.push_back(std::string(as_chars(buf)));
      }
    }
  }
  return got;
}

}  // namespace

TEST_CASE("stream::Writer: header, records and a verifiable trailer", "[stream]") {
  auto s = write_sample(3, false);
  auto lines = s.substr(0, s.rfind('\n', s.size() - 2) + 1);
  CHECK(s.rfind("{\"cairn\":\"manifest\",\"version\":[1,0]", 0) == 0);
  auto trailer = json::parse(s.substr(lines.size()));
  CHECK(trailer["end"] == true);
  CHECK(trailer["entries"] == 3);
  CHECK(trailer["digest"] == hash::blake2b(as_bytes(lines)).hex());
  auto r = read_all(s);
  REQUIRE(r);
  CHECK(*r == std::vector<std::string>{"{\"n\":0}", "{\"n\":1}", "{\"n\":2}"});
}

TEST_CASE("stream::Reader: frames are digested and unread frames are skipped", "[stream]") {
  io::StringWriter out;
  stream::Writer w(out, stream::kManifest);
  REQUIRE(w.header(json::object()));
  REQUIRE(w.record("{\"frames\":true}"));
  REQUIRE(w.frame(as_bytes("abc")));
  REQUIRE(w.frame(as_bytes("0\n12")));
  REQUIRE(w.end_frames());
  REQUIRE(w.record("{\"frames\":true}"));
  REQUIRE(w.end_frames());
  REQUIRE(w.record("{\"last\":1}"));
  REQUIRE(w.finish());
  auto r = read_all(out.out);
  REQUIRE(r);
  CHECK(*r == std::vector<std::string>{"{\"frames\":true}", "abc", "0\n12", "{\"frames\":true}",
                                       "{\"last\":1}"});

  // A consumer that ignores the frames still reaches a verified trailer.
  io::MemReader in(as_bytes(out.out));
  stream::Reader rd(in, stream::kManifest);
  json h, rec;
  REQUIRE(rd.header(h));
  int n = 0;
  for (;;) {
    auto more = rd.next(rec);
    REQUIRE(more);
    if (!*more) break;
    if (rec.contains("frames")) rd.expect_frames();
    ++n;
  }
  CHECK(n == 3);

  // Flipping one content byte breaks the digest.
  std::string bad = out.out;
  bad[bad.find("abc")] = 'x';
  auto e = read_all(bad);
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("digest mismatch") != std::string::npos);
}

TEST_CASE("stream::check_header: refuses another kind, unknown majors and non-headers",
          "[stream]") {
  auto check = [](const json& h) { return stream::check_header(h, stream::kManifest, "stdin"); };
  CHECK(check(json{{"cairn", "manifest"}, {"version", {1, 0}}}));
  CHECK(check(json{{"cairn", "manifest"}, {"version", {1, 9}}, {"new_key", 1}}));
  auto v2 = check(json{{"cairn", "manifest"}, {"version", {2, 0}}});
  REQUIRE_FALSE(v2);
  CHECK(v2.error().code == Errc::unsupported_format);
  CHECK(v2.error().message == "manifest format 2.0 is not supported by this cairn (reads 1.x)");
  auto kind = check(json{{"cairn", "objects"}, {"version", {1, 0}}});
  REQUIRE_FALSE(kind);
  CHECK(kind.error().code == Errc::bad_input);
  CHECK(kind.error().message == "expected a manifest stream on stdin, got an objects stream");
  CHECK_FALSE(check(json{{"cairn", "manifest"}}));
  CHECK_FALSE(check(json{{"cairn", "manifest"}, {"version", {1}}}));
  CHECK_FALSE(check(json{{"cairn", "manifest"}, {"version", {-1, 0}}}));
  CHECK_FALSE(check(json::array({1, 2})));

  io::MemReader text(as_bytes("hello world\n"));
  stream::Reader r(text, stream::kManifest);
  json h;
  auto st = r.header(h);
  REQUIRE_FALSE(st);
  CHECK(st.error().message == "expected a manifest stream on stdin, got data that is not JSON");
  io::MemReader empty(ByteView{});
  stream::Reader r2(empty, stream::kManifest);
  auto st2 = r2.header(h);
  REQUIRE_FALSE(st2);
  CHECK(st2.error().message == "expected a manifest stream on stdin, got empty input");
}

TEST_CASE("stream::Reader: every truncation is an error, never a shorter success", "[stream]") {
  auto s = write_sample(3, true);
  for (std::size_t cut = 0; cut < s.size(); ++cut) {
    auto r = read_all(std::string_view(s).substr(0, cut));
    INFO("cut at " << cut);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::bad_input);
  }
  CHECK(read_all(s));
  auto missing = read_all(s.substr(0, s.rfind("{\"end\"")));
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "manifest stream is truncated: no trailer after 3 entries");
}

TEST_CASE("stream::Reader: refuses count and digest mismatches and data after the trailer",
          "[stream]") {
  auto s = write_sample(2, false);
  auto pos = s.rfind("\"entries\":2");
  REQUIRE(pos != std::string::npos);
  std::string count = s;
  count.replace(pos, 11, "\"entries\":3");
  auto c = read_all(count);
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("trailer counts 3 entries but the stream has 2") !=
        std::string::npos);

  std::string digest = s;
  auto d = digest.rfind("\"digest\":\"") + 10;
  digest[d] = digest[d] == '0' ? '1' : '0';
  auto dr = read_all(digest);
  REQUIRE_FALSE(dr);
  CHECK(dr.error().message.find("digest mismatch") != std::string::npos);

  // A record altered in the middle: the trailer no longer matches.
  std::string altered = s;
  altered.replace(altered.find("{\"n\":1}"), 7, "{\"n\":7}");
  CHECK_FALSE(read_all(altered));

  auto extra = read_all(s + "{\"n\":3}\n");
  REQUIRE_FALSE(extra);
  CHECK(extra.error().message.find("after its trailer") != std::string::npos);

  auto json_err = read_all(s.substr(0, s.find('\n') + 1) + "{not json\n");
  REQUIRE_FALSE(json_err);
  CHECK(json_err.error().message == "manifest line 2: not valid JSON");
}

TEST_CASE("stream::Reader: refuses oversize and malformed frame lengths", "[stream]") {
  std::string head = "{\"cairn\":\"manifest\",\"version\":[1,0]}\n{\"frames\":true}\n";
  auto big = read_all(head + fmt::format("{}\n", stream::kMaxFrame + 1));
  REQUIRE_FALSE(big);
  CHECK(big.error().message.find("exceeds") != std::string::npos);
  for (const char* bad :
       {"-1\n", "+3\nabc", "03\nabc", " 3\nabc", "3x\nabc", "\n", "99999999999999999999\n"}) {
    INFO(bad);
    auto r = read_all(head + bad + "0\n");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::bad_input);
  }
}

TEST_CASE("stream::Writer: splits content into frames of at most 16 MiB", "[stream]") {
  io::StringWriter out;
  stream::Writer w(out, stream::kManifest);
  REQUIRE(w.header(json::object()));
  REQUIRE(w.record("{\"frames\":true}"));
  Bytes big(stream::kMaxFrame + 5, 0x5a);
  REQUIRE(w.frame(big));
  REQUIRE(w.end_frames());
  REQUIRE(w.finish());
  CHECK(out.out.find(fmt::format("\n{}\n", stream::kMaxFrame)) != std::string::npos);
  CHECK(out.out.find("Z5\nZZZZZ0\n") != std::string::npos);
  auto r = read_all(out.out);
  REQUIRE(r);
  REQUIRE(r->size() == 3);
  CHECK((*r)[1].size() + (*r)[2].size() == big.size());
}

TEST_CASE("stream::Reader: skip_digest leaves the digest to a MAC, still counts the records",
          "[stream]") {
  const auto read_skipping = [](std::string_view data) -> Result<std::size_t> {
    io::MemReader in(as_bytes(data));
    stream::Reader r(in, stream::kManifest);
    r.skip_digest();
    json h, rec;
    CAIRN_TRY(r.header(h));
    std::size_t n = 0;
    for (;;) {
      CAIRN_TRY_ASSIGN(bool more, r.next(rec));
      if (!more) return n;
      ++n;
    }
  };
  const auto s = write_sample(3, false);
  auto whole = read_skipping(s);
  REQUIRE(whole);
  CHECK(*whole == 3);
  // A record altered (what the files cache's MAC catches before parsing): read without the
  // digest, as told, while a reader that digests refuses it.
  std::string altered = s;
  altered.replace(altered.find("{\"n\":1}"), 7, "{\"n\":7}");
  CHECK(read_skipping(altered));
  CHECK_FALSE(read_all(altered));
  // The count, the trailer's form and the end of the stream are still checked.
  std::string count = s;
  count.replace(count.rfind("\"entries\":3"), 11, "\"entries\":4");
  auto c = read_skipping(count);
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("trailer counts 4 entries but the stream has 3") !=
        std::string::npos);
  std::string bad_hex = s;
  bad_hex.replace(bad_hex.rfind("\"digest\":\"") + 10, 2, "zz");
  CHECK_FALSE(read_skipping(bad_hex));
  CHECK_FALSE(read_skipping(s.substr(0, s.rfind("{\"end\""))));
  CHECK_FALSE(read_skipping(s + "{\"n\":4}\n"));
}
