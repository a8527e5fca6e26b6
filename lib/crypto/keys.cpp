#include "crypto/keys.hpp"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>

#include <utility>

#include <fmt/format.h>

namespace cairn::crypto {

namespace {

constexpr std::string_view kMagic = "CAIRNKEY";
constexpr std::size_t kIdSize = 32;
constexpr std::size_t kSymKeySize = 32;

// Offsets inside the material (see keys.hpp).
constexpr std::size_t kOffRepoId = 0;
constexpr std::size_t kOffCaps = kOffRepoId + kIdSize;
constexpr std::size_t kOffBoxPk = kOffCaps + 1;
constexpr std::size_t kOffBoxSk = kOffBoxPk + kBoxPublicKeySize;
constexpr std::size_t kOffSignPk = kOffBoxSk + kBoxSecretKeySize;
constexpr std::size_t kOffSignSk = kOffSignPk + kSignPublicKeySize;
constexpr std::size_t kOffWriterId = kOffSignSk + kSignSecretKeySize;
constexpr std::size_t kOffWriterPk = kOffWriterId + kWriterIdSize;
constexpr std::size_t kOffWriterSk = kOffWriterPk + kSignPublicKeySize;
constexpr std::size_t kOffWriterCert = kOffWriterSk + kSignSecretKeySize;
constexpr std::size_t kOffChunkIdKey = kOffWriterCert + kSignatureSize;
constexpr std::size_t kOffGearSeed = kOffChunkIdKey + kSymKeySize;
constexpr std::size_t kOffIndexKey = kOffGearSeed + kSymKeySize;
static_assert(kOffIndexKey + kSymKeySize == kMaterialSize);
static_assert(kSlotHeaderSize == 42);

SecretBytes random_secret(std::size_t n) {
  SecretBytes s(n);
  random_bytes(s.mut());
  return s;
}

void put(MutByteView dst, std::size_t off, ByteView src) {
  assert(off + src.size() <= dst.size());
  if (!src.empty()) std::memcpy(dst.data() + off, src.data(), src.size());
}

Bytes header_bytes(const KdfParams& p) {
  Bytes h;
  h.reserve(kSlotHeaderSize);
  append(h, as_bytes(kMagic));
  h.push_back(static_cast<std::uint8_t>(kSlotVersion & 0xff));
  h.push_back(static_cast<std::uint8_t>(kSlotVersion >> 8));
  put_le64(h, p.ops);
  put_le64(h, p.mem);
  append(h, p.salt);
  assert(h.size() == kSlotHeaderSize);
  return h;
}

SecretBytes serialize(const KeyMaterial& m) {
  assert(m.repo_id.size() == kIdSize && m.box_pk.size() == kBoxPublicKeySize);
  assert(m.sign_pk.size() == kSignPublicKeySize && m.sign_sk.size() == kSignSecretKeySize);
  assert(m.chunk_id_key.size() == kSymKeySize && m.gear_seed.size() == kSymKeySize);
  assert(m.index_key.size() == kSymKeySize);
  assert(m.caps != Caps::full || m.box_sk.size() == kBoxSecretKeySize);
  assert(m.writer_id.size() == kWriterIdSize && m.writer_pk.size() == kSignPublicKeySize);
  assert(m.writer_sk.size() == kSignSecretKeySize && m.writer_cert.size() == kSignatureSize);
  SecretBytes out(kMaterialSize);  // zero-filled: box_sk stays zeros when write-only
  MutByteView b = out.mut();
  put(b, kOffRepoId, m.repo_id);
  b[kOffCaps] = static_cast<std::uint8_t>(m.caps);
  put(b, kOffBoxPk, m.box_pk);
  if (m.caps == Caps::full) put(b, kOffBoxSk, m.box_sk.view());
  put(b, kOffSignPk, m.sign_pk);
  if (m.caps == Caps::full) put(b, kOffSignSk, m.sign_sk.view());
  put(b, kOffWriterId, m.writer_id);
  put(b, kOffWriterPk, m.writer_pk);
  put(b, kOffWriterSk, m.writer_sk.view());
  put(b, kOffWriterCert, m.writer_cert);
  put(b, kOffChunkIdKey, m.chunk_id_key.view());
  put(b, kOffGearSeed, m.gear_seed.view());
  put(b, kOffIndexKey, m.index_key.view());
  return out;
}

Error corrupt(std::string_view what, std::string_view why) {
  return Error{Errc::corrupt, fmt::format("key slot '{}' {}", what, why)};
}

bool signing_pair_matches(ByteView pk, ByteView sk) {
  SecretBytes seed(crypto_sign_SEEDBYTES), sk2(kSignSecretKeySize);
  Bytes pk2(kSignPublicKeySize);
  crypto_sign_ed25519_sk_to_seed(seed.data(), sk.data());
  crypto_sign_seed_keypair(pk2.data(), sk2.data(), seed.data());
  return equal(pk2, pk) && equal(sk2.view(), sk);
}

// A new writer identity for `m`, certified by its admin key.
void new_writer(KeyMaterial& m) {
  assert(m.can_admin());
  m.writer_id.resize(kWriterIdSize);
  random_bytes(m.writer_id);
  SignKeyPair w = sign_keypair();
  m.writer_pk = std::move(w.pk);
  m.writer_sk = std::move(w.sk);
  m.writer_cert = sign(m.sign_sk.view(), writer_cert_message(m.repo_id, m.writer_id, m.writer_pk));
}

// `b` has been authenticated; still refuse anything seal_slot would not have written.
Result<KeyMaterial> parse_material(ByteView b, std::string_view what) {
  assert(b.size() == kMaterialSize);
  auto field = [&](std::size_t off, std::size_t n) { return b.subspan(off, n); };
  KeyMaterial m;
  const std::uint8_t caps = b[kOffCaps];
  if (caps != static_cast<std::uint8_t>(Caps::full) &&
      caps != static_cast<std::uint8_t>(Caps::write_only))
    return corrupt(what, fmt::format("has unknown capabilities {}", caps));
  m.caps = static_cast<Caps>(caps);
  const ByteView id = field(kOffRepoId, kIdSize);
  m.repo_id.assign(id.begin(), id.end());
  const ByteView box_pk = field(kOffBoxPk, kBoxPublicKeySize);
  m.box_pk.assign(box_pk.begin(), box_pk.end());
  const ByteView box_sk = field(kOffBoxSk, kBoxSecretKeySize);
  if (m.caps == Caps::full) {
    Bytes derived(kBoxPublicKeySize);
    if (crypto_scalarmult_base(derived.data(), box_sk.data()) != 0 || !equal(derived, box_pk))
      return corrupt(what, "has a box public key that does not match its secret key");
    m.box_sk = SecretBytes::copy_of(box_sk);
  } else if (!sodium_is_zero(box_sk.data(), box_sk.size())) {
    return corrupt(what, "is write-only but holds a box secret key");
  }
  const ByteView sign_pk = field(kOffSignPk, kSignPublicKeySize);
  m.sign_pk.assign(sign_pk.begin(), sign_pk.end());
  const ByteView sign_sk = field(kOffSignSk, kSignSecretKeySize);
  if (m.caps == Caps::full) {
    m.sign_sk = SecretBytes::copy_of(sign_sk);
    if (!signing_pair_matches(m.sign_pk, m.sign_sk.view()))
      return corrupt(what, "has an admin public key that does not match its secret key");
  } else if (!sodium_is_zero(sign_sk.data(), sign_sk.size())) {
    return corrupt(what, "is write-only but holds the admin secret key");
  }
  const ByteView wid = field(kOffWriterId, kWriterIdSize);
  m.writer_id.assign(wid.begin(), wid.end());
  const ByteView wpk = field(kOffWriterPk, kSignPublicKeySize);
  m.writer_pk.assign(wpk.begin(), wpk.end());
  m.writer_sk = SecretBytes::copy_of(field(kOffWriterSk, kSignSecretKeySize));
  if (!signing_pair_matches(m.writer_pk, m.writer_sk.view()))
    return corrupt(what, "has a writer public key that does not match its secret key");
  const ByteView cert = field(kOffWriterCert, kSignatureSize);
  m.writer_cert.assign(cert.begin(), cert.end());
  if (!verify(m.sign_pk, writer_cert_message(m.repo_id, m.writer_id, m.writer_pk), m.writer_cert))
    return corrupt(what, "has a writer certificate that the admin key did not sign");
  m.chunk_id_key = SecretBytes::copy_of(field(kOffChunkIdKey, kSymKeySize));
  m.gear_seed = SecretBytes::copy_of(field(kOffGearSeed, kSymKeySize));
  m.index_key = SecretBytes::copy_of(field(kOffIndexKey, kSymKeySize));
  return m;
}

}  // namespace

// ---- KeyMaterial

KeyMaterial KeyMaterial::generate(ByteView repo_id) {
  assert(repo_id.size() == kIdSize);
  KeyMaterial m;
  m.repo_id.assign(repo_id.begin(), repo_id.end());
  m.caps = Caps::full;
  BoxKeyPair box = box_keypair();
  m.box_pk = std::move(box.pk);
  m.box_sk = std::move(box.sk);
  SignKeyPair sig = sign_keypair();
  m.sign_pk = std::move(sig.pk);
  m.sign_sk = std::move(sig.sk);
  m.chunk_id_key = random_secret(kSymKeySize);
  m.gear_seed = random_secret(kSymKeySize);
  m.index_key = random_secret(kSymKeySize);
  new_writer(m);
  return m;
}

Bytes writer_cert_message(ByteView repo_id, ByteView writer_id, ByteView writer_pk) {
  Bytes msg;
  append(msg, as_bytes(std::string_view("cairn writer v2")));
  append(msg, repo_id);
  append(msg, writer_id);
  append(msg, writer_pk);
  return msg;
}

KeyMaterial KeyMaterial::clone() const {
  KeyMaterial m;
  m.repo_id = repo_id;
  m.caps = caps;
  m.box_pk = box_pk;
  m.box_sk = SecretBytes::copy_of(box_sk.view());
  m.sign_pk = sign_pk;
  m.sign_sk = SecretBytes::copy_of(sign_sk.view());
  m.writer_id = writer_id;
  m.writer_pk = writer_pk;
  m.writer_sk = SecretBytes::copy_of(writer_sk.view());
  m.writer_cert = writer_cert;
  m.chunk_id_key = SecretBytes::copy_of(chunk_id_key.view());
  m.gear_seed = SecretBytes::copy_of(gear_seed.view());
  m.index_key = SecretBytes::copy_of(index_key.view());
  for (const auto& g : older_box) m.older_box.push_back({g.pk, SecretBytes::copy_of(g.sk.view())});
  m.newest_box_pk = newest_box_pk;
  return m;
}

std::optional<SecretBytes> open_data_key_any(const KeyMaterial& k, ByteView sealed, Bytes* pk) {
  auto attempt = [&](ByteView gpk, ByteView gsk) -> std::optional<SecretBytes> {
    if (gsk.size() != kBoxSecretKeySize) return std::nullopt;
    auto key = box_open(gpk, gsk, sealed, "data key");
    if (!key) return std::nullopt;
    if (pk) pk->assign(gpk.begin(), gpk.end());
    return std::move(*key);
  };
  if (auto key = attempt(k.box_pk, k.box_sk.view())) return key;
  for (const auto& g : k.older_box)
    if (auto key = attempt(g.pk, g.sk.view())) return key;
  return std::nullopt;
}

KeyMaterial KeyMaterial::write_only() const {
  KeyMaterial m = clone();
  if (m.can_admin()) new_writer(m);
  m.caps = Caps::write_only;
  // A write-only key seals to the newest generation from the start (it holds no secret key).
  if (!m.newest_box_pk.empty()) m.box_pk = std::exchange(m.newest_box_pk, {});
  m.older_box.clear();
  m.box_sk = SecretBytes();
  m.sign_sk = SecretBytes();
  return m;
}

// ---- slots

Result<SlotHeader> parse_slot_header(ByteView slot, std::string_view what) {
  if (slot.size() < kSlotHeaderSize)
    return corrupt(
        what, fmt::format("is truncated ({} bytes, a key slot has {})", slot.size(), kSlotSize));
  if (as_chars(slot.first(kMagic.size())) != kMagic)
    return corrupt(what, "is not a cairn key slot (bad magic)");
  SlotHeader h;
  h.version = static_cast<std::uint16_t>(slot[8] | (slot[9] << 8));
  if (h.version == 1)
    return Error{
        Errc::unsupported_format,
        fmt::format(
            "key slot '{}' is of format 1 (cairn 0.1), which this cairn no longer reads: make a "
            "new repository with 'cairn init' and back up into it",
            what)};
  if (h.version != kSlotVersion)
    return corrupt(what, fmt::format("has unknown version {}", h.version));
  h.kdf.ops = get_le64(slot.data() + 10);
  h.kdf.mem = get_le64(slot.data() + 18);
  const ByteView salt = slot.subspan(26, kSaltSize);
  h.kdf.salt.assign(salt.begin(), salt.end());
  if (auto st = check_kdf_params(h.kdf); !st)
    return corrupt(what, fmt::format("is refused: {}", st.error().message));
  if (slot.size() != kSlotSize)
    return corrupt(what, fmt::format("has the wrong size ({} bytes, a key slot has {})",
                                     slot.size(), kSlotSize));
  return h;
}

Bytes seal_slot(const KeyMaterial& m, std::string_view passphrase, const KdfParams& p) {
  assert(check_kdf_params(p).has_value());
  const Bytes header = header_bytes(p);
  auto key = derive_key(passphrase, p);
  if (!key) throw std::bad_alloc();  // parameters are checked: only Argon2's allocation can fail
  const SecretBytes material = serialize(m);
  Bytes out;
  out.reserve(kSlotSize);
  append(out, header);
  seal_append(key->view(), material.view(), header, out);
  assert(out.size() == kSlotSize);
  return out;
}

namespace {

Result<KeyMaterial> open_with(ByteView slot, ByteView key, std::string_view what) {
  // Decrypt in locked memory: the plaintext is the whole key material.
  SecretBytes body = SecretBytes::copy_of(slot.subspan(kSlotHeaderSize));
  auto plain = open_in_place(key, body.mut(), slot.first(kSlotHeaderSize), what);
  if (!plain) return Error{Errc::auth, fmt::format("wrong passphrase for '{}'", what)};
  return parse_material(*plain, what);
}

Result<KeyMaterial> derive_and_open(ByteView slot, std::string_view passphrase,
                                    std::string_view what, KeyCache* cache) {
  CAIRN_TRY_ASSIGN(const SlotHeader h, parse_slot_header(slot, what));
  if (cache != nullptr)
    cache->note(fmt::format("key derived for '{}' (argon2id, {} passes, {} MiB)", what, h.kdf.ops,
                            h.kdf.mem >> 20));
  auto key = derive_key(passphrase, h.kdf);
  if (!key) return std::move(key.error().wrap(fmt::format("cannot open key slot '{}'", what)));
  auto m = open_with(slot, key->view(), what);
  if (m && cache != nullptr) cache->store(h.kdf.salt, key->view());
  return m;
}

}  // namespace

Result<KeyMaterial> open_slot(ByteView slot, std::string_view passphrase, std::string_view what) {
  return derive_and_open(slot, passphrase, what, nullptr);
}

Result<KeyMaterial> open_slot(ByteView slot, std::string_view passphrase, std::string_view what,
                              KeyCache& cache) {
  return derive_and_open(slot, passphrase, what, &cache);
}

std::optional<KeyMaterial> open_slot_cached(ByteView slot, std::string_view what, KeyCache& cache) {
  if (!cache.enabled()) return std::nullopt;
  auto h = parse_slot_header(slot, what);
  if (!h) return std::nullopt;
  auto key = cache.find(h->kdf.salt);
  if (!key) return std::nullopt;
  auto m = open_with(slot, key->view(), what);
  if (!m) {
    cache.drop(h->kdf.salt);
    cache.note(
        fmt::format("the key kept in the kernel keyring for '{}' does not open it: dropped", what));
    return std::nullopt;
  }
  cache.note(fmt::format("key for '{}' from the kernel keyring", what));
  return std::move(*m);
}

}  // namespace cairn::crypto
