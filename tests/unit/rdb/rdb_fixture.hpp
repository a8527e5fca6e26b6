// tests/unit/rdb/rdb_fixture.hpp: stand-in RDB files for the rdb and ops tests.
#pragma once

#include <random>
#include <string>

#include "base/bytes.hpp"
#include "rdb/rdb.hpp"

namespace cairn::test {

// A stand-in RDB: magic, `body` bytes, the EOF opcode and the CRC64 of all of it.
inline Bytes make_rdb(std::size_t body, std::uint32_t seed = 1, bool checksum = true) {
  Bytes b(as_bytes("REDIS0010").begin(), as_bytes("REDIS0010").end());
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < body; ++i) b.push_back(static_cast<std::uint8_t>(rng()));
  b.push_back(0xff);
  put_le64(b, checksum ? rdb::crc64_redis(0, b) : 0);
  return b;
}

inline Bytes with_marker(Bytes b) {
  std::string mark(rdb::kRdbEofMarkSize, 'a');
  for (std::size_t i = 0; i < mark.size(); ++i) mark[i] = "0123456789abcdef"[(i * 7) % 16];
  append(b, as_bytes(mark));
  return b;
}

}  // namespace cairn::test
