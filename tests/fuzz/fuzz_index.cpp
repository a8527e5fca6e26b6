// tests/fuzz/fuzz_index.cpp: libFuzzer target for repository index files (index/<id>). First
// byte 0: the rest of the input is a whole index file. Otherwise the rest is the plain part,
// which we seal with the fixed key so the parser behind the AEAD is reached too.
#include <cstddef>
#include <cstdint>

#include "crypto/crypto.hpp"
#include "repo/objects.hpp"

using namespace cairn;

namespace {
const Bytes kIndexKey(32, 0x33);
const Bytes kRepoId(32, 0x44);
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool initialised = crypto::init().has_value();
  if (!initialised || size == 0) return 0;
  const ByteView in(data + 1, size - 1);
  if (data[0] == 0) {
    (void)repo::decode_index_file(in, kIndexKey, kRepoId, "fuzz");
    return 0;
  }
  Bytes file;
  append(file, as_bytes(repo::kIndexMagic));
  file.push_back(1);
  file.push_back(0);
  Bytes ad = kRepoId;
  append(ad, as_bytes("index"));
  crypto::seal_append(kIndexKey, in, ad, file);
  auto packs = repo::decode_index_file(file, kIndexKey, kRepoId, "fuzz");
  if (packs) {
    // Accepted input must round-trip exactly.
    auto again = repo::decode_index_file(repo::encode_index_file(*packs, kIndexKey, kRepoId),
                                         kIndexKey, kRepoId, "x");
    if (!again || again->size() != packs->size()) __builtin_trap();
  }
  return 0;
}
