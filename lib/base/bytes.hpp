// lib/base/bytes.hpp: byte buffers, views, little-endian helpers and hex.
// Depends on: std. Threads: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;
using MutByteView = std::span<std::uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline void put_le64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_le32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline std::uint64_t get_le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline std::uint32_t get_le32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline void append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

std::string to_hex(ByteView b);
// nullopt unless `s` is an even number of lower- or upper-case hex digits.
std::optional<Bytes> from_hex(std::string_view s);
std::string to_base64(ByteView b);  // standard alphabet, with padding
std::optional<Bytes> from_base64(std::string_view s);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_utf8(std::string_view s);

}  // namespace cairn
