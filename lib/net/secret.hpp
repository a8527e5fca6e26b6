// lib/net/secret.hpp: SecretString, a credential held in memory (access keys, passwords).
// Depends on: nothing. Threads: a value type.
#pragma once

#include <string>

namespace cairn::net {

// A credential held in memory: never formatted, wiped when destroyed.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string s) : s_(std::move(s)) {}
  SecretString(const SecretString& o) : s_(o.s_) {}
  SecretString& operator=(const SecretString& o);
  SecretString(SecretString&& o) noexcept : s_(std::move(o.s_)) { o.wipe(); }
  SecretString& operator=(SecretString&& o) noexcept;
  ~SecretString() { wipe(); }
  const std::string& reveal() const { return s_; }
  bool empty() const { return s_.empty(); }

 private:
  void wipe() noexcept;
  std::string s_;
};

}  // namespace cairn::net
