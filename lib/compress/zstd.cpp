#include "compress/zstd.hpp"

#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "base/chandle.hpp"

namespace cairn::compress {

namespace {

using CCtx = CHandle<ZSTD_CCtx, &ZSTD_freeCCtx>;
using DCtx = CHandle<ZSTD_DCtx, &ZSTD_freeDCtx>;

// Inputs larger than this are first judged on a sample: kSlices slices of kSliceSize spread
// evenly over the input, compressed at kSampleLevel.
constexpr std::size_t kSliceSize = 16u << 10;
constexpr std::size_t kSlices = 4;
constexpr std::size_t kSampleSize = kSliceSize * kSlices;
constexpr std::size_t kSampleThreshold = 2 * kSampleSize;
constexpr int kSampleLevel = 1;

// The largest output that still saves at least 1/32 of `n` (1/8 in auto mode).
constexpr std::size_t worthwhile_size(std::size_t n, bool strict = false) {
  return n - n / (strict ? 8 : 32);
}

Error zstd_error(std::string_view what, std::size_t code) {
  return Error{Errc::internal, fmt::format("zstd {} failed: {}", what, ZSTD_getErrorName(code))};
}

Error corrupt(std::string_view why) {
  return Error{Errc::corrupt, fmt::format("corrupt compressed data: {}", why)};
}

}  // namespace

struct Compressor::State {
  CCtx cctx{ZSTD_createCCtx()};
  CCtx sample_cctx{ZSTD_createCCtx()};
  Bytes sample;      // reused between calls
  Bytes sample_out;  // reused between calls
};

std::string Setting::name() const {
  switch (mode) {
    case Mode::automatic: return "auto";
    case Mode::off: return "off";
    case Mode::level: break;
  }
  return std::to_string(level);
}

Result<Setting> parse_setting(std::string_view text) {
  if (text == "auto") return Setting{Setting::Mode::automatic, 3};
  if (text == "off") return Setting{Setting::Mode::off, 3};
  int level = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, level);
  if (ec != std::errc{} || p != end || text.empty() || level < 1 || level > 19)
    return Error{Errc::usage, fmt::format("compression '{}' is not a zstd level from 1 to 19, "
                                          "'auto' or 'off'",
                                          text)};
  return Setting{Setting::Mode::level, level};
}

Compressor::Compressor(const Setting& s) : Compressor(s.level) { mode_ = s.mode; }

Compressor::Compressor(int level) : level_(level), s_(std::make_unique<State>()) {
  if (s_->cctx) {
    ZSTD_CCtx_setParameter(s_->cctx.get(), ZSTD_c_compressionLevel, level_);
    // 4 bytes a frame: a damaged frame that slipped past authentication (a bug) fails loudly.
    ZSTD_CCtx_setParameter(s_->cctx.get(), ZSTD_c_checksumFlag, 1);
  }
}
Compressor::~Compressor() = default;
Compressor::Compressor(Compressor&&) noexcept = default;
Compressor& Compressor::operator=(Compressor&&) noexcept = default;

Result<bool> Compressor::compress(ByteView in, Bytes& out) {
  out.clear();
  if (!s_ || !s_->cctx || !s_->sample_cctx)
    return Error{Errc::internal, "cannot allocate a zstd compression context"};
  if (in.empty() || mode_ == Setting::Mode::off) return false;
  const bool strict = mode_ == Setting::Mode::automatic;

  if (in.size() > (strict ? kSampleSize : kSampleThreshold)) {
    // Cheap incompressibility check: if a level-1 pass over a sample cannot fit in 31/32 of
    // it (7/8 in auto mode), the whole input almost certainly will not either.
    Bytes& sample = s_->sample;
    sample.resize(kSampleSize);
    // Slices spread evenly; an input of at most kSampleThreshold is sampled whole from its
    // start (auto mode only) since the slices would overlap.
    const std::size_t stride =
        in.size() > kSampleThreshold ? (in.size() - kSliceSize) / (kSlices - 1) : kSliceSize;
    for (std::size_t i = 0; i < kSlices; ++i)
      std::memcpy(sample.data() + i * kSliceSize, in.data() + i * stride, kSliceSize);
    Bytes& sout = s_->sample_out;
    sout.resize(worthwhile_size(kSampleSize, strict));
    const std::size_t r = ZSTD_compressCCtx(s_->sample_cctx.get(), sout.data(), sout.size(),
                                            sample.data(), sample.size(), kSampleLevel);
    if (ZSTD_isError(r)) {
      if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall) return false;
      return zstd_error("compression", r);
    }
  }

  // Capacity of exactly the worthwhile size: zstd stops as soon as the output would not fit.
  out.resize(worthwhile_size(in.size(), strict));
  const std::size_t r =
      ZSTD_compress2(s_->cctx.get(), out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(r)) {
    out.clear();
    if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall) return false;
    return zstd_error("compression", r);
  }
  out.resize(r);
  return true;
}

struct Decompressor::State {
  DCtx dctx{ZSTD_createDCtx()};
};

Decompressor::Decompressor() : s_(std::make_unique<State>()) {}
Decompressor::~Decompressor() = default;
Decompressor::Decompressor(Decompressor&&) noexcept = default;
Decompressor& Decompressor::operator=(Decompressor&&) noexcept = default;

Status Decompressor::decompress(ByteView in, std::size_t expected_size, Bytes& out) {
  out.clear();
  if (!s_ || !s_->dctx)
    return Error{Errc::internal, "cannot allocate a zstd decompression context"};
  // Exactly one regular zstd frame (no skippable frames, nothing after it).
  if (in.size() < 4 || get_le32(in.data()) != ZSTD_MAGICNUMBER) return corrupt("not a zstd frame");
  const unsigned long long content = ZSTD_getFrameContentSize(in.data(), in.size());
  if (content == ZSTD_CONTENTSIZE_ERROR) return corrupt("bad frame header");
  if (content != ZSTD_CONTENTSIZE_UNKNOWN && content != expected_size)
    return corrupt(fmt::format("frame holds {} bytes, expected {}", content, expected_size));
  const std::size_t frame = ZSTD_findFrameCompressedSize(in.data(), in.size());
  if (ZSTD_isError(frame)) return corrupt(ZSTD_getErrorName(frame));
  if (frame != in.size())
    return corrupt(fmt::format("{} bytes after the frame", in.size() - frame));

  out.resize(expected_size);
  const std::size_t r =
      ZSTD_decompressDCtx(s_->dctx.get(), out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(r)) {
    out.clear();
    return corrupt(ZSTD_getErrorName(r));
  }
  if (r != expected_size) {
    out.clear();
    return corrupt(fmt::format("frame holds {} bytes, expected {}", r, expected_size));
  }
  return {};
}

}  // namespace cairn::compress
