#include <catch2/catch.hpp>

#include "ops/snap.hpp"
#include "rdb/rdb_fixture.hpp"

using namespace cairn;
using test::make_rdb;
using test::with_marker;

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
