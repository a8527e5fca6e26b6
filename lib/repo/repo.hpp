// lib/repo/repo.hpp: the repository: config, keys, the chunk store (packs + index files) and
// signed set objects. The byte formats are in cairn-repository(5) and pack/pack.hpp.
// Depends on: base, io, hash, chunker, compress, crypto, pack, backend, model (manifest:
// stored.hpp). Threads: Repository is thread-safe for reads (read_chunk); a WriteSession's put()
// may be called from several threads at once; everything else is thread-compatible.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "backend/backend.hpp"
#include "base/bytes.hpp"
#include "base/observer.hpp"
#include "base/result.hpp"
#include "base/secret.hpp"
#include "chunker/chunker.hpp"
#include "compress/zstd.hpp"
#include "crypto/keys.hpp"
#include "hash/hash.hpp"
#include "model/set.hpp"
#include "pack/pack.hpp"

namespace cairn::repo {

// Format 2: admin and writer keys, chunk possession proofs, bounded seq (cairn-repository(5)).
inline constexpr int kFormatVersion = 2;

struct Config {
  int version = kFormatVersion;
  Bytes repo_id;  // 32 random bytes
  chunker::Params chunking;
  hash::Algo chunk_hash = hash::Algo::hmac_sha256;
  int zstd_level = 3;
  // The repository's default ("compression" in the config: absent = level, "auto", "off");
  // a run may choose another (WriteSession::set_compression).
  compress::Setting::Mode compression_mode = compress::Setting::Mode::level;
  compress::Setting compression() const { return {compression_mode, zstd_level}; }
  std::uint64_t pack_size = 32ull << 20;  // target pack size
  // Erasure-coded parity cairn-pack writes for its packs ("parity" in the config: "K+M",
  // repo/parity.hpp); empty: none (the default, and every repository made before it).
  std::string parity;
  Bytes box_pk, sign_pk;  // sign_pk: the admin key ("admin_pk" in the JSON)
  std::int64_t created_unix = 0;
};

// How the stored manifest is cut (cairn-repository(5) CHUNKS): 64 KiB / 128 KiB / 1 MiB, or the
// content's sizes where those are smaller, so a manifest chunk is never larger than a content
// chunk may be. A writer-side choice: readers take chunks of any size up to max_size.
chunker::Params manifest_chunking(const chunker::Params& content);

struct InitOptions {
  chunker::Params chunking;
  hash::Algo chunk_hash = hash::Algo::hmac_sha256;
  int zstd_level = 3;
  compress::Setting::Mode compression_mode = compress::Setting::Mode::level;
  std::uint64_t pack_size = 32ull << 20;
  std::string parity;  // "K+M" or empty (Config::parity)
  crypto::KdfParams kdf = crypto::KdfParams::fresh();
};

// How a tool unlocks the repository: a passphrase (tried against every key slot) or a key
// file (an exported slot, e.g. a write-only key) with its own passphrase.
struct Unlock {
  SecretText passphrase;  // wiped when released, never in a core file (base/secret.hpp)
  std::optional<std::filesystem::path> key_file;
  // The kernel keyring cache (crypto/key_cache.hpp): the passphrase source's identity (empty:
  // not cached) and how long a derived key is kept there (0: not cached).
  std::string cache_binding;
  unsigned cache_seconds = 0;
  Observer* observer = nullptr;  // -v lines about the key (derived, from the keyring)
  // cairn repair: an index file that is damaged (its bytes do not match its name, or it does
  // not authenticate) is left out of the index loaded at open instead of failing the open.
  bool skip_damaged_indexes = false;
};

// Creates a new repository at `dir` (which must be absent or an empty directory).
// Errc::exists if a repository (a config file) is already there; nothing is changed then.
Status init(const std::filesystem::path& dir, std::string_view passphrase, const InitOptions& o);

enum class BlobType : std::uint8_t { data = 1, meta = 2 };  // meta = stored manifest chunks

// Where a chunk lives.
struct Location {
  hash::PackId pack;
  std::uint64_t offset = 0;    // of the sealed blob in the pack file
  std::uint32_t length = 0;    // sealed length
  std::uint32_t raw_size = 0;  // plaintext size
  BlobType type = BlobType::data;
  std::uint8_t flags = 0;  // pack::kFlagZstd: the payload is compressed
};

// The encrypted part of a set object (JSON inside): the set's summary (kind in its text form,
// an unknown one is damage), and what a restore needs.
struct SetBody : model::SetSummary {
  std::optional<hash::SetId> parent;          // the set diffed against
  std::vector<hash::ChunkId> manifest;        // chunks (BlobType::meta) holding the manifest stream
  std::vector<hash::Digest> manifest_proofs;  // one possession proof per manifest chunk
  std::uint64_t manifest_size = 0;
  std::vector<hash::PackId> packs;  // every pack a restore of this set needs
  // cairn copy: the set of the source repository this one was copied from ("copied_from",
  // only in copied sets), and the mark written into the signed header instead of the body
  // ("copy_mark": the target's keyed hash of that id, ops/copy.cpp), which any key, a
  // write-only one too, reads to skip sets already copied.
  std::optional<hash::SetId> copied_from;
  std::optional<hash::Digest> copy_mark;
};

struct SetHeader {  // the signed plaintext part of a set object
  std::uint64_t seq = 0;
  std::optional<hash::SetId> prev;
  std::int64_t time_ns = 0;
  Bytes writer;  // the writer id (16 bytes) from the signer block: who wrote it
  std::optional<hash::Digest> copy_mark;  // SetBody::copy_mark, for a set cairn copy wrote
};

// A writer revoked by an admin (holds/<id>, magic CAIRNRV1): its sets other than `keep` (the
// ones that existed when it was revoked) are refused as damage, and it can write no more.
struct Revocation {
  Bytes writer;  // 16
  std::int64_t time_ns = 0;
  std::vector<hash::SetId> keep;
  std::string reason;
};

// A legal hold placed on, or released from, a set after it was written (holds/<id>). Records
// are never edited: the newest (by time_ns, then id) for a set says whether it is held.
struct HoldRecord {
  hash::SetId set;
  bool hold = true;        // false: a release
  std::string reason;      // why (a release: empty)
  std::string user, host;  // who placed or released it, and where
  std::int64_t time_ns = 0;
  bool operator==(const HoldRecord&) const = default;
};

// Tags added to and removed from a set after it was written (holds/<id>, magic CAIRNTG1).
// Records are never edited: applied oldest first (time_ns, then id) on top of the set
// object's own tags, a later record wins for a tag it names.
struct TagRecord {
  hash::SetId set;
  std::vector<std::string> add, remove;  // sorted, valid tags (model::check_tag)
  std::string user, host;
  std::int64_t time_ns = 0;
  bool operator==(const TagRecord&) const = default;
};

// Packs rewritten (compaction, re-encryption; holds/<id>, magic CAIRNMV1): for every set in
// `sets` (those its writer had read), the chunks it needs from each move's `from` are in that
// move's `to`; `chunks` names the chunks copied. Readers turn a set's `packs` into the packs it
// really needs through these records, transitively (repo/rewrite.hpp: Moves). A set not listed
// (committed later: it may have deduplicated against a chunk the rewrite left behind) keeps
// `from`.
struct PackMove {
  hash::PackId from;
  std::vector<hash::PackId> to;
  std::vector<hash::ChunkId> chunks;
  bool operator==(const PackMove&) const = default;
};
struct MoveRecord {
  std::vector<hash::SetId> sets;  // sorted
  std::vector<PackMove> moves;
  std::string user, host;
  std::int64_t time_ns = 0;
  bool operator==(const MoveRecord&) const = default;
};

// A key rotation (holds/<id>, magic CAIRNKR1): from time_ns on, data keys are sealed to
// box_pk; prev_sk (opened only with the new generation's secret key) reads the older ones.
struct Rotation {
  Bytes box_pk, prev_pk;  // 32 each
  std::int64_t time_ns = 0;
  crypto::SecretBytes prev_sk;  // empty unless the body was opened
  std::string user, host;
  std::string record;  // "holds/<id>", when listed
};

// The box key generations of a repository (cairn-repository(5) KEY ROTATION), oldest first:
// generation 0 is the config's box_pk.
struct KeyGeneration {
  Bytes pk;
  bool readable = false;  // this key opens it
  std::int64_t time_ns = 0;
  std::string record;  // "holds/<id>"; empty for generation 0
};

struct SetObject {
  hash::SetId id;
  SetHeader header;
  std::optional<SetBody> body;  // absent when the key cannot read
};

// A set object just stored: its id, the header it was signed with (seq, prev) and its
// repository-relative path.
struct WrittenSet {
  hash::SetId id;
  SetHeader header;
  std::string path;
};

// The plausible ceiling of a list of seqs (see model/set.hpp).
using model::kMaxSeqStep;
using model::plausible_seq_ceiling;

class Repository;

// One writing session: chunks go into packs; finish() seals the last pack, writes an index
// file and returns every object written (for cairn-push). Dropping a session without
// finish() leaves only packs that no index or set names (garbage for prune), never a
// half-written file under a final name.
class WriteSession {
 public:
  enum class Scope { any, own, packs };  // dedup against: everything / nothing / given packs
  virtual ~WriteSession() = default;
  // Computes the chunk id (thread-safe).
  // With `proof`, also the chunk's possession proof (same pass, hash::KeyedHasher::hash).
  virtual hash::ChunkId id_of(ByteView plaintext, hash::Digest* proof = nullptr) const = 0;
  // Stores the chunk unless already present (in scope). Returns true when new bytes were
  // written. Thread-safe: call from several threads; compression and encryption run in the
  // calling thread, appends to the current pack are serialized.
  virtual Result<bool> put(const hash::ChunkId& id, BlobType type, ByteView plaintext) = 0;
  // Where a chunk this session can reference lives (for the set's pack list): one it stored,
  // or one it deduplicated against (within its scope). A chunk this session stored has no
  // pack id until its pack is sealed (at roll-over or finish()); until then: nullopt.
  virtual std::optional<Location> locate(const hash::ChunkId& id) const = 0;
  // True when this session has stored `id` (in a pack sealed or still open): a writer that
  // references only what it stores or locate()s needs no set of its own chunk ids, since
  // every pack of the session (sealed_packs()) then holds only chunks it references.
  virtual bool stored_here(const hash::ChunkId& id) const = 0;
  // The packs this session has sealed so far (after finish(): every pack it wrote).
  virtual std::vector<hash::PackId> sealed_packs() const = 0;
  virtual std::uint64_t stored_bytes() const = 0;  // sealed bytes written so far
  // Called with "packs/ab/ab.." as soon as each pack is durably in place (from the thread that
  // sealed it, outside the session's lock), before finish() returns it too: cairn-pack
  // --stream prints it so cairn-push uploads while packing goes on. Set before the first put().
  virtual void on_sealed(std::function<void(const std::string&)> fn) = 0;
  // How this session compresses chunks instead of the repository's default (config()
  // .compression()): cairn-pack --compression. Call before the first put().
  virtual void set_compression(const compress::Setting& s) = 0;
  // Seals open packs, writes the index file. Returns the repository-relative paths written,
  // in upload-safe order: packs first, then the index file ("packs/ab/ab..", "index/..").
  // Call it once, after every put() has returned. A session must not outlive its Repository.
  virtual Result<std::vector<std::string>> finish() = 0;
  // Called after finish() and before the set object is written (cairn-prune, repo/gc.hpp):
  // each of `packs` must still be named by an index file and present. A pack no index file
  // names any more (a prune retired it since this repository was opened, or since this
  // session wrote it: no set named it yet) is revived: an index file naming it is written
  // from the entries loaded at open or written here, then the pack is checked present.
  // Errc::not_found if one is gone (a prune swept it): nothing may be committed, and the index file
  // is removed again, so a rerun stores those chunks afresh. Returns the index files written
  // ("index/.."), for cairn-push, each after the orphan packs it adopts ("packs/.."): a killed
  // writer never reported those (see RepositoryImpl::find_orphans).
  virtual Result<std::vector<std::string>> keep_indexed(const std::vector<hash::PackId>& packs) = 0;
};

class Repository {
 public:
  // Errc::no_repo if there is no repository at `dir`; Errc::auth on a wrong passphrase;
  // Errc::corrupt if config or key slots fail authentication.
  static Result<std::unique_ptr<Repository>> open(const std::filesystem::path& dir,
                                                  const Unlock& u);
  // The same over any backend (a pushed destination); packs being written are staged as
  // temporary files in `tmp_dir` (for a local directory: its tmp/).
  static Result<std::unique_ptr<Repository>> open(std::unique_ptr<backend::Backend> storage,
                                                  const Unlock& u, std::filesystem::path tmp_dir);
  virtual ~Repository() = default;

