// lib/repo/internal.hpp: pieces shared by repository.cpp, keys.cpp and session.cpp. Not part of
// the module's interface (repo.hpp and objects.hpp are).
#pragma once

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compress/zstd.hpp"
#include "repo/objects.hpp"
#include "repo/repo.hpp"

namespace cairn::repo {

// A small free-list of expensive per-thread objects (zstd contexts with their buffers), so
// put()/read_chunk() allocate nothing per chunk and no thread-local state is needed.
template <typename T>
class Pool {
 public:
  explicit Pool(std::function<std::unique_ptr<T>()> make) : make_(std::move(make)) {}

  class Lease {
   public:
    Lease(Pool& p, std::unique_ptr<T> v) : p_(&p), v_(std::move(v)) {}
    Lease(Lease&&) = delete;
    ~Lease() { p_->give_back(std::move(v_)); }
    T& operator*() { return *v_; }
    T* operator->() { return v_.get(); }

   private:
    Pool* p_;
    std::unique_ptr<T> v_;
  };

  Lease lease() { return Lease(*this, take()); }

  std::unique_ptr<T> take() {
    {
      std::lock_guard lock(mu_);
      if (!free_.empty()) {
        auto v = std::move(free_.back());
        free_.pop_back();
        return v;
      }
    }
    return make_();
  }
  void give_back(std::unique_ptr<T> v) {
    if (!v) return;
    std::lock_guard lock(mu_);
    if (free_.size() < kKeep) free_.push_back(std::move(v));
  }

 private:
  static constexpr std::size_t kKeep = 64;
  std::function<std::unique_ptr<T>()> make_;
  std::mutex mu_;
  std::vector<std::unique_ptr<T>> free_;
};

// The in-memory chunk index, filled from every index file at open and by finished sessions.
// Compact: one 54-byte record a chunk (the full 32-byte id, so a match is exact, and where it
// is stored) in a flat array sorted by id, plus a directory of the ids' leading bits (about half
// a byte a chunk) so a lookup touches one or two cache lines; each pack costs about 100 bytes
// more (its id and number). So ~530 MiB for 10 M chunks (10 TiB of unique data at 1 MiB
// chunks), against ~1 GiB for the hash map it replaced. open() sizes the array once from the
// index files' sizes (no doubling), and entries added later (finished sessions, adopted
// orphans) go to a second, small sorted array, so adding never copies the big one.
// Thread-safe: lookups take a shared lock, add() and bulk loading an exclusive one.
class ChunkIndex {
 public:
  std::optional<Location> find(const hash::ChunkId& id) const;
  // Every copy the indexes list, the first (the one find() returns) first. Two writers that
  // stored the same chunk at once, or an index planted to point at garbage, make more than one.
  std::vector<Location> find_all(const hash::ChunkId& id) const;
  void add(const std::vector<IndexPack>& packs);
  // As add(), emptying each pack's entries once they are in: the index's copy grows as the
  // caller's shrinks, so the two are never both whole in memory.
  void add(std::vector<IndexPack>&& packs);
  // Bulk loading (open): reserve room for about `chunks` entries, append each index file's
  // packs unsorted with add_bulk(), then settle() sorts once. Lookups before settle() miss.
  void reserve(std::size_t chunks);
  void add_bulk(const std::vector<IndexPack>& packs);
  void settle();
  // The entries of one pack (first copies and further ones), as its index files gave them.
  std::vector<pack::Entry> entries_of(const hash::PackId& pack) const;
  bool names(const hash::PackId& pack) const;
  // Distinct chunk ids.
  std::size_t size() const;
  // Bytes the index holds (records, directory and pack table), for budgets and tests.
  std::size_t memory_bytes() const;

 private:
  // Copies of one id sort by pack number (packs are numbered in the order they were first
  // added), then offset: find() returns the first. Packed: 54 bytes, no padding.
  struct __attribute__((packed)) Rec {
    std::uint8_t id[hash::kDigestSize];
    std::uint64_t offset;
    std::uint32_t pack;  // into packs_
    std::uint32_t length;
    std::uint32_t raw_size;
    std::uint8_t type;
    std::uint8_t flags;
  };
  static_assert(sizeof(Rec) == 54);
  using Recs = std::vector<Rec>;
  // Packs is std::vector<IndexPack>, const or not; when not, each pack's entries are emptied
  // once appended. Defined (and only used) in repository.cpp.
  template <typename Packs>
  void append(Recs& to, Packs& packs);
  template <typename Packs>
  void add_packs(Packs& packs);
  static void sort_unique(Recs& r);
  void build_directory();
  // The run of records with this id in main_ (through the directory) or in a sorted array.
  std::pair<const Rec*, const Rec*> run_main(const hash::ChunkId& id) const;
  static std::pair<const Rec*, const Rec*> run(const Rec* b, const Rec* e, const hash::ChunkId& id);
  template <typename F>
  void each_copy(const hash::ChunkId& id, F&& f) const;
  Location to_location(const Rec& r) const;
  static hash::ChunkId id_of(const Rec& r);

