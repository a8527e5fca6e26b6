// tests/release/test_hooks_off_test.cpp: lib/crypto/crypto.cpp compiled as a build for use
// compiles it (without -DCAIRN_TEST_HOOKS=ON), whatever this build's own setting: the
// test-only switch CAIRN_TEST_FAST_KDF must change nothing there, and is reported as ignored.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "crypto/crypto.hpp"

using namespace cairn::crypto;

TEST_CASE("a build without test hooks ignores CAIRN_TEST_FAST_KDF", "[release]") {
  REQUIRE(init().has_value());
  CHECK_FALSE(test_hooks());
  REQUIRE(setenv("CAIRN_TEST_FAST_KDF", "1", 1) == 0);
  const KdfParams p = KdfParams::fresh();
  CHECK(p.ops == 3);
  CHECK(p.mem == (64ull << 20));
  CHECK(p.salt.size() == kSaltSize);
  CHECK(ignored_test_switch() == "CAIRN_TEST_FAST_KDF");
  REQUIRE(unsetenv("CAIRN_TEST_FAST_KDF") == 0);
  CHECK(ignored_test_switch().empty());
}
