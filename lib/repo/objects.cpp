#include "repo/objects.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "repo/parity.hpp"

namespace cairn::repo {

namespace {

using json = nlohmann::json;

constexpr std::size_t kSigSize = crypto::kSignatureSize;
constexpr std::size_t kIdSize = 32;

Error corrupt(std::string_view what, std::string_view why) {
  return Error{Errc::corrupt, fmt::format("{} is corrupt: {}", what, why)};
}

void put_le16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
std::uint16_t get_le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

// Never throws: every string we dump was checked to be UTF-8; `replace` is a second fence.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Field readers over an authenticated JSON object: wrong or missing types are corrupt.
class Fields {
 public:
  Fields(const json& j, std::string_view what) : j_(j), what_(what) {}

  Result<const json*> at(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end()) return corrupt(what_, fmt::format("field '{}' is missing", key));
    return &*it;
  }
  Result<std::string> str(const char* key) const {
    CAIRN_TRY_ASSIGN(const json* v, at(key));
    if (!v->is_string()) return wrong(key);
    return v->get<std::string>();
  }
  Result<std::uint64_t> u64(const char* key) const {
    CAIRN_TRY_ASSIGN(const json* v, at(key));
    if (!v->is_number_unsigned()) return wrong(key);
    return v->get<std::uint64_t>();
  }
  Result<std::int64_t> i64(const char* key) const {
    CAIRN_TRY_ASSIGN(const json* v, at(key));
    if (v->is_number_unsigned()) {
      const auto u = v->get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return wrong(key);
      return static_cast<std::int64_t>(u);
    }
    if (!v->is_number_integer()) return wrong(key);
    return v->get<std::int64_t>();
  }
  Result<bool> boolean(const char* key) const {
    CAIRN_TRY_ASSIGN(const json* v, at(key));
    if (!v->is_boolean()) return wrong(key);
    return v->get<bool>();
  }
  Result<Bytes> hex(const char* key, std::size_t size) const {
    CAIRN_TRY_ASSIGN(std::string s, str(key));
    auto b = from_hex(s);
    if (!b || b->size() != size) return wrong(key);
    return std::move(*b);
  }
  Result<hash::Digest> digest(const json& v, const char* key) const {
    if (!v.is_string()) return wrong(key);
    auto d = hash::Digest::from_hex(v.get_ref<const std::string&>());
    if (!d) return wrong(key);
    return *d;
  }
  // absent (an older writer's object), null or a hex digest
  Result<std::optional<hash::Digest>> absent_or_digest(const char* key) const {
    if (!j_.contains(key)) return std::optional<hash::Digest>{};
    return opt_digest(key);
  }
  // null or a hex digest
  Result<std::optional<hash::Digest>> opt_digest(const char* key) const {
    CAIRN_TRY_ASSIGN(const json* v, at(key));
    if (v->is_null()) return std::optional<hash::Digest>{};
    CAIRN_TRY_ASSIGN(auto d, digest(*v, key));
    return std::optional<hash::Digest>{d};
  }
  Status digest_list(const char* key, std::vector<hash::Digest>& out) const {
    CAIRN_TRY_ASSIGN(const json* v, at(key));
    if (!v->is_array()) return wrong(key);
    out.reserve(v->size());
    for (const auto& e : *v) {
      CAIRN_TRY_ASSIGN(auto d, digest(e, key));
      out.push_back(d);
    }
    return {};
  }
  template <typename Tag>
  Status id_list(const char* key, std::vector<hash::Id<Tag>>& out) const {
    CAIRN_TRY_ASSIGN(const json* v, at(key));
    if (!v->is_array()) return wrong(key);
    out.reserve(v->size());
    for (const auto& e : *v) {
      CAIRN_TRY_ASSIGN(auto d, digest(e, key));
      out.push_back(hash::Id<Tag>{d});
    }
    return {};
  }
  // An array of valid tags (model::check_tag), sorted and unique; absent: empty.
  Status tag_list(const char* key, std::vector<std::string>& out) const {
    auto it = j_.find(key);
    if (it == j_.end()) return {};
    if (!it->is_array()) return wrong(key);
    for (const auto& e : *it) {
      if (!e.is_string() || !model::check_tag(e.get_ref<const std::string&>())) return wrong(key);
      out.push_back(e.get<std::string>());
    }
    model::normalize_tags(out);
    return {};
  }

 private:
  Error wrong(const char* key) const {
    return corrupt(what_, fmt::format("field '{}' is malformed", key));
  }
  const json& j_;
  std::string_view what_;
};

Result<json> parse_object(std::string_view text, std::string_view what) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return corrupt(what, "not a JSON object");
  return j;
}

Bytes concat_ad(ByteView repo_id, std::string_view label, ByteView extra = {}) {
  Bytes ad(repo_id.begin(), repo_id.end());
  append(ad, as_bytes(label));
  append(ad, extra);
  return ad;
}

Status check_utf8(std::string_view s, std::string_view field) {
  if (!is_utf8(s))
    return Error{Errc::bad_input, fmt::format("set field '{}' is not valid UTF-8", field)};
  return {};
}

json digest_array(const std::vector<hash::Digest>& ds) {
  json a = json::array();
  for (const auto& d : ds) a.push_back(d.hex());
  return a;
}

template <typename Tag>
json id_array(const std::vector<hash::Id<Tag>>& ids) {
  json a = json::array();
  for (const auto& i : ids) a.push_back(i.hex());
  return a;
}

}  // namespace

