#include "hash/hash.hpp"

#include <algorithm>
#include <cassert>
#include <new>
#include <optional>

#include "crypto/digest.hpp"

namespace cairn::hash {

namespace {

constexpr std::size_t kKeySize = 32;
constexpr std::size_t kShaBlock = 64;

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
  crypto::blake2b(d.b, data);
  return d;
}

// ---- Blake2b stream

struct Blake2b::State {
  explicit State(ByteView key) : st(kDigestSize, key) {}
  crypto::Blake2bState st;
};

Blake2b::Blake2b() : s_(std::make_unique<State>(ByteView{})) {}
Blake2b::Blake2b(ByteView key) : s_(std::make_unique<State>(key)) {
  assert(key.size() >= crypto::kBlake2bKeyMin && key.size() <= crypto::kBlake2bKeyMax);
}
Blake2b::~Blake2b() = default;
Blake2b::Blake2b(Blake2b&&) noexcept = default;
Blake2b& Blake2b::operator=(Blake2b&& o) noexcept = default;

void Blake2b::update(ByteView data) {
  assert(s_);
  s_->st.update(data);
}

Digest Blake2b::finish() {
  assert(s_);
  Digest d;
  s_->st.finish(d.b);
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
  std::array<std::uint8_t, kKeySize> proof_key{};
  std::optional<crypto::Digester> inner;  // hmac_sha256: SHA-256 state after (key ^ ipad)
  std::optional<crypto::Digester> outer;  // hmac_sha256: SHA-256 state after (key ^ opad)
  ~State() {
    crypto::wipe(key);
    crypto::wipe(proof_key);
  }
};

KeyedHasher::KeyedHasher(Algo algo, ByteView key32) : algo_(algo), s_(std::make_unique<State>()) {
  assert(key32.size() == kKeySize);
  derive(key32, "cairn chunk proof", s_->proof_key);
  if (algo_ == Algo::blake2b_keyed) {
    std::copy_n(key32.begin(), std::min(key32.size(), kKeySize), s_->key.begin());
    return;
  }
  assert(algo_ == Algo::hmac_sha256);
  // RFC 2104 with a key shorter than the block: pad with zeros, xor with 0x36 / 0x5c.
  std::array<std::uint8_t, kShaBlock> ipad{}, opad{};
  for (std::size_t i = 0; i < kShaBlock; ++i) {
    const std::uint8_t k = i < key32.size() ? key32[i] : 0;
    ipad[i] = k ^ 0x36;
    opad[i] = k ^ 0x5c;
  }
  s_->inner.emplace(crypto::Digester::Algo::sha256);
  s_->inner->update(ipad);
  s_->outer.emplace(crypto::Digester::Algo::sha256);
  s_->outer->update(opad);
  crypto::wipe(ipad);
  crypto::wipe(opad);
}

KeyedHasher::~KeyedHasher() = default;
KeyedHasher::KeyedHasher(KeyedHasher&&) noexcept = default;
KeyedHasher& KeyedHasher::operator=(KeyedHasher&&) noexcept = default;

Digest KeyedHasher::hash(ByteView data, Digest* proof) const {
  assert(s_);
  Digest d;
  auto prove = [&](ByteView inner) {
    if (proof) crypto::blake2b(proof->b, inner, s_->proof_key);
  };
  if (algo_ == Algo::blake2b_keyed) {
    std::array<std::uint8_t, crypto::kBlake2bOutMax> inner;
    crypto::blake2b(inner, data, s_->key);
    std::copy_n(inner.begin(), kDigestSize, d.b.begin());
    prove(inner);
    crypto::wipe(inner);
    return d;
  }
  // The precomputed states are only read (copying duplicates them), so many threads may hash
  // at once. Per call (per chunk): one context and two state copies into it.
  std::array<std::uint8_t, kDigestSize> inner_hash;
  crypto::Digester h(*s_->inner);
  h.update(data);
  h.finish(inner_hash);
  h = *s_->outer;
  h.update(inner_hash);
  h.finish(d.b);
  prove(inner_hash);
  crypto::wipe(inner_hash);
  return d;
}

// ---- derive

void derive(ByteView key32, std::string_view context, MutByteView out) {
  assert(key32.size() == kKeySize);
  constexpr std::size_t kBlock = crypto::kBlake2bOutMax;  // 64
  std::array<std::uint8_t, 8> counter{};
  std::array<std::uint8_t, kBlock> block{};
  std::size_t done = 0;
  for (std::uint64_t i = 0; done < out.size(); ++i) {
    for (std::size_t j = 0; j < counter.size(); ++j)
      counter[j] = static_cast<std::uint8_t>(i >> (8 * j));
    crypto::Blake2bState st(kBlock, key32);
    st.update(as_bytes(context));
    st.update(counter);
    st.finish(block);
    const std::size_t n = std::min(kBlock, out.size() - done);
    std::copy_n(block.begin(), n, out.begin() + static_cast<std::ptrdiff_t>(done));
    done += n;
  }
  crypto::wipe(block);
}

}  // namespace cairn::hash