  virtual const Config& config() const = 0;
  // Empty, or why the config file was refused and which signed copy stood in for it (then
  // config() is the copy's; cairn-verify reports it as damage).
  virtual const std::string& config_problem() const = 0;
  virtual const crypto::KeyMaterial& keys() const = 0;
  virtual backend::Backend& storage() = 0;

  // For replication (cairn-push): the repository's objects by key, as they are stored.
  virtual Status list_objects(backend::Kind kind,
                              const std::function<Status(const backend::ObjectInfo&)>& each) = 0;
  // An object's stored size; nullopt when it is absent.
  virtual Result<std::optional<std::uint64_t>> object_size(const backend::Key& k) = 0;
  // The config's signed copy among the admin records (holds/<hash of config>), when present.
  virtual Result<std::optional<backend::Key>> config_copy() = 0;
  // A repository opened from a local directory: the file holding object `k`, and the
  // directory for temporary files (tmp/); nullopt for any other.
  virtual std::optional<std::filesystem::path> local_file(const backend::Key& k) const = 0;
  virtual std::optional<std::filesystem::path> local_tmp_dir() const = 0;
  virtual const chunker::Chunker& chunker() const = 0;
  // Cuts the stored manifest (BlobType::meta): smaller chunks than file content, so a set
  // whose tree barely changed stores a few small chunks of manifest anew, not ~1 MiB around
  // each change (manifest_chunking()).
  virtual const chunker::Chunker& manifest_chunker() const = 0;