Status validate(const Config& c) {
  if (auto st = c.chunking.validate(); !st) return Error{Errc::bad_input, st.error().message};
  if (c.zstd_level < kMinZstdLevel || c.zstd_level > kMaxZstdLevel)
    return Error{Errc::bad_input, fmt::format("zstd level {} is outside {}..{}", c.zstd_level,
                                              kMinZstdLevel, kMaxZstdLevel)};
  if (c.pack_size < kMinPackSize || c.pack_size > kMaxPackSize)
    return Error{Errc::bad_input, fmt::format("pack size {} is outside {}..{}", c.pack_size,
                                              kMinPackSize, kMaxPackSize)};
  if (!hash::algo_from_name(hash::algo_name(c.chunk_hash)))
    return Error{Errc::bad_input, "unknown chunk hash"};
  if (!c.parity.empty())
    if (auto p = parity::parse_code(c.parity); !p) return Error{Errc::bad_input, p.error().message};
  return {};
}

// ---- config

Bytes encode_config(const Config& c, ByteView sign_sk) {
  json j = {
      {"version", c.version},
      {"repo_id", to_hex(c.repo_id)},
      {"chunker",
       {{"min", c.chunking.min_size}, {"avg", c.chunking.avg_size}, {"max", c.chunking.max_size}}},
      {"chunk_hash", std::string(hash::algo_name(c.chunk_hash))},
      {"zstd_level", c.zstd_level},
      {"pack_size", c.pack_size},
      {"box_pk", to_hex(c.box_pk)},
      {"admin_pk", to_hex(c.sign_pk)},
      {"created", c.created_unix},
  };
  // Only when not a plain level, so that a repository made without it is byte-identical to
  // one made before the field existed (older cairn ignores it and compresses at zstd_level).
  if (c.compression_mode != compress::Setting::Mode::level)
    j["compression"] = c.compression().name();
  if (!c.parity.empty()) j["parity"] = c.parity;  // the same: absent unless chosen
  const std::string text = dump(j);
  Bytes out;
  append(out, as_bytes(kConfigMagic));
  put_le32(out, static_cast<std::uint32_t>(text.size()));
  append(out, as_bytes(text));
  append(out, crypto::sign(sign_sk, out));
  return out;
}

Result<Config> decode_config(ByteView file, ByteView sign_pk, std::string_view what) {
  constexpr std::size_t kFixed = 8 + 4 + kSigSize;
  if (file.size() < kFixed) return corrupt(what, "too short");
  if (as_chars(file.first(8)) != kConfigMagic)
    return corrupt(what, "not a cairn config (bad magic)");
  const std::uint32_t len = get_le32(file.data() + 8);
  if (len > kMaxConfigJson || file.size() != kFixed + len)
    return corrupt(what, "the length does not match");
  const ByteView signed_part = file.first(file.size() - kSigSize);
  if (!crypto::verify(sign_pk, signed_part, file.last(kSigSize)))
    return corrupt(what, "the signature does not verify");
  // Authenticated: now parse.
  CAIRN_TRY_ASSIGN(json j, parse_object(as_chars(file.subspan(12, len)), what));
  Fields f(j, what);
  Config c;
  CAIRN_TRY_ASSIGN(std::uint64_t version, f.u64("version"));
  if (version != static_cast<std::uint64_t>(kFormatVersion))
    return Error{Errc::unsupported_format,
                 fmt::format("{}: repository format {} is not supported (this cairn reads {})",
                             what, version, kFormatVersion)};
  c.version = kFormatVersion;
  CAIRN_TRY_ASSIGN(c.repo_id, f.hex("repo_id", kIdSize));
  CAIRN_TRY_ASSIGN(const json* ch, f.at("chunker"));
  if (!ch->is_object()) return corrupt(what, "field 'chunker' is malformed");
  Fields cf(*ch, what);
  CAIRN_TRY_ASSIGN(std::uint64_t mn, cf.u64("min"));
  CAIRN_TRY_ASSIGN(std::uint64_t avg, cf.u64("avg"));
  CAIRN_TRY_ASSIGN(std::uint64_t mx, cf.u64("max"));
  constexpr std::uint64_t kU32 = std::numeric_limits<std::uint32_t>::max();
  if (mn > kU32 || avg > kU32 || mx > kU32) return corrupt(what, "field 'chunker' is malformed");
  c.chunking = chunker::Params{static_cast<std::uint32_t>(mn), static_cast<std::uint32_t>(avg),
                               static_cast<std::uint32_t>(mx)};
  CAIRN_TRY_ASSIGN(std::string algo, f.str("chunk_hash"));
  auto a = hash::algo_from_name(algo);
  if (!a) return corrupt(what, fmt::format("unknown chunk hash '{}'", algo));
  c.chunk_hash = *a;
  CAIRN_TRY_ASSIGN(std::int64_t level, f.i64("zstd_level"));
  if (level < kMinZstdLevel || level > kMaxZstdLevel)
    return corrupt(what, "field 'zstd_level' is out of range");
  c.zstd_level = static_cast<int>(level);
  if (j.contains("compression")) {  // optional: absent in repositories made before it
    CAIRN_TRY_ASSIGN(std::string mode, f.str("compression"));
    if (mode == "auto")
      c.compression_mode = compress::Setting::Mode::automatic;
    else if (mode == "off")
      c.compression_mode = compress::Setting::Mode::off;
    else
      return corrupt(what, fmt::format("unknown compression '{}'", mode));
  }
  CAIRN_TRY_ASSIGN(c.pack_size, f.u64("pack_size"));
  if (j.contains("parity")) {  // optional, as above
    CAIRN_TRY_ASSIGN(c.parity, f.str("parity"));
  }
  CAIRN_TRY_ASSIGN(c.box_pk, f.hex("box_pk", crypto::kBoxPublicKeySize));
  CAIRN_TRY_ASSIGN(c.sign_pk, f.hex("admin_pk", crypto::kSignPublicKeySize));
  CAIRN_TRY_ASSIGN(c.created_unix, f.i64("created"));
  if (auto st = validate(c); !st) return corrupt(what, st.error().message);
  return c;
}

