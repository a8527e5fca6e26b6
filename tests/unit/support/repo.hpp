// tests/unit/support/repo.hpp: repository settings and test data shared by the unit tests of
// repo and the modules above it (shared test fixtures, issue 17). Header-only: each unit-test
// binary links only its own module; include it as "support/repo.hpp".
#pragma once

#include <cstddef>

#include "crypto/crypto.hpp"
#include "repo/repo.hpp"

namespace cairn::test {

// Small limits so tests are fast: chunks of 64..256 KiB, packs of about 64 KiB (a 64 KiB
// random file is one chunk in a pack of its own), zstd -3, cheap Argon2id.
inline repo::InitOptions small_options() {
  repo::InitOptions o;
  o.chunking = chunker::Params{64u << 10, 128u << 10, 256u << 10};
  o.pack_size = 64u << 10;
  o.zstd_level = 3;
  o.kdf = crypto::KdfParams::fast_for_tests();
  return o;
}

// `n` random (incompressible) bytes; crypto::init() must have run.
inline Bytes random_bytes(std::size_t n) {
  Bytes b(n);
  crypto::random_bytes(b);
  return b;
}

}  // namespace cairn::test
