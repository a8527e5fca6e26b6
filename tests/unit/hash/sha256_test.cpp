// SHA-256, HMAC-SHA-256 and MD5 (transport hashes for the remote backends) against the
// published test vectors: FIPS 180-2 examples, RFC 4231 and RFC 1321.
#include <catch2/catch.hpp>

#include <string>

#include "hash/sha256.hpp"

using namespace cairn;

TEST_CASE("hash::sha256: FIPS 180-2 examples", "[hash]") {
  CHECK(to_hex(hash::sha256(as_bytes(""))) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(hash::sha256(as_bytes("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(
      to_hex(hash::sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("hash::Sha256: streaming equals one shot, across odd piece sizes", "[hash]") {
  std::string million(1'000'000, 'a');  // FIPS 180-2: one million 'a'
  hash::Sha256 h;
  for (std::size_t pos = 0; pos < million.size();) {
    const std::size_t n = std::min<std::size_t>(million.size() - pos, 1 + pos % 997);
    h.update(as_bytes(std::string_view(million).substr(pos, n)));
    pos += n;
  }
  const auto d = h.finish();
  CHECK(to_hex(d) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(d == hash::sha256(as_bytes(million)));
}

TEST_CASE("hash::hmac_sha256: RFC 4231 test cases 1, 2 and 6", "[hash]") {
  const Bytes key1(20, 0x0b);
  CHECK(to_hex(hash::hmac_sha256(key1, as_bytes("Hi There"))) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(to_hex(hash::hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const Bytes key6(131, 0xaa);  // a key longer than the block: hashed first
  CHECK(to_hex(hash::hmac_sha256(
            key6, as_bytes("Test Using Larger Than Block-Size Key - Hash Key First"))) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(hash::hmac_sha256(as_bytes(""), as_bytes("x")) !=
        hash::hmac_sha256(as_bytes("k"), as_bytes("x")));
}

TEST_CASE("hash::md5: RFC 1321 examples, streaming and one shot", "[hash]") {
  CHECK(to_hex(hash::md5(as_bytes(""))) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(to_hex(hash::md5(as_bytes("abc"))) == "900150983cd24fb0d6963f7d28e17f72");
  hash::Md5 m;
  m.update(as_bytes("message "));
  m.update(as_bytes("digest"));
  CHECK(to_hex(m.finish()) == "f96b697d7cb7938d525a2f31aaf161d0");
}