// ---- index files

// The plaintext is laid out where its ciphertext goes and sealed in place: the file is the
// only copy of the index in memory (50 bytes a chunk), never two.
Bytes encode_index_file(const std::vector<IndexPack>& packs, ByteView index_key, ByteView repo_id) {
  constexpr std::size_t kHead = 10;  // magic and version
  std::size_t n = 4;
  for (const auto& p : packs) n += 36 + p.entries.size() * pack::kEntrySize;
  Bytes out;
  out.reserve(kHead + crypto::kSealOverhead + n);
  append(out, as_bytes(kIndexMagic));
  put_le16(out, kIndexVersion);
  out.resize(kHead + crypto::kNonceSize);  // the nonce's room
  put_le32(out, static_cast<std::uint32_t>(packs.size()));
  for (const auto& p : packs) {
    append(out, p.pack.d.view());
    put_le32(out, static_cast<std::uint32_t>(p.entries.size()));
    for (const auto& e : p.entries) pack::append_entry(out, e);
  }
  out.resize(out.size() + crypto::kTagSize);
  crypto::seal_in_place(index_key, MutByteView(out).subspan(kHead), concat_ad(repo_id, "index"));
  return out;
}

Result<std::vector<IndexPack>> parse_index_plain(ByteView plain, std::string_view what) {
  if (plain.size() < 4) return corrupt(what, "too short");
  const std::uint32_t npacks = get_le32(plain.data());
  ByteView rest = plain.subspan(4);
  if (rest.size() / 36 < npacks) return corrupt(what, "shorter than its pack count");
  std::vector<IndexPack> out;
  out.reserve(npacks);
  for (std::uint32_t i = 0; i < npacks; ++i) {
    if (rest.size() < 36) return corrupt(what, "truncated pack record");
    IndexPack p;
    std::memcpy(p.pack.d.b.data(), rest.data(), 32);
    const std::uint32_t count = get_le32(rest.data() + 32);
    rest = rest.subspan(36);
    CAIRN_TRY(pack::decode_entries(rest, count, 0, p.entries, what));
    out.push_back(std::move(p));
  }
  if (!rest.empty()) return corrupt(what, "trailing bytes after the last pack");
  return out;
}

Result<std::vector<IndexPack>> decode_index_file(ByteView file, ByteView index_key,
                                                 ByteView repo_id, std::string_view what) {
  if (file.size() < 10 + crypto::kSealOverhead) return corrupt(what, "too short");
  if (as_chars(file.first(8)) != kIndexMagic) return corrupt(what, "not a cairn index (bad magic)");
  const auto version = get_le16(file.data() + 8);
  if (version != kIndexVersion)
    return Error{Errc::unsupported_format,
                 fmt::format("{}: index format {} is not supported", what, version)};
  auto plain = crypto::open(index_key, file.subspan(10), concat_ad(repo_id, "index"), what);
  if (!plain) return corrupt(what, "it does not authenticate");
  return parse_index_plain(*plain, what);
}

// ---- signed envelopes (set objects and hold records share one layout, cairn-repository(5))

