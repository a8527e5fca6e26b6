#include <catch2/catch.hpp>

#include <thread>
#include <unordered_set>
#include <vector>

#include "crypto/crypto.hpp"
#include "hash/hash.hpp"
#include "hash/sha256.hpp"

using namespace cairn;
using namespace cairn::hash;

namespace {

void init_crypto() { REQUIRE(crypto::init()); }

Bytes pattern(std::size_t n, std::uint32_t seed = 1) {
  Bytes b(n);
  std::uint32_t x = seed * 2654435761u + 12345;
  for (auto& c : b) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<std::uint8_t>(x);
  }
  return b;
}

Bytes key_0_to_31() {
  Bytes k(32);
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i);
  return k;
}

// Reference HMAC-SHA-256 written out from RFC 2104 on plain SHA-256 (a different code path
// from KeyedHasher's precomputed, copied states). Keys here are at most 64 bytes.
Digest rfc2104_hmac(ByteView key, ByteView data) {
  REQUIRE(key.size() <= 64);
  Bytes ipad(64, 0x36), opad(64, 0x5c);
  for (std::size_t i = 0; i < key.size(); ++i) ipad[i] ^= key[i], opad[i] ^= key[i];
  Sha256 in;
  in.update(ipad);
  in.update(data);
  const Sha256Digest ih = in.finish();
  Sha256 out;
  out.update(opad);
  out.update(ih);
  Digest d;
  d.b = out.finish();
  return d;
}

}  // namespace

