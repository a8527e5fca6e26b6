// lib/crypto/keys.hpp: the repository's key material and passphrase-protected key slots.
// A key slot file (keys/<id> in the repository, or an exported key file) is:
//   "CAIRNKEY" (8) | u16 version=2 | u64 kdf_ops | u64 kdf_mem | salt (16)
//   | seal(kdf_key, material, ad = the 42 header bytes before it)
// where material (before sealing) is:
//   repo_id (32) | u8 caps (1 = full, 2 = write-only)
//   | box_pk (32) | box_sk (32, zeros when write-only)
//   | sign_pk (32) | sign_sk (64, zeros when write-only)      the admin key
//   | writer_id (16) | writer_pk (32) | writer_sk (64) | writer_cert (64)
//   | chunk_id_key (32) | gear_seed (32) | index_key (32)
// The admin key (sign_*) signs the config and administrative records (holds, releases,
// revocations); only full keys hold its secret half. Each key has a writer identity of its
// own that signs the sets it writes: writer_cert = sign(admin sk, writer_cert_message(...))
// shows readers that an admin made it. The write-only material lacks box_sk and the admin
// secret key: its holder can seal new data keys (write packs and sets), compute chunk ids and
// read indexes (to deduplicate), and sign sets as its own writer, but cannot open any data
// key (so cannot decrypt a chunk or the body of a set), sign the config or an admin record,
// or prove possession of a chunk it never held.
// Depends on: base, hash, crypto. Threads: values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/crypto.hpp"
#include "crypto/key_cache.hpp"

namespace cairn::crypto {

enum class Caps : std::uint8_t { full = 1, write_only = 2 };

// One generation of the box key pair (key rotation, cairn-repository(5) KEY ROTATION).
struct BoxGeneration {
  Bytes pk;        // 32
  SecretBytes sk;  // 32
};

struct KeyMaterial {
  Bytes repo_id;  // 32
  Caps caps = Caps::full;
  Bytes box_pk;              // 32
  SecretBytes box_sk;        // 32, empty when write-only
  Bytes sign_pk;             // 32: the admin public key (in the config)
  SecretBytes sign_sk;       // 64, empty when write-only
  Bytes writer_id;           // 16: names this key's writer in the sets it signs
  Bytes writer_pk;           // 32
  SecretBytes writer_sk;     // 64
  Bytes writer_cert;         // 64: the admin's signature of writer_cert_message()
  SecretBytes chunk_id_key;  // 32
  SecretBytes gear_seed;     // 32
  SecretBytes index_key;     // 32
  // Key rotation, filled by the repository when it opens (never in a slot): the older box
  // key generations this key opens, newest first, and the newest generation's public key
  // (what new data keys are sealed to) when box_pk is not the newest. Empty: no rotation.
  std::vector<BoxGeneration> older_box;
  Bytes newest_box_pk;
  ByteView seal_pk() const { return newest_box_pk.empty() ? ByteView(box_pk) : newest_box_pk; }

  static KeyMaterial generate(ByteView repo_id);
  bool can_read() const { return caps == Caps::full && !box_sk.empty(); }
  bool can_admin() const { return caps == Caps::full && !sign_sk.empty(); }
  // A write-only copy with a writer identity of its own (new keys, certified by the admin
  // key), so that its sets name it and it can be revoked alone. Needs can_admin(); a
  // write-only key's copy keeps its identity.
  KeyMaterial write_only() const;
  KeyMaterial clone() const;
};

// Opens a box-sealed data key with box_sk, then with each older generation's key (newest
// first). nullopt when none opens it (or the key is write-only). `pk`, when given, receives
// the public key of the generation that opened it.
std::optional<SecretBytes> open_data_key_any(const KeyMaterial& k, ByteView sealed,
                                             Bytes* pk = nullptr);

inline constexpr std::size_t kWriterIdSize = 16;
// What the admin key signs to certify a writer: "cairn writer v2" || repo_id || id || pk.
Bytes writer_cert_message(ByteView repo_id, ByteView writer_id, ByteView writer_pk);

inline constexpr std::size_t kSlotHeaderSize = 8 + 2 + 8 + 8 + 16;
inline constexpr std::uint16_t kSlotVersion = 2;
inline constexpr std::size_t kMaterialSize =
    32 + 1 + 32 + 32 + 32 + 64 + kWriterIdSize + 32 + 64 + 64 + 32 + 32 + 32;              // 465
inline constexpr std::size_t kSlotSize = kSlotHeaderSize + kSealOverhead + kMaterialSize;  // 371

// The cleartext header of a slot, checked (magic, version, size, sane KDF parameters) but
// not authenticated: the passphrase is needed for that. Errc::corrupt when malformed.
struct SlotHeader {
  std::uint16_t version = kSlotVersion;
  KdfParams kdf;
};
Result<SlotHeader> parse_slot_header(ByteView slot, std::string_view what);

// Seals material under a passphrase into a key slot file's bytes. `p` must pass
// check_kdf_params (assert); throws std::bad_alloc if Argon2 cannot get its memory.
Bytes seal_slot(const KeyMaterial& m, std::string_view passphrase, const KdfParams& p);
// Errc::auth when the passphrase does not open it; Errc::corrupt when the file is malformed
// (bad magic, unknown version, absurd KDF parameters are refused before any work is done).
// After authentication the material is checked too: a known caps value, zeros for a
// write-only box_sk and admin key, public keys that match their secret keys, and a writer
// certificate that the admin key signed (else Errc::corrupt). A slot of format version 1
// (cairn 0.1) is Errc::unsupported_format.
Result<KeyMaterial> open_slot(ByteView slot, std::string_view passphrase, std::string_view what);
// The same, telling `cache` about it: "key derived" (-v), and the derived key is kept there
// when it opens the slot.
Result<KeyMaterial> open_slot(ByteView slot, std::string_view passphrase, std::string_view what,
                              KeyCache& cache);
// The slot opened with the key `cache` keeps for it, without deriving anything; nullopt when
// there is none, or when it does not open the slot (the entry is dropped then).
std::optional<KeyMaterial> open_slot_cached(ByteView slot, std::string_view what, KeyCache& cache);

}  // namespace cairn::crypto
