#include "chunker/chunker.hpp"

#include <bit>
#include <cassert>

#include <fmt/format.h>

#include "hash/hash.hpp"

namespace cairn::chunker {

namespace {

constexpr std::uint32_t kMinAllowed = 64u << 10;
constexpr std::uint32_t kMaxAllowed = 64u << 20;
// The gear hash forgets a byte after 64 shifts, so hashing starts this far before min_size:
// every checked position then sees a full window and a cut depends only on nearby content.
constexpr std::size_t kWindow = 64;
// Normalized chunking, level 2 (FastCDC): two more mask bits than log2(avg) before avg,
// two fewer after.
constexpr int kNormalization = 2;

// `bits` one-bits at positions [62 - bits + 1, 62]. High bits of a gear hash depend on the
// most bytes; bit 63 stays clear so the two-bytes-per-step loop can test `mask << 1`.
constexpr std::uint64_t make_mask(int bits) {
  return ((std::uint64_t{1} << bits) - 1) << (63 - bits);
}

// The first offset in [begin, end) where the hash `h` (already rolled up to `begin`) meets
// `mask`, as a chunk length (offset + 1), or 0. Updates `h` to the state at `end`.
// Two bytes per step: with g2 = gear << 1, ((h << 2) + g2[a]) == (h1 << 1) where h1 is the
// one-byte state after `a`, so testing it against (mask << 1) is testing h1 against mask.
inline std::size_t scan(const std::uint8_t* p, std::size_t begin, std::size_t end, std::uint64_t& h,
                        std::uint64_t mask, const std::array<std::uint64_t, 256>& g,
                        const std::array<std::uint64_t, 256>& g2) {
  const std::uint64_t mask2 = mask << 1;
  std::size_t i = begin;
  std::uint64_t x = h;
  for (; i + 2 <= end; i += 2) {
    x = (x << 2) + g2[p[i]];
    if ((x & mask2) == 0) {
      h = x >> 1;  // exact one-byte state after p[i] (bit 63 of it is not needed again)
      return i + 1;
    }
    x += g[p[i + 1]];
    if ((x & mask) == 0) {
      h = x;
      return i + 2;
    }
  }
  if (i < end) {
    x = (x << 1) + g[p[i]];
    if ((x & mask) == 0) {
      h = x;
      return i + 1;
    }
  }
  h = x;
  return 0;
}

}  // namespace

Status Params::validate() const {
  if (min_size < kMinAllowed || max_size > kMaxAllowed || !(min_size < avg_size) ||
      !(avg_size < max_size))
    return Error{
        Errc::usage,
        fmt::format(
            "invalid chunk sizes min {} avg {} max {}: need 64 KiB <= min < avg < max <= 64 MiB",
            min_size, avg_size, max_size)};
  if (!std::has_single_bit(avg_size))
    return Error{Errc::usage,
                 fmt::format("invalid average chunk size {}: must be a power of two", avg_size)};
  return {};
}

Chunker::Chunker(const Params& p, ByteView seed) : p_(p) {
  assert(seed.size() == hash::kDigestSize);
  assert(p_.validate().has_value());
  // Params are validated by the caller; clamp so a bad value cannot make a shift undefined.
  int bits = static_cast<int>(std::bit_width(p_.avg_size)) - 1;
  bits = bits < 4 ? 4 : (bits > 40 ? 40 : bits);
  mask_s_ = make_mask(bits + kNormalization);
  mask_l_ = make_mask(bits - kNormalization);
  std::array<std::uint8_t, 256 * 8> raw{};
  hash::derive(seed, "cairn gear table v1", raw);
  for (std::size_t i = 0; i < gear_.size(); ++i) gear_[i] = get_le64(raw.data() + 8 * i);
}

std::size_t Chunker::next_cut(ByteView data, bool at_eof) const {
  const std::size_t n = data.size();
  const std::size_t min = p_.min_size, avg = p_.avg_size, max = p_.max_size;
  if (n <= min) return at_eof ? n : 0;
  const std::size_t end = n < max ? n : max;

  std::array<std::uint64_t, 256> gear2;
  for (std::size_t i = 0; i < gear2.size(); ++i) gear2[i] = gear_[i] << 1;

  const std::uint8_t* d = data.data();
  std::uint64_t h = 0;
  const std::size_t warm = min >= kWindow ? min - kWindow : 0;
  for (std::size_t i = warm; i < min; ++i) h = (h << 1) + gear_[d[i]];

  const std::size_t mid = end < avg ? end : avg;
  if (std::size_t c = scan(d, min, mid, h, mask_s_, gear_, gear2)) return c;
  if (std::size_t c = scan(d, mid, end, h, mask_l_, gear_, gear2)) return c;
  if (end == max) return max;
  return at_eof ? n : 0;
}

}  // namespace cairn::chunker