TEST_CASE("hash::blake2b: known answers for \"\" and \"abc\"", "[hash]") {
  init_crypto();
  CHECK(blake2b(as_bytes("")).hex() ==
        "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  CHECK(blake2b(as_bytes("abc")).hex() ==
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST_CASE("hash::Digest: hex round trip, refusal of bad hex, is_zero", "[hash]") {
  const Digest d = blake2b(as_bytes("x"));
  const auto back = Digest::from_hex(d.hex());
  REQUIRE(back.has_value());
  CHECK(*back == d);
  CHECK_FALSE(Digest::from_hex(d.hex().substr(2)).has_value());
  CHECK_FALSE(Digest::from_hex(d.hex() + "00").has_value());
  std::string bad = d.hex();
  bad[5] = 'g';
  CHECK_FALSE(Digest::from_hex(bad).has_value());
  CHECK(Digest{}.is_zero());
  CHECK_FALSE(d.is_zero());
  Digest one;
  one.b[31] = 1;
  CHECK_FALSE(one.is_zero());

  const auto id = ChunkId::from_hex(d.hex());
  REQUIRE(id.has_value());
  CHECK(id->d == d);
  CHECK(std::hash<ChunkId>{}(*id) == DigestHasher{}(d));
  std::unordered_set<Digest> set{d, blake2b(as_bytes("y")), d};
  CHECK(set.size() == 2);
}

TEST_CASE("hash::Blake2b: streaming in any split equals one-shot", "[hash]") {
  init_crypto();
  const Bytes data = pattern(10'000);
  const Digest want = blake2b(data);
  for (std::size_t step : {1u, 7u, 64u, 127u, 128u, 129u, 4096u, 10'000u}) {
    Blake2b h;
    for (std::size_t off = 0; off < data.size(); off += step)
      h.update(ByteView(data).subspan(off, std::min(step, data.size() - off)));
    CHECK(h.finish() == want);
  }
  Blake2b moved;
  moved.update(ByteView(data).first(100));
  Blake2b target = std::move(moved);
  target.update(ByteView(data).subspan(100));
  CHECK(target.finish() == want);
}

TEST_CASE("hash::Blake2b: keyed stream matches keyed one-shot and depends on the key", "[hash]") {
  init_crypto();
  const Bytes key = key_0_to_31();
  Blake2b a(key);
  a.update(as_bytes("ab"));
  a.update(as_bytes("c"));
  // Independent value: Python hashlib.blake2b(b"abc", key=bytes(range(32)), digest_size=32).
  CHECK(a.finish().hex() == "d63a32d3e44738d7907f964316c241adaba0abfeabc32349677578a15a203f7f");

  Bytes key2 = key;
  key2[0] ^= 1;
  Blake2b b(key2);
  b.update(as_bytes("abc"));
  const Digest db = b.finish();
  CHECK(db != blake2b(as_bytes("abc")));
  CHECK(db.hex() != "d63a32d3e44738d7907f964316c241adaba0abfeabc32349677578a15a203f7f");

  Blake2b k16(ByteView(key).first(16));
  k16.update(as_bytes("abc"));
  CHECK(k16.finish() != db);
}

TEST_CASE("hash::algo_name: names round trip, unknown names refused", "[hash]") {
  for (Algo a : {Algo::blake2b_keyed, Algo::hmac_sha256}) {
    const auto back = algo_from_name(algo_name(a));
    REQUIRE(back.has_value());
    CHECK(*back == a);
  }
  CHECK(algo_name(Algo::blake2b_keyed) == "blake2b-keyed");
  CHECK(algo_name(Algo::hmac_sha256) == "hmac-sha256");
  CHECK_FALSE(algo_from_name("sha256").has_value());
  CHECK_FALSE(algo_from_name("").has_value());
}

TEST_CASE("hash::KeyedHasher: HMAC-SHA-256 matches RFC 4231 and RFC 2104 written out", "[hash]") {
  init_crypto();
  // The reference itself against RFC 4231 test case 2 (key "Jefe").
  CHECK(rfc2104_hmac(as_bytes("Jefe"), as_bytes("what do ya want for nothing?")).hex() ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

  const Bytes key = key_0_to_31();
  const KeyedHasher h(Algo::hmac_sha256, key);
  CHECK(h.algo() == Algo::hmac_sha256);
  // Independent value: Python hmac.new(bytes(range(32)), b"abc", sha256).
  CHECK(h.hash(as_bytes("abc")).hex() ==
        "f0133729c4163dede81e21cd47839256da58171238c8a0d874397c73b14e1e47");
  // Lengths around SHA-256's 64-byte block and padding boundaries, and a large buffer.
  for (std::size_t n : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 120u, 4096u, (1u << 20) + 3}) {
    const Bytes data = pattern(n, static_cast<std::uint32_t>(n));
    INFO("length " << n);
    CHECK(h.hash(data) == rfc2104_hmac(key, data));
  }
}

// Known answers computed independently with Python's hashlib (format 2, cairn-repository(5)):
//   x = blake2b(m, key=K, digest_size=64); id = x[:32]
//   P = blake2b(b"cairn chunk proof" + bytes(8), key=K, digest_size=64)[:32]
//   proof(blake2b-keyed) = blake2b(x, key=P, digest_size=32)
//   proof(hmac-sha256)   = blake2b(sha256((K + 32 zero bytes) ^ 0x36.. + m), key=P, digest_size=32)
TEST_CASE("hash::KeyedHasher: keyed BLAKE2b ids and proofs match the documented construction",
          "[hash]") {
  init_crypto();
  const Bytes key = key_0_to_31();
  const KeyedHasher h(Algo::blake2b_keyed, key);
  CHECK(h.algo() == Algo::blake2b_keyed);
  Digest proof;
  CHECK(h.hash(as_bytes("abc"), &proof).hex() ==
        "9af0244b7da7fe29d90a89727e06a0c93977ce1ad7edcb76ac0b24142194ea00");
  CHECK(proof.hex() == "d8a82fab83d6c49e9bf20aa6eadb6b8d200bf8be0c769bdaac59f8dae62e39ae");
  CHECK(h.hash(as_bytes("abc")) == h.hash(as_bytes("abc"), &proof));  // the proof changes nothing
}

TEST_CASE("hash::KeyedHasher: the HMAC-SHA-256 proof comes from HMAC's inner hash", "[hash]") {
  init_crypto();
  const KeyedHasher h(Algo::hmac_sha256, key_0_to_31());
  Digest proof;
  CHECK(h.hash(as_bytes("abc"), &proof).hex() ==
        "f0133729c4163dede81e21cd47839256da58171238c8a0d874397c73b14e1e47");
  CHECK(proof.hex() == "8b6387a932813f513a24f75cf3d32477d172020648b7fa71dd2c1bea20329a90");
  // The proof is not a function of the id: another key's proof of the same data differs, and
  // the proof of other data under the same key differs.
  Digest other;
  h.hash(as_bytes("abd"), &other);
  CHECK(other != proof);
}

TEST_CASE("hash::KeyedHasher: the digest depends on the key and on the algorithm", "[hash]") {
  init_crypto();
  const Bytes data = pattern(4096);
  const Bytes k1 = key_0_to_31();
  Bytes k2 = k1;
  k2[31] ^= 0x80;
  for (Algo a : {Algo::blake2b_keyed, Algo::hmac_sha256}) {
    const KeyedHasher h1(a, k1), h2(a, k2);
    CHECK(h1.hash(data) != h2.hash(data));
    CHECK(h1.hash(data) == h1.hash(data));
    CHECK(h1.hash(data) != blake2b(data));
  }
  CHECK(KeyedHasher(Algo::blake2b_keyed, k1).hash(data) !=
        KeyedHasher(Algo::hmac_sha256, k1).hash(data));
}

TEST_CASE("hash::KeyedHasher: survives a move and is consistent across threads", "[hash]") {
  init_crypto();
  const Bytes key = key_0_to_31();
  for (Algo a : {Algo::blake2b_keyed, Algo::hmac_sha256}) {
    KeyedHasher tmp(a, key);
    const KeyedHasher h = std::move(tmp);
    std::vector<Bytes> inputs;
    std::vector<Digest> want;
    for (std::uint32_t i = 0; i < 64; ++i) {
      inputs.push_back(pattern(100 + 61 * i, i));
      want.push_back(h.hash(inputs.back()));
    }
    std::vector<int> bad(4, 0);
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
      ts.emplace_back([&, t] {
        for (int round = 0; round < 20; ++round)
          for (std::size_t i = 0; i < inputs.size(); ++i)
            if (h.hash(inputs[i]) != want[i]) ++bad[static_cast<std::size_t>(t)];
      });
    }
    for (auto& t : ts) t.join();
    CHECK(bad == std::vector<int>(4, 0));
  }
}

TEST_CASE("hash::derive: pinned output, prefix-stable, separated by context and key", "[hash]") {
  init_crypto();
  const Bytes key = key_0_to_31();
  Bytes out(100);
  derive(key, "cairn test", out);
  // Independent value from the documented construction, computed with Python hashlib:
  // concat(blake2b(b"cairn test" + i.to_bytes(8, "little"), key=key, digest_size=64)).
  CHECK(to_hex(out) ==
        "a937afa59b622f2574f072fe0b6a25f8d6bea16061f0118dcff59fe2d7f93624ed1b2afecb24b84464821d08b5"
        "ba4c4f2c2c"
        "556e21b55ff6e9678790a540c40c712db09fd0e23f3e369b85cb521797748cd7c05bd43d703857f228d9d9be6f"
        "fb59a14caf");
  Bytes shorter(33);
  derive(key, "cairn test", shorter);
  CHECK(std::equal(shorter.begin(), shorter.end(), out.begin()));
  Bytes other_ctx(100);
  derive(key, "cairn tesT", other_ctx);
  CHECK(other_ctx != out);
  Bytes k2 = key;
  k2[3] ^= 4;
  Bytes other_key(100);
  derive(k2, "cairn test", other_key);
  CHECK(other_key != out);
  Bytes empty;
  derive(key, "cairn test", empty);  // no output asked: nothing happens
  CHECK(empty.empty());
}