  virtual Result<std::unique_ptr<WriteSession>> begin_write(
      WriteSession::Scope scope, std::vector<hash::PackId> allowed_packs = {}) = 0;
  // Reads, authenticates, decompresses and re-hashes a chunk, and checks its possession proof
  // (what a set's manifest says its writer computed from the plaintext): a set can only give
  // out chunks its writer held. Errc::corrupt on any mismatch, Errc::not_found if no index
  // names it. When a copy fails authentication, every other copy the indexes list is tried.
  // Needs a full key (Errc::auth otherwise).
  virtual Result<Bytes> read_chunk(const hash::ChunkId& id, const hash::Digest& proof) = 0;
  // The chunk id (and, with `proof`, the possession proof) the repository's key gives
  // `plaintext`, as WriteSession::id_of: a restore compares a file already in its target
  // with the set's chunks without reading them (cairn-restore --overwrite if-changed).
  virtual hash::ChunkId id_of(ByteView plaintext, hash::Digest* proof = nullptr) const = 0;
  // The same without a proof, for checks of the chunk store itself (verify --read-data);
  // `proof`, when given, receives the chunk's proof. Never hand these bytes to a user.
  virtual Result<Bytes> read_chunk_unproven(const hash::ChunkId& id,
                                            hash::Digest* proof = nullptr) = 0;
  // The chunk `id` opened from `sealed`, its blob at `loc` as the caller read it from the pack
  // (a restore reads a run of adjacent blobs in one read): authenticated, decompressed,
  // re-hashed and its proof checked as read_chunk does. Errc::corrupt on any mismatch; only
  // this copy is tried (read_chunk tries every copy).
  virtual Result<Bytes> open_chunk(const hash::ChunkId& id, const hash::Digest& proof,
                                   const Location& loc, ByteView sealed) = 0;
  virtual std::optional<Location> locate(const hash::ChunkId& id) const = 0;
  // Every copy the index files list, locate()'s first (verify reads them all).
  virtual std::vector<Location> locate_all(const hash::ChunkId& id) const = 0;
  // A pack's own (trailing) index, read with two range reads and authenticated (verify and
  // index rebuilds use it). Errc::not_found if the pack is absent, corrupt if it fails.
  virtual Result<std::vector<pack::Entry>> read_pack_index(const hash::PackId& id) = 0;

