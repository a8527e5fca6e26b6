// lib/hash/sha256.hpp: SHA-256, HMAC-SHA-256 and MD5 for transport protocols: S3 SigV4
// (payload hashes, request signing), Azure SharedKey, Content-MD5 of uploads. Content
// addresses are BLAKE2b (hash.hpp); nothing here names repository objects.
// Depends on: base, crypto (OpenSSL libcrypto through crypto/digest.hpp). Threads: free functions
// are thread-safe; the streaming classes are thread-compatible (one user at a time).
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "base/bytes.hpp"

namespace cairn::hash {

using Sha256Digest = std::array<std::uint8_t, 32>;
using Md5Digest = std::array<std::uint8_t, 16>;

Sha256Digest sha256(ByteView data);
// RFC 2104 HMAC over SHA-256; any key length (Azure account keys are 64 bytes).
Sha256Digest hmac_sha256(ByteView key, ByteView data);
Md5Digest md5(ByteView data);

// Streaming SHA-256 (a multi-GiB upload is hashed without holding it).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(ByteView data);
  Sha256Digest finish();  // may be called once

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Streaming MD5, for Content-MD5 headers only (a transport checksum, not a security claim).
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(Md5&&) noexcept;
  Md5& operator=(Md5&&) noexcept;
  void update(ByteView data);
  Md5Digest finish();  // may be called once

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace cairn::hash