  mutable std::shared_mutex mu_;
  std::vector<hash::PackId> packs_;
  std::unordered_map<hash::PackId, std::uint32_t> pack_no_;
  Recs main_;    // sorted after settle()
  Recs recent_;  // sorted, added after settle()
  // dir_[k]: the first record of main_ whose id's leading dir_bits_ bits are >= k.
  std::vector<std::uint32_t> dir_;
  unsigned dir_bits_ = 0;
  std::size_t main_distinct_ = 0;
  std::size_t distinct_ = 0;
};

// What a repository handle knows of holds/, where every kind of admin record lives (holds,
// tags, moves, rotations, revocations, the config copy). Thread-safe.
// - The listing: taken at the first list of any kind and shared by the others (a restore
//   lists five kinds: on a remote repository one round trip instead of five). Records this
//   handle writes join it. Like the key generations and revocations read at open, a
//   handle's view of holds/ is the one it first took: a record another writer adds later is
//   seen by the next handle (every run opens its own), and one removed since is passed over.
// - The magic (first 8 bytes) of each record read: a record's kind. Records are
//   content-addressed, so a name's bytes never change, and a record of another kind is not
//   fetched again by each list.
class AdminCache {
 public:
  // The names in holds/, sorted: listed on the first call, the same ones (with the records
  // written through wrote()) afterwards.
  Result<std::vector<std::string>> names(backend::Backend& be);
  // A record this handle stored as holds/<name>.
  void wrote(const std::string& name);
  // The listing, taken by someone else (sorted): names() answers from it.
  void seed(std::vector<std::string> names) {
    std::lock_guard lock(mu_);
    names_ = std::move(names);
  }
  // The record's first min(8, size) bytes, when it was read before.
  std::optional<Bytes> magic(const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = magics_.find(name);
    if (it == magics_.end()) return std::nullopt;
    return it->second;
  }
  void note(const std::string& name, ByteView raw) {
    const ByteView head = raw.first(std::min<std::size_t>(raw.size(), 8));
    std::lock_guard lock(mu_);
    magics_.insert_or_assign(name, Bytes(head.begin(), head.end()));
  }

 private:
  mutable std::mutex mu_;
  std::optional<std::vector<std::string>> names_;
  std::unordered_map<std::string, Bytes> magics_;
};

// The bytes of the set objects a handle read last, up to kBudget in all: a run may read a set
// more than once (a restore --from imports every set into its scratch catalog, then opens
// the one it restores: on a remote repository a round trip each). Set objects are
// content-addressed and never rewritten, and every read still authenticates them; only the
// round trip is saved. Thread-safe.
class RecentSets {
 public:
  static constexpr std::size_t kBudget = 4u << 20;
  std::optional<Bytes> find(const hash::SetId& id) {
    std::lock_guard lock(mu_);
    for (auto it = items_.begin(); it != items_.end(); ++it) {
      if (it->first != id) continue;
      items_.splice(items_.begin(), items_, it);  // most recent first
      return it->second;
    }
    return std::nullopt;
  }
  void add(const hash::SetId& id, ByteView raw) {
    if (raw.size() > kBudget) return;
    std::lock_guard lock(mu_);  // a set two threads read at once may be kept twice: harmless
    items_.emplace_front(id, Bytes(raw.begin(), raw.end()));
    bytes_ += raw.size();
    while (bytes_ > kBudget) {
      bytes_ -= items_.back().second.size();
      items_.pop_back();
    }
  }

 private:
  std::mutex mu_;
  std::list<std::pair<hash::SetId, Bytes>> items_;  // most recent first
  std::size_t bytes_ = 0;
};

class RepositoryImpl;
std::unique_ptr<WriteSession> make_session(RepositoryImpl& repo, WriteSession::Scope scope,
                                           std::vector<hash::PackId> allowed);

class RepositoryImpl final : public Repository {
 public:
  RepositoryImpl(std::unique_ptr<backend::Backend> be, std::filesystem::path tmp_dir, Config c,
                 crypto::KeyMaterial k, std::string slot);

  const Config& config() const override { return config_; }
  const crypto::KeyMaterial& keys() const override { return keys_; }
  backend::Backend& storage() override { return *be_; }
  const chunker::Chunker& chunker() const override { return chunker_; }
  const chunker::Chunker& manifest_chunker() const override { return manifest_chunker_; }

