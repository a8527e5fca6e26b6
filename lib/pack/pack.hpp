// lib/pack/pack.hpp: pack files = sealed, compressed blobs followed by a sealed index trailer.
// Depends on: base, io, hash, compress, crypto. Not on backend: a pack is bytes; repo moves them.
// Threads: a Writer is thread-compatible (one user at a time), except that data_key() may be
// read from other threads while add() runs; the free functions are thread-safe as long as each
// thread brings its own Compressor/Decompressor and scratch buffers.
//
// A pack file (all integers little-endian; cairn-repository(5) has the full story):
//
//   header (90)   "CAIRNPK1" | u16 version = 1 | box_seal(box_pk, data_key) (80)
//   blob ...      seal(data_key, payload, ad = repo_id (32) | u8 type | u8 flags | chunk_id (32))
//   sealed index  seal(index_key, u32 count | entry * count, ad = repo_id | "pack-index")
//   trailer (12)  u32 sealed_index_len | "CAIRNPKE"
//
//   payload       a zstd frame of the chunk (flags bit 0 set) or the chunk itself (bit 0 clear)
//   entry (50)    chunk_id (32) | u8 type | u8 flags | u64 offset | u32 sealed_len | u32 raw_size
//
// seal() is XChaCha20-Poly1305 with a random nonce: nonce (24) | ciphertext | tag (16).
// A pack's name is the BLAKE2b-256 of its bytes, so any change to any byte is detectable
// without keys; the keyed layers stop forgery by someone who can write the storage.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "compress/zstd.hpp"
#include "crypto/crypto.hpp"
#include "crypto/keys.hpp"
#include "hash/hash.hpp"
#include "io/file.hpp"

namespace cairn::pack {

inline constexpr std::string_view kMagic = "CAIRNPK1";
inline constexpr std::string_view kEndMagic = "CAIRNPKE";
inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::size_t kSealedKeySize = crypto::kBoxSealOverhead + crypto::kKeySize;  // 80
inline constexpr std::size_t kHeaderSize = 8 + 2 + kSealedKeySize;                          // 90
inline constexpr std::size_t kTrailerSize = 4 + 8;
inline constexpr std::size_t kEntrySize = 32 + 1 + 1 + 8 + 4 + 4;  // 50
inline constexpr std::size_t kBlobAdSize = 32 + 1 + 1 + 32;        // 66
inline constexpr std::size_t kRepoIdSize = 32;
// The smallest well-formed pack: header, an empty sealed index (u32 count = 0), trailer.
inline constexpr std::size_t kMinPackSize = kHeaderSize + crypto::kSealOverhead + 4 + kTrailerSize;

// Blob flags. Unknown bits are refused when an index is read.
inline constexpr std::uint8_t kFlagZstd = 1;
inline constexpr std::uint8_t kKnownFlags = kFlagZstd;
// Blob types (the values of repo::BlobType; a pack only checks they are in range).
inline constexpr std::uint8_t kMinType = 1, kMaxType = 2;

struct Entry {
  hash::ChunkId id;
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint64_t offset = 0;      // of the sealed blob in the pack file
  std::uint32_t sealed_len = 0;  // nonce + ciphertext + tag
  std::uint32_t raw_size = 0;    // plaintext size
  bool operator==(const Entry&) const = default;
};

// ---- Entries (shared with repository index files, which list them per pack).

void append_entry(Bytes& out, const Entry& e);
// Decodes `count` entries from the front of `in` and advances it. Each entry is checked with
// check_entry(e, blobs_end). Errc::corrupt (naming `what`) when short or invalid.
Status decode_entries(ByteView& in, std::uint32_t count, std::uint64_t blobs_end,
                      std::vector<Entry>& out, std::string_view what);
// Structural checks on one entry: offset >= kHeaderSize, sealed_len >= the AEAD overhead, known
// type and flags, a raw blob's raw_size equal to its plaintext length, and (when blobs_end != 0)
// the blob inside [kHeaderSize, blobs_end).
Status check_entry(const Entry& e, std::uint64_t blobs_end, std::string_view what);

// ---- Blobs.

using BlobAd = std::array<std::uint8_t, kBlobAdSize>;
BlobAd blob_ad(ByteView repo_id, std::uint8_t type, std::uint8_t flags, const hash::ChunkId& id);

struct Payload {
  std::uint8_t flags = 0;
  ByteView bytes;  // points into `zbuf` (compressed) or at the plaintext (raw)
};
// Compresses `plaintext` into `zbuf` when that saves space; otherwise the payload is the
// plaintext itself.
Result<Payload> make_payload(compress::Compressor& c, ByteView plaintext, Bytes& zbuf);
// out = seal(data_key, payload, blob_ad(...)); `out` is cleared first (its capacity reused).
void seal_payload(ByteView data_key, ByteView repo_id, std::uint8_t type, const hash::ChunkId& id,
                  const Payload& p, Bytes& out);
// Authenticates and decrypts a blob and, when flagged, decompresses it into `out`, refusing a
// raw_size above `max_raw` before any work. Does not re-hash: the caller holds the id key.
// `scratch` holds the compressed payload between the two steps. Errc::corrupt on any failure.
Status open_blob(ByteView data_key, ByteView repo_id, const Entry& e, ByteView sealed,
                 compress::Decompressor& d, std::size_t max_raw, Bytes& scratch, Bytes& out,
                 std::string_view what);

// ---- Writing.

// Streams one pack to an io::Writer (a temporary file): the header at start(), then blobs,
// then the index and trailer at finish(). Hashes every byte as it goes, so finish() knows the
// pack's id without reading the file back. Never holds more than one blob in memory.
class Writer {
 public:
  // Draws a fresh data key, seals it to box_pk and writes the header.
  static Result<Writer> start(io::Writer& out, ByteView repo_id, ByteView box_pk);
  Writer(Writer&&) noexcept = default;

