// lib/crypto/digest.hpp: the C libraries' digest primitives, for hash/ to build cairn's digest
// formats on (content addresses, keyed chunk ids, SigV4 payload hashes). Nothing else should
// need this header: use hash/hash.hpp and hash/sha256.hpp.
// BLAKE2b is libsodium's; SHA-256 and MD5 are OpenSSL's (SHA-NI where the CPU has it).
// Depends on: base, libsodium, OpenSSL libcrypto. This module is the only one that includes
// either library (scripts/check-layering.sh), so hash/ reaches them through here.
// Threads: objects are thread-compatible (one user at a time); free functions are thread-safe.
// Failure: OpenSSL fails only when it cannot allocate; that throws std::bad_alloc.
#pragma once

#include <cstdint>
#include <memory>

#include "base/bytes.hpp"

namespace cairn::crypto {

inline constexpr std::size_t kBlake2bKeyMin = 16, kBlake2bKeyMax = 64;
inline constexpr std::size_t kBlake2bOutMin = 16, kBlake2bOutMax = 64;

// One-shot BLAKE2b with out.size() bytes of output (16..64), keyed when `key` is not empty
// (16..64 bytes).
void blake2b(MutByteView out, ByteView data, ByteView key = {});

// Streaming BLAKE2b; the state is wiped when destroyed.
class Blake2bState {
 public:
  explicit Blake2bState(std::size_t out_size, ByteView key = {});
  ~Blake2bState();
  Blake2bState(Blake2bState&&) noexcept;
  Blake2bState& operator=(Blake2bState&&) noexcept;
  void update(ByteView data);
  void finish(MutByteView out);  // out.size() == out_size; once

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Streaming SHA-256 or MD5 through OpenSSL's EVP interface. Copyable: a copy continues from
// the same state (HMAC's precomputed inner and outer states are copies of this kind). Copy
// assignment reuses this object's context, finished or not, without allocating.
class Digester {
 public:
  enum class Algo { sha256, md5 };
  explicit Digester(Algo a);
  ~Digester();
  Digester(const Digester& o);
  Digester& operator=(const Digester& o);
  Digester(Digester&&) noexcept;
  Digester& operator=(Digester&&) noexcept;
  void update(ByteView data);
  void finish(MutByteView out);  // 32 bytes for SHA-256, 16 for MD5; once
  static std::size_t size(Algo a) { return a == Algo::sha256 ? 32 : 16; }

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// RFC 2104 HMAC-SHA-256 with any key length (OpenSSL's one-shot HMAC); out is 32 bytes.
void hmac_sha256(ByteView key, ByteView data, MutByteView out);

// Wipes memory in a way the compiler may not drop (sodium_memzero).
void wipe(MutByteView b);

}  // namespace cairn::crypto
