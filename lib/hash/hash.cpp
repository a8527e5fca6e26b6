#include "hash/hash.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <new>

#include "base/chandle.hpp"

namespace cairn::hash {

namespace {

using EvpMd = CHandle<EVP_MD, &EVP_MD_free>;
using EvpMdCtx = CHandle<EVP_MD_CTX, &EVP_MD_CTX_free>;

constexpr std::size_t kKeySize = 32;
constexpr std::size_t kShaBlock = 64;

// OpenSSL reports failure only when it cannot allocate (or on a programming error).
void ossl_check(int ok) {
  if (ok != 1) throw std::bad_alloc();
}

}  // namespace

std::optional<Digest> Digest::from_hex(std::string_view s) {
  if (s.size() != 2 * kDigestSize) return std::nullopt;
  auto b = cairn::from_hex(s);
  if (!b) return std::nullopt;
  Digest d;
  std::copy(b->begin(), b->end(), d.b.begin());
  return d;
}

bool Digest::is_zero() const {
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

Digest blake2b(ByteView data) {
  Digest d;
  crypto_generichash(d.b.data(), d.b.size(), data.data(), data.size(), nullptr, 0);
  return d;
}

// ---- Blake2b stream

struct Blake2b::State {
  crypto_generichash_state st;
  bool finished = false;
};

Blake2b::Blake2b() : s_(std::make_unique<State>()) {
  crypto_generichash_init(&s_->st, nullptr, 0, kDigestSize);
}

Blake2b::Blake2b(ByteView key) : s_(std::make_unique<State>()) {
  assert(key.size() >= crypto_generichash_KEYBYTES_MIN && key.size() <= crypto_generichash_KEYBYTES_MAX);
  const int rc = crypto_generichash_init(&s_->st, key.data(), key.size(), kDigestSize);
  assert(rc == 0);
  (void)rc;
}

Blake2b::~Blake2b() {
  if (s_) sodium_memzero(&s_->st, sizeof s_->st);
}
Blake2b::Blake2b(Blake2b&&) noexcept = default;
Blake2b& Blake2b::operator=(Blake2b&& o) noexcept {
  if (this != &o) {
    if (s_) sodium_memzero(&s_->st, sizeof s_->st);
    s_ = std::move(o.s_);
  }
  return *this;
}

void Blake2b::update(ByteView data) {
  assert(s_ && !s_->finished);
  crypto_generichash_update(&s_->st, data.data(), data.size());
}

Digest Blake2b::finish() {
  assert(s_ && !s_->finished);
  s_->finished = true;
  Digest d;
  crypto_generichash_final(&s_->st, d.b.data(), d.b.size());
  return d;
}

// ---- algorithm names

std::string_view algo_name(Algo a) {
  switch (a) {
    case Algo::blake2b_keyed: return "blake2b-keyed";
    case Algo::hmac_sha256: return "hmac-sha256";
  }
  return "unknown";
}

std::optional<Algo> algo_from_name(std::string_view s) {
  if (s == "blake2b-keyed") return Algo::blake2b_keyed;
  if (s == "hmac-sha256") return Algo::hmac_sha256;
  return std::nullopt;
}

// ---- KeyedHasher

struct KeyedHasher::State {
  std::array<std::uint8_t, kKeySize> key{};  // blake2b_keyed only
  EvpMd md;                                   // hmac_sha256 only
  EvpMdCtx inner;                             // SHA-256 state after (key ^ ipad)
  EvpMdCtx outer;                             // SHA-256 state after (key ^ opad)
  ~State() { sodium_memzero(key.data(), key.size()); }
};

KeyedHasher::KeyedHasher(Algo algo, ByteView key32) : algo_(algo), s_(std::make_unique<State>()) {
  assert(key32.size() == kKeySize);
  if (algo_ == Algo::blake2b_keyed) {
    std::copy_n(key32.begin(), std::min(key32.size(), kKeySize), s_->key.begin());
    return;
  }
  assert(algo_ == Algo::hmac_sha256);
  s_->md.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  s_->inner.reset(EVP_MD_CTX_new());
  s_->outer.reset(EVP_MD_CTX_new());
  if (!s_->md || !s_->inner || !s_->outer) throw std::bad_alloc();
  // RFC 2104 with a key shorter than the block: pad with zeros, xor with 0x36 / 0x5c.
  std::array<std::uint8_t, kShaBlock> ipad{}, opad{};
  for (std::size_t i = 0; i < kShaBlock; ++i) {
    const std::uint8_t k = i < key32.size() ? key32[i] : 0;
    ipad[i] = k ^ 0x36;
    opad[i] = k ^ 0x5c;
  }
  ossl_check(EVP_DigestInit_ex2(s_->inner.get(), s_->md.get(), nullptr));
  ossl_check(EVP_DigestUpdate(s_->inner.get(), ipad.data(), ipad.size()));
  ossl_check(EVP_DigestInit_ex2(s_->outer.get(), s_->md.get(), nullptr));
  ossl_check(EVP_DigestUpdate(s_->outer.get(), opad.data(), opad.size()));
  sodium_memzero(ipad.data(), ipad.size());
  sodium_memzero(opad.data(), opad.size());
}

KeyedHasher::~KeyedHasher() = default;
KeyedHasher::KeyedHasher(KeyedHasher&&) noexcept = default;
KeyedHasher& KeyedHasher::operator=(KeyedHasher&&) noexcept = default;

Digest KeyedHasher::hash(ByteView data) const {
  assert(s_);
  Digest d;
  if (algo_ == Algo::blake2b_keyed) {
    crypto_generichash(d.b.data(), d.b.size(), data.data(), data.size(), s_->key.data(), s_->key.size());
    return d;
  }
  // The precomputed states are only read (EVP_MD_CTX_copy_ex duplicates them), so many
  // threads may hash at once. Per call: one context allocation and two state copies,
  // well under 1% of hashing a 4 KiB chunk.
  EvpMdCtx ctx{EVP_MD_CTX_new()};
  if (!ctx) throw std::bad_alloc();
  std::array<std::uint8_t, kDigestSize> inner_hash;
  unsigned int len = 0;
  ossl_check(EVP_MD_CTX_copy_ex(ctx.get(), s_->inner.get()));
  ossl_check(EVP_DigestUpdate(ctx.get(), data.data(), data.size()));
  ossl_check(EVP_DigestFinal_ex(ctx.get(), inner_hash.data(), &len));
  ossl_check(EVP_MD_CTX_copy_ex(ctx.get(), s_->outer.get()));
  ossl_check(EVP_DigestUpdate(ctx.get(), inner_hash.data(), inner_hash.size()));
  ossl_check(EVP_DigestFinal_ex(ctx.get(), d.b.data(), &len));
  assert(len == kDigestSize);
  return d;
}

// ---- derive

void derive(ByteView key32, std::string_view context, MutByteView out) {
  assert(key32.size() == kKeySize);
  constexpr std::size_t kBlock = crypto_generichash_BYTES_MAX;  // 64
  std::array<std::uint8_t, 8> counter{};
  std::array<std::uint8_t, kBlock> block{};
  std::size_t done = 0;
  for (std::uint64_t i = 0; done < out.size(); ++i) {
    for (std::size_t j = 0; j < counter.size(); ++j) counter[j] = static_cast<std::uint8_t>(i >> (8 * j));
    crypto_generichash_state st;
    crypto_generichash_init(&st, key32.data(), key32.size(), kBlock);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(context.data()), context.size());
    crypto_generichash_update(&st, counter.data(), counter.size());
    crypto_generichash_final(&st, block.data(), block.size());
    sodium_memzero(&st, sizeof st);
    const std::size_t n = std::min(kBlock, out.size() - done);
    std::copy_n(block.begin(), n, out.begin() + static_cast<std::ptrdiff_t>(done));
    done += n;
  }
  sodium_memzero(block.data(), block.size());
}

}  // namespace cairn::hash
