#include "crypto/crypto.hpp"

#include <openssl/evp.h>
#include <sodium.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>

#include <fmt/format.h>

#include "base/chandle.hpp"

namespace cairn::crypto {

static_assert(kKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kBoxPublicKeySize == crypto_box_PUBLICKEYBYTES);
static_assert(kBoxSecretKeySize == crypto_box_SECRETKEYBYTES);
static_assert(kBoxSealOverhead == crypto_box_SEALBYTES);
static_assert(kSignPublicKeySize == crypto_sign_PUBLICKEYBYTES);
static_assert(kSignSecretKeySize == crypto_sign_SECRETKEYBYTES);
static_assert(kSignatureSize == crypto_sign_BYTES);
static_assert(kSaltSize == crypto_pwhash_SALTBYTES);

namespace {

Error auth_failed(std::string_view what) {
  return Error{Errc::corrupt,
               fmt::format("'{}' failed authentication (corrupt or tampered)", what)};
}

Error too_short(std::string_view what, std::size_t have, std::size_t need) {
  return Error{Errc::corrupt,
               fmt::format("'{}' is too short to be sealed ({} bytes, at least {} needed)", what,
                           have, need)};
}

// sodium_mlock() already asks for MADV_DONTDUMP on Linux; repeat it so a libsodium built
// without madvise still keeps secrets out of core dumps. Best effort: errors are ignored.
void dont_dump(void* p, std::size_t n) {
#ifdef MADV_DONTDUMP
  const long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || n == 0) return;
  const auto pg = static_cast<std::uintptr_t>(page);
  const auto lo = reinterpret_cast<std::uintptr_t>(p) & ~(pg - 1);
  const auto hi = (reinterpret_cast<std::uintptr_t>(p) + n + pg - 1) & ~(pg - 1);
  (void)madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTDUMP);
#else
  (void)p;
  (void)n;
#endif
}

}  // namespace

Status init() {
  if (sodium_init() < 0) return Error{Errc::internal, "cannot initialise libsodium"};
  return {};
}

// ---- SecretBytes

SecretBytes::SecretBytes(std::size_t n) {
  if (n == 0) return;
  void* p = sodium_malloc(n);  // guard pages, canary, mlock (+ MADV_DONTDUMP)
  if (p == nullptr) throw std::bad_alloc();
  dont_dump(p, n);
  std::memset(p, 0, n);  // sodium_malloc fills with 0xdb
  p_ = static_cast<std::uint8_t*>(p);
  n_ = n;
}

SecretBytes SecretBytes::copy_of(ByteView b) {
  SecretBytes s(b.size());
  if (!b.empty()) std::memcpy(s.p_, b.data(), b.size());
  return s;
}

SecretBytes::SecretBytes(SecretBytes&& o) noexcept : p_(o.p_), n_(o.n_) {
  o.p_ = nullptr;
  o.n_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    if (p_) sodium_free(p_);
    p_ = o.p_;
    n_ = o.n_;
    o.p_ = nullptr;
    o.n_ = 0;
  }
  return *this;
}

SecretBytes::~SecretBytes() {
  if (p_) sodium_free(p_);  // zeroes, munlocks and unmaps
}

void random_bytes(MutByteView out) { randombytes_buf(out.data(), out.size()); }

bool equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// ---- AEAD

