// lib/rdb/rdb.hpp: a Redis RDB file read from a stream (cairn-snap --stdin NAME --rdb). The
// stream must start with the RDB magic ("REDIS" and a 4-digit version) and hold a whole RDB:
// its end is the EOF opcode (0xff) followed by the CRC64 (Jones, as Redis computes it, little
// endian) of every byte before the checksum. Bytes after that end are dropped: Redis 7.0's
// `redis-cli --rdb -` copies the 40-byte end marker of a diskless transfer ($EOF:<mark>) to
// standard output after the RDB, where it cannot truncate it as it does for a file.
// An RDB written with `rdbchecksum no` stores a zero checksum, which is accepted unchecked.
// Depends on: base, io. Threads: thread-compatible; streams with a fixed 1 MiB buffer.
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "io/file.hpp"

namespace cairn::rdb {

// Redis' CRC-64 (the Jones polynomial, reflected, no final xor), continued from `crc`:
// crc64_redis(0, "123456789") == 0xe9c6d914c4b8d9ca.
std::uint64_t crc64_redis(std::uint64_t crc, ByteView data);

// The length of the end marker redis-cli leaves after a diskless RDB (RDB_EOF_MARK_SIZE).
inline constexpr std::size_t kRdbEofMarkSize = 40;

// An io::Reader that passes an RDB through, holding back its last bytes until the end of the
// input proves where the RDB ends. At that end: the RDB's own length when the stream ends
// exactly with it or kRdbEofMarkSize bytes later; Errc::bad_input (naming `what`) for input
// that is not an RDB, or is truncated or damaged (no EOF opcode with a matching checksum).
class RdbReader final : public io::Reader {
 public:
  RdbReader(io::Reader& in, std::string what);
  Result<std::size_t> read(MutByteView out) override;
  // Bytes dropped after the RDB's end (valid once read() returned 0).
  std::uint64_t dropped() const { return dropped_; }

 private:
  Status refill();
  Status finish();

  io::Reader& in_;
  std::string what_;
  Bytes buf_;
  std::size_t head_ = 0, tail_ = 0;  // unread input: buf_[head_, tail_)
  std::uint64_t passed_ = 0;         // bytes handed out so far
  std::uint64_t crc_ = 0;            // CRC64 of the bytes handed out
  std::uint64_t end_ = 0;            // where the RDB ends (once finished_)
  std::uint64_t dropped_ = 0;
  bool magic_checked_ = false, eof_ = false, finished_ = false;
};

}  // namespace cairn::rdb
