#include <catch2/catch.hpp>

#include "base/units.hpp"

using cairn::Errc;
using cairn::parse_size;

TEST_CASE("base::parse_size: plain numbers and binary suffixes", "[base]") {
  CHECK(*parse_size("0") == 0);
  CHECK(*parse_size("4096") == 4096);
  CHECK(*parse_size("64K") == 64u << 10);
  CHECK(*parse_size("64k") == 64u << 10);
  CHECK(*parse_size("1M") == 1u << 20);
  CHECK(*parse_size("3G") == 3ull << 30);
  CHECK(*parse_size("2T") == 2ull << 40);
  CHECK(*parse_size("512B") == 512);
}

TEST_CASE("base::parse_size: accepts B and iB after a multiplier", "[base]") {
  CHECK(*parse_size("64KiB") == 64u << 10);
  CHECK(*parse_size("64kib") == 64u << 10);
  CHECK(*parse_size("8MB") == 8u << 20);
  CHECK(*parse_size("1GiB") == 1ull << 30);
}

TEST_CASE("base::parse_size: refuses malformed sizes with a usage error", "[base]") {
  for (const char* bad :
       {"", "K", "-1", "+5", "1.5M", "1 M", "10X", "5KK", "5iB", "5Kb2", " 5", "5 ", "0x10"}) {
    INFO(bad);
    auto r = parse_size(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::usage);
    CHECK(r.error().message.find("invalid size") != std::string::npos);
  }
}

TEST_CASE("base::parse_size: refuses values that overflow 64 bits", "[base]") {
  CHECK(*parse_size("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(parse_size("18446744073709551616").has_value());
  CHECK(*parse_size("16777215T") == 16777215ull << 40);
  CHECK_FALSE(parse_size("16777216T").has_value());  // 2^24 TiB = 2^64
}
