#include "pack/pack.hpp"

#include <cassert>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace cairn::pack {

namespace {

constexpr std::string_view kIndexLabel = "pack-index";

Error corrupt(std::string_view what, std::string_view why) {
  return Error{Errc::corrupt, fmt::format("{} is corrupt: {}", what, why)};
}

Bytes index_ad(ByteView repo_id) {
  Bytes ad(repo_id.begin(), repo_id.end());
  append(ad, as_bytes(kIndexLabel));
  return ad;
}

void put_le16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}

std::uint16_t get_le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

}  // namespace

// ---- Entries.

void append_entry(Bytes& out, const Entry& e) {
  append(out, e.id.d.view());
  out.push_back(e.type);
  out.push_back(e.flags);
  put_le64(out, e.offset);
  put_le32(out, e.sealed_len);
  put_le32(out, e.raw_size);
}

Status check_entry(const Entry& e, std::uint64_t blobs_end, std::string_view what) {
  if (e.type < kMinType || e.type > kMaxType)
    return corrupt(what, fmt::format("chunk '{}' has unknown blob type {}", e.id.hex(), e.type));
  if ((e.flags & ~kKnownFlags) != 0)
    return corrupt(what,
                   fmt::format("chunk '{}' has unknown blob flags {:#x}", e.id.hex(), e.flags));
  if (e.sealed_len < crypto::kSealOverhead)
    return corrupt(what,
                   fmt::format("chunk '{}' has an impossible length {}", e.id.hex(), e.sealed_len));
  if (!(e.flags & kFlagZstd) && e.raw_size != e.sealed_len - crypto::kSealOverhead)
    return corrupt(what,
                   fmt::format("chunk '{}' is stored raw but its sizes disagree", e.id.hex()));
  if (e.offset < kHeaderSize)
    return corrupt(what, fmt::format("chunk '{}' overlaps the pack header", e.id.hex()));
  if (e.offset > std::numeric_limits<std::uint64_t>::max() - e.sealed_len)
    return corrupt(what, fmt::format("chunk '{}' has an impossible offset", e.id.hex()));
  if (blobs_end != 0 && e.offset + e.sealed_len > blobs_end)
    return corrupt(what, fmt::format("chunk '{}' lies outside the blob area", e.id.hex()));
  return {};
}

Status decode_entries(ByteView& in, std::uint32_t count, std::uint64_t blobs_end,
                      std::vector<Entry>& out, std::string_view what) {
  if (in.size() / kEntrySize < count) return corrupt(what, "index is shorter than its entry count");
  out.reserve(out.size() + count);
  const std::uint8_t* p = in.data();
  for (std::uint32_t i = 0; i < count; ++i, p += kEntrySize) {
    Entry e;
    std::memcpy(e.id.d.b.data(), p, 32);
    e.type = p[32];
    e.flags = p[33];
    e.offset = get_le64(p + 34);
    e.sealed_len = get_le32(p + 42);
    e.raw_size = get_le32(p + 46);
    CAIRN_TRY(check_entry(e, blobs_end, what));
    out.push_back(e);
  }
  in = in.subspan(std::size_t{count} * kEntrySize);
  return {};
}

// ---- Blobs.

BlobAd blob_ad(ByteView repo_id, std::uint8_t type, std::uint8_t flags, const hash::ChunkId& id) {
  assert(repo_id.size() == kRepoIdSize);
  BlobAd ad{};
  std::memcpy(ad.data(), repo_id.data(), kRepoIdSize);
  ad[32] = type;
  ad[33] = flags;
  std::memcpy(ad.data() + 34, id.d.b.data(), 32);
  return ad;
}

Result<Payload> make_payload(compress::Compressor& c, ByteView plaintext, Bytes& zbuf) {
  CAIRN_TRY_ASSIGN(bool packed, c.compress(plaintext, zbuf));
  if (packed) return Payload{kFlagZstd, ByteView(zbuf)};
  return Payload{0, plaintext};
}

void seal_payload(ByteView data_key, ByteView repo_id, std::uint8_t type, const hash::ChunkId& id,
                  const Payload& p, Bytes& out) {
  const BlobAd ad = blob_ad(repo_id, type, p.flags, id);
  out.clear();
  crypto::seal_append(data_key, p.bytes, ad, out);
}

