// lib/repo/objects.hpp: the byte formats of the repository's own files (config, index files,
// set objects) as pure functions over byte buffers: the Repository moves the bytes, the fuzz
// targets call these directly. Every decoder authenticates before it parses.
// Depends on: base, hash, crypto, pack (entries). Threads: pure functions.
//
//   config     "CAIRNCF1" | u32 json_len | JSON | admin signature (64) over all preceding bytes
//   index/<id> "CAIRNIX1" | u16 version=1 | seal(index_key, plain, ad = repo_id | "index")
//              plain = u32 npacks | per pack: pack_id (32) | u32 count | entry (50) * count
//   sets/<id>  "CAIRNST1" | u16 version=2 | writer_id (16) | writer_pk (32) | writer_cert (64)
//              | u32 header_len | header JSON
//              | box_seal(box_pk, data_key) (80) | u32 body_len
//              | seal(data_key, body JSON, ad = repo_id | "set" | header JSON bytes)
//              | the writer's Ed25519 signature (64) over all preceding bytes
//   holds/<id> hold and release records ("CAIRNHL1", version 3), tag records ("CAIRNTG1",
//              version 1), move records ("CAIRNMV1", version 1) and writer revocations
//              ("CAIRNRV1"): the set layout without the writer block, signed by the admin key
// All integers little-endian. The JSON fields are listed in cairn-repository(5).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
inline constexpr std::string_view kRevocationMagic = "CAIRNRV1";
inline constexpr std::string_view kTagMagic = "CAIRNTG1";
inline constexpr std::uint16_t kTagVersion = 1;
inline constexpr std::string_view kMoveMagic = "CAIRNMV1";
inline constexpr std::uint16_t kMoveVersion = 1;
inline constexpr std::string_view kErasureMagic = "CAIRNER1";
inline constexpr std::uint16_t kErasureVersion = 1;
inline constexpr std::string_view kRotationMagic = "CAIRNKR1";
inline constexpr std::uint16_t kRotationVersion = 1;
inline constexpr std::uint16_t kIndexVersion = 1;
// Version 2: signed by the writer's own key, certified by the admin key.
inline constexpr std::uint16_t kSetVersion = 2;
// Version 3: signed by the admin key, which write-only keys lack (1 and 2 are refused).
inline constexpr std::uint16_t kHoldVersion = 3;
inline constexpr std::uint16_t kRevocationVersion = 1;
// A set's seq is 1..kMaxSeq; anything else is damage (readers and SQLite stay far from 2^63).
inline constexpr std::uint64_t kMaxSeq = 1ull << 48;
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
Result<std::vector<IndexPack>> decode_index_file(ByteView file, ByteView index_key,
                                                 ByteView repo_id, std::string_view what);
// The plain part, after authentication (exposed for fuzzing).
Result<std::vector<IndexPack>> parse_index_plain(ByteView plain, std::string_view what);

// ---- set objects
// Signs with keys.sign_sk and seals the body to keys.box_pk under a fresh data key.
// Errc::bad_input if a string in the body is not UTF-8.
Result<Bytes> encode_set(const SetHeader& h, const SetBody& body, const crypto::KeyMaterial& keys);
struct DecodedSet {
  SetHeader header;
  std::optional<SetBody> body;  // nullopt when the keys cannot read or `want_body` is false
  Bytes sealed_by;              // with a body: the box key generation (public key) it was sealed to
};
// Verifies the signature with keys.sign_pk before parsing anything, checks the header's
// repo_id, then opens the body when keys.can_read() and `want_body`.
Result<DecodedSet> decode_set(ByteView file, const crypto::KeyMaterial& keys, bool want_body,
                              std::string_view what);
// The JSON parts, after authentication (exposed for fuzzing).
Result<SetHeader> parse_set_header(std::string_view json, ByteView repo_id, std::string_view what);
Result<SetBody> parse_set_body(std::string_view json, std::string_view what);

// ---- hold records: the envelope without a writer block, magic "CAIRNHL1", header
// {repo_id, set, time_ns}, sealed body {hold, reason, user, host}, signed by the admin key, so
// a write-only key (which lacks it) cannot make a record that decodes. Both need a full key
// (Errc::auth otherwise); a record the admin key did not sign is Errc::corrupt.
Result<Bytes> encode_hold(const HoldRecord& r, const crypto::KeyMaterial& keys);
Result<HoldRecord> decode_hold(ByteView file, const crypto::KeyMaterial& keys,
                               std::string_view what);

