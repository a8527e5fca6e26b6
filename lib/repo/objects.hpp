// lib/repo/objects.hpp: the byte formats of the repository's own files (config, index files,
// set objects) as pure functions over byte buffers: the Repository moves the bytes, the fuzz
// targets call these directly. Every decoder authenticates before it parses.
// Depends on: base, hash, crypto, pack (entries). Threads: pure functions.
//
//   config     "CAIRNCF1" | u32 json_len | JSON | Ed25519 signature (64) over all preceding bytes
//   index/<id> "CAIRNIX1" | u16 version=1 | seal(index_key, plain, ad = repo_id | "index")
//              plain = u32 npacks | per pack: pack_id (32) | u32 count | entry (50) * count
//   sets/<id>  "CAIRNST1" | u16 version=1 | u32 header_len | header JSON
//              | box_seal(box_pk, data_key) (80) | u32 body_len
//              | seal(data_key, body JSON, ad = repo_id | "set" | header JSON bytes)
//              | Ed25519 signature (64) over all preceding bytes
// All integers little-endian. The JSON fields are listed in cairn-repository(5).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/keys.hpp"
#include "hash/hash.hpp"
#include "pack/pack.hpp"
#include "repo/repo.hpp"

namespace cairn::repo {

inline constexpr std::string_view kConfigMagic = "CAIRNCF1";
inline constexpr std::string_view kIndexMagic = "CAIRNIX1";
inline constexpr std::string_view kSetMagic = "CAIRNST1";
inline constexpr std::string_view kHoldMagic = "CAIRNHL1";
inline constexpr std::uint16_t kIndexVersion = 1;
inline constexpr std::uint16_t kSetVersion = 1;
// Version 2 adds the proof (a MAC under a key derived from box_sk) that a full key wrote the
// record; version 1 records, signed only, are refused.
inline constexpr std::uint16_t kHoldVersion = 2;
// Limits on the JSON parts (checked before anything is allocated for them).
inline constexpr std::size_t kMaxConfigJson = 64u << 10;
inline constexpr std::size_t kMaxSetHeaderJson = 64u << 10;
// Accepted configuration ranges.
inline constexpr int kMinZstdLevel = -7, kMaxZstdLevel = 22;
inline constexpr std::uint64_t kMinPackSize = 4u << 10, kMaxPackSize = 1ull << 30;

// Checks the ranges above and chunking.validate(); Errc::bad_input naming the field.
Status validate(const Config& c);

// ---- config
Bytes encode_config(const Config& c, ByteView sign_sk);
// Checks the magic and lengths, verifies the signature with `sign_pk`, then parses the JSON.
// Errc::corrupt (or unsupported_format for another version) naming `what`.
Result<Config> decode_config(ByteView file, ByteView sign_pk, std::string_view what);

// ---- index files
struct IndexPack {
  hash::PackId pack;
  std::vector<pack::Entry> entries;
};
Bytes encode_index_file(const std::vector<IndexPack>& packs, ByteView index_key, ByteView repo_id);
Result<std::vector<IndexPack>> decode_index_file(ByteView file, ByteView index_key, ByteView repo_id,
                                                 std::string_view what);
// The plain part, after authentication (exposed for fuzzing).
Result<std::vector<IndexPack>> parse_index_plain(ByteView plain, std::string_view what);

// ---- set objects
// Signs with keys.sign_sk and seals the body to keys.box_pk under a fresh data key.
// Errc::bad_input if a string in the body is not UTF-8.
Result<Bytes> encode_set(const SetHeader& h, const SetBody& body, const crypto::KeyMaterial& keys);
struct DecodedSet {
  SetHeader header;
  std::optional<SetBody> body;  // nullopt when the keys cannot read or `want_body` is false
};
// Verifies the signature with keys.sign_pk before parsing anything, checks the header's
// repo_id, then opens the body when keys.can_read() and `want_body`.
Result<DecodedSet> decode_set(ByteView file, const crypto::KeyMaterial& keys, bool want_body, std::string_view what);
// The JSON parts, after authentication (exposed for fuzzing).
Result<SetHeader> parse_set_header(std::string_view json, ByteView repo_id, std::string_view what);
Result<SetBody> parse_set_body(std::string_view json, std::string_view what);

// ---- hold records: the same signed envelope as a set object, magic "CAIRNHL1", header
// {repo_id, set, time_ns}, sealed body {hold, reason, user, host, proof}. The proof is
// keyed BLAKE2b-256 under derive(box_sk, "cairn hold proof") of every field, so a write-only
// key (which can sign and seal) cannot make a record that decodes. Both need a full key
// (Errc::auth otherwise); a record whose proof does not verify is Errc::corrupt.
Result<Bytes> encode_hold(const HoldRecord& r, const crypto::KeyMaterial& keys);
Result<HoldRecord> decode_hold(ByteView file, const crypto::KeyMaterial& keys, std::string_view what);

}  // namespace cairn::repo