namespace {

struct Envelope {
  Bytes writer;               // the writer id (Signer::writer), empty for admin records
  ByteView header;            // the signed plaintext JSON
  std::optional<Bytes> body;  // the opened body JSON, when asked for and the key can read
  Bytes sealed_by;            // the box key generation (public key) that opened the body
};

// Who signs an envelope: the writer identity of the key (sets), or the admin key (holds,
// releases, revocations: only full keys hold it).
enum class Signer { writer, admin };

// A set's signer block, between the version and the header length:
//   writer_id (16) | writer_pk (32) | writer_cert (64)
constexpr std::size_t kSignerBlock = crypto::kWriterIdSize + crypto::kSignPublicKeySize + kSigSize;

Result<Bytes> seal_envelope(std::string_view magic, std::uint16_t version, std::string_view label,
                            Signer signer, const std::string& header, const std::string& body,
                            const crypto::KeyMaterial& keys) {
  if (body.size() > std::numeric_limits<std::uint32_t>::max() - crypto::kSealOverhead)
    return Error{Errc::bad_input, fmt::format("{} body is too large", label)};
  if (signer == Signer::admin && !keys.can_admin())
    return Error{Errc::auth,
                 fmt::format("this key is write-only: it cannot sign a {} record", label)};
  crypto::SecretBytes data_key(crypto::kKeySize);
  crypto::random_bytes(data_key.mut());
  Bytes out;
  out.reserve(8 + 2 + kSignerBlock + 4 + header.size() + pack::kSealedKeySize + 4 + body.size() +
              crypto::kSealOverhead + kSigSize);
  append(out, as_bytes(magic));
  put_le16(out, version);
  if (signer == Signer::writer) {
    append(out, keys.writer_id);
    append(out, keys.writer_pk);
    append(out, keys.writer_cert);
  }
  put_le32(out, static_cast<std::uint32_t>(header.size()));
  append(out, as_bytes(header));
  append(out, crypto::box_seal(keys.seal_pk(), data_key.view()));
  put_le32(out, static_cast<std::uint32_t>(body.size() + crypto::kSealOverhead));
  crypto::seal_append(data_key.view(), as_bytes(body),
                      concat_ad(keys.repo_id, label, as_bytes(header)), out);
  append(out,
         crypto::sign(signer == Signer::writer ? keys.writer_sk.view() : keys.sign_sk.view(), out));
  return out;
}

// Verifies the signature before looking at anything else, then the layout; opens the body
// when `want_body` and the key can read.
Result<Envelope> open_envelope(ByteView file, std::string_view magic, std::uint16_t version,
                               std::string_view label, Signer signer,
                               const crypto::KeyMaterial& keys, bool want_body,
                               std::string_view what) {
  const std::size_t block = signer == Signer::writer ? kSignerBlock : 0;
  const std::size_t fixed = 8 + 2 + block + 4 + pack::kSealedKeySize + 4 + kSigSize;
  if (file.size() < 10) return corrupt(what, "too short");
  if (as_chars(file.first(8)) != magic)
    return corrupt(what, fmt::format("not a cairn {} (bad magic)", label));
  // The version is read before anything is authenticated only to name it in a refusal.
  const auto v = get_le16(file.data() + 8);
  if (v != version)
    return Error{Errc::unsupported_format,
                 fmt::format("{}: {} format {} is not supported (this cairn reads {})", what, label,
                             v, version)};
  if (file.size() < fixed) return corrupt(what, "too short");
  const ByteView signed_part = file.first(file.size() - kSigSize);
  Envelope env;
  if (signer == Signer::writer) {
    // The admin key certifies the writer; the writer signs the object.
    const ByteView wid = file.subspan(10, crypto::kWriterIdSize);
    const ByteView wpk = file.subspan(10 + crypto::kWriterIdSize, crypto::kSignPublicKeySize);
    const ByteView cert =
        file.subspan(10 + crypto::kWriterIdSize + crypto::kSignPublicKeySize, kSigSize);
    if (!crypto::verify(keys.sign_pk, crypto::writer_cert_message(keys.repo_id, wid, wpk), cert))
      return corrupt(what, "its writer is not certified by this repository's admin key");
    if (!crypto::verify(wpk, signed_part, file.last(kSigSize)))
      return corrupt(what, "the signature does not verify");
    env.writer.assign(wid.begin(), wid.end());
  } else if (!crypto::verify(keys.sign_pk, signed_part, file.last(kSigSize))) {
    return corrupt(
        what, "the signature does not verify (it was not signed with this repository's admin key)");
  }
  const std::size_t hat = 10 + block;
  const std::uint32_t hlen = get_le32(file.data() + hat);
  if (hlen > kMaxSetHeaderJson || hlen > file.size() - fixed)
    return corrupt(what, "the header length is impossible");
  env.header = file.subspan(hat + 4, hlen);
  const ByteView sealed_key = file.subspan(hat + 4 + hlen, pack::kSealedKeySize);
  const std::size_t body_at = hat + 4 + hlen + pack::kSealedKeySize;
  const std::uint32_t blen = get_le32(file.data() + body_at);
  if (blen < crypto::kSealOverhead || std::size_t{blen} != signed_part.size() - body_at - 4)
    return corrupt(what, "the body length does not match");
  if (!want_body || !keys.can_read()) return env;
  auto data_key = crypto::open_data_key_any(keys, sealed_key, &env.sealed_by);
  if (!data_key)
    return corrupt(what,
                   keys.newest_box_pk.empty()
                       ? "the data key does not open"
                       : "the data key does not open (sealed under a key generation newer than "
                         "this key's? unlock with a key slot made after the last rotation)");
  auto body = crypto::open(data_key->view(), file.subspan(body_at + 4, blen),
                           concat_ad(keys.repo_id, label, env.header), what);
  if (!body) return corrupt(what, "the body does not authenticate");
  env.body = std::move(*body);
  return env;
}

Status check_repo_id(Fields& f, ByteView repo_id, std::string_view what) {
  CAIRN_TRY_ASSIGN(Bytes rid, f.hex("repo_id", kIdSize));
  if (!std::equal(rid.begin(), rid.end(), repo_id.begin(), repo_id.end()))
    return corrupt(what, "it belongs to another repository");
  return {};
}

// The header of an admin record about one set (hold and tag records): {repo_id, set, time_ns}.
std::string set_record_header(const crypto::KeyMaterial& keys, const hash::SetId& set,
                              std::int64_t time_ns) {
  return dump(json{{"repo_id", to_hex(keys.repo_id)}, {"set", set.hex()}, {"time_ns", time_ns}});
}

Status parse_set_record_header(const Envelope& env, const crypto::KeyMaterial& keys,
                               std::string_view what, hash::SetId& set, std::int64_t& time_ns) {
  CAIRN_TRY_ASSIGN(json j, parse_object(as_chars(env.header), what));
  Fields f(j, what);
  CAIRN_TRY(check_repo_id(f, keys.repo_id, what));
  CAIRN_TRY_ASSIGN(auto id, f.opt_digest("set"));
  if (!id) return corrupt(what, "it names no set");
  set = hash::SetId{*id};
  CAIRN_TRY_ASSIGN(time_ns, f.i64("time_ns"));
  return {};
}

// The header of an admin record about no one set (move and erasure records): {repo_id,
// time_ns}.
std::string time_record_header(const crypto::KeyMaterial& keys, std::int64_t time_ns) {
  return dump(json{{"repo_id", to_hex(keys.repo_id)}, {"time_ns", time_ns}});
}

Result<std::int64_t> parse_time_record_header(const Envelope& env, const crypto::KeyMaterial& keys,
                                              std::string_view what) {
  CAIRN_TRY_ASSIGN(json h, parse_object(as_chars(env.header), what));
  Fields hf(h, what);
  CAIRN_TRY(check_repo_id(hf, keys.repo_id, what));
  return hf.i64("time_ns");
}

}  // namespace