// XChaCha20-Poly1305-IETF (draft-irtf-cfrg-xchacha, libsodium's construction) is
// HChaCha20(key, nonce[0..16]) as a subkey, then ChaCha20-Poly1305-IETF (RFC 8439) with the
// 12-byte nonce 0^4 || nonce[16..24]. libsodium's own ChaCha20 runs at about 1.7 GB/s on one
// core here, OpenSSL's (AVX-512) at 3-4 GB/s: sealing is on the write path of every chunk, so
// the subkey comes from libsodium and the bulk from OpenSSL. The bytes are the same as
// crypto_aead_xchacha20poly1305_ietf_encrypt's (tests/unit/crypto checks both ways), so the
// format does not change. Opening is on the read path of every restored byte, so it takes the
// same route (1.8 GB/s against libsodium's 1.25 GB/s on this project's CI CPU): OpenSSL
// authenticates and decrypts in one pass and checks the tag at the end, so on a mismatch the
// bytes it already wrote are wiped before the error is returned. No caller sees them either
// way: every open returns either the authenticated plaintext or an error.
namespace {

using CipherCtx = CHandle<EVP_CIPHER_CTX, &EVP_CIPHER_CTX_free>;

// Fetched once; null if this OpenSSL has no ChaCha20-Poly1305 (a FIPS-only provider, say),
// in which case sealing falls back to libsodium.
const EVP_CIPHER* chacha20_poly1305() {
  static EVP_CIPHER* const c = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  return c;
}

void ossl_check(int ok) {
  if (ok != 1) throw std::bad_alloc();  // OpenSSL fails here only when it cannot allocate
}

// One pass of XChaCha20-Poly1305 through OpenSSL over `len` bytes from `in` to `out` (may be
// `in`): sealing writes the tag to `tag`; opening checks it and returns false on a mismatch
// (what was written to `out` is then unauthenticated: the caller wipes it).
bool xchacha_openssl(const EVP_CIPHER* cipher, bool seal, ByteView key, const std::uint8_t* nonce,
                     const std::uint8_t* in, std::size_t len, ByteView ad, std::uint8_t* out,
                     std::uint8_t* tag) {
  thread_local CipherCtx ctx{EVP_CIPHER_CTX_new()};
  if (!ctx) throw std::bad_alloc();
  EVP_CIPHER_CTX* x = ctx.get();
  std::array<std::uint8_t, kKeySize> subkey;
  // However this ends (an allocation failure throws), the subkey and the context's copy of
  // its state are wiped; the context itself is reused by the next call on this thread.
  struct Wipe {
    EVP_CIPHER_CTX* x;
    std::array<std::uint8_t, kKeySize>& k;
    ~Wipe() {
      sodium_memzero(k.data(), k.size());
      EVP_CIPHER_CTX_reset(x);
    }
  } wipe{x, subkey};
  crypto_core_hchacha20(subkey.data(), nonce, key.data(), nullptr);
  std::array<std::uint8_t, 12> n12{};
  std::memcpy(n12.data() + 4, nonce + 16, 8);
  ossl_check(EVP_CipherInit_ex2(x, cipher, subkey.data(), n12.data(), seal ? 1 : 0, nullptr));
  if (!seal)
    ossl_check(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagSize), tag));
  int n = 0;
  if (!ad.empty())
    ossl_check(EVP_CipherUpdate(x, nullptr, &n, ad.data(), static_cast<int>(ad.size())));
  constexpr std::size_t kStep = std::size_t{1} << 30;  // EVP lengths are int
  std::size_t done = 0;
  while (done < len) {
    const std::size_t step = std::min(kStep, len - done);
    ossl_check(EVP_CipherUpdate(x, out + done, &n, in + done, static_cast<int>(step)));
    done += static_cast<std::size_t>(n);
  }
  const bool ok = EVP_CipherFinal_ex(x, out + done, &n) == 1;
  if (!seal) return ok;
  ossl_check(ok ? 1 : 0);
  ossl_check(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagSize), tag));
  return true;
}

// Writes ciphertext || tag (plaintext.size() + kTagSize bytes) to `c`.
void xchacha_seal_openssl(const EVP_CIPHER* cipher, ByteView key, const std::uint8_t* nonce,
                          ByteView plaintext, ByteView ad, std::uint8_t* c) {
  xchacha_openssl(cipher, true, key, nonce, plaintext.data(), plaintext.size(), ad, c,
                  c + plaintext.size());
}

// Authenticates and decrypts `mlen` bytes at `c` (tag at `tag`) into `m` (may be `c`).
// False, with m[0..mlen) zeroed, when the tag does not match.
bool xchacha_open_openssl(const EVP_CIPHER* cipher, ByteView key, const std::uint8_t* nonce,
                          const std::uint8_t* c, std::size_t mlen, const std::uint8_t* tag,
                          ByteView ad, std::uint8_t* m) {
  std::array<std::uint8_t, kTagSize> t;
  std::memcpy(t.data(), tag, kTagSize);  // the ctrl takes a non-const pointer
  if (xchacha_openssl(cipher, false, key, nonce, c, mlen, ad, m, t.data())) return true;
  sodium_memzero(m, mlen);
  return false;
}

// Both routes of opening: OpenSSL's when it has the cipher, else libsodium's (which checks the
// tag before it decrypts).
bool xchacha_open(ByteView key, const std::uint8_t* nonce, const std::uint8_t* c, std::size_t mlen,
                  const std::uint8_t* tag, ByteView ad, std::uint8_t* m) {
  if (const EVP_CIPHER* cipher = chacha20_poly1305())
    return xchacha_open_openssl(cipher, key, nonce, c, mlen, tag, ad, m);
  return crypto_aead_xchacha20poly1305_ietf_decrypt_detached(m, nullptr, c, mlen, tag, ad.data(),
                                                             ad.size(), nonce, key.data()) == 0;
}

}  // namespace

