// lib/rdb/rdb.cpp: Redis RDB end detection for cairn-snap --stdin NAME --rdb (see rdb.hpp).
#include "rdb/rdb.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace cairn::rdb {

namespace {

// The Jones polynomial 0xad93d23594c935a9, bit-reversed for the reflected algorithm.
constexpr std::uint64_t kPolyReflected = 0x95ac9329ac4bc9b5ull;

// Slicing-by-8 tables: t[0] is the classic byte table, t[k][i] advances t[k-1][i] by a zero byte.
constexpr std::array<std::array<std::uint64_t, 256>, 8> make_tables() {
  std::array<std::array<std::uint64_t, 256>, 8> t{};
  for (std::uint64_t i = 0; i < 256; ++i) {
    std::uint64_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolyReflected : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  return t;
}
constexpr auto kTables = make_tables();

constexpr std::size_t kBuffer = 1u << 20;
// Bytes held back until the end is known: the end marker, the EOF opcode and the checksum.
constexpr std::size_t kHold = kRdbEofMarkSize + 1 + 8;
constexpr std::size_t kMagic = 9;  // "REDIS0011"

}  // namespace

std::uint64_t crc64_redis(std::uint64_t crc, ByteView data) {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  while (n >= 8) {
    crc ^= get_le64(p);
    crc = kTables[7][crc & 0xff] ^ kTables[6][(crc >> 8) & 0xff] ^ kTables[5][(crc >> 16) & 0xff] ^
          kTables[4][(crc >> 24) & 0xff] ^ kTables[3][(crc >> 32) & 0xff] ^
          kTables[2][(crc >> 40) & 0xff] ^ kTables[1][(crc >> 48) & 0xff] ^ kTables[0][crc >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = kTables[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

RdbReader::RdbReader(io::Reader& in, std::string what)
    : in_(in), what_(std::move(what)), buf_(kBuffer + kHold) {}

Status RdbReader::refill() {
  if (head_ > 0) {
    std::memmove(buf_.data(), buf_.data() + head_, tail_ - head_);
    tail_ -= head_;
    head_ = 0;
  }
  CAIRN_TRY_ASSIGN(std::size_t n, in_.read(MutByteView(buf_.data() + tail_, buf_.size() - tail_)));
  tail_ += n;
  if (n == 0) eof_ = true;
  if (!magic_checked_ && (tail_ >= kMagic || eof_)) {
    const bool digits =
        tail_ >= kMagic && std::all_of(buf_.begin() + 5, buf_.begin() + kMagic,
                                       [](std::uint8_t c) { return c >= '0' && c <= '9'; });
    if (!digits || std::memcmp(buf_.data(), "REDIS", 5) != 0)
      return Error{Errc::bad_input,
                   fmt::format("{} is not a Redis RDB file (it does not start with 'REDIS' and "
                               "a version)",
                               what_)};
    magic_checked_ = true;
  }
  return {};
}

// The input ended: find the RDB's end among the places it may be, checking the checksum.
Status RdbReader::finish() {
  const std::uint64_t total = passed_ + (tail_ - head_);
  std::optional<std::uint64_t> unchecked;  // an end whose stored checksum is 0 (rdbchecksum no)
  for (std::uint64_t trail : {std::uint64_t{0}, std::uint64_t{kRdbEofMarkSize}}) {
    if (total < trail + kMagic + 1 + 8) continue;
    const std::uint64_t end = total - trail;
    const std::uint64_t opcode = end - 9;  // 0xff, then the 8-byte checksum
    if (opcode < passed_) continue;        // cannot happen: kHold covers every candidate
    const std::uint8_t* at = buf_.data() + head_ + (opcode - passed_);
    if (at[0] != 0xff) continue;
    const std::uint64_t stored = get_le64(at + 1);
    if (stored == 0) {
      if (!unchecked) unchecked = end;
      continue;
    }
    if (crc64_redis(crc_, ByteView(buf_.data() + head_,
                                   static_cast<std::size_t>(opcode + 1 - passed_))) == stored) {
      end_ = end;
      dropped_ = trail;
      finished_ = true;
      return {};
    }
  }
  if (unchecked) {
    end_ = *unchecked;
    dropped_ = total - end_;
    finished_ = true;
    return {};
  }
  return Error{Errc::bad_input,
               fmt::format("{} does not end with a whole Redis RDB file ({} bytes, no end "
                           "opcode with a matching CRC64 checksum): truncated or damaged",
                           what_, total)};
}

Result<std::size_t> RdbReader::read(MutByteView out) {
  if (out.empty()) return std::size_t{0};
  for (;;) {
    const std::size_t have = tail_ - head_;
    std::size_t ready = 0;
    if (finished_)
      ready = static_cast<std::size_t>(std::min<std::uint64_t>(have, end_ - passed_));
    else if (magic_checked_ && have > kHold)
      ready = have - kHold;
    if (ready > 0) {
      const std::size_t n = std::min(ready, out.size());
      std::memcpy(out.data(), buf_.data() + head_, n);
      if (!finished_) crc_ = crc64_redis(crc_, ByteView(buf_.data() + head_, n));
      head_ += n;
      passed_ += n;
      return n;
    }
    if (finished_) return std::size_t{0};
    if (eof_) {
      CAIRN_TRY(finish());
      continue;
    }
    CAIRN_TRY(refill());
  }
}

}  // namespace cairn::rdb