// ---- set objects

Result<Bytes> encode_set(const SetHeader& h, const SetBody& b, const crypto::KeyMaterial& keys) {
  CAIRN_TRY(check_utf8(b.source, "source"));
  CAIRN_TRY(check_utf8(b.host, "host"));
  CAIRN_TRY(check_utf8(b.retention_class, "retention_class"));
  CAIRN_TRY(check_utf8(b.hold_reason, "hold_reason"));
  json hj = {
      {"repo_id", to_hex(keys.repo_id)},
      {"seq", h.seq},
      {"prev", h.prev ? json(h.prev->hex()) : json(nullptr)},
      {"time_ns", h.time_ns},
  };
  // cairn copy: only in copied sets, so every other set stays byte for byte what older cairn
  // wrote (and older cairn, which ignores fields it does not know, still reads these).
  if (b.copy_mark) hj["copy_mark"] = b.copy_mark->hex();
  json bj = {
      {"source", b.source},
      {"host", b.host},
      {"retention_class", b.retention_class},
      {"kind", model::to_string(b.kind)},
      {"parent", b.parent ? json(b.parent->hex()) : json(nullptr)},
      {"started_ns", b.started_ns},
      {"ended_ns", b.ended_ns},
      {"files", b.files},
      {"bytes_read", b.bytes_read},
      {"bytes_new", b.bytes_new},
      {"bytes_stored", b.bytes_stored},
      {"manifest", id_array(b.manifest)},
      {"manifest_proofs", digest_array(b.manifest_proofs)},
      {"manifest_size", b.manifest_size},
      {"packs", id_array(b.packs)},
      {"legal_hold", b.legal_hold},
      {"hold_reason", b.hold_reason},
  };
  if (b.manifest_proofs.size() != b.manifest.size())
    return Error{Errc::bad_input, "set body: one manifest proof per manifest chunk is needed"};
  // Only when there are tags: a set without tags stays byte for byte what older cairn wrote.
  for (const auto& t : b.tags) CAIRN_TRY(model::check_tag(t));
  if (!b.tags.empty()) bj["tags"] = b.tags;
  if (b.copied_from) bj["copied_from"] = b.copied_from->hex();
  return seal_envelope(kSetMagic, kSetVersion, "set", Signer::writer, dump(hj), dump(bj), keys);
}

Result<SetHeader> parse_set_header(std::string_view text, ByteView repo_id, std::string_view what) {
  CAIRN_TRY_ASSIGN(json j, parse_object(text, what));
  Fields f(j, what);
  CAIRN_TRY(check_repo_id(f, repo_id, what));
  SetHeader h;
  CAIRN_TRY_ASSIGN(h.seq, f.u64("seq"));
  if (h.seq < 1 || h.seq > kMaxSeq)
    return corrupt(what, fmt::format("its sequence number {} is outside 1..{}", h.seq, kMaxSeq));
  CAIRN_TRY_ASSIGN(auto prev, f.opt_digest("prev"));
  if (prev) h.prev = hash::SetId{*prev};
  CAIRN_TRY_ASSIGN(h.time_ns, f.i64("time_ns"));
  CAIRN_TRY_ASSIGN(h.copy_mark, f.absent_or_digest("copy_mark"));
  return h;
}

Result<SetBody> parse_set_body(std::string_view text, std::string_view what) {
  CAIRN_TRY_ASSIGN(json j, parse_object(text, what));
  Fields f(j, what);
  SetBody b;
  CAIRN_TRY_ASSIGN(b.source, f.str("source"));
  CAIRN_TRY_ASSIGN(b.host, f.str("host"));
  CAIRN_TRY_ASSIGN(b.retention_class, f.str("retention_class"));
  CAIRN_TRY_ASSIGN(const std::string kind, f.str("kind"));
  auto k = model::parse_set_kind(kind);
  if (!k) return corrupt(what, k.error().message);
  b.kind = *k;
  CAIRN_TRY_ASSIGN(auto parent, f.opt_digest("parent"));
  if (parent) b.parent = hash::SetId{*parent};
  CAIRN_TRY_ASSIGN(b.started_ns, f.i64("started_ns"));
  CAIRN_TRY_ASSIGN(b.ended_ns, f.i64("ended_ns"));
  CAIRN_TRY_ASSIGN(b.files, f.u64("files"));
  CAIRN_TRY_ASSIGN(b.bytes_read, f.u64("bytes_read"));
  CAIRN_TRY_ASSIGN(b.bytes_new, f.u64("bytes_new"));
  CAIRN_TRY_ASSIGN(b.bytes_stored, f.u64("bytes_stored"));
  CAIRN_TRY(f.id_list("manifest", b.manifest));
  CAIRN_TRY(f.digest_list("manifest_proofs", b.manifest_proofs));
  if (b.manifest_proofs.size() != b.manifest.size())
    return corrupt(what, "it has not one manifest proof per manifest chunk");
  CAIRN_TRY_ASSIGN(b.manifest_size, f.u64("manifest_size"));
  CAIRN_TRY(f.id_list("packs", b.packs));
  CAIRN_TRY_ASSIGN(b.legal_hold, f.boolean("legal_hold"));
  CAIRN_TRY_ASSIGN(b.hold_reason, f.str("hold_reason"));
  CAIRN_TRY(f.tag_list("tags", b.tags));
  CAIRN_TRY_ASSIGN(auto from, f.absent_or_digest("copied_from"));
  if (from) b.copied_from = hash::SetId{*from};
  return b;
}

