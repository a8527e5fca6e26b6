#include "net/secret.hpp"

#include <string.h>

namespace cairn::net {

void SecretString::wipe() noexcept {
  if (!s_.empty()) ::explicit_bzero(s_.data(), s_.size());
  s_.clear();
}

SecretString& SecretString::operator=(const SecretString& o) {
  if (this != &o) {
    wipe();
    s_ = o.s_;
  }
  return *this;
}

SecretString& SecretString::operator=(SecretString&& o) noexcept {
  if (this != &o) {
    wipe();
    s_ = std::move(o.s_);
    o.wipe();
  }
  return *this;
}

}  // namespace cairn::net
