#include <catch2/catch.hpp>

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "crypto/key_cache.hpp"
#include "crypto/keys.hpp"

using namespace cairn;
using namespace cairn::crypto;

namespace {

struct Lines final : Observer {
  std::vector<std::string> lines;
  void warning(std::string_view, const Error&) override {}
  void info(std::string_view l) override { lines.emplace_back(l); }
  bool any(std::string_view part) const {
    for (const auto& l : lines)
      if (l.find(part) != std::string::npos) return true;
    return false;
  }
};

// A new, empty session keyring for this test process; false where the kernel refuses it.
bool own_session_keyring() {
  return ::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0) >= 0;
}

const std::string kScope(64, 'a');

}  // namespace

TEST_CASE("key cache: a kept key opens its slot without the KDF; a wrong one is dropped") {
  REQUIRE(crypto::init().has_value());
  if (!own_session_keyring()) {
    WARN("skipped: the kernel keyring is unavailable");
    return;
  }
  Bytes id(32, 7);
  const KeyMaterial m = KeyMaterial::generate(id);
  const Bytes slot = seal_slot(m, "pass", KdfParams::fast_for_tests());
  Lines log;
  {
    KeyCache cache(kScope, "file:1:2:3:4.000000000:5.000000000", 60, &log);
    REQUIRE(cache.enabled());
    CHECK_FALSE(open_slot_cached(slot, "s", cache));
    REQUIRE(open_slot(slot, "pass", "s", cache));
    CHECK(log.any("key derived"));
    CHECK(log.any("kept in the kernel keyring for 60 s"));
    auto again = open_slot_cached(slot, "s", cache);
    REQUIRE(again);
    CHECK(again->box_pk == m.box_pk);
  }
  // Another binding (another passphrase file) does not find it; a wrong passphrase is not kept.
  KeyCache other(kScope, "file:9:9:9:9.000000000:9.000000000", 60, nullptr);
  CHECK_FALSE(open_slot_cached(slot, "s", other));
  CHECK_FALSE(open_slot(slot, "wrong", "s", other));
  CHECK_FALSE(open_slot_cached(slot, "s", other));
  // A wrong key under the right description is dropped.
  const auto h = parse_slot_header(slot, "s");
  REQUIRE(h);
  KeyCache cache(kScope, "file:1:2:3:4.000000000:5.000000000", 60, &log);
  CHECK(forget_cached_keys(kScope, ByteView(h->kdf.salt)) == 1);
  cache.store(h->kdf.salt, Bytes(32, 0x5a));
  CHECK_FALSE(open_slot_cached(slot, "s", cache));
  CHECK(log.any("does not open it: dropped"));
  CHECK_FALSE(cache.find(h->kdf.salt));
  CHECK(forget_cached_keys({}, std::nullopt) == 0);
}

TEST_CASE("key cache: off without a binding or with 0 seconds") {
  CHECK_FALSE(KeyCache(kScope, "", 60, nullptr).enabled());
  CHECK_FALSE(KeyCache(kScope, "file:1", 0, nullptr).enabled());
}