Result<DecodedSet> decode_set(ByteView file, const crypto::KeyMaterial& keys, bool want_body,
                              std::string_view what) {
  CAIRN_TRY_ASSIGN(Envelope env, open_envelope(file, kSetMagic, kSetVersion, "set", Signer::writer,
                                               keys, want_body, what));
  DecodedSet out;
  CAIRN_TRY_ASSIGN(out.header, parse_set_header(as_chars(env.header), keys.repo_id, what));
  out.header.writer = std::move(env.writer);
  out.sealed_by = std::move(env.sealed_by);
  if (!env.body) return out;
  CAIRN_TRY_ASSIGN(SetBody b, parse_set_body(as_chars(*env.body), what));
  out.body = std::move(b);
  return out;
}

// ---- hold records and revocations: signed by the admin key (only full keys hold it)

Result<Bytes> encode_hold(const HoldRecord& r, const crypto::KeyMaterial& keys) {
  if (!keys.can_admin())
    return Error{Errc::auth, "this key is write-only: it cannot write hold records"};
  CAIRN_TRY(check_utf8(r.reason, "reason"));
  CAIRN_TRY(check_utf8(r.user, "user"));
  CAIRN_TRY(check_utf8(r.host, "host"));
  const json bj = {
      {"hold", r.hold},
      {"reason", r.reason},
      {"user", r.user},
      {"host", r.host},
  };
  return seal_envelope(kHoldMagic, kHoldVersion, "hold", Signer::admin,
                       set_record_header(keys, r.set, r.time_ns), dump(bj), keys);
}

Result<HoldRecord> decode_hold(ByteView file, const crypto::KeyMaterial& keys,
                               std::string_view what) {
  if (!keys.can_read())
    return Error{Errc::auth, "this key is write-only: it cannot read hold records"};
  CAIRN_TRY_ASSIGN(Envelope env, open_envelope(file, kHoldMagic, kHoldVersion, "hold",
                                               Signer::admin, keys, true, what));
  HoldRecord r;
  CAIRN_TRY(parse_set_record_header(env, keys, what, r.set, r.time_ns));
  CAIRN_TRY_ASSIGN(json j, parse_object(as_chars(*env.body), what));
  Fields f(j, what);
  CAIRN_TRY_ASSIGN(r.hold, f.boolean("hold"));
  CAIRN_TRY_ASSIGN(r.reason, f.str("reason"));
  CAIRN_TRY_ASSIGN(r.user, f.str("user"));
  CAIRN_TRY_ASSIGN(r.host, f.str("host"));
  return r;
}

Result<Bytes> encode_tag_record(const TagRecord& r, const crypto::KeyMaterial& keys) {
  if (!keys.can_admin())
    return Error{Errc::auth, "this key is write-only: it cannot write tag records"};
  for (const auto* list : {&r.add, &r.remove})
    for (const auto& t : *list) CAIRN_TRY(model::check_tag(t));
  CAIRN_TRY(check_utf8(r.user, "user"));
  CAIRN_TRY(check_utf8(r.host, "host"));
  const json bj = {{"add", r.add}, {"remove", r.remove}, {"user", r.user}, {"host", r.host}};
  return seal_envelope(kTagMagic, kTagVersion, "tag", Signer::admin,
                       set_record_header(keys, r.set, r.time_ns), dump(bj), keys);
}

Result<TagRecord> decode_tag_record(ByteView file, const crypto::KeyMaterial& keys,
                                    std::string_view what) {
  if (!keys.can_read())
    return Error{Errc::auth, "this key is write-only: it cannot read tag records"};
  CAIRN_TRY_ASSIGN(Envelope env, open_envelope(file, kTagMagic, kTagVersion, "tag", Signer::admin,
                                               keys, true, what));
  TagRecord r;
  CAIRN_TRY(parse_set_record_header(env, keys, what, r.set, r.time_ns));
  CAIRN_TRY_ASSIGN(json j, parse_object(as_chars(*env.body), what));
  Fields f(j, what);
  CAIRN_TRY(f.at("add"));
  CAIRN_TRY(f.at("remove"));
  CAIRN_TRY(f.tag_list("add", r.add));
  CAIRN_TRY(f.tag_list("remove", r.remove));
  CAIRN_TRY_ASSIGN(r.user, f.str("user"));
  CAIRN_TRY_ASSIGN(r.host, f.str("host"));
  return r;
}

Result<Bytes> encode_move_record(const MoveRecord& r, const crypto::KeyMaterial& keys) {
  if (!keys.can_admin())
    return Error{Errc::auth, "this key is write-only: it cannot write move records"};
  CAIRN_TRY(check_utf8(r.user, "user"));
  CAIRN_TRY(check_utf8(r.host, "host"));
  json moves = json::array();
  for (const auto& m : r.moves)
    moves.push_back(
        {{"from", m.from.hex()}, {"to", id_array(m.to)}, {"chunks", id_array(m.chunks)}});
  const json bj = {
      {"sets", id_array(r.sets)}, {"moves", moves}, {"user", r.user}, {"host", r.host}};
  return seal_envelope(kMoveMagic, kMoveVersion, "move", Signer::admin,
                       time_record_header(keys, r.time_ns), dump(bj), keys);
}

