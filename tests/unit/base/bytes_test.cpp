#include <catch2/catch.hpp>

#include "base/bytes.hpp"
#include "base/result.hpp"

using namespace cairn;

TEST_CASE("base::hex: round trip and refusal of odd input", "[base]") {
  Bytes b{0x00, 0xab, 0xff, 0x10};
  CHECK(to_hex(b) == "00abff10");
  CHECK(from_hex("00abff10") == b);
  CHECK_FALSE(from_hex("abc").has_value());
  CHECK_FALSE(from_hex("zz").has_value());
}

TEST_CASE("base::base64: round trip for every length mod 3", "[base]") {
  for (std::size_t n = 0; n < 10; ++n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 37 + 1);
    auto e = to_base64(b);
    CHECK(e.size() % 4 == 0);
    CHECK(from_base64(e) == b);
  }
  CHECK(to_base64(as_bytes("foobar")) == "Zm9vYmFy");
  CHECK_FALSE(from_base64("Zm9=vYmF").has_value());
}

TEST_CASE("base::is_utf8: accepts UTF-8, refuses overlongs and stray bytes", "[base]") {
  CHECK(is_utf8("plain"));
  CHECK(is_utf8("caf\xc3\xa9"));
  CHECK_FALSE(is_utf8("\xff"));
  CHECK_FALSE(is_utf8("\xc0\xaf"));      // overlong '/'
  CHECK_FALSE(is_utf8("\xed\xa0\x80"));  // surrogate
  CHECK_FALSE(is_utf8("\xe2\x82"));      // truncated
}

static Result<int> half(int x) {
  if (x % 2) return Error{Errc::bad_input, "odd"};
  return x / 2;
}
static Result<int> quarter(int x) {
  CAIRN_TRY_ASSIGN(int h, half(x));
  return half(h);
}

TEST_CASE("base::Result: CAIRN_TRY_ASSIGN propagates the first error", "[base]") {
  CHECK(*quarter(8) == 2);
  auto r = quarter(6);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::bad_input);
  CHECK(exit_for(Errc::corrupt) == Exit::damage);
  CHECK(exit_for(Errc::auth) == Exit::auth);
}