Status open_blob(ByteView data_key, ByteView repo_id, const Entry& e, ByteView sealed,
                 compress::Decompressor& d, std::size_t max_raw, Bytes& scratch, Bytes& out,
                 std::string_view what) {
  if (sealed.size() != e.sealed_len)
    return corrupt(what, fmt::format("chunk '{}' is truncated ({} of {} bytes)", e.id.hex(),
                                     sealed.size(), e.sealed_len));
  if (e.raw_size > max_raw)
    return corrupt(what, fmt::format("chunk '{}' claims {} bytes, more than the largest chunk ({})",
                                     e.id.hex(), e.raw_size, max_raw));
  const BlobAd ad = blob_ad(repo_id, e.type, e.flags, e.id);
  const auto not_authentic = [&] {
    return corrupt(what, fmt::format("chunk '{}' does not authenticate", e.id.hex()));
  };
  if (!(e.flags & kFlagZstd)) {
    if (!crypto::open_into(data_key, sealed, ad, out, "blob")) return not_authentic();
    if (out.size() != e.raw_size)
      return corrupt(what, fmt::format("chunk '{}' has the wrong size", e.id.hex()));
    return {};
  }
  if (!crypto::open_into(data_key, sealed, ad, scratch, "blob")) return not_authentic();
  out.clear();
  auto st = d.decompress(scratch, e.raw_size, out);
  if (!st)
    return corrupt(
        what, fmt::format("chunk '{}' does not decompress: {}", e.id.hex(), st.error().message));
  return {};
}

// ---- Writing.

Result<Writer> Writer::start(io::Writer& out, ByteView repo_id, ByteView box_pk) {
  assert(repo_id.size() == kRepoIdSize);
  crypto::SecretBytes key(crypto::kKeySize);
  crypto::random_bytes(key.mut());
  Writer w(out, Bytes(repo_id.begin(), repo_id.end()), std::move(key));
  Bytes header;
  header.reserve(kHeaderSize);
  append(header, as_bytes(kMagic));
  put_le16(header, kVersion);
  append(header, crypto::box_seal(box_pk, w.key_.view()));
  assert(header.size() == kHeaderSize);
  CAIRN_TRY(w.emit(header));
  return w;
}

Status Writer::emit(ByteView b) {
  CAIRN_TRY(out_->write(b));
  hasher_.update(b);
  size_ += b.size();
  return {};
}

Status Writer::add(const hash::ChunkId& id, std::uint8_t type, std::uint8_t flags,
                   std::uint32_t raw_size, ByteView sealed) {
  assert(!finished_);
  if (sealed.size() > std::numeric_limits<std::uint32_t>::max())
    return Error{Errc::bad_input, fmt::format("chunk '{}' is too large for a pack", id.hex())};
  Entry e{id, type, flags, size_, static_cast<std::uint32_t>(sealed.size()), raw_size};
  CAIRN_TRY(emit(sealed));
  entries_.push_back(e);
  return {};
}

Result<Writer::Finished> Writer::finish(ByteView index_key) {
  assert(!finished_);
  finished_ = true;
  const Bytes plain = encode_index(entries_);
  Bytes tail = crypto::seal(index_key, plain, index_ad(repo_id_));
  if (tail.size() > std::numeric_limits<std::uint32_t>::max())
    return Error{Errc::bad_input, "pack index is too large"};
  const auto sealed_len = static_cast<std::uint32_t>(tail.size());
  put_le32(tail, sealed_len);
  append(tail, as_bytes(kEndMagic));
  CAIRN_TRY(emit(tail));
  CAIRN_TRY(out_->flush());
  return Finished{hash::PackId{hasher_.finish()}, size_, std::move(entries_)};
}

// ---- Reading.

namespace {

Status check_header(ByteView header, std::string_view what) {
  if (header.size() < kHeaderSize) return corrupt(what, "shorter than a pack header");
  if (as_chars(header.first(8)) != kMagic) return corrupt(what, "not a cairn pack (bad magic)");
  const auto version = get_le16(header.data() + 8);
  if (version != kVersion)
    return Error{Errc::unsupported_format,
                 fmt::format("{}: pack format version {} is not supported", what, version)};
  return {};
}

}  // namespace

