// lib/compress/zstd.hpp: zstd one-shot compression of chunks, with incompressible data
// stored raw, and bounded decompression. Only this module includes zstd.h.
// Depends on: base, zstd. Threads: Compressor/Decompressor hold a context each: one per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace cairn::compress {

// How chunks are compressed (cairn-repository(5) "compression"). Every mode marks each stored
// chunk as compressed or raw (pack::kFlagZstd), so readers never need to know the mode.
struct Setting {
  enum class Mode : std::uint8_t {
    level,      // zstd at `level`; a chunk that would not save 1/32 is stored raw (chunks above
                // 128 KiB are judged on a level-1 sample of 64 KiB first)
    automatic,  // "auto": zstd at `level`, but only where it pays: every chunk above 64 KiB is
                // judged on the level-1 sample, and a chunk is stored compressed only when that
                // saves at least 1/8 (smaller savings cost more to decompress than they save)
    off,        // every chunk stored raw
  };
  Mode mode = Mode::level;
  int level = 3;
  // "3", "auto" or "off".
  std::string name() const;
  bool operator==(const Setting&) const = default;
};
// Parses "off", "auto" or a zstd level from 1 to 19; Errc::usage naming `text` otherwise.
Result<Setting> parse_setting(std::string_view text);

class Compressor {
 public:
  explicit Compressor(int level = 3);
  explicit Compressor(const Setting& s);
  ~Compressor();
  Compressor(Compressor&&) noexcept;
  Compressor& operator=(Compressor&&) noexcept;
  // Replaces `out` with the compressed form of `in` and returns true, or returns false (and
  // leaves `out` empty) when compression would not save enough (1/32 of the size; 1/8 in auto
  // mode; always with Mode::off): the caller stores the chunk raw. Incompressible input is
  // detected cheaply (a sample) before paying for a full compression.
  Result<bool> compress(ByteView in, Bytes& out);
  int level() const { return level_; }

 private:
  struct State;
  int level_;
  Setting::Mode mode_ = Setting::Mode::level;
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