void seal_append(ByteView key, ByteView plaintext, ByteView ad, Bytes& out) {
  assert(key.size() == kKeySize);
  const std::size_t at = out.size();
  out.resize(at + kNonceSize + plaintext.size() + kTagSize);
  std::uint8_t* nonce = out.data() + at;
  randombytes_buf(nonce, kNonceSize);
  if (const EVP_CIPHER* cipher = chacha20_poly1305()) {
    xchacha_seal_openssl(cipher, key, nonce, plaintext, ad, nonce + kNonceSize);
    return;
  }
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kNonceSize, &clen, plaintext.data(),
                                             plaintext.size(), ad.data(), ad.size(), nullptr, nonce,
                                             key.data());
  assert(clen == plaintext.size() + kTagSize);
}

void seal_in_place(ByteView key, MutByteView buf, ByteView ad) {
  assert(key.size() == kKeySize);
  assert(buf.size() >= kSealOverhead);
  std::uint8_t* nonce = buf.data();
  std::uint8_t* m = buf.data() + kNonceSize;
  const std::size_t mlen = buf.size() - kSealOverhead;
  randombytes_buf(nonce, kNonceSize);
  // Both encrypt in place when the output is the input (EVP's stream ciphers, and libsodium's
  // AEAD, which documents m == c).
  if (const EVP_CIPHER* cipher = chacha20_poly1305()) {
    xchacha_seal_openssl(cipher, key, nonce, ByteView(m, mlen), ad, m);
    return;
  }
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(m, m + mlen, nullptr, m, mlen, ad.data(),
                                                      ad.size(), nullptr, nonce, key.data());
}

Bytes seal(ByteView key, ByteView plaintext, ByteView ad) {
  Bytes out;
  out.reserve(plaintext.size() + kSealOverhead);
  seal_append(key, plaintext, ad, out);
  return out;
}

Result<MutByteView> open_in_place(ByteView key, MutByteView sealed, ByteView ad,
                                  std::string_view what) {
  assert(key.size() == kKeySize);
  if (sealed.size() < kSealOverhead) return too_short(what, sealed.size(), kSealOverhead);
  const std::uint8_t* nonce = sealed.data();
  std::uint8_t* c = sealed.data() + kNonceSize;
  const std::size_t mlen = sealed.size() - kSealOverhead;
  // In place (m == c); on a mismatch nothing decrypted is left in the buffer.
  if (!xchacha_open(key, nonce, c, mlen, c + mlen, ad, c)) return auth_failed(what);
  return sealed.subspan(kNonceSize, mlen);
}

Status open_into(ByteView key, ByteView sealed, ByteView ad, Bytes& out, std::string_view what) {
  assert(key.size() == kKeySize);
  out.clear();
  if (sealed.size() < kSealOverhead) return too_short(what, sealed.size(), kSealOverhead);
  const std::size_t mlen = sealed.size() - kSealOverhead;
  out.resize(mlen);
  const std::uint8_t* nonce = sealed.data();
  const std::uint8_t* c = sealed.data() + kNonceSize;
  if (!xchacha_open(key, nonce, c, mlen, c + mlen, ad, out.data())) {
    out.clear();
    return auth_failed(what);
  }
  return {};
}

Result<Bytes> open(ByteView key, ByteView sealed, ByteView ad, std::string_view what) {
  Bytes out;
  CAIRN_TRY(open_into(key, sealed, ad, out, what));
  return out;
}

// ---- sealed boxes

BoxKeyPair box_keypair() {
  BoxKeyPair kp{Bytes(kBoxPublicKeySize), SecretBytes(kBoxSecretKeySize)};
  crypto_box_keypair(kp.pk.data(), kp.sk.data());
  return kp;
}

Bytes box_public_of(ByteView sk) {
  if (sk.size() != kBoxSecretKeySize) return {};
  Bytes pk(kBoxPublicKeySize);
  if (crypto_scalarmult_base(pk.data(), sk.data()) != 0) return {};
  return pk;
}

Bytes box_seal(ByteView pk, ByteView msg) {
  assert(pk.size() == kBoxPublicKeySize);
  Bytes out(msg.size() + kBoxSealOverhead);
  const int rc = crypto_box_seal(out.data(), msg.data(), msg.size(), pk.data());
  assert(rc == 0);  // fails only for a public key that is a low-order point
  (void)rc;
  return out;
}