Result<crypto::SecretBytes> open_data_key(ByteView header, const crypto::KeyMaterial& keys,
                                          std::string_view what, Bytes* pk) {
  CAIRN_TRY(check_header(header, what));
  if (!keys.can_read()) return Error{Errc::auth, "this key is write-only: it cannot read data"};
  auto key = crypto::open_data_key_any(keys, header.subspan(10, kSealedKeySize), pk);
  if (!key)
    return corrupt(what, keys.newest_box_pk.empty()
                             ? "the data key does not open"
                             : "the data key does not open (sealed under a key generation newer "
                               "than this key's? unlock with a key slot made after the last "
                               "rotation)");
  if (key->size() != crypto::kKeySize) return corrupt(what, "the data key has the wrong size");
  return std::move(*key);
}

Result<crypto::SecretBytes> open_data_key(ByteView header, ByteView box_pk, ByteView box_sk,
                                          std::string_view what) {
  CAIRN_TRY(check_header(header, what));
  if (box_sk.size() != crypto::kBoxSecretKeySize)
    return Error{Errc::auth, "this key is write-only: it cannot read data"};
  auto key = crypto::box_open(box_pk, box_sk, header.subspan(10, kSealedKeySize), what);
  if (!key) return corrupt(what, "the data key does not open");
  if (key->size() != crypto::kKeySize) return corrupt(what, "the data key has the wrong size");
  return std::move(key).value();
}

Result<IndexSpan> parse_trailer(ByteView tail, std::uint64_t file_size, std::string_view what) {
  if (file_size < kMinPackSize || tail.size() != kTrailerSize)
    return corrupt(what, "too short to be a pack");
  if (as_chars(tail.subspan(4)) != kEndMagic) return corrupt(what, "no pack trailer (truncated?)");
  const std::uint32_t len = get_le32(tail.data());
  if (len < crypto::kSealOverhead + 4 || len > file_size - kHeaderSize - kTrailerSize)
    return corrupt(what, "the index length in the trailer is impossible");
  return IndexSpan{file_size - kTrailerSize - len, len};
}

Bytes encode_index(const std::vector<Entry>& entries) {
  Bytes plain;
  plain.reserve(4 + entries.size() * kEntrySize);
  put_le32(plain, static_cast<std::uint32_t>(entries.size()));
  for (const auto& e : entries) append_entry(plain, e);
  return plain;
}

Result<std::vector<Entry>> decode_index(ByteView plain, std::uint64_t blobs_end,
                                        std::string_view what) {
  if (plain.size() < 4) return corrupt(what, "index too short");
  const std::uint32_t count = get_le32(plain.data());
  ByteView rest = plain.subspan(4);
  if (rest.size() != std::size_t{count} * kEntrySize)
    return corrupt(what, "index size does not match its count");
  std::vector<Entry> out;
  CAIRN_TRY(decode_entries(rest, count, blobs_end, out, what));
  return out;
}

Result<std::vector<Entry>> open_index(ByteView sealed, ByteView index_key, ByteView repo_id,
                                      std::uint64_t blobs_end, std::string_view what) {
  auto plain = crypto::open(index_key, sealed, index_ad(repo_id), what);
  if (!plain) return corrupt(what, "the index does not authenticate");
  return decode_index(*plain, blobs_end, what);
}

Result<std::vector<Entry>> read_index(ByteView pack, ByteView index_key, ByteView repo_id,
                                      std::string_view what) {
  if (pack.size() < kMinPackSize) return corrupt(what, "too short to be a pack");
  if (as_chars(pack.first(8)) != kMagic) return corrupt(what, "not a cairn pack (bad magic)");
  if (get_le16(pack.data() + 8) != kVersion)
    return Error{Errc::unsupported_format,
                 fmt::format("{}: pack format version {} is not supported", what,
                             get_le16(pack.data() + 8))};
  CAIRN_TRY_ASSIGN(auto span, parse_trailer(pack.last(kTrailerSize), pack.size(), what));
  return open_index(pack.subspan(span.offset, span.length), index_key, repo_id, span.offset, what);
}

}  // namespace cairn::pack