  ByteView data_key() const { return key_.view(); }
  std::uint64_t size() const { return size_; }  // bytes written so far
  std::size_t count() const { return entries_.size(); }

  // Appends a blob sealed with data_key() (see seal_payload) and remembers its entry.
  Status add(const hash::ChunkId& id, std::uint8_t type, std::uint8_t flags, std::uint32_t raw_size,
             ByteView sealed);

  struct Finished {
    hash::PackId id;
    std::uint64_t size = 0;
    std::vector<Entry> entries;
  };
  // Writes the sealed index and the trailer and flushes `out`. The writer is spent afterwards.
  Result<Finished> finish(ByteView index_key);

 private:
  Writer(io::Writer& out, Bytes repo_id, crypto::SecretBytes key)
      : out_(&out), repo_id_(std::move(repo_id)), key_(std::move(key)) {}
  Status emit(ByteView b);

  io::Writer* out_;
  Bytes repo_id_;
  crypto::SecretBytes key_;
  hash::Blake2b hasher_;
  std::uint64_t size_ = 0;
  std::vector<Entry> entries_;
  bool finished_ = false;
};

// ---- Reading. Every function authenticates before it parses and names `what` in errors.

// Checks the magic and version of the first kHeaderSize bytes and opens the data key.
// Errc::corrupt if the header is malformed or the key does not open (a write-only key has no
// box_sk and never opens one).
Result<crypto::SecretBytes> open_data_key(ByteView header, ByteView box_pk, ByteView box_sk,
                                          std::string_view what);
// The same with every box key generation `keys` holds (key rotation: box_sk, then
// keys.older_box); `pk`, when given, receives the public key of the generation that sealed it.
Result<crypto::SecretBytes> open_data_key(ByteView header, const crypto::KeyMaterial& keys,
                                          std::string_view what, Bytes* pk = nullptr);

struct IndexSpan {
  std::uint64_t offset = 0;  // of the sealed index; also the end of the blob area
  std::uint32_t length = 0;
};
// From the last kTrailerSize bytes of a file of `file_size` bytes: where the sealed index is.
Result<IndexSpan> parse_trailer(ByteView tail, std::uint64_t file_size, std::string_view what);

Bytes encode_index(const std::vector<Entry>& entries);  // u32 count | entries (plain)
// Parses a plain index (after authentication); entries must lie in the blob area.
Result<std::vector<Entry>> decode_index(ByteView plain, std::uint64_t blobs_end,
                                        std::string_view what);
// Authenticates (index_key, ad = repo_id | "pack-index") and parses a sealed index.
Result<std::vector<Entry>> open_index(ByteView sealed, ByteView index_key, ByteView repo_id,
                                      std::uint64_t blobs_end, std::string_view what);
// All of the above on a whole pack in memory (verify, fuzzing): header magic, trailer, index.
Result<std::vector<Entry>> read_index(ByteView pack, ByteView index_key, ByteView repo_id,
                                      std::string_view what);

}  // namespace cairn::pack