Result<MoveRecord> decode_move_record(ByteView file, const crypto::KeyMaterial& keys,
                                      std::string_view what) {
  if (!keys.can_read())
    return Error{Errc::auth, "this key is write-only: it cannot read move records"};
  CAIRN_TRY_ASSIGN(Envelope env, open_envelope(file, kMoveMagic, kMoveVersion, "move",
                                               Signer::admin, keys, true, what));
  MoveRecord r;
  CAIRN_TRY_ASSIGN(r.time_ns, parse_time_record_header(env, keys, what));
  CAIRN_TRY_ASSIGN(json j, parse_object(as_chars(*env.body), what));
  Fields f(j, what);
  CAIRN_TRY(f.id_list("sets", r.sets));
  std::sort(r.sets.begin(), r.sets.end());
  CAIRN_TRY_ASSIGN(const json* moves, f.at("moves"));
  if (!moves->is_array()) return corrupt(what, "field 'moves' is malformed");
  for (const auto& m : *moves) {
    if (!m.is_object()) return corrupt(what, "field 'moves' is malformed");
    Fields mf(m, what);
    PackMove pm;
    CAIRN_TRY_ASSIGN(const json* from, mf.at("from"));
    CAIRN_TRY_ASSIGN(auto d, mf.digest(*from, "from"));
    pm.from = hash::PackId{d};
    CAIRN_TRY(mf.id_list("to", pm.to));
    CAIRN_TRY(mf.id_list("chunks", pm.chunks));
    if (pm.to.empty() || pm.chunks.empty() ||
        std::find(pm.to.begin(), pm.to.end(), pm.from) != pm.to.end())
      return corrupt(
          what, fmt::format("its move of pack {} names no other pack or no chunk", pm.from.hex()));
    r.moves.push_back(std::move(pm));
  }
  CAIRN_TRY_ASSIGN(r.user, f.str("user"));
  CAIRN_TRY_ASSIGN(r.host, f.str("host"));
  return r;
}

Result<Bytes> encode_erasure_record(const ErasureRecord& r, const crypto::KeyMaterial& keys) {
  if (!keys.can_admin())
    return Error{Errc::auth, "this key is write-only: it cannot write erasure records"};
  CAIRN_TRY(check_utf8(r.user, "user"));
  CAIRN_TRY(check_utf8(r.host, "host"));
  json sets = json::array();
  for (const auto& [from, to] : r.sets) sets.push_back({from.hex(), to.hex()});
  for (const auto& p : r.patterns) CAIRN_TRY(check_utf8(p, "pattern hash"));
  const json bj = {{"sets", sets},
                   {"patterns", r.patterns},
                   {"entries", r.entries},
                   {"user", r.user},
                   {"host", r.host}};
  return seal_envelope(kErasureMagic, kErasureVersion, "erasure", Signer::admin,
                       time_record_header(keys, r.time_ns), dump(bj), keys);
}

Result<ErasureRecord> decode_erasure_record(ByteView file, const crypto::KeyMaterial& keys,
                                            std::string_view what) {
  if (!keys.can_read())
    return Error{Errc::auth, "this key is write-only: it cannot read erasure records"};
  CAIRN_TRY_ASSIGN(Envelope env, open_envelope(file, kErasureMagic, kErasureVersion, "erasure",
                                               Signer::admin, keys, true, what));
  ErasureRecord r;
  CAIRN_TRY_ASSIGN(r.time_ns, parse_time_record_header(env, keys, what));
  CAIRN_TRY_ASSIGN(json j, parse_object(as_chars(*env.body), what));
  Fields f(j, what);
  CAIRN_TRY_ASSIGN(const json* sets, f.at("sets"));
  if (!sets->is_array()) return corrupt(what, "field 'sets' is malformed");
  for (const auto& pair : *sets) {
    if (!pair.is_array() || pair.size() != 2) return corrupt(what, "field 'sets' is malformed");
    CAIRN_TRY_ASSIGN(auto from, f.digest(pair[0], "sets"));
    CAIRN_TRY_ASSIGN(auto to, f.digest(pair[1], "sets"));
    r.sets.emplace_back(hash::SetId{from}, hash::SetId{to});
  }
  CAIRN_TRY_ASSIGN(const json* pats, f.at("patterns"));
  if (!pats->is_array()) return corrupt(what, "field 'patterns' is malformed");
  for (const auto& p : *pats) {
    if (!p.is_string()) return corrupt(what, "field 'patterns' is malformed");
    r.patterns.push_back(p.get<std::string>());
  }
  CAIRN_TRY_ASSIGN(r.entries, f.u64("entries"));
  CAIRN_TRY_ASSIGN(r.user, f.str("user"));
  CAIRN_TRY_ASSIGN(r.host, f.str("host"));
  return r;
}

bool is_erasure_record(ByteView file) {
  return file.size() >= 8 && as_chars(file.first(8)) == kErasureMagic;
}

bool is_move_record(ByteView file) {
  return file.size() >= 8 && as_chars(file.first(8)) == kMoveMagic;
}

bool is_tag_record(ByteView file) {
  return file.size() >= 8 && as_chars(file.first(8)) == kTagMagic;
}

bool is_config_copy(ByteView file) {
  return file.size() >= 8 && as_chars(file.first(8)) == kConfigMagic;
}

bool is_revocation(ByteView file) {
  return file.size() >= 8 && as_chars(file.first(8)) == kRevocationMagic;
}

Result<Bytes> encode_revocation(const Revocation& r, const crypto::KeyMaterial& keys) {
  if (!keys.can_admin())
    return Error{Errc::auth, "this key is write-only: it cannot revoke a writer"};
  if (r.writer.size() != crypto::kWriterIdSize)
    return Error{Errc::bad_input, "a writer id has 16 bytes"};
  CAIRN_TRY(check_utf8(r.reason, "reason"));
  json hj = {
      {"repo_id", to_hex(keys.repo_id)},
      {"writer", to_hex(r.writer)},
      {"time_ns", r.time_ns},
      {"keep", id_array(r.keep)},
  };
  const json bj = {{"reason", r.reason}};
  return seal_envelope(kRevocationMagic, kRevocationVersion, "revocation", Signer::admin, dump(hj),
                       dump(bj), keys);
}