  Status list_objects(backend::Kind kind,
                      const std::function<Status(const backend::ObjectInfo&)>& each) override {
    return be_->list(kind, each);
  }
  Result<std::optional<std::uint64_t>> object_size(const backend::Key& k) override;
  Result<std::optional<backend::Key>> config_copy() override;
  std::optional<std::filesystem::path> local_file(const backend::Key& k) const override {
    if (!local_dir_) return std::nullopt;
    return *local_dir_ / k.path();
  }
  std::optional<std::filesystem::path> local_tmp_dir() const override {
    if (!local_dir_) return std::nullopt;
    return tmp_dir_;
  }
  void set_local_dir(std::filesystem::path dir) { local_dir_ = std::move(dir); }

  Result<std::unique_ptr<WriteSession>> begin_write(
      WriteSession::Scope scope, std::vector<hash::PackId> allowed_packs) override;
  Result<Bytes> read_chunk(const hash::ChunkId& id, const hash::Digest& proof) override;
  hash::ChunkId id_of(ByteView plaintext, hash::Digest* proof) const override {
    return hash::ChunkId{hasher_.hash(plaintext, proof)};
  }
  Result<Bytes> read_chunk_unproven(const hash::ChunkId& id, hash::Digest* proof) override;
  Result<Bytes> open_chunk(const hash::ChunkId& id, const hash::Digest& proof, const Location& loc,
                           ByteView sealed) override;
  std::optional<Location> locate(const hash::ChunkId& id) const override { return index_.find(id); }
  std::vector<Location> locate_all(const hash::ChunkId& id) const override {
    return index_.find_all(id);
  }
  Result<std::vector<pack::Entry>> read_pack_index(const hash::PackId& id) override;

  Result<WrittenSet> write_set(const SetBody& body) override;
  Result<std::vector<hash::SetId>> list_sets() override;
  Result<bool> has_set(const hash::SetId& id) override;
  Result<SetObject> read_set(const hash::SetId& id) override;
  Result<std::string> write_hold(HoldRecord r) override;
  Result<std::vector<HoldRecord>> list_holds(const SkipRecord& skip) override;
  Result<std::string> write_tag_record(TagRecord r) override;
  Result<std::vector<TagRecord>> list_tag_records(const SkipRecord& skip) override;
  Result<std::string> write_move_record(MoveRecord r) override;
  Result<std::vector<MoveRecord>> list_move_records(const SkipRecord& skip) override;
  Result<std::string> write_revocation(Revocation r) override;
  Result<std::vector<Revocation>> revocations() override;

  const std::vector<KeyGeneration>& generations() const override { return generations_; }
  const std::vector<std::pair<std::string, Error>>& rotation_problems() const override {
    return rotation_problems_;
  }
  Result<std::optional<std::size_t>> pack_generation(const hash::PackId& id) override;
  Result<std::optional<std::size_t>> set_generation(const hash::SetId& id) override;
  Result<Rotated> rotate_key(std::string_view passphrase, const crypto::KdfParams& p,
                             std::string user, std::string host) override;
  // At open: reads the rotation records, chains the generations from the config's box_pk,
  // opens the older secret keys backwards from this key's, and points sealing at the newest.
  Status load_generations();
  // The rotation records in holds/ that verify (admin signature, this repository), oldest
  // first; the others go to `skip`.
  Result<std::vector<Rotation>> list_rotations(const SkipRecord& skip);

  Result<std::string> add_key(std::string_view new_passphrase, const crypto::KdfParams& p) override;
  // Writes `m` as a new key slot under `passphrase`, reads it back and opens it (a slot is
  // trusted only once it has round-tripped the storage; one that does not is removed again).
  // Returns the slot's name. add_key and rotate_key.
  Result<std::string> put_checked_slot(const crypto::KeyMaterial& m, std::string_view passphrase,
                                       const crypto::KdfParams& p);
  Result<std::vector<std::string>> list_keys() override;
  Status remove_key(std::string_view slot_name) override;
  std::string current_slot() const override { return slot_; }
  const std::string& config_problem() const override { return config_problem_; }
  void set_config_problem(std::string p) { config_problem_ = std::move(p); }
  Result<Bytes> export_slot(std::string_view passphrase, bool write_only,
                            const crypto::KdfParams& p) const override;

