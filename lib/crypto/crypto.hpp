// lib/crypto/crypto.hpp: libsodium wrappers: SecretBytes, AEAD (XChaCha20-Poly1305),
// sealed boxes (X25519), signatures (Ed25519), Argon2id, randomness.
// Depends on: base, libsodium, OpenSSL libcrypto (sealing runs on OpenSSL's ChaCha20-Poly1305,
// see seal_append). Only this module includes sodium.h or OpenSSL headers.
// Threads: all free functions are thread-safe after init().
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace cairn::crypto {

// Wraps sodium_init(); call once from main before threads start (ops::init_process).
Status init();

// Secret key material: sodium_malloc'd (guard pages, mlock'd, excluded from core dumps where
// the OS allows via MADV_DONTDUMP), zeroed when freed. Its fmt formatter prints <redacted>.
// Each non-empty one costs a few pages of locked memory: use it for keys, not bulk data.
// Throws std::bad_alloc when the allocation fails.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t n);  // zero-filled
  static SecretBytes copy_of(ByteView b);
  SecretBytes(SecretBytes&&) noexcept;
  SecretBytes& operator=(SecretBytes&&) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();
  std::uint8_t* data() { return p_; }
  const std::uint8_t* data() const { return p_; }
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  ByteView view() const { return {p_, n_}; }
  MutByteView mut() { return {p_, n_}; }

 private:
  std::uint8_t* p_ = nullptr;
  std::size_t n_ = 0;
};

void random_bytes(MutByteView out);
// Constant-time comparison (sodium_memcmp); false when the sizes differ.
bool equal(ByteView a, ByteView b);

// ---- AEAD: XChaCha20-Poly1305-IETF, random 24-byte nonce per message. Keys are 32 bytes.
inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kNonceSize = 24;
inline constexpr std::size_t kTagSize = 16;
inline constexpr std::size_t kSealOverhead = kNonceSize + kTagSize;

// Appends nonce || ciphertext || tag to `out` (`plaintext` must not point into `out`).
void seal_append(ByteView key, ByteView plaintext, ByteView ad, Bytes& out);
Bytes seal(ByteView key, ByteView plaintext, ByteView ad);
// As seal_append(), in place: `buf` is kNonceSize bytes of room, the plaintext, then kTagSize
// bytes of room; it becomes nonce || ciphertext || tag (no second copy of a large message).
void seal_in_place(ByteView key, MutByteView buf, ByteView ad);
// Authenticates and decrypts nonce || ciphertext || tag. Any mismatch (key, ad, a flipped
// bit, truncation) is Errc::corrupt with `what` naming the object.
Result<Bytes> open(ByteView key, ByteView sealed, ByteView ad, std::string_view what);
// As open(), replacing the contents of `out` (its capacity is reused). Empty on failure.
Status open_into(ByteView key, ByteView sealed, ByteView ad, Bytes& out, std::string_view what);
// As open(), decrypting in place without allocating: returns the plaintext, a view into
// `sealed` (after the nonce). On failure `sealed` is left unspecified.
Result<MutByteView> open_in_place(ByteView key, MutByteView sealed, ByteView ad,
                                  std::string_view what);

// ---- Sealed boxes: anonymous encryption to an X25519 public key (crypto_box_seal).
inline constexpr std::size_t kBoxPublicKeySize = 32;
inline constexpr std::size_t kBoxSecretKeySize = 32;
inline constexpr std::size_t kBoxSealOverhead = 48;
struct BoxKeyPair {
  Bytes pk;        // 32
  SecretBytes sk;  // 32
};
BoxKeyPair box_keypair();
Bytes box_seal(ByteView pk, ByteView msg);
// The public key of an X25519 secret key (empty if `sk` is not 32 bytes).
Bytes box_public_of(ByteView sk);
// Errc::corrupt if it does not open.
Result<SecretBytes> box_open(ByteView pk, ByteView sk, ByteView sealed, std::string_view what);

// ---- Ed25519 signatures.
inline constexpr std::size_t kSignPublicKeySize = 32;
inline constexpr std::size_t kSignSecretKeySize = 64;
inline constexpr std::size_t kSignatureSize = 64;
struct SignKeyPair {
  Bytes pk;        // 32
  SecretBytes sk;  // 64
};
SignKeyPair sign_keypair();
Bytes sign(ByteView sk, ByteView msg);  // 64-byte detached signature
bool verify(ByteView pk, ByteView msg, ByteView sig);

// ---- Argon2id passphrase KDF.
inline constexpr std::size_t kSaltSize = 16;
// The ceiling a key slot may ask for (beyond it the slot is refused before any work), so that
// a slot planted by someone who can write the storage costs any command at most a few
// seconds: at most 10 passes, at most 1 GiB, and passes x memory at most 4 GiB.
inline constexpr std::uint64_t kKdfMaxOps = 10;
inline constexpr std::uint64_t kKdfMinMem = 8ull << 10;  // Argon2's own minimum, 8 KiB
inline constexpr std::uint64_t kKdfMaxMem = 1ull << 30;
inline constexpr std::uint64_t kKdfMaxWork = 4ull << 30;  // ops x mem
struct KdfParams {
  // Every tool of a pipeline (snap | diff | pack) opens the repository and pays this once, at
  // the same time: 3 passes over 64 MiB (about 0.3 s here) stays well above OWASP's Argon2id
  // floor (19 MiB, 2 passes) without making a nightly pipeline hold 3 x 256 MiB.
  std::uint64_t ops = 3;
  std::uint64_t mem = 64ull << 20;  // bytes
  Bytes salt;                       // 16 bytes
  // Defaults + a random salt; fast_for_tests() instead when CAIRN_TEST_FAST_KDF=1 and this
  // build has test hooks (test_hooks()), never in a build without them.
  static KdfParams fresh();
  static KdfParams fast_for_tests();  // ops 1, mem 8 MiB
};

// Whether this build was configured with -DCAIRN_TEST_HOOKS=ON (test-only switches honoured).
bool test_hooks();
// The name of a test-only switch that is set in the environment but ignored because this
// build has no test hooks ("CAIRN_TEST_FAST_KDF"), or empty: for a one-line warning.
std::string_view ignored_test_switch();
// Errc::bad_input unless 1 <= ops <= kKdfMaxOps, kKdfMinMem <= mem <= kKdfMaxMem,
// ops x mem <= kKdfMaxWork and the salt has kSaltSize bytes. Use it on user-chosen parameters
// before seal_slot.
Status check_kdf_params(const KdfParams& p);
inline constexpr std::size_t kDerivedKeySize = 32;
// A kDerivedKeySize-byte key. Errc::bad_input for parameters check_kdf_params refuses; Errc::io
// when Argon2 cannot allocate its memory.
Result<SecretBytes> derive_key(std::string_view passphrase, const KdfParams& p);

}  // namespace cairn::crypto

// fmt::format("{}", secret) == "<redacted>": a secret can never reach a log by accident.
template <>
struct fmt::formatter<cairn::crypto::SecretBytes> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const cairn::crypto::SecretBytes&, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format("<redacted>", ctx);
  }
};