// ---- revocations (kept in holds/ beside hold records): header {repo_id, writer, time_ns,
// keep}, body {reason}, signed by the admin key. Any key can read the header.
bool is_revocation(ByteView file);  // by its magic, before anything is authenticated
// ---- tag records (holds/ beside hold records): the hold record's layout with magic
// "CAIRNTG1", header {repo_id, set, time_ns}, sealed body {add, remove, user, host}, signed by
// the admin key (a write-only key tags only the sets it writes, in their set objects).
bool is_tag_record(ByteView file);  // by its magic
Result<Bytes> encode_tag_record(const TagRecord& r, const crypto::KeyMaterial& keys);
Result<TagRecord> decode_tag_record(ByteView file, const crypto::KeyMaterial& keys,
                                    std::string_view what);
// ---- move records (holds/ beside hold records): the hold record's layout with magic
// "CAIRNMV1", header {repo_id, time_ns}, sealed body {sets, moves: [{from, to, chunks}], user,
// host}, signed by the admin key. Both need a full key (Errc::auth otherwise).
bool is_move_record(ByteView file);  // by its magic
Result<Bytes> encode_move_record(const MoveRecord& r, const crypto::KeyMaterial& keys);
Result<MoveRecord> decode_move_record(ByteView file, const crypto::KeyMaterial& keys,
                                      std::string_view what);
// An erasure (holds/<id>, magic CAIRNER1; cairn erase): which sets were rewritten without the
// erased files (`sets`: old -> new ids, in the order written), how many entries went, and the
// patterns as keyed hashes (a pattern may itself be personal data), by whom and where. Signed
// by the admin key, so a rebuilt catalog's audit log shows it again.
struct ErasureRecord {
  std::vector<std::pair<hash::SetId, hash::SetId>> sets;
  std::vector<std::string> patterns;  // keyed hashes (hex)
  std::uint64_t entries = 0;
  std::string user, host;
  std::int64_t time_ns = 0;
  bool operator==(const ErasureRecord&) const = default;
};
// ---- erasure records (holds/ beside hold records): the move record's layout with magic
// "CAIRNER1", header {repo_id, time_ns}, sealed body {sets: [[old, new]...], patterns, entries,
// user, host}, signed by the admin key. Both need a full key (Errc::auth otherwise).
bool is_erasure_record(ByteView file);  // by its magic
Result<Bytes> encode_erasure_record(const ErasureRecord& r, const crypto::KeyMaterial& keys);
Result<ErasureRecord> decode_erasure_record(ByteView file, const crypto::KeyMaterial& keys,
                                            std::string_view what);
// Writes the record (time_ns = now when 0; a full key) as holds/<blake2b of its bytes> and
// returns that path; lists every erasure record that authenticates, oldest first, passing a
// damaged one to `skip` (Repository::list_holds).
Result<std::string> write_erasure_record(Repository& r, ErasureRecord rec);
Result<std::vector<ErasureRecord>> list_erasure_records(Repository& r,
                                                        const Repository::SkipRecord& skip);
// A signed copy of the config (holds/<id>, written by init beside the config).
bool is_config_copy(ByteView file);
Result<Bytes> encode_revocation(const Revocation& r, const crypto::KeyMaterial& keys);
Result<Revocation> decode_revocation(ByteView file, const crypto::KeyMaterial& keys,
                                     std::string_view what);

// ---- key rotation records (holds/ beside hold records, cairn-repository(5) KEY ROTATION):
// the hold record's layout with magic "CAIRNKR1", header {repo_id, box_pk: the new generation's
// public key, prev: the previous generation's, time_ns} (any key verifies and reads it), and
// the body {prev_sk, user, host} sealed to the NEW box_pk: the newest key opens every older
// generation backwards, an older key opens nothing newer. Signed by the admin key.
bool is_rotation(ByteView file);  // by its magic
// r.box_pk/prev_pk/prev_sk must be set (prev_sk: the previous generation's secret key).
Result<Bytes> encode_rotation(const Rotation& r, ByteView new_sk, const crypto::KeyMaterial& keys);
// Verifies the admin signature (keys.sign_pk) and the header; with `opener` (the generation
// the record introduces) also opens the body and checks prev_sk against prev.
Result<Rotation> decode_rotation(ByteView file, const crypto::KeyMaterial& keys,
                                 const crypto::BoxGeneration* opener, std::string_view what);

}  // namespace cairn::repo
