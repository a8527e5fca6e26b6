// tests/fuzz/fuzz_key_slot.cpp: libFuzzer target for crypto::open_slot. Any input must either
// open (only a slot sealed with kPassphrase can) or fail with Errc::corrupt (malformed header,
// refused before Argon2) or Errc::auth (wrong passphrase / tampered body); never crash.
// Inputs whose header asks for more than a cheap Argon2 run are checked by parse_slot_header
// only, so each run stays fast. Seeds: slots written by seal_slot with kPassphrase and
// KdfParams::fast_for_tests(). Built only with -DCAIRN_FUZZ=ON (clang).
#include <cstddef>
#include <cstdint>

#include "crypto/crypto.hpp"
#include "crypto/keys.hpp"

namespace {

constexpr std::string_view kPassphrase = "fuzz passphrase";
constexpr std::uint64_t kMaxFuzzOps = 2;
constexpr std::uint64_t kMaxFuzzMem = 16ull << 20;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!cairn::crypto::init().has_value()) __builtin_trap();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn;
  const ByteView in(data, size);
  auto h = crypto::parse_slot_header(in, "fuzz");
  if (!h.has_value()) {
    // corrupt, or a slot of format 1 (cairn 0.1), named as unsupported
    const Errc c = h.error().code;
    if (c != Errc::corrupt && c != Errc::unsupported_format) __builtin_trap();
    auto r = crypto::open_slot(in, kPassphrase, "fuzz");  // must refuse the same way, at once
    if (r.has_value() || r.error().code != c) __builtin_trap();
    return 0;
  }
  if (h->kdf.ops > kMaxFuzzOps || h->kdf.mem > kMaxFuzzMem) return 0;
  auto r = crypto::open_slot(in, kPassphrase, "fuzz");
  if (!r.has_value()) {
    if (r.error().code != Errc::auth && r.error().code != Errc::corrupt) __builtin_trap();
    return 0;
  }
  // It opened: the material must be well-formed and survive a re-seal.
  const crypto::KeyMaterial& m = *r;
  if (m.can_read() != (m.caps == crypto::Caps::full)) __builtin_trap();
  auto again = crypto::open_slot(crypto::seal_slot(m, kPassphrase, h->kdf), kPassphrase, "fuzz");
  if (!again.has_value() || again->sign_pk != m.sign_pk || again->caps != m.caps) __builtin_trap();
  return 0;
}
