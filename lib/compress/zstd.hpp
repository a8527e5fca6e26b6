// lib/compress/zstd.hpp: zstd one-shot compression of chunks, with incompressible data
// stored raw, and bounded decompression. Only this module includes zstd.h.
// Depends on: base, zstd. Threads: Compressor/Decompressor hold a context each: one per thread.
#pragma once

#include <memory>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace cairn::compress {

class Compressor {
 public:
  explicit Compressor(int level = 3);
  ~Compressor();
  Compressor(Compressor&&) noexcept;
  Compressor& operator=(Compressor&&) noexcept;
  // Replaces `out` with the compressed form of `in` and returns true, or returns false (and
  // leaves `out` empty) when compression would not save at least 1/32 of the size: the caller
  // stores the chunk raw. Incompressible input is detected cheaply (a sample) before paying for
  // a full compression.
  Result<bool> compress(ByteView in, Bytes& out);
  int level() const { return level_; }

 private:
  struct State;
  int level_;
  std::unique_ptr<State> s_;
};

class Decompressor {
 public:
  Decompressor();
  ~Decompressor();
  Decompressor(Decompressor&&) noexcept;
  Decompressor& operator=(Decompressor&&) noexcept;
  // Decompresses exactly `expected_size` bytes into `out`; anything else (a frame that claims
  // more, ends early, or has trailing bytes) is Errc::corrupt. expected_size is bounded by the
  // caller (the repository's max chunk size) before this is called.
  Status decompress(ByteView in, std::size_t expected_size, Bytes& out);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace cairn::compress
