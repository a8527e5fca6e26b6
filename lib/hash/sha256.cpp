#include "hash/sha256.hpp"

#include <cassert>

#include "crypto/digest.hpp"

namespace cairn::hash {

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
  crypto::hmac_sha256(key, data, out);
  return out;
}

struct Sha256::State {
  crypto::Digester d{crypto::Digester::Algo::sha256};
};

Sha256::Sha256() : s_(std::make_unique<State>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(ByteView data) {
  assert(s_);
  s_->d.update(data);
}

Sha256Digest Sha256::finish() {
  assert(s_);
  Sha256Digest out{};
  s_->d.finish(out);
  return out;
}

struct Md5::State {
  crypto::Digester d{crypto::Digester::Algo::md5};
};

Md5::Md5() : s_(std::make_unique<State>()) {}
Md5::~Md5() = default;
Md5::Md5(Md5&&) noexcept = default;
Md5& Md5::operator=(Md5&&) noexcept = default;

void Md5::update(ByteView data) {
  assert(s_);
  s_->d.update(data);
}

Md5Digest Md5::finish() {
  assert(s_);
  Md5Digest out{};
  s_->d.finish(out);
  return out;
}

}  // namespace cairn::hash
