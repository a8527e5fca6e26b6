#include "hash/sha256.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cassert>
#include <new>

#include "base/chandle.hpp"

namespace cairn::hash {

namespace {

using EvpMdCtx = CHandle<EVP_MD_CTX, &EVP_MD_CTX_free>;

// OpenSSL reports failure only when it cannot allocate (or on a programming error).
void ossl_check(int ok) {
  if (ok != 1) throw std::bad_alloc();
}

EvpMdCtx new_ctx(const EVP_MD* md) {
  EvpMdCtx ctx{EVP_MD_CTX_new()};
  if (!ctx) throw std::bad_alloc();
  ossl_check(EVP_DigestInit_ex2(ctx.get(), md, nullptr));
  return ctx;
}

template <std::size_t N>
std::array<std::uint8_t, N> finish_ctx(EVP_MD_CTX* ctx) {
  std::array<std::uint8_t, N> out{};
  unsigned int len = 0;
  ossl_check(EVP_DigestFinal_ex(ctx, out.data(), &len));
  assert(len == N);
  return out;
}

}  // namespace

Sha256Digest sha256(ByteView data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

Md5Digest md5(ByteView data) {
  Md5 h;
  h.update(data);
  return h.finish();
}

Sha256Digest hmac_sha256(ByteView key, ByteView data) {
  Sha256Digest out{};
  unsigned int len = 0;
  // A zero-length key still needs a non-null pointer for OpenSSL.
  static constexpr std::uint8_t kEmpty = 0;
  const void* k = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (!HMAC(EVP_sha256(), k, static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len))
    throw std::bad_alloc();
  assert(len == out.size());
  return out;
}

struct Sha256::State {
  EvpMdCtx ctx;
  bool finished = false;
};

Sha256::Sha256() : s_(std::make_unique<State>()) { s_->ctx = new_ctx(EVP_sha256()); }
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(ByteView data) {
  assert(s_ && !s_->finished);
  ossl_check(EVP_DigestUpdate(s_->ctx.get(), data.data(), data.size()));
}

Sha256Digest Sha256::finish() {
  assert(s_ && !s_->finished);
  s_->finished = true;
  return finish_ctx<32>(s_->ctx.get());
}

struct Md5::State {
  EvpMdCtx ctx;
  bool finished = false;
};

Md5::Md5() : s_(std::make_unique<State>()) { s_->ctx = new_ctx(EVP_md5()); }
Md5::~Md5() = default;
Md5::Md5(Md5&&) noexcept = default;
Md5& Md5::operator=(Md5&&) noexcept = default;

void Md5::update(ByteView data) {
  assert(s_ && !s_->finished);
  ossl_check(EVP_DigestUpdate(s_->ctx.get(), data.data(), data.size()));
}

Md5Digest Md5::finish() {
  assert(s_ && !s_->finished);
  s_->finished = true;
  return finish_ctx<16>(s_->ctx.get());
}

}  // namespace cairn::hash
