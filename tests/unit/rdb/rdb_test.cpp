#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "rdb/rdb.hpp"
#include "rdb/rdb_fixture.hpp"

using namespace cairn;
using test::make_rdb;
using test::with_marker;

namespace {

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

Result<Bytes> drain(ByteView in, std::size_t in_step, std::size_t out_step,
                    std::uint64_t* dropped = nullptr) {
  Dribble src(in, in_step);
  rdb::RdbReader r(src, "standard input");
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

TEST_CASE("rdb::crc64_redis: matches Redis' check value and continues across pieces", "[rdb]") {
  CHECK(rdb::crc64_redis(0, as_bytes("123456789")) == 0xe9c6d914c4b8d9caull);
  CHECK(rdb::crc64_redis(0, as_bytes("")) == 0);
  Bytes data = make_rdb(1000, 3);
  const std::uint64_t whole = rdb::crc64_redis(0, data);
  for (std::size_t cut : {0u, 1u, 7u, 8u, 13u, 500u}) {
    const ByteView v(data);
    CHECK(rdb::crc64_redis(rdb::crc64_redis(0, v.first(cut)), v.subspan(cut)) == whole);
  }
}

TEST_CASE("rdb::RdbReader: drops redis-cli's 40-byte end marker and nothing else", "[rdb]") {
  for (std::size_t body : {0u, 10u, 100u, 3u << 20}) {
    const Bytes rdb = make_rdb(body, static_cast<std::uint32_t>(body));
    std::uint64_t dropped = 99;
    auto out = drain(with_marker(rdb), 1u << 16, 1u << 20, &dropped);
    REQUIRE(out);
    CHECK(*out == rdb);
    CHECK(dropped == rdb::kRdbEofMarkSize);
    auto exact = drain(rdb, 1u << 16, 1u << 20, &dropped);
    REQUIRE(exact);
    CHECK(*exact == rdb);
    CHECK(dropped == 0);
  }
}

TEST_CASE("rdb::RdbReader: works with one-byte reads on either side", "[rdb]") {
  const Bytes rdb = make_rdb(300, 9);
  auto a = drain(with_marker(rdb), 1, 4096);
  REQUIRE(a);
  CHECK(*a == rdb);
  auto b = drain(with_marker(rdb), 4096, 1);
  REQUIRE(b);
  CHECK(*b == rdb);
}

TEST_CASE("rdb::RdbReader: refuses a truncated, damaged or foreign stream", "[rdb]") {
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

TEST_CASE("rdb::RdbReader: an RDB without a checksum (rdbchecksum no) passes unchecked", "[rdb]") {
  const Bytes rdb = make_rdb(700, 5, false);
  std::uint64_t dropped = 0;
  auto out = drain(with_marker(rdb), 100, 100, &dropped);
  REQUIRE(out);
  CHECK(*out == rdb);
  CHECK(dropped == rdb::kRdbEofMarkSize);
}
