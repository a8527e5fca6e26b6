// tests/fuzz/fuzz_pack.cpp: libFuzzer target for pack parsing (header, trailer, sealed index,
// entries). First byte 0: the rest of the input is a whole pack. Otherwise the rest is the
// plain index of a pack we frame and seal with the fixed key, so the fuzzer also reaches the
// parser behind the AEAD; whatever it accepts must re-encode to the same bytes.
#include <cstddef>
#include <cstdint>

#include "crypto/crypto.hpp"
#include "pack/pack.hpp"

using namespace cairn;

namespace {

const Bytes kIndexKey(32, 0x11);
const Bytes kRepoId(32, 0x22);

Bytes frame(ByteView plain_index, std::size_t blob_area) {
  Bytes pack;
  append(pack, as_bytes(pack::kMagic));
  pack.push_back(1);
  pack.push_back(0);
  pack.resize(pack::kHeaderSize + blob_area, 0);
  Bytes ad = kRepoId;
  append(ad, as_bytes("pack-index"));
  const Bytes sealed = crypto::seal(kIndexKey, plain_index, ad);
  append(pack, sealed);
  put_le32(pack, static_cast<std::uint32_t>(sealed.size()));
  append(pack, as_bytes(pack::kEndMagic));
  return pack;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool initialised = crypto::init().has_value();
  if (!initialised || size == 0) return 0;
  const ByteView in(data + 1, size - 1);
  if (data[0] == 0) {
    (void)pack::read_index(in, kIndexKey, kRepoId, "fuzz");
    if (in.size() >= pack::kTrailerSize)
      (void)pack::parse_trailer(in.last(pack::kTrailerSize), in.size(), "fuzz");
    return 0;
  }
  const Bytes whole = frame(in, data[0] * 64u);
  auto entries = pack::read_index(whole, kIndexKey, kRepoId, "fuzz");
  if (entries) {
    // Whatever the parser accepts must re-encode to the same bytes and lie in the blob area.
    const Bytes again = pack::encode_index(*entries);
    if (again.size() != in.size() || !std::equal(again.begin(), again.end(), in.begin()))
      __builtin_trap();
    for (const auto& e : *entries)
      if (e.offset + e.sealed_len > pack::kHeaderSize + data[0] * 64u) __builtin_trap();
  }
  return 0;
}