  // For sessions and open().
  const hash::KeyedHasher& hasher() const { return hasher_; }
  ChunkIndex& index() { return index_; }
  // Orphan packs: whole packs under packs/ that no index file names (a cairn-pack killed
  // before finish() wrote its index file), with the entries of their trailing indexes. Found
  // once per process by find_orphans(); only Scope::any sessions deduplicate against them.
  const ChunkIndex& orphans() const { return orphans_; }
  Status find_orphans();
  // At most this many orphan packs are read per process (newest first where the storage is a
  // local directory), so a repository full of prune candidates keeps backups fast.
  static constexpr std::size_t kMaxOrphans = 1024;
  const std::filesystem::path& tmp_dir() const { return tmp_dir_; }
  // `listed`: index/ as listed a moment ago (open lists it while the key is derived), read
  // instead of a first listing; null: listed here.
  Status load_indexes(bool skip_damaged = false,
                      const std::vector<backend::ObjectInfo>* listed = nullptr);
  // holds/ as listed a moment ago (open lists it while the key is derived): the handle's
  // listing of the admin records (AdminCache).
  void seed_admin_listing(std::vector<std::string> names) { admin_.seed(std::move(names)); }
  // The packs that the index files stored now name: files read before (at open or by an
  // earlier call) are not read again, new ones are read and remembered.
  Result<std::unordered_set<hash::PackId>> indexed_packs();
  // Records an index file this process wrote (`name`, naming `packs`), so indexed_packs() does
  // not read and decode it again.
  void remember_index_file(const std::string& name, std::vector<hash::PackId> packs);
  void mark_full_slot(std::string name) { known_full_.insert(std::move(name)); }
  // nullopt when `writer` is not revoked; else the sets its revocations keep.
  Result<std::optional<std::vector<hash::SetId>>> revoked_keep(ByteView writer);

 private:
  Result<std::shared_ptr<const crypto::SecretBytes>> pack_key(const hash::PackId& pack);
  Result<SetObject> read_set_impl(const hash::SetId& id, bool want_body);
  Result<Bytes> read_copy(const hash::ChunkId& id, const Location& loc, hash::Digest* proof);
  // read_copy's second half: the blob `sealed` (read from `loc`) opened and re-hashed.
  Result<Bytes> open_copy(const hash::ChunkId& id, const Location& loc, ByteView sealed,
                          hash::Digest* proof);
  // The blob opened with the data key `key` and re-hashed (open_copy's core).
  Result<Bytes> open_with(ByteView key, const hash::ChunkId& id, const Location& loc,
                          ByteView sealed, hash::Digest* proof);
  // Parity (repo/parity.hpp): the chunk read from its pack rebuilt from the pack's group, in
  // memory (the repository is not changed: cairn-verify --read-data repairs it). nullopt when
  // no parity object rebuilds the pack. The last rebuilt packs are kept (and failures
  // remembered), so a restore rebuilds each pack once.
  Result<std::optional<Bytes>> read_via_parity(const hash::ChunkId& id, const Location& loc,
                                               hash::Digest* proof);
  std::mutex parity_mu_;
  std::map<hash::PackId, std::shared_ptr<const Bytes>> parity_packs_;  // nullptr: cannot
  // Reads, authenticates and decodes one index file and remembers the packs it names.
  // Errc::not_found when it is gone.
  Result<std::vector<IndexPack>> read_index_file(const std::string& name);
  Status check_writer(const SetObject& s);
  Result<std::string> put_admin_record(ByteView bytes);
  // Revocations by writer id (hex), loaded on first use.
  std::optional<std::unordered_map<std::string, Revocation>> revoked_;
  std::mutex revoked_mu_;
  // holds/ as this handle listed it, and the kind of each record read (AdminCache).
  AdminCache admin_;
  RecentSets recent_sets_;

  struct ReadScratch {
    compress::Decompressor d;
    Bytes scratch;
  };

  std::unique_ptr<backend::Backend> be_;
  std::filesystem::path tmp_dir_;
  std::optional<std::filesystem::path> local_dir_;  // opened from a directory
  Config config_;
  crypto::KeyMaterial keys_;
  chunker::Chunker chunker_;
  chunker::Chunker manifest_chunker_;
  hash::KeyedHasher hasher_;
  std::string slot_;
  std::string config_problem_;
  std::unordered_set<std::string> known_full_;
  std::vector<KeyGeneration> generations_;
  std::vector<std::pair<std::string, Error>> rotation_problems_;
  std::size_t my_generation_ = 0;  // the generation of keys_.box_pk
  ChunkIndex index_;
  ChunkIndex orphans_;
  std::mutex orphans_mu_;
  bool orphans_found_ = false;
  // Every index file read, with the packs it names (for indexed_packs()).
  std::unordered_map<std::string, std::vector<hash::PackId>> index_files_;
  std::mutex index_files_mu_;
  Pool<ReadScratch> readers_;
  std::mutex key_cache_mu_;
  // Opened pack data keys. Bounded: each SecretBytes costs locked pages.
  std::unordered_map<hash::PackId, std::shared_ptr<const crypto::SecretBytes>> key_cache_;
};

// Shared helpers.
Error corrupt_error(std::string_view what, std::string_view why);
// Errc::corrupt unless BLAKE2b(bytes) == the name the object was stored under.
Status check_content_address(ByteView bytes, const hash::Digest& name, std::string_view what);
std::string random_hex(std::size_t bytes);

}  // namespace cairn::repo
