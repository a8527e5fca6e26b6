#include "crypto/keys.hpp"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>

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
constexpr std::size_t kOffChunkIdKey = kOffSignSk + kSignSecretKeySize;
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
  SecretBytes out(kMaterialSize);  // zero-filled: box_sk stays zeros when write-only
  MutByteView b = out.mut();
  put(b, kOffRepoId, m.repo_id);
  b[kOffCaps] = static_cast<std::uint8_t>(m.caps);
  put(b, kOffBoxPk, m.box_pk);
  if (m.caps == Caps::full) put(b, kOffBoxSk, m.box_sk.view());
  put(b, kOffSignPk, m.sign_pk);
  put(b, kOffSignSk, m.sign_sk.view());
  put(b, kOffChunkIdKey, m.chunk_id_key.view());
  put(b, kOffGearSeed, m.gear_seed.view());
  put(b, kOffIndexKey, m.index_key.view());
  return out;
}

Error corrupt(std::string_view what, std::string_view why) {
  return Error{Errc::corrupt, fmt::format("key slot '{}' {}", what, why)};
}

// `b` has been authenticated; still refuse anything seal_slot would not have written.
Result<KeyMaterial> parse_material(ByteView b, std::string_view what) {
  assert(b.size() == kMaterialSize);
  auto field = [&](std::size_t off, std::size_t n) { return b.subspan(off, n); };
  KeyMaterial m;
  const std::uint8_t caps = b[kOffCaps];
  if (caps != static_cast<std::uint8_t>(Caps::full) && caps != static_cast<std::uint8_t>(Caps::write_only))
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
  m.sign_sk = SecretBytes::copy_of(field(kOffSignSk, kSignSecretKeySize));
  {
    SecretBytes seed(crypto_sign_SEEDBYTES), sk2(kSignSecretKeySize);
    Bytes pk2(kSignPublicKeySize);
    crypto_sign_ed25519_sk_to_seed(seed.data(), m.sign_sk.data());
    crypto_sign_seed_keypair(pk2.data(), sk2.data(), seed.data());
    if (!equal(pk2, m.sign_pk) || !equal(sk2.view(), m.sign_sk.view()))
      return corrupt(what, "has a signing public key that does not match its secret key");
  }
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
  return m;
}

KeyMaterial KeyMaterial::clone() const {
  KeyMaterial m;
  m.repo_id = repo_id;
  m.caps = caps;
  m.box_pk = box_pk;
  m.box_sk = SecretBytes::copy_of(box_sk.view());
  m.sign_pk = sign_pk;
  m.sign_sk = SecretBytes::copy_of(sign_sk.view());
  m.chunk_id_key = SecretBytes::copy_of(chunk_id_key.view());
  m.gear_seed = SecretBytes::copy_of(gear_seed.view());
  m.index_key = SecretBytes::copy_of(index_key.view());
  return m;
}

KeyMaterial KeyMaterial::write_only() const {
  KeyMaterial m = clone();
  m.caps = Caps::write_only;
  m.box_sk = SecretBytes();
  return m;
}

// ---- slots

Result<SlotHeader> parse_slot_header(ByteView slot, std::string_view what) {
  if (slot.size() < kSlotHeaderSize)
    return corrupt(what, fmt::format("is truncated ({} bytes, a key slot has {})", slot.size(), kSlotSize));
  if (as_chars(slot.first(kMagic.size())) != kMagic) return corrupt(what, "is not a cairn key slot (bad magic)");
  SlotHeader h;
  h.version = static_cast<std::uint16_t>(slot[8] | (slot[9] << 8));
  if (h.version != kSlotVersion) return corrupt(what, fmt::format("has unknown version {}", h.version));
  h.kdf.ops = get_le64(slot.data() + 10);
  h.kdf.mem = get_le64(slot.data() + 18);
  const ByteView salt = slot.subspan(26, kSaltSize);
  h.kdf.salt.assign(salt.begin(), salt.end());
  if (auto st = check_kdf_params(h.kdf); !st) return corrupt(what, fmt::format("is refused: {}", st.error().message));
  if (slot.size() != kSlotSize)
    return corrupt(what, fmt::format("has the wrong size ({} bytes, a key slot has {})", slot.size(), kSlotSize));
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

Result<KeyMaterial> open_slot(ByteView slot, std::string_view passphrase, std::string_view what) {
  CAIRN_TRY_ASSIGN(const SlotHeader h, parse_slot_header(slot, what));
  auto key = derive_key(passphrase, h.kdf);
  if (!key) return std::move(key.error().wrap(fmt::format("cannot open key slot '{}'", what)));
  // Decrypt in locked memory: the plaintext is the whole key material.
  SecretBytes body = SecretBytes::copy_of(slot.subspan(kSlotHeaderSize));
  auto plain = open_in_place(key->view(), body.mut(), slot.first(kSlotHeaderSize), what);
  if (!plain) return Error{Errc::auth, fmt::format("wrong passphrase for '{}'", what)};
  return parse_material(*plain, what);
}

}  // namespace cairn::crypto
