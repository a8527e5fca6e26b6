// lib/hash/hash.hpp: 256-bit digests, typed object ids, keyed chunk hashing, BLAKE2b streams.
// Depends on: base, crypto (crypto/digest.hpp: libsodium's BLAKE2b, OpenSSL's SHA-256 with
// SHA-NI); crypto/ is the one module that includes either C library.
// Threads: Digest/Id are values; KeyedHasher::hash is const and safe from many threads;
// Blake2b is thread-compatible.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace cairn::hash {

inline constexpr std::size_t kDigestSize = 32;

struct Digest {
  std::array<std::uint8_t, kDigestSize> b{};
  std::string hex() const { return to_hex(b); }
  static std::optional<Digest> from_hex(std::string_view s);
  ByteView view() const { return b; }
  bool is_zero() const;
  auto operator<=>(const Digest&) const = default;
};

// Distinct id types: a ChunkId is not a PackId (STYLE.md C2).
template <typename Tag>
struct Id {
  Digest d;
  std::string hex() const { return d.hex(); }
  static std::optional<Id> from_hex(std::string_view s) {
    auto d = Digest::from_hex(s);
    if (!d) return std::nullopt;
    return Id{*d};
  }
  auto operator<=>(const Id&) const = default;
};
struct ChunkTag {};
struct PackTag {};
struct SetTag {};
struct IndexTag {};
using ChunkId = Id<ChunkTag>;
using PackId = Id<PackTag>;
using SetId = Id<SetTag>;
using IndexId = Id<IndexTag>;

// Fast hash-table hashing of an already-uniform digest: the first 8 bytes.
struct DigestHasher {
  std::size_t operator()(const Digest& d) const noexcept {
    std::size_t v;
    std::memcpy(&v, d.b.data(), sizeof v);
    return v;
  }
  template <typename Tag>
  std::size_t operator()(const Id<Tag>& i) const noexcept {
    return (*this)(i.d);
  }
};

// Unkeyed BLAKE2b-256 of a buffer (content address of repository files).
Digest blake2b(ByteView data);

// Streaming BLAKE2b-256, optionally keyed (key of 16..64 bytes).
class Blake2b {
 public:
  Blake2b();
  explicit Blake2b(ByteView key);
  ~Blake2b();
  Blake2b(Blake2b&&) noexcept;
  Blake2b& operator=(Blake2b&&) noexcept;
  void update(ByteView data);
  Digest finish();  // may be called once

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// The keyed 256-bit chunk-id function; which one a repository uses is in its config.
enum class Algo : std::uint8_t { blake2b_keyed = 1, hmac_sha256 = 2 };
std::string_view algo_name(Algo a);  // "blake2b-keyed", "hmac-sha256"
std::optional<Algo> algo_from_name(std::string_view s);

// Format 2 (cairn-repository(5) CHUNKS), with K the 32-byte chunk_id_key and
// P = derive(K, "cairn chunk proof") (32 bytes):
//   hmac-sha256:   inner = SHA-256((K ^ ipad) || m), id = SHA-256((K ^ opad) || inner)  (HMAC)
//   blake2b-keyed: inner = BLAKE2b-512(key = K, m),  id = inner[0..32]
//   proof = BLAKE2b-256(key = P, inner)
// The id reveals nothing of the rest of `inner`, so knowing an id (every writer can list them)
// does not give its proof.
// HMAC-SHA-256 runs on OpenSSL's SHA-256 (SHA-NI where the CPU has it) from inner/outer
// states precomputed at construction; keyed BLAKE2b is libsodium's crypto_generichash with
// the 32-byte key. Measured on this project's CI CPU (1 MiB, one core): HMAC-SHA-256 about
// 1.9 GB/s, keyed BLAKE2b about 1.1 GB/s. Construction needs the key to be 32 bytes.
// Throws std::bad_alloc only if OpenSSL cannot allocate.
class KeyedHasher {
 public:
  KeyedHasher(Algo algo, ByteView key32);
  ~KeyedHasher();
  KeyedHasher(KeyedHasher&&) noexcept;
  KeyedHasher& operator=(KeyedHasher&&) noexcept;
  Algo algo() const { return algo_; }
  // The chunk id; with `proof`, in the same pass, the chunk's possession proof
  // (cairn-repository(5) CHUNKS): a second keyed digest that only someone who held the
  // plaintext can compute, because it is derived from the hash's inner state, which the id
  // does not reveal. Thread-safe.
  Digest hash(ByteView data, Digest* proof = nullptr) const;

 private:
  struct State;
  Algo algo_;
  std::unique_ptr<State> s_;
};

// Derives `out.size()` bytes from a 32-byte key and a context label (BLAKE2b keyed, counter
// mode). Used for sub-keys and the chunker's gear table. Exactly (this is a format):
//   out = B(0) || B(1) || ... truncated to out.size(),
//   B(i) = BLAKE2b-512(key = key32, message = context bytes || le64(i)).
void derive(ByteView key32, std::string_view context, MutByteView out);

}  // namespace cairn::hash

template <>
struct std::hash<cairn::hash::Digest> {
  std::size_t operator()(const cairn::hash::Digest& d) const noexcept {
    return cairn::hash::DigestHasher{}(d);
  }
};
template <typename Tag>
struct std::hash<cairn::hash::Id<Tag>> {
  std::size_t operator()(const cairn::hash::Id<Tag>& i) const noexcept {
    return cairn::hash::DigestHasher{}(i.d);
  }
};
