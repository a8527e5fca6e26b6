// lib/chunker/chunker.hpp: content-defined cut points (FastCDC-style gear hash with
// normalized chunking). The gear table is derived from a per-repository secret, so chunk
// boundaries do not fingerprint content for someone without the key. Pure: no I/O.
// Depends on: base, hash (table derivation). Threads: a Chunker is immutable after
// construction; next_cut is const and safe from many threads.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace cairn::chunker {

struct Params {
  std::uint32_t min_size = 512u << 10;
  std::uint32_t avg_size = 1u << 20;  // must be a power of two
  std::uint32_t max_size = 8u << 20;
  // 64 KiB <= min < avg < max <= 64 MiB, avg a power of two.
  Status validate() const;
};

class Chunker {
 public:
  // `seed` is 32 secret bytes from the repository key.
  Chunker(const Params& p, ByteView seed);
  const Params& params() const { return p_; }
  // Length of the next chunk at the start of `data`. When `at_eof` is false and no cut is
  // found in `data` (because data.size() < max_size), returns 0: call again with more data.
  // When `at_eof` is true returns a length in (0, data.size()] for non-empty data.
  std::size_t next_cut(ByteView data, bool at_eof) const;

 private:
  Params p_;
  std::uint64_t mask_s_, mask_l_;
  std::array<std::uint64_t, 256> gear_;
};

}  // namespace cairn::chunker
