// tests/fuzz/fuzz_decompress.cpp: libFuzzer target for compress::Decompressor. Any input must
// either decompress to exactly the expected size or fail with Errc::corrupt, never crash,
// read out of bounds or allocate beyond the bound. Built only with -DCAIRN_FUZZ=ON (clang).
#include <cstddef>
#include <cstdint>

#include "compress/zstd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kExpected = std::size_t{1} << 20;
  cairn::compress::Decompressor d;
  cairn::Bytes out;
  auto r = d.decompress(cairn::ByteView(data, size), kExpected, out);
  if (r.has_value() ? out.size() != kExpected
                    : (r.error().code != cairn::Errc::corrupt || !out.empty()))
    __builtin_trap();
  return 0;
}