  // Signs and stores a set object; fills seq/prev from the current newest set.
  virtual Result<WrittenSet> write_set(const SetBody& body) = 0;
  virtual Result<std::vector<hash::SetId>> list_sets() = 0;
  // Whether the repository holds the set object (unread: a damaged one counts too).
  virtual Result<bool> has_set(const hash::SetId& id) = 0;
  // Verifies the signature and the id (hash of the bytes); decrypts the body if it can.
  virtual Result<SetObject> read_set(const hash::SetId& id) = 0;

  // Legal holds (holds/<id>): write_hold signs and stores a record (time_ns = now when 0) and
  // returns its repository-relative path; list_holds authenticates every record, oldest first
  // (time_ns, then id). Both need a full key (Errc::auth for a write-only key). Errc::corrupt
  // names a record that fails authentication.
  virtual Result<std::string> write_hold(HoldRecord r) = 0;
  // With `skip`, a record that is damaged (garbage under a valid name, a bad signature, another
  // format) is passed to it, named, and left out instead of failing the whole list; storage
  // errors still fail.
  using SkipRecord = std::function<void(const std::string& name, Error why)>;
  virtual Result<std::vector<HoldRecord>> list_holds(const SkipRecord& skip = {}) = 0;
  // Tag records, as hold records: both need a full key (the admin key signs them).
  virtual Result<std::string> write_tag_record(TagRecord r) = 0;
  virtual Result<std::vector<TagRecord>> list_tag_records(const SkipRecord& skip = {}) = 0;
  // Move records, as tag records; list_move_records also leaves out (passing it to `skip`,
  // Errc::corrupt without one) a record whose target packs do not hold every chunk it names
  // (check_move_cover in repo/rewrite.hpp).
  virtual Result<std::string> write_move_record(MoveRecord r) = 0;
  virtual Result<std::vector<MoveRecord>> list_move_records(const SkipRecord& skip = {}) = 0;
  // Writer revocations: write_revocation needs the admin key (a full key) and returns the
  // record's path; revocations() reads and authenticates every revocation record (any key);
  // a damaged one is Errc::corrupt. read_set refuses a revoked writer's sets not in `keep`.
  virtual Result<std::string> write_revocation(Revocation r) = 0;
  virtual Result<std::vector<Revocation>> revocations() = 0;