Result<SecretBytes> box_open(ByteView pk, ByteView sk, ByteView sealed, std::string_view what) {
  assert(pk.size() == kBoxPublicKeySize && sk.size() == kBoxSecretKeySize);
  if (sealed.size() < kBoxSealOverhead) return too_short(what, sealed.size(), kBoxSealOverhead);
  SecretBytes out(sealed.size() - kBoxSealOverhead);
  // A zero-length message still needs a valid (non-null) output pointer for libsodium.
  std::uint8_t dummy = 0;
  std::uint8_t* m = out.empty() ? &dummy : out.data();
  if (crypto_box_seal_open(m, sealed.data(), sealed.size(), pk.data(), sk.data()) != 0)
    return auth_failed(what);
  return out;
}

// ---- signatures

SignKeyPair sign_keypair() {
  SignKeyPair kp{Bytes(kSignPublicKeySize), SecretBytes(kSignSecretKeySize)};
  crypto_sign_keypair(kp.pk.data(), kp.sk.data());
  return kp;
}

Bytes sign(ByteView sk, ByteView msg) {
  assert(sk.size() == kSignSecretKeySize);
  Bytes sig(kSignatureSize);
  crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), sk.data());
  return sig;
}

bool verify(ByteView pk, ByteView msg, ByteView sig) {
  if (pk.size() != kSignPublicKeySize || sig.size() != kSignatureSize) return false;
  return crypto_sign_verify_detached(sig.data(), msg.data(), msg.size(), pk.data()) == 0;
}

// ---- Argon2id

bool test_hooks() {
#ifdef CAIRN_TEST_HOOKS
  return true;
#else
  return false;
#endif
}

std::string_view ignored_test_switch() {
  if (test_hooks()) return {};
  const char* fast = std::getenv("CAIRN_TEST_FAST_KDF");
  return fast != nullptr && *fast != '\0' ? "CAIRN_TEST_FAST_KDF" : "";
}

KdfParams KdfParams::fresh() {
#ifdef CAIRN_TEST_HOOKS
  // Test builds only: a release build never makes a weak key slot, whatever its environment.
  const char* fast = std::getenv("CAIRN_TEST_FAST_KDF");
  if (fast != nullptr && std::string_view(fast) == "1") return fast_for_tests();
#endif
  KdfParams p;
  p.salt.resize(kSaltSize);
  random_bytes(p.salt);
  return p;
}

KdfParams KdfParams::fast_for_tests() {
  KdfParams p;
  p.ops = 1;
  p.mem = 8ull << 20;
  p.salt.resize(kSaltSize);
  random_bytes(p.salt);
  return p;
}

Status check_kdf_params(const KdfParams& p) {
  static_assert(kKdfMinMem >= crypto_pwhash_argon2id_MEMLIMIT_MIN);
  if (p.ops < crypto_pwhash_argon2id_OPSLIMIT_MIN || p.ops > kKdfMaxOps)
    return Error{Errc::bad_input,
                 fmt::format("argon2id ops {} is outside 1..{}", p.ops, kKdfMaxOps)};
  if (p.mem < kKdfMinMem || p.mem > kKdfMaxMem || p.mem > crypto_pwhash_argon2id_MEMLIMIT_MAX)
    return Error{Errc::bad_input, fmt::format("argon2id memory {} bytes is outside {}..{}", p.mem,
                                              kKdfMinMem, kKdfMaxMem)};
  if (p.ops * p.mem > kKdfMaxWork)
    return Error{Errc::bad_input,
                 fmt::format("argon2id {} passes over {} MiB exceed the ceiling of {} GiB-passes",
                             p.ops, p.mem >> 20, kKdfMaxWork >> 30)};
  if (p.salt.size() != kSaltSize)
    return Error{Errc::bad_input,
                 fmt::format("argon2id salt has {} bytes, not {}", p.salt.size(), kSaltSize)};
  return {};
}

Result<SecretBytes> derive_key(std::string_view passphrase, const KdfParams& p) {
  CAIRN_TRY(check_kdf_params(p));
  SecretBytes key(kDerivedKeySize);
  if (crypto_pwhash(key.data(), key.size(), passphrase.data(), passphrase.size(), p.salt.data(),
                    p.ops, static_cast<std::size_t>(p.mem), crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Error{Errc::io, fmt::format("argon2id could not allocate {} MiB", p.mem >> 20)};
  return key;
}

}  // namespace cairn::crypto
