#include "crypto/digest.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <cassert>
#include <new>

#include "base/chandle.hpp"

namespace cairn::crypto {

namespace {

using EvpMdCtx = CHandle<EVP_MD_CTX, &EVP_MD_CTX_free>;

// OpenSSL reports failure only when it cannot allocate (or on a programming error).
void ossl_check(int ok) {
  if (ok != 1) throw std::bad_alloc();
}

}  // namespace

void wipe(MutByteView b) {
  if (!b.empty()) sodium_memzero(b.data(), b.size());
}

void blake2b(MutByteView out, ByteView data, ByteView key) {
  assert(out.size() >= kBlake2bOutMin && out.size() <= kBlake2bOutMax);
  assert(key.empty() || (key.size() >= kBlake2bKeyMin && key.size() <= kBlake2bKeyMax));
  crypto_generichash(out.data(), out.size(), data.data(), data.size(),
                     key.empty() ? nullptr : key.data(), key.size());
}

// ---- Blake2bState

struct Blake2bState::State {
  crypto_generichash_state st;
  std::size_t out_size = 0;
  bool finished = false;
  ~State() { sodium_memzero(&st, sizeof st); }
};

Blake2bState::Blake2bState(std::size_t out_size, ByteView key) : s_(std::make_unique<State>()) {
  assert(out_size >= kBlake2bOutMin && out_size <= kBlake2bOutMax);
  assert(key.empty() || (key.size() >= kBlake2bKeyMin && key.size() <= kBlake2bKeyMax));
  s_->out_size = out_size;
  const int rc =
      crypto_generichash_init(&s_->st, key.empty() ? nullptr : key.data(), key.size(), out_size);
  assert(rc == 0);
  (void)rc;
}
Blake2bState::~Blake2bState() = default;
Blake2bState::Blake2bState(Blake2bState&&) noexcept = default;
Blake2bState& Blake2bState::operator=(Blake2bState&&) noexcept = default;

void Blake2bState::update(ByteView data) {
  assert(s_ && !s_->finished);
  crypto_generichash_update(&s_->st, data.data(), data.size());
}

void Blake2bState::finish(MutByteView out) {
  assert(s_ && !s_->finished && out.size() == s_->out_size);
  s_->finished = true;
  crypto_generichash_final(&s_->st, out.data(), out.size());
}

// ---- Digester

struct Digester::State {
  Algo algo;
  EvpMdCtx ctx;
  bool finished = false;
};

Digester::Digester(Algo a) : s_(std::make_unique<State>()) {
  s_->algo = a;
  s_->ctx.reset(EVP_MD_CTX_new());
  if (!s_->ctx) throw std::bad_alloc();
  ossl_check(
      EVP_DigestInit_ex2(s_->ctx.get(), a == Algo::sha256 ? EVP_sha256() : EVP_md5(), nullptr));
}
Digester::~Digester() = default;
Digester::Digester(Digester&&) noexcept = default;
Digester& Digester::operator=(Digester&&) noexcept = default;

Digester::Digester(const Digester& o) : s_(std::make_unique<State>()) {
  assert(o.s_ && !o.s_->finished);
  s_->algo = o.s_->algo;
  s_->ctx.reset(EVP_MD_CTX_new());
  if (!s_->ctx) throw std::bad_alloc();
  ossl_check(EVP_MD_CTX_copy_ex(s_->ctx.get(), o.s_->ctx.get()));
}

Digester& Digester::operator=(const Digester& o) {
  if (this == &o) return *this;
  if (!s_) return *this = Digester(o);
  assert(o.s_ && !o.s_->finished);
  ossl_check(EVP_MD_CTX_copy_ex(s_->ctx.get(), o.s_->ctx.get()));  // into the context we have
  s_->algo = o.s_->algo;
  s_->finished = false;
  return *this;
}

void Digester::update(ByteView data) {
  assert(s_ && !s_->finished);
  ossl_check(EVP_DigestUpdate(s_->ctx.get(), data.data(), data.size()));
}

void Digester::finish(MutByteView out) {
  assert(s_ && !s_->finished && out.size() == size(s_->algo));
  s_->finished = true;
  unsigned int len = 0;
  ossl_check(EVP_DigestFinal_ex(s_->ctx.get(), out.data(), &len));
  assert(len == out.size());
}

void hmac_sha256(ByteView key, ByteView data, MutByteView out) {
  assert(out.size() == 32);
  unsigned int len = 0;
  // A zero-length key still needs a non-null pointer for OpenSSL.
  static constexpr std::uint8_t kEmpty = 0;
  const void* k = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (!HMAC(EVP_sha256(), k, static_cast<int>(key.size()), data.data(), data.size(), out.data(),
            &len))
    throw std::bad_alloc();
  assert(len == out.size());
}

}  // namespace cairn::crypto