Result<Revocation> decode_revocation(ByteView file, const crypto::KeyMaterial& keys,
                                     std::string_view what) {
  CAIRN_TRY_ASSIGN(Envelope env, open_envelope(file, kRevocationMagic, kRevocationVersion,
                                               "revocation", Signer::admin, keys, true, what));
  Revocation r;
  CAIRN_TRY_ASSIGN(json j, parse_object(as_chars(env.header), what));
  Fields f(j, what);
  CAIRN_TRY(check_repo_id(f, keys.repo_id, what));
  CAIRN_TRY_ASSIGN(r.writer, f.hex("writer", crypto::kWriterIdSize));
  CAIRN_TRY_ASSIGN(r.time_ns, f.i64("time_ns"));
  CAIRN_TRY(f.id_list("keep", r.keep));
  if (env.body) {
    CAIRN_TRY_ASSIGN(json b, parse_object(as_chars(*env.body), what));
    Fields bf(b, what);
    CAIRN_TRY_ASSIGN(r.reason, bf.str("reason"));
  }
  return r;
}

// ---- key rotation records: header {repo_id, box_pk, prev, time_ns}, the body (sealed to the
// new box_pk, so only a holder of the new generation opens it) {prev_sk, user, host}.

bool is_rotation(ByteView file) {
  return file.size() >= 8 && as_chars(file.first(8)) == kRotationMagic;
}

Result<Bytes> encode_rotation(const Rotation& r, ByteView new_sk, const crypto::KeyMaterial& keys) {
  if (!keys.can_admin())
    return Error{Errc::auth, "this key is write-only: it cannot rotate the repository's keys"};
  if (r.box_pk.size() != crypto::kBoxPublicKeySize ||
      r.prev_pk.size() != crypto::kBoxPublicKeySize || new_sk.size() != crypto::kBoxSecretKeySize ||
      r.prev_sk.size() != crypto::kBoxSecretKeySize)
    return Error{Errc::bad_input, "a rotation record needs 32-byte box keys"};
  CAIRN_TRY(check_utf8(r.user, "user"));
  CAIRN_TRY(check_utf8(r.host, "host"));
  const json hj = {{"repo_id", to_hex(keys.repo_id)},
                   {"box_pk", to_hex(r.box_pk)},
                   {"prev", to_hex(r.prev_pk)},
                   {"time_ns", r.time_ns}};
  const json bj = {{"prev_sk", to_hex(r.prev_sk.view())}, {"user", r.user}, {"host", r.host}};
  // Sealed to the new generation only: a holder of an older key cannot read it.
  crypto::KeyMaterial sealer = keys.clone();
  sealer.newest_box_pk = r.box_pk;
  if (crypto::box_public_of(new_sk) != r.box_pk)
    return Error{Errc::bad_input, "a rotation record's new secret key must match its public key"};
  return seal_envelope(kRotationMagic, kRotationVersion, "rotation", Signer::admin, dump(hj),
                       dump(bj), sealer);
}

Result<Rotation> decode_rotation(ByteView file, const crypto::KeyMaterial& keys,
                                 const crypto::BoxGeneration* opener, std::string_view what) {
  // The admin signature is checked (with keys.sign_pk) before anything else; the body is
  // opened only with `opener`, the generation the record introduces.
  crypto::KeyMaterial reader;
  reader.repo_id = keys.repo_id;
  reader.sign_pk = keys.sign_pk;
  reader.caps = crypto::Caps::full;
  if (opener) {
    reader.box_pk = opener->pk;
    reader.box_sk = crypto::SecretBytes::copy_of(opener->sk.view());
  }
  CAIRN_TRY_ASSIGN(Envelope env, open_envelope(file, kRotationMagic, kRotationVersion, "rotation",
                                               Signer::admin, reader, opener != nullptr, what));
  Rotation r;
  CAIRN_TRY_ASSIGN(json j, parse_object(as_chars(env.header), what));
  Fields f(j, what);
  CAIRN_TRY(check_repo_id(f, keys.repo_id, what));
  CAIRN_TRY_ASSIGN(r.box_pk, f.hex("box_pk", crypto::kBoxPublicKeySize));
  CAIRN_TRY_ASSIGN(r.prev_pk, f.hex("prev", crypto::kBoxPublicKeySize));
  CAIRN_TRY_ASSIGN(r.time_ns, f.i64("time_ns"));
  if (opener && opener->pk != r.box_pk)
    return corrupt(what, "it does not introduce the key it was opened with");
  if (env.body) {
    CAIRN_TRY_ASSIGN(json b, parse_object(as_chars(*env.body), what));
    Fields bf(b, what);
    CAIRN_TRY_ASSIGN(Bytes sk, bf.hex("prev_sk", crypto::kBoxSecretKeySize));
    r.prev_sk = crypto::SecretBytes::copy_of(sk);
    std::fill(sk.begin(), sk.end(), std::uint8_t{0});
    CAIRN_TRY_ASSIGN(r.user, bf.str("user"));
    CAIRN_TRY_ASSIGN(r.host, bf.str("host"));
    // The previous generation's secret key must be the one its public key names.
    if (crypto::box_public_of(r.prev_sk.view()) != r.prev_pk)
      return corrupt(what, "its previous secret key does not match the previous public key");
  }
  return r;
}

}  // namespace cairn::repo
