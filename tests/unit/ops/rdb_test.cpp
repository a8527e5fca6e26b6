#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>

#include "ops/rdb.hpp"
#include "ops/snap.hpp"

using namespace cairn;

namespace {

// A stand-in RDB: magic, `body` bytes, the EOF opcode and the CRC64 of all of it.
Bytes make_rdb(std::size_t body, std::uint32_t seed = 1, bool checksum = true) {
  Bytes b(as_bytes("REDIS0010").begin(), as_bytes("REDIS0010").end());
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < body; ++i) b.push_back(static_cast<std::uint8_t>(rng()));
  b.push_back(0xff);
  put_le64(b, checksum ? ops::crc64_redis(0, b) : 0);
  return b;
}

Bytes with_marker(Bytes b) {
  std::string mark(ops::kRdbEofMarkSize, 'a');
  for (std::size_t i = 0; i < mark.size(); ++i) mark[i] = "0123456789abcdef"[(i * 7) % 16];
  append(b, as_bytes(mark));
  return b;
}

// Hands out at most `step` bytes a call, as a pipe may.
class Dribble final : public io::Reader {
 public:
  Dribble(ByteView b, std::size_t step) : b_(b), step_(step) {}
  Result<std::size_t> read(MutByteView out) override {
    std::size_t n = std::min({out.size(), step_, b_.size() - pos_});
    std::copy_n(b_.begin() + static_cast<std::ptrdiff_t>(pos_), n, out.begin());
    pos_ += n;
    return n;
  }

 private:
  ByteView b_;
  std::size_t step_, pos_ = 0;
};

Result<Bytes> drain(ByteView in, std::size_t in_step, std::size_t out_step, std::uint64_t* dropped = nullptr) {
  Dribble src(in, in_step);
  ops::RdbReader r(src, "standard input");
  Bytes out, buf(out_step);
  for (;;) {
    CAIRN_TRY_ASSIGN(std::size_t n, r.read(buf));
    if (n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  if (dropped) *dropped = r.dropped();
  return out;
}

}  // namespace

TEST_CASE("ops::crc64_redis: matches Redis' check value and continues across pieces", "[ops]") {
  CHECK(ops::crc64_redis(0, as_bytes("123456789")) == 0xe9c6d914c4b8d9caull);
  CHECK(ops::crc64_redis(0, as_bytes("")) == 0);
  Bytes data = make_rdb(1000, 3);
  const std::uint64_t whole = ops::crc64_redis(0, data);
  for (std::size_t cut : {0u, 1u, 7u, 8u, 13u, 500u}) {
    const ByteView v(data);
    CHECK(ops::crc64_redis(ops::crc64_redis(0, v.first(cut)), v.subspan(cut)) == whole);
  }
}

TEST_CASE("ops::RdbReader: drops redis-cli's 40-byte end marker and nothing else", "[ops]") {
  for (std::size_t body : {0u, 10u, 100u, 3u << 20}) {
    const Bytes rdb = make_rdb(body, static_cast<std::uint32_t>(body));
    std::uint64_t dropped = 99;
    auto out = drain(with_marker(rdb), 1u << 16, 1u << 20, &dropped);
    REQUIRE(out);
    CHECK(*out == rdb);
    CHECK(dropped == ops::kRdbEofMarkSize);
    auto exact = drain(rdb, 1u << 16, 1u << 20, &dropped);
    REQUIRE(exact);
    CHECK(*exact == rdb);
    CHECK(dropped == 0);
  }
}

TEST_CASE("ops::RdbReader: works with one-byte reads on either side", "[ops]") {
  const Bytes rdb = make_rdb(300, 9);
  auto a = drain(with_marker(rdb), 1, 4096);
  REQUIRE(a);
  CHECK(*a == rdb);
  auto b = drain(with_marker(rdb), 4096, 1);
  REQUIRE(b);
  CHECK(*b == rdb);
}

TEST_CASE("ops::RdbReader: refuses a truncated, damaged or foreign stream", "[ops]") {
  const Bytes rdb = make_rdb(5000, 4);
  SECTION("truncated") {
    Bytes cut(rdb.begin(), rdb.end() - 100);
    auto r = drain(cut, 512, 512);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::bad_input);
    CHECK(r.error().message.find("truncated or damaged") != std::string::npos);
  }
  SECTION("a flipped bit") {
    Bytes bad = with_marker(rdb);
    bad[2000] ^= 0x10;
    auto r = drain(bad, 512, 512);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::bad_input);
  }
  SECTION("other trailing garbage") {
    Bytes more = rdb;
    append(more, as_bytes("x"));
    auto r = drain(more, 512, 512);
    REQUIRE_FALSE(r);
  }
  SECTION("not an RDB") {
    auto r = drain(as_bytes("PGDMP and more bytes than the magic"), 512, 512);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("is not a Redis RDB file") != std::string::npos);
    auto empty = drain(ByteView{}, 512, 512);
    REQUIRE_FALSE(empty);
  }
}

TEST_CASE("ops::RdbReader: an RDB without a checksum (rdbchecksum no) passes unchecked", "[ops]") {
  const Bytes rdb = make_rdb(700, 5, false);
  std::uint64_t dropped = 0;
  auto out = drain(with_marker(rdb), 100, 100, &dropped);
  REQUIRE(out);
  CHECK(*out == rdb);
  CHECK(dropped == ops::kRdbEofMarkSize);
}

TEST_CASE("ops::snap: --rdb trims the stdin file to the RDB and needs --stdin", "[ops]") {
  const Bytes rdb = make_rdb(2000, 6);
  const Bytes input = with_marker(rdb);
  ops::SnapOptions opt;
  opt.stdin_name = "dump.rdb";
  opt.stdin_rdb = true;
  io::MemReader in(input);
  io::StringWriter out;
  CancelToken cancel;
  struct Null final : Observer {
    void warning(std::string_view, const Error&) override {}
  } obs;
  REQUIRE(ops::snap(opt, in, out, obs, cancel));
  // The frame that carries the content holds the RDB's bytes, without the marker.
  const std::string stream = out.out;
  CHECK(stream.find(std::string(as_chars(rdb))) != std::string::npos);
  CHECK(stream.find(std::string(as_chars(input))) == std::string::npos);

  ops::SnapOptions bad;
  bad.stdin_rdb = true;
  bad.tar_input = "-";
  io::MemReader in2(input);
  io::StringWriter out2;
  auto r = ops::snap(bad, in2, out2, obs, cancel);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::usage);
}
