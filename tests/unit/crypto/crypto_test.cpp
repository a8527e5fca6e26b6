#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <sodium.h>

#include "crypto/crypto.hpp"
#include "crypto/digest.hpp"

using namespace cairn;
using namespace cairn::crypto;

namespace {

void init_crypto() { REQUIRE(crypto::init().has_value()); }

Bytes pattern(std::size_t n, std::uint8_t seed = 1) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i)
    b[i] = static_cast<std::uint8_t>(i * 131 + seed * 7 + (i >> 8));
  return b;
}

SecretBytes random_key() {
  SecretBytes k(kKeySize);
  random_bytes(k.mut());
  return k;
}

bool message_names(const Error& e, std::string_view what) {
  return e.message.find(fmt::format("'{}'", what)) != std::string::npos;
}

// The VmFlags line of the /proc/self/smaps mapping that contains `p`, if any.
std::optional<std::string> vm_flags_of(const void* p) {
  std::ifstream f("/proc/self/smaps");
  if (!f) return std::nullopt;
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  std::string line;
  bool inside = false;
  while (std::getline(f, line)) {
    unsigned long lo = 0, hi = 0;
    char dash = 0;
    std::istringstream is(line);
    if (line.rfind("VmFlags:", 0) == 0) {
      if (inside) return line;
      continue;
    }
    if ((is >> std::hex >> lo >> dash >> hi) && dash == '-' && line.find(' ') > line.find('-'))
      inside = a >= lo && a < hi;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("crypto::init: succeeds and may be called again", "[crypto]") {
  CHECK(crypto::init().has_value());
  CHECK(crypto::init().has_value());
}

TEST_CASE("crypto::SecretBytes: zero-filled, copy_of, moves leave the source empty", "[crypto]") {
  init_crypto();
  SecretBytes z(100);
  REQUIRE(z.size() == 100);
  CHECK(std::all_of(z.data(), z.data() + z.size(), [](std::uint8_t b) { return b == 0; }));

  const Bytes src = pattern(33);
  SecretBytes c = SecretBytes::copy_of(src);
  CHECK(Bytes(c.view().begin(), c.view().end()) == src);
  CHECK(c.data() != nullptr);

  SecretBytes moved = std::move(c);
  CHECK(c.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  CHECK(c.data() == nullptr);
  CHECK(Bytes(moved.view().begin(), moved.view().end()) == src);
  SecretBytes assigned(5);
  assigned = std::move(moved);
  CHECK(assigned.size() == 33);
  CHECK(moved.empty());  // NOLINT(bugprone-use-after-move)

  SecretBytes none;
  CHECK(none.empty());
  CHECK(SecretBytes::copy_of({}).empty());
}

TEST_CASE("crypto::SecretBytes: formats as <redacted>", "[crypto]") {
  init_crypto();
  const SecretBytes s = SecretBytes::copy_of(as_bytes("hunter2-secret"));
  const std::string text = fmt::format("key={} end", s);
  CHECK(text == "key=<redacted> end");
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(fmt::format("{:>12}", s) == "  <redacted>");
}

TEST_CASE("crypto::SecretBytes: its pages are excluded from core dumps", "[crypto]") {
  init_crypto();
  SecretBytes s(64);
  const auto flags = vm_flags_of(s.data());
  REQUIRE(flags.has_value());  // Linux exposes smaps for every mapping
  INFO(*flags);
  CHECK(flags->find(" dd") != std::string::npos);
}

TEST_CASE("crypto::random_bytes and equal: distinct draws, constant-time comparison", "[crypto]") {
  init_crypto();
  Bytes a(32), b(32);
  random_bytes(a);
  random_bytes(b);
  CHECK(a != b);
  CHECK(equal(a, a));
  CHECK_FALSE(equal(a, b));
  CHECK_FALSE(equal(a, ByteView(a).first(31)));
  CHECK(equal({}, {}));
}

TEST_CASE("crypto::seal: round trip, with and without AD, empty plaintext", "[crypto]") {
  init_crypto();
  const SecretBytes key = random_key();
  for (std::size_t n : {0u, 1u, 100u, 70'000u}) {
    const Bytes pt = pattern(n);
    const Bytes ad = pattern(n % 50, 9);
    const Bytes sealed = seal(key.view(), pt, ad);
    REQUIRE(sealed.size() == n + kSealOverhead);
    auto r = open(key.view(), sealed, ad, "obj");
    REQUIRE(r.has_value());
    CHECK(*r == pt);
    // Encrypted: from 16 bytes on (a 1-byte ciphertext equals its plaintext once in 256
    // runs; this check failed so, at random).
    if (n >= 16) CHECK(Bytes(sealed.begin() + kNonceSize, sealed.begin() + kNonceSize + n) != pt);
  }
}

// Plaintext sizes around ChaCha20's 64-byte blocks and Poly1305's 16-byte ones, and large.
const std::vector<std::size_t> kAeadSizes{0,  1,   15,  16,   17,   63,     64,
                                          65, 255, 256, 1000, 4096, 65'537, (1u << 20) + 5};

TEST_CASE("crypto::seal: byte-identical to libsodium's XChaCha20-Poly1305-IETF at every size",
          "[crypto]") {
  // seal_append runs OpenSSL's ChaCha20-Poly1305 under an HChaCha20 subkey; the repository
  // format is libsodium's construction, so both must give the same bytes for the same nonce.
  init_crypto();
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  REQUIRE(cipher != nullptr);  // else seal_append fell back to libsodium and this proves less
  EVP_CIPHER_free(cipher);
  const SecretBytes key = random_key();
  for (std::size_t n : kAeadSizes) {
    for (std::size_t adlen : {0u, 1u, 66u}) {
      INFO("plaintext " << n << " bytes, AD " << adlen << " bytes");
      const Bytes plain = pattern(n, static_cast<std::uint8_t>(n));
      const Bytes ad = pattern(adlen, 9);
      const Bytes ours = seal(key.view(), plain, ad);
      REQUIRE(ours.size() == n + kSealOverhead);
      Bytes theirs(n + kTagSize);
      unsigned long long clen = 0;
      crypto_aead_xchacha20poly1305_ietf_encrypt(theirs.data(), &clen, plain.data(), plain.size(),
                                                 ad.data(), ad.size(), nullptr, ours.data(),
                                                 key.data());
      REQUIRE(clen == theirs.size());
      CHECK(std::equal(theirs.begin(), theirs.end(),
                       ours.begin() + static_cast<std::ptrdiff_t>(kNonceSize)));
      auto back = open(key.view(), ours, ad, "t");
      REQUIRE(back.has_value());
      CHECK(*back == plain);
    }
  }
}

TEST_CASE("crypto::open: opens what libsodium sealed, at every size, and wipes a forgery's bytes",
          "[crypto]") {
  // open/open_into/open_in_place run OpenSSL's ChaCha20-Poly1305 (tag checked at the end):
  // what libsodium's XChaCha20-Poly1305-IETF seals must open to the same plaintext, and a
  // message that fails must leave none of its decrypted bytes behind.
  init_crypto();
  const SecretBytes key = random_key();
  for (std::size_t n : kAeadSizes) {
    for (std::size_t adlen : {0u, 1u, 66u}) {
      INFO("plaintext " << n << " bytes, AD " << adlen << " bytes");
      const Bytes plain = pattern(n, static_cast<std::uint8_t>(n + 1));
      const Bytes ad = pattern(adlen, 7);
      Bytes sealed(kNonceSize + n + kTagSize);
      random_bytes(MutByteView(sealed).first(kNonceSize));
      unsigned long long clen = 0;
      crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data() + kNonceSize, &clen, plain.data(),
                                                 plain.size(), ad.data(), ad.size(), nullptr,
                                                 sealed.data(), key.data());
      REQUIRE(clen == n + kTagSize);
      auto back = open(key.view(), sealed, ad, "t");
      REQUIRE(back.has_value());
      CHECK(*back == plain);
      Bytes in_place = sealed;
      auto view = open_in_place(key.view(), in_place, ad, "t");
      REQUIRE(view.has_value());
      CHECK(Bytes(view->begin(), view->end()) == plain);
      if (n == 0) continue;
      // The last tag byte flipped: OpenSSL has decrypted everything by the time it finds out.
      Bytes forged = sealed;
      forged.back() ^= 0x01;
      REQUIRE_FALSE(open_in_place(key.view(), forged, ad, "t").has_value());
      const auto body = ByteView(forged).subspan(kNonceSize, n);
      CHECK(std::all_of(body.begin(), body.end(), [](std::uint8_t b) { return b == 0; }));
    }
  }
}

TEST_CASE("crypto::blake2b and Digester: known answers", "[crypto]") {
  init_crypto();
  std::array<std::uint8_t, 32> b{};
  crypto::blake2b(b, as_bytes("abc"));
  CHECK(to_hex(b) == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
  Digester sha(Digester::Algo::sha256);
  sha.update(as_bytes("ab"));
  Digester fork = sha;  // a copy continues from the same state
  sha.update(as_bytes("c"));
  std::array<std::uint8_t, 32> d{};
  sha.finish(d);
  CHECK(to_hex(d) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  fork.update(as_bytes("d"));
  fork.finish(d);
  CHECK(to_hex(d) ==
        "a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9");  // sha256("abd")
  Digester md5(Digester::Algo::md5);
  md5.update(as_bytes("abc"));
  std::array<std::uint8_t, 16> m{};
  md5.finish(m);
  CHECK(to_hex(m) == "900150983cd24fb0d6963f7d28e17f72");
}

TEST_CASE("crypto::seal: random nonce makes equal plaintexts seal differently", "[crypto]") {
  init_crypto();
  const SecretBytes key = random_key();
  const Bytes pt = pattern(64);
  const Bytes a = seal(key.view(), pt, {}), b = seal(key.view(), pt, {});
  CHECK(a != b);
  CHECK(Bytes(a.begin(), a.begin() + kNonceSize) != Bytes(b.begin(), b.begin() + kNonceSize));
}

TEST_CASE("crypto::seal_append: keeps what was in the buffer", "[crypto]") {
  init_crypto();
  const SecretBytes key = random_key();
  Bytes out = {1, 2, 3};
  seal_append(key.view(), as_bytes("hello"), as_bytes("ad"), out);
  REQUIRE(out.size() == 3 + 5 + kSealOverhead);
  CHECK(out[0] == 1);
  CHECK(out[2] == 3);
  auto r = open(key.view(), ByteView(out).subspan(3), as_bytes("ad"), "x");
  REQUIRE(r.has_value());
  CHECK(as_chars(*r) == "hello");
}

TEST_CASE("crypto::seal_in_place: the same bytes as libsodium's, sealed inside the buffer",
          "[crypto]") {
  init_crypto();
  const SecretBytes key = random_key();
  for (std::size_t n : {0u, 1u, 63u, 64u, 65u, 4096u, 65'537u, (1u << 20) + 5}) {
    INFO("plaintext " << n << " bytes");
    const Bytes plain = pattern(n, static_cast<std::uint8_t>(n + 1));
    const Bytes ad = pattern(66, 9);
    Bytes buf(kNonceSize + n + kTagSize, 0xee);
    std::copy(plain.begin(), plain.end(), buf.begin() + static_cast<std::ptrdiff_t>(kNonceSize));
    seal_in_place(key.view(), buf, ad);
    // libsodium, out of place, under the nonce seal_in_place drew
    Bytes theirs(n + kTagSize);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(theirs.data(), &clen, plain.data(), plain.size(),
                                               ad.data(), ad.size(), nullptr, buf.data(),
                                               key.data());
    REQUIRE(clen == theirs.size());
    CHECK(std::equal(theirs.begin(), theirs.end(),
                     buf.begin() + static_cast<std::ptrdiff_t>(kNonceSize)));
    auto back = open(key.view(), buf, ad, "t");
    REQUIRE(back.has_value());
    CHECK(*back == plain);
    CHECK_FALSE(open(key.view(), buf, pattern(66, 8), "t").has_value());
  }
}

TEST_CASE("crypto::open: every single-bit flip fails with Errc::corrupt", "[crypto]") {
  init_crypto();
  const SecretBytes key = random_key();
  const Bytes pt = pattern(100);
  const Bytes ad{'p', 'a', 'c', 'k'};
  const Bytes sealed = seal(key.view(), pt, ad);
  REQUIRE(open(key.view(), sealed, ad, "pack ab12").has_value());
  std::size_t failures = 0;
  for (std::size_t bit = 0; bit < sealed.size() * 8; ++bit) {  // nonce, ciphertext and tag
    Bytes bad = sealed;
    bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    auto r = open(key.view(), bad, ad, "pack ab12");
    if (r.has_value()) {
      FAIL_CHECK("bit " << bit << " flipped and the message still opened");
      continue;
    }
    CHECK(r.error().code == Errc::corrupt);
    ++failures;
  }
  CHECK(failures == sealed.size() * 8);
}

TEST_CASE("crypto::open: wrong AD or wrong key fails, naming the object", "[crypto]") {
  init_crypto();
  const SecretBytes key = random_key();
  const Bytes sealed = seal(key.view(), as_bytes("data"), as_bytes("chunk 01"));
  auto wrong_ad = open(key.view(), sealed, as_bytes("chunk 02"), "chunk 01");
  REQUIRE_FALSE(wrong_ad.has_value());
  CHECK(wrong_ad.error().code == Errc::corrupt);
  CHECK(wrong_ad.error().message == "'chunk 01' failed authentication (corrupt or tampered)");
  auto no_ad = open(key.view(), sealed, {}, "chunk 01");
  CHECK_FALSE(no_ad.has_value());
  const SecretBytes other = random_key();
  auto wrong_key = open(other.view(), sealed, as_bytes("chunk 01"), "chunk 01");
  REQUIRE_FALSE(wrong_key.has_value());
  CHECK(wrong_key.error().code == Errc::corrupt);
}

TEST_CASE("crypto::open: every truncation and an extension fail with Errc::corrupt", "[crypto]") {
  init_crypto();
  const SecretBytes key = random_key();
  const Bytes sealed = seal(key.view(), pattern(50), {});
  for (std::size_t n = 0; n < sealed.size(); ++n) {
    auto r = open(key.view(), ByteView(sealed).first(n), {}, "idx");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::corrupt);
    CHECK(message_names(r.error(), "idx"));
  }
  Bytes longer = sealed;
  longer.push_back(0);
  CHECK_FALSE(open(key.view(), longer, {}, "idx").has_value());
}

TEST_CASE("crypto::open_into: reuses the buffer and empties it on failure", "[crypto]") {
  init_crypto();
  const SecretBytes key = random_key();
  const Bytes pt = pattern(300);
  const Bytes sealed = seal(key.view(), pt, as_bytes("a"));
  Bytes out = pattern(1000, 3);
  REQUIRE(open_into(key.view(), sealed, as_bytes("a"), out, "x").has_value());
  CHECK(out == pt);
  Bytes bad = sealed;
  bad.back() ^= 1;
  auto st = open_into(key.view(), bad, as_bytes("a"), out, "x");
  REQUIRE_FALSE(st.has_value());
  CHECK(st.error().code == Errc::corrupt);
  CHECK(out.empty());
}

TEST_CASE("crypto::open_in_place: decrypts inside the sealed buffer and detects tampering",
          "[crypto]") {
  init_crypto();
  const SecretBytes key = random_key();
  const Bytes pt = pattern(4096);
  Bytes buf = seal(key.view(), pt, as_bytes("ad"));
  const Bytes orig = buf;
  auto r = open_in_place(key.view(), buf, as_bytes("ad"), "x");
  REQUIRE(r.has_value());
  CHECK(r->data() == buf.data() + kNonceSize);
  CHECK(Bytes(r->begin(), r->end()) == pt);

  for (std::size_t pos : {std::size_t{0}, kNonceSize + 17, orig.size() - 1}) {
    Bytes bad = orig;
    bad[pos] ^= 0x40;
    auto f = open_in_place(key.view(), bad, as_bytes("ad"), "x");
    REQUIRE_FALSE(f.has_value());
    CHECK(f.error().code == Errc::corrupt);
  }
  Bytes tiny(kSealOverhead - 1);
  CHECK_FALSE(open_in_place(key.view(), tiny, {}, "x").has_value());
}

TEST_CASE("crypto::box_seal: round trip; wrong key, tampering and truncation fail", "[crypto]") {
  init_crypto();
  const BoxKeyPair kp = box_keypair();
  REQUIRE(kp.pk.size() == kBoxPublicKeySize);
  REQUIRE(kp.sk.size() == kBoxSecretKeySize);
  const SecretBytes data_key = random_key();
  const Bytes sealed = box_seal(kp.pk, data_key.view());
  CHECK(sealed.size() == kKeySize + kBoxSealOverhead);
  auto r = box_open(kp.pk, kp.sk.view(), sealed, "session key");
  REQUIRE(r.has_value());
  CHECK(equal(r->view(), data_key.view()));

  const BoxKeyPair other = box_keypair();
  auto wrong = box_open(other.pk, other.sk.view(), sealed, "session key");
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().code == Errc::corrupt);
  CHECK(message_names(wrong.error(), "session key"));
  CHECK_FALSE(box_open(kp.pk, other.sk.view(), sealed, "k").has_value());

  for (std::size_t pos = 0; pos < sealed.size(); pos += 5) {
    Bytes bad = sealed;
    bad[pos] ^= 1;
    CHECK_FALSE(box_open(kp.pk, kp.sk.view(), bad, "k").has_value());
  }
  for (std::size_t n = 0; n < sealed.size(); n += 7)
    CHECK_FALSE(box_open(kp.pk, kp.sk.view(), ByteView(sealed).first(n), "k").has_value());

  auto empty = box_open(kp.pk, kp.sk.view(), box_seal(kp.pk, {}), "empty");
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

TEST_CASE("crypto::sign: signatures verify; tampered message, signature or key fail", "[crypto]") {
  init_crypto();
  const SignKeyPair kp = sign_keypair();
  REQUIRE(kp.pk.size() == kSignPublicKeySize);
  REQUIRE(kp.sk.size() == kSignSecretKeySize);
  const Bytes msg = pattern(500);
  const Bytes sig = sign(kp.sk.view(), msg);
  REQUIRE(sig.size() == kSignatureSize);
  CHECK(verify(kp.pk, msg, sig));
  for (std::size_t pos = 0; pos < msg.size(); pos += 37) {
    Bytes bad = msg;
    bad[pos] ^= 0x10;
    CHECK_FALSE(verify(kp.pk, bad, sig));
  }
  for (std::size_t pos = 0; pos < sig.size(); ++pos) {
    Bytes bad = sig;
    bad[pos] ^= 0x01;
    CHECK_FALSE(verify(kp.pk, msg, bad));
  }
  const SignKeyPair other = sign_keypair();
  CHECK_FALSE(verify(other.pk, msg, sig));
  CHECK_FALSE(verify(kp.pk, msg, ByteView(sig).first(63)));
  CHECK_FALSE(verify(ByteView(kp.pk).first(31), msg, sig));
  CHECK_FALSE(verify(kp.pk, ByteView(msg).first(499), sig));
}

TEST_CASE(
    "crypto::KdfParams: fresh() honours CAIRN_TEST_FAST_KDF (test hooks only) and draws a new salt",
    "[crypto]") {
  init_crypto();
  const char* old = std::getenv("CAIRN_TEST_FAST_KDF");
  const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;

  REQUIRE(setenv("CAIRN_TEST_FAST_KDF", "1", 1) == 0);
  const KdfParams fast = KdfParams::fresh();
  // With -DCAIRN_TEST_HOOKS=ON (scripts/test) the switch works; without, it is ignored
  // (tests/release checks that case whatever this build's setting).
  CHECK(fast.ops == (test_hooks() ? 1 : 3));
  CHECK(fast.mem == (test_hooks() ? (8ull << 20) : (64ull << 20)));
  CHECK(fast.salt.size() == kSaltSize);
  CHECK(ignored_test_switch() == (test_hooks() ? "" : "CAIRN_TEST_FAST_KDF"));

  REQUIRE(unsetenv("CAIRN_TEST_FAST_KDF") == 0);
  const KdfParams real = KdfParams::fresh();
  CHECK(real.ops == 3);
  CHECK(real.mem == (64ull << 20));
  CHECK(real.salt.size() == kSaltSize);
  CHECK(real.salt != fast.salt);
  CHECK(check_kdf_params(real).has_value());

  if (saved) REQUIRE(setenv("CAIRN_TEST_FAST_KDF", saved->c_str(), 1) == 0);

  const KdfParams t = KdfParams::fast_for_tests();
  CHECK(t.ops == 1);
  CHECK(t.mem == (8ull << 20));
  CHECK(t.salt != KdfParams::fast_for_tests().salt);
}

TEST_CASE("crypto::derive_key: deterministic, sensitive to passphrase, salt and cost", "[crypto]") {
  init_crypto();
  KdfParams p = KdfParams::fast_for_tests();
  p.mem = 1ull << 20;  // smaller still: this test runs Argon2 five times
  auto a = derive_key("correct horse", p);
  auto b = derive_key("correct horse", p);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->size() == 32);
  CHECK(equal(a->view(), b->view()));
  auto other_pass = derive_key("correct horsE", p);
  REQUIRE(other_pass.has_value());
  CHECK_FALSE(equal(a->view(), other_pass->view()));
  KdfParams salted = p;
  salted.salt[0] ^= 1;
  CHECK_FALSE(equal(a->view(), derive_key("correct horse", salted)->view()));
  KdfParams slower = p;
  slower.ops = 2;
  CHECK_FALSE(equal(a->view(), derive_key("correct horse", slower)->view()));
  CHECK(derive_key("", p).has_value());
}

TEST_CASE("crypto::check_kdf_params: refuses absurd or malformed parameters", "[crypto]") {
  const KdfParams ok = KdfParams::fast_for_tests();
  CHECK(check_kdf_params(ok).has_value());
  auto refused = [](KdfParams p) {
    auto st = check_kdf_params(p);
    auto k = derive_key("x", p);  // derive_key refuses the same, without running Argon2
    return !st.has_value() && st.error().code == Errc::bad_input && !k.has_value() &&
           k.error().code == Errc::bad_input;
  };
  KdfParams p = ok;
  p.ops = 0;
  CHECK(refused(p));
  p.ops = kKdfMaxOps + 1;
  CHECK(refused(p));
  p = ok;
  p.mem = kKdfMinMem - 1;
  CHECK(refused(p));
  p.mem = kKdfMaxMem + 1;
  CHECK(refused(p));
  p = ok;
  p.salt.pop_back();
  CHECK(refused(p));
  p = ok;
  p.ops = kKdfMaxOps;
  p.mem = kKdfMinMem;
  CHECK(check_kdf_params(p).has_value());
}