  // Key slots (keys/<slot-id>). add_key writes a new full slot from the current key, reads it
  // back and opens it before returning its id. remove_key refuses (Errc::usage) to remove the
  // last slot known to give full access: the one that unlocked this session (or the slot
  // identical to the key file used), and slots added by this session. Both need a full key
  // (Errc::auth for a write-only key).
  virtual Result<std::string> add_key(std::string_view new_passphrase,
                                      const crypto::KdfParams& p) = 0;
  virtual Result<std::vector<std::string>> list_keys() = 0;
  virtual Status remove_key(std::string_view slot_name) = 0;
  // The slot that unlocked this session; empty when a key file did, or once it is removed.
  virtual std::string current_slot() const = 0;
  // The bytes of a key file holding the current key (write-only: without box_sk) sealed under
  // `passphrase`. A write-only key can export only a write-only key (Errc::auth otherwise).
  virtual Result<Bytes> export_slot(std::string_view passphrase, bool write_only,
                                    const crypto::KdfParams& p) const = 0;

  // Key rotation (cairn-repository(5) KEY ROTATION). The box key generations, oldest first
  // (generation 0 is the config's box_pk), as the admin-signed rotation records chain them;
  // new data keys are sealed to the last.
  virtual const std::vector<KeyGeneration>& generations() const = 0;
  // Rotation records that were refused at open (not signed by the admin key, another
  // repository's, damaged, or not chained to a known generation): name and why.
  virtual const std::vector<std::pair<std::string, Error>>& rotation_problems() const = 0;
  // Which generation sealed a pack's data key, from its 90-byte header alone (one ranged
  // read, at most one box_open per generation); nullopt when no generation this key holds
  // opens it. A set's, from its sealed body. Both need a full key (Errc::auth otherwise).
  virtual Result<std::optional<std::size_t>> pack_generation(const hash::PackId& id) = 0;
  virtual Result<std::optional<std::size_t>> set_generation(const hash::SetId& id) = 0;
  // Makes a new box key generation: a key slot holding it under `passphrase` (read back and
  // opened), then the admin-signed rotation record, then the slot that unlocked this session
  // is removed. Needs a full key of the newest generation unlocked from a slot with a
  // passphrase (not a key file). Other slots keep the generation they hold. `user` and `host`
  // go into the record's sealed body.
  struct Rotated {
    std::size_t generation = 0;
    std::string record;                    // "holds/<id>"
    std::string slot;                      // the new slot's name
    std::string old_slot;                  // the slot removed
    std::vector<std::string> other_slots;  // slots left holding an older generation (or unknown)
  };
  virtual Result<Rotated> rotate_key(std::string_view passphrase, const crypto::KdfParams& p,
                                     std::string user, std::string host) = 0;

  // For verification: objects as stored, neither authenticated nor decoded (cairn-verify
  // checks what it reads; it lists them with list_objects above).
  // An object's bytes. Errc::not_found when it is absent.
  Result<Bytes> read_object(const backend::Key& k);
  // nullopt when the object is absent.
  Result<std::optional<backend::ObjectInfo>> stat_object(const backend::Key& k);
  // The set objects of the local repository at `dir`, sorted, listed without opening it (a set
  // object is written after its packs and index file, so a listing taken before open() names
  // only sets the index loaded at open() covers). nullopt when `dir` cannot be listed.
  static std::optional<std::vector<hash::SetId>> list_sets_at(const std::filesystem::path& dir);
};

}  // namespace cairn::repo
