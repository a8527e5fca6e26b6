// tests/fuzz/fuzz_manifest.cpp: libFuzzer target for manifest::Reader (and so stream::Reader).
// Any input must end in a clean end (verified trailer) or an error value, never crash, read out
// of bounds or allocate beyond the frame/line bounds. An accepted entry must satisfy the path
// rules, and what the reader accepts must survive encode_entry/decode_entry unchanged.
// Built only with -DCAIRN_FUZZ=ON (clang).
#include <cstddef>
#include <cstdint>

#include "manifest/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cairn::io::MemReader in(cairn::ByteView(data, size));
  cairn::manifest::Reader r(in);
  if (!r.open()) return 0;
  cairn::manifest::Entry e;
  cairn::Bytes buf;
  for (;;) {
    auto more = r.next(e);
    if (!more || !*more) break;
    if (!cairn::manifest::check_path(e.path)) __builtin_trap();
    auto again = cairn::manifest::decode_entry(cairn::manifest::encode_entry(e));
    if (!again || !(*again == e)) __builtin_trap();
    for (;;) {
      auto n = r.read_frame(buf);
      if (!n) return 0;
      if (*n == 0) break;
      if (*n > cairn::stream::kMaxFrame) __builtin_trap();
    }
  }
  return 0;
}
