// tests/fuzz/fuzz_set.cpp: libFuzzer target for set objects (sets/<id>). First byte 0: the rest
// of the input is a whole set file (checked against a fixed key pair: the signature stops almost
// everything). Otherwise the rest is "header JSON \0 body JSON", which we frame, seal and sign
// with the fixed keys so the JSON parsers behind the signature and the AEAD are reached.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "crypto/crypto.hpp"
#include "crypto/keys.hpp"
#include "repo/objects.hpp"

using namespace cairn;

namespace {

const crypto::KeyMaterial& keys() {
  static const crypto::KeyMaterial k = crypto::KeyMaterial::generate(Bytes(32, 0x55));
  return k;
}

Bytes frame(ByteView header, ByteView body) {
  const auto& k = keys();
  crypto::SecretBytes data_key(32);
  crypto::random_bytes(data_key.mut());
  Bytes out;
  append(out, as_bytes(repo::kSetMagic));
  out.push_back(static_cast<std::uint8_t>(repo::kSetVersion));
  out.push_back(0);
  append(out, k.writer_id);  // the writer block: the key's own certified writer
  append(out, k.writer_pk);
  append(out, k.writer_cert);
  put_le32(out, static_cast<std::uint32_t>(header.size()));
  append(out, header);
  append(out, crypto::box_seal(k.box_pk, data_key.view()));
  put_le32(out, static_cast<std::uint32_t>(body.size() + crypto::kSealOverhead));
  Bytes ad = k.repo_id;
  append(ad, as_bytes("set"));
  append(ad, header);
  crypto::seal_append(data_key.view(), body, ad, out);
  append(out, crypto::sign(k.writer_sk.view(), out));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool initialised = crypto::init().has_value();
  if (!initialised || size == 0) return 0;
  const ByteView in(data + 1, size - 1);
  if (data[0] == 0) {
    (void)repo::decode_set(in, keys(), true, "fuzz");
    return 0;
  }
  const auto nul = std::find(in.begin(), in.end(), std::uint8_t{0});
  const ByteView header(in.begin(), nul);
  const ByteView body = nul == in.end() ? ByteView{} : ByteView(nul + 1, in.end());
  if (header.size() > repo::kMaxSetHeaderJson) return 0;
  auto set = repo::decode_set(frame(header, body), keys(), true, "fuzz");
  if (set && set->body) {
    // What the parser accepts must encode and decode to the same values.
    auto again = repo::encode_set(set->header, *set->body, keys());
    if (again) {
      auto back = repo::decode_set(*again, keys(), true, "fuzz");
      if (!back || !back->body || back->header.seq != set->header.seq ||
          back->body->packs != set->body->packs || back->body->source != set->body->source ||
          back->body->manifest_proofs != set->body->manifest_proofs ||
          back->header.writer != keys().writer_id)
        __builtin_trap();
    }
  }
  return 0;
}
