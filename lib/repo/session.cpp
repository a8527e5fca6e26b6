// WriteSession: deduplicate, compress, encrypt and append chunks to packs; seal packs into
// packs/xx/<id>; write one index file at finish().
//
// Threads: put() compresses and seals in the calling thread; only the append (a write(2) of the
// sealed blob to the pack's temp file) and the bookkeeping run under mu_. A full pack is taken
// out of `current_` under the lock and sealed (index, trailer, fsync, rename) outside it.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "repo/internal.hpp"

namespace cairn::repo {

namespace {

namespace fs = std::filesystem;
using backend::Key;
using backend::Kind;

// A pack being written: a temp file under tmp_dir, removed unless it was moved into place.
struct OpenPack {
  std::uint32_t seq = 0;  // index into Session::pack_ids_
  io::Fd fd;
  fs::path tmp;
  // Buffered (1 MiB): most blobs are a few KiB, and a write(2) each cost more than the copy.
  // pack::Writer::finish() flushes it before the pack is fsync'd.
  std::unique_ptr<io::FdWriter> sink;
  std::optional<pack::Writer> writer;
  ~OpenPack() {
    if (!tmp.empty()) ::unlink(tmp.c_str());
  }
};

struct Worker {
  explicit Worker(const compress::Setting& s) : c(s) {}
  compress::Compressor c;
  Bytes zbuf, sealed;
};

// The chunks this session stored, in the order stored (pack after pack: only the current pack
// takes chunks), 46 bytes each in blocks that never move (no copy as they grow), and a table
// of them by chunk id: open addressing, linear probing, at most half full, 4-byte slots. About
// 60 bytes a chunk, against about 80 for lists of pack::Entry (56 bytes) and 8-byte slots.
class OwnChunks {
 public:
  struct __attribute__((packed)) Rec {
    std::uint8_t id[hash::kDigestSize];
    std::uint32_t offset;  // in its pack: a pack is at most kMaxPackSize and one chunk
    std::uint32_t sealed_len;
    std::uint32_t raw_size;
    std::uint8_t type;
    std::uint8_t flags;
  };
  static_assert(sizeof(Rec) == 46);

  std::size_t size() const { return n_; }
  const Rec& at(std::size_t i) const { return blocks_[i >> kShift][i & kMask]; }
  // The number of `id`, or nullopt (also once drop_table() ran).
  std::optional<std::size_t> find(const hash::ChunkId& id) const {
    if (slots_.empty()) return std::nullopt;
    for (std::size_t i = home(id.d.b.data());; i = (i + 1) & mask()) {
      const std::uint32_t sl = slots_[i];
      if (sl == 0) return std::nullopt;
      if (std::memcmp(at(sl - 1).id, id.d.b.data(), hash::kDigestSize) == 0) return sl - 1;
    }
  }
  // Appends `e` (not stored yet; its offset fits 32 bits).
  void add(const pack::Entry& e) {
    if ((n_ >> kShift) == blocks_.size()) blocks_.push_back(std::make_unique<Rec[]>(kBlock));
    Rec& r = blocks_[n_ >> kShift][n_ & kMask];
    std::memcpy(r.id, e.id.d.b.data(), hash::kDigestSize);
    r.offset = static_cast<std::uint32_t>(e.offset);
    r.sealed_len = e.sealed_len;
    r.raw_size = e.raw_size;
    r.type = e.type;
    r.flags = e.flags;
    ++n_;
    if (2 * n_ > slots_.size()) grow();
    place(static_cast<std::uint32_t>(n_));
  }
  static pack::Entry entry(const Rec& r) {
    hash::ChunkId id;
    std::memcpy(id.d.b.data(), r.id, hash::kDigestSize);
    return pack::Entry{id, r.type, r.flags, r.offset, r.sealed_len, r.raw_size};
  }
  // find() answers nothing from now on.
  void drop_table() { std::vector<std::uint32_t>().swap(slots_); }
  // Frees the blocks that hold only records before `i` (at() must not reach them again).
  void release_before(std::size_t i) {
    for (std::size_t b = 0; b < blocks_.size() && (b + 1) * kBlock <= i; ++b) blocks_[b].reset();
  }

 private:
  static constexpr unsigned kShift = 12;
  static constexpr std::size_t kBlock = std::size_t{1} << kShift, kMask = kBlock - 1;
  std::size_t mask() const { return slots_.size() - 1; }
  // Chunk ids are keyed hashes: their first bytes are as good as any hash of them.
  std::size_t home(const std::uint8_t* id) const {
    std::uint64_t h;
    std::memcpy(&h, id, sizeof h);
    return static_cast<std::size_t>(h) & mask();
  }
  void place(std::uint32_t sl) {
    std::size_t i = home(at(sl - 1).id);
    while (slots_[i] != 0) i = (i + 1) & mask();
    slots_[i] = sl;
  }
  void grow() {
    std::vector<std::uint32_t> old(std::max<std::size_t>(1024, slots_.size() * 2));
    old.swap(slots_);
    for (const std::uint32_t sl : old)
      if (sl != 0) place(sl);
  }

  std::vector<std::unique_ptr<Rec[]>> blocks_;
  std::vector<std::uint32_t> slots_;  // a record's number + 1; 0: empty
  std::size_t n_ = 0;
};

class Session final : public WriteSession {
 public:
  Session(RepositoryImpl& repo, Scope scope, std::vector<hash::PackId> allowed)
      : repo_(repo),
        scope_(scope),
        allowed_(allowed.begin(), allowed.end()),
        compression_(repo.config().compression()),
        workers_([this] { return std::make_unique<Worker>(compression_); }) {}

  void set_compression(const compress::Setting& s) override { compression_ = s; }

  hash::ChunkId id_of(ByteView plaintext, hash::Digest* proof) const override {
    return hash::ChunkId{repo_.hasher().hash(plaintext, proof)};
  }

  Result<bool> put(const hash::ChunkId& id, BlobType type, ByteView plaintext) override {
    const auto& cfg = repo_.config();
    if (plaintext.size() > cfg.chunking.max_size)
      return Error{Errc::bad_input,
                   fmt::format("chunk '{}' has {} bytes, more than the maximum chunk size {}",
                               id.hex(), plaintext.size(), cfg.chunking.max_size)};
    if (known(id)) return false;
    auto worker = workers_.lease();
    CAIRN_TRY_ASSIGN(const pack::Payload payload,
                     pack::make_payload(worker->c, plaintext, worker->zbuf));
    const auto t = static_cast<std::uint8_t>(type);
    const auto& repo_id = repo_.keys().repo_id;

    std::shared_ptr<OpenPack> target;
    {
      std::lock_guard lock(mu_);
      CAIRN_TRY(usable_locked());
      if (own_.find(id)) return false;
      CAIRN_TRY(ensure_pack_locked());
      target = current_;
    }
    // Sealing outside the lock: the data key of a pack never changes once started.
    pack::seal_payload(target->writer->data_key(), repo_id, t, id, payload, worker->sealed);

    std::shared_ptr<OpenPack> full;
    {
      std::lock_guard lock(mu_);
      CAIRN_TRY(usable_locked());
      if (own_.find(id)) return false;  // another thread stored it meanwhile
      if (current_ != target) {         // the pack rolled over meanwhile: seal for the new one
        CAIRN_TRY(ensure_pack_locked());
        target = current_;
        pack::seal_payload(target->writer->data_key(), repo_id, t, id, payload, worker->sealed);
      }
      const std::uint64_t offset = target->writer->size();
      if (offset > std::numeric_limits<std::uint32_t>::max()) {  // pack_size is at most 1 GiB
        failed_ = Error{Errc::internal, fmt::format("a pack grew past 4 GiB ({} bytes)", offset)};
        return *failed_;
      }
      if (auto st = target->writer->add(
              id, t, payload.flags, static_cast<std::uint32_t>(plaintext.size()), worker->sealed);
          !st) {
        failed_ = st.error();
        return std::move(st).error();
      }
      const auto length = static_cast<std::uint32_t>(worker->sealed.size());
      own_.add(pack::Entry{id, t, payload.flags, offset, length,
                           static_cast<std::uint32_t>(plaintext.size())});
      stored_ += length;
      if (target->writer->size() >= cfg.pack_size) full = std::move(current_);
    }
    if (full) CAIRN_TRY(seal(std::move(full)));
    return true;
  }

  std::optional<Location> locate(const hash::ChunkId& id) const override {
    {
      std::lock_guard lock(mu_);
      if (handed_over_) {
        if (auto loc = own_copy_locked(id)) return loc;
      } else if (const auto i = own_.find(id)) {
        const auto& pid = pack_ids_[seq_of(*i)];
        if (!pid) return std::nullopt;
        const auto& e = own_.at(*i);
        return Location{*pid,   e.offset, e.sealed_len, e.raw_size, static_cast<BlobType>(e.type),
                        e.flags};
      }
    }
    return in_scope(id);
  }

  bool stored_here(const hash::ChunkId& id) const override {
    std::lock_guard lock(mu_);
    if (handed_over_) return own_copy_locked(id).has_value();
    return own_.find(id).has_value();
  }

  std::vector<hash::PackId> sealed_packs() const override {
    std::lock_guard lock(mu_);
    std::vector<hash::PackId> out;
    for (const auto& p : pack_ids_)
      if (p) out.push_back(*p);
    return out;
  }

  std::uint64_t stored_bytes() const override { return stored_.load(); }

  void on_sealed(std::function<void(const std::string&)> fn) override {
    on_sealed_ = std::move(fn);
  }

  Result<std::vector<std::string>> finish() override {
    std::shared_ptr<OpenPack> last;
    {
      std::lock_guard lock(mu_);
      CAIRN_TRY(usable_locked());
      finished_ = true;
      last = std::move(current_);
    }
    if (last && last->writer->count() > 0) CAIRN_TRY(seal(std::move(last)));
    last.reset();
    std::lock_guard lock(mu_);
    if (failed_) return *failed_;
    if (pack_ids_.empty()) return written_;
    // Every pack this session started is sealed now (a failed one failed the session).
    for (std::size_t i = 0; i < pack_ids_.size(); ++i)
      if (!pack_ids_[i])
        return Error{Errc::internal, fmt::format("pack {} of the session was never sealed", i)};
    // The index file's and the index's form of the chunks: the table goes first, each block
    // of records once copied.
    own_.drop_table();
    std::vector<IndexPack> packs(pack_ids_.size());
    std::vector<hash::PackId> ids;
    for (std::size_t seq = 0; seq < packs.size(); ++seq) {
      const std::size_t end = seq + 1 < first_.size() ? first_[seq + 1] : own_.size();
      packs[seq].pack = *pack_ids_[seq];
      packs[seq].entries.reserve(end - first_[seq]);
      for (std::size_t i = first_[seq]; i < end; ++i)
        packs[seq].entries.push_back(OwnChunks::entry(own_.at(i)));
      own_.release_before(end);
      ids.push_back(packs[seq].pack);
    }
    own_ = OwnChunks{};
    const auto& keys = repo_.keys();
    std::string path;
    {  // the encoded file (50 bytes a chunk) is gone before the index grows (54 a chunk)
      const Bytes file = encode_index_file(packs, keys.index_key.view(), keys.repo_id);
      const Key k = Key::index(hash::blake2b(file).hex());
      auto st = repo_.storage().put(k, file, /*no_replace=*/true);
      if (!st && st.error().code != Errc::exists) {
        failed_ = st.error();
        return std::move(st).error();
      }
      path = k.path();
      // commit's keep_indexed() lists the index files: it need not read this one back
      repo_.remember_index_file(k.name, ids);
    }
    // Later sessions in this process deduplicate against them, and this one's locate()
    // answers from the index from now on (own_copy_locked). The entries move into the index
    // pack by pack, so the two copies are never both whole.
    own_packs_.insert(ids.begin(), ids.end());
    repo_.index().add(std::move(packs));
    packs = {};
    handed_over_ = true;
    written_.push_back(std::move(path));
    return written_;
  }

  Result<std::vector<std::string>> keep_indexed(const std::vector<hash::PackId>& packs) override {
    if (packs.empty()) return std::vector<std::string>{};
    CAIRN_TRY_ASSIGN(const auto named, repo_.indexed_packs());
    std::vector<IndexPack> lost;
    for (const auto& p : packs) {
      if (named.contains(p)) continue;
      CAIRN_TRY(present(p));
      // From the index files loaded at open, this session's, or an orphan's trailing index.
      auto entries = repo_.index().entries_of(p);
      if (entries.empty()) entries = repo_.orphans().entries_of(p);
      lost.push_back(IndexPack{p, std::move(entries)});
    }
    if (lost.empty()) return std::vector<std::string>{};
    const auto& keys = repo_.keys();
    const Bytes file = encode_index_file(lost, keys.index_key.view(), keys.repo_id);
    const Key k = Key::index(hash::blake2b(file).hex());
    auto st = repo_.storage().put(k, file, /*no_replace=*/true);
    if (!st && st.error().code != Errc::exists) return std::move(st).error();
    // Present after the revival too: a prune decides what it sweeps before it deletes, and
    // spares what an index file names by then (repo/gc.cpp).
    for (const auto& p : lost) {
      if (auto gone = present(p.pack); !gone) {
        (void)repo_.storage().remove(k);  // it names a pack that is gone: a rerun must not use it
        return std::move(gone).error();
      }
    }
    repo_.index().add(lost);  // adopted orphans: later sessions in this process use them too
    // An orphan's writer was killed before it reported the pack: report it here, before the
    // index file that names it, so cairn-push copies it.
    std::vector<std::string> out;
    for (const auto& p : lost)
      if (repo_.orphans().names(p.pack)) out.push_back(Key::pack(p.pack).path());
    out.push_back(k.path());
    return out;
  }

 private:
  // Errc::not_found (nothing may be committed) unless the pack is stored.
  Status present(const hash::PackId& p) {
    CAIRN_TRY_ASSIGN(const auto info, repo_.storage().stat(Key::pack(p)));
    if (info) return {};
    return Error{Errc::not_found,
                 fmt::format("pack '{}' holds chunks this backup shares with earlier sets, but "
                             "cairn-prune deleted it while the backup ran: nothing was committed; "
                             "run the backup again (it stores those chunks afresh)",
                             p.hex())};
  }

  // Deduplication: this session's own chunks, plus the repository's within the scope.
  bool known(const hash::ChunkId& id) const {
    {
      std::lock_guard lock(mu_);
      if (own_.find(id)) return true;
    }
    return in_scope(id).has_value();
  }

  // Scope::any also takes the chunks of orphan packs (a killed run's finished packs): the set
  // then references the orphan, and keep_indexed writes the index file that names it. A full
  // (own) or differential (packs) set never uses them.
  // A differential (Scope::packs) looks at every copy: a full set stores its own copy of a
  // chunk that older packs already hold, and the copy the index names first may be an older
  // one outside the full set's packs.
  std::optional<Location> in_scope(const hash::ChunkId& id) const {
    if (scope_ == Scope::own) return std::nullopt;
    if (scope_ == Scope::any) {
      if (auto loc = repo_.index().find(id)) return loc;
      return repo_.orphans().find(id);
    }
    for (const auto& loc : repo_.index().find_all(id))
      if (allowed_.contains(loc.pack)) return loc;
    return std::nullopt;
  }

  // The OpenPack::seq of own_'s record `i`.
  std::size_t seq_of(std::size_t i) const {
    return static_cast<std::size_t>(std::upper_bound(first_.begin(), first_.end(), i) -
                                    first_.begin()) -
           1;
  }

  // After finish(): this session's copy of `id` (the index's first copy may be an older one
  // outside the set, see in_scope), from the index, which holds this session's entries now.
  std::optional<Location> own_copy_locked(const hash::ChunkId& id) const {
    for (const auto& loc : repo_.index().find_all(id))
      if (own_packs_.contains(loc.pack)) return loc;
    return std::nullopt;
  }

  Status usable_locked() const {
    if (failed_) return *failed_;
    if (finished_) return Error{Errc::internal, "write session used after finish()"};
    return {};
  }

  Status ensure_pack_locked() {
    if (current_) return {};
    auto p = std::make_shared<OpenPack>();
    p->tmp = repo_.tmp_dir() / fmt::format("pack-{}.tmp", random_hex(12));
    auto fd = io::open_file(p->tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (!fd) {
      p->tmp.clear();
      failed_ = fd.error();
      return std::move(fd).error();
    }
    p->fd = std::move(*fd);
    p->sink = std::make_unique<io::FdWriter>(p->fd.get(), p->tmp.string());
    auto w = pack::Writer::start(*p->sink, repo_.keys().repo_id, repo_.keys().seal_pk());
    if (!w) {
      failed_ = w.error();
      return std::move(w).error();
    }
    p->writer.emplace(std::move(*w));
    p->seq = static_cast<std::uint32_t>(pack_ids_.size());
    pack_ids_.emplace_back();
    first_.push_back(own_.size());
    current_ = std::move(p);
    return {};
  }

  // Finishes a full pack: index and trailer, fsync, then moves it to packs/xx/<id>.
  Status seal(std::shared_ptr<OpenPack> p) {
    auto st = seal_unlocked(*p);
    std::lock_guard lock(mu_);
    if (!st) {
      if (!failed_) failed_ = st.error();
      return st;
    }
    return {};
  }

  Status seal_unlocked(OpenPack& p) {
    CAIRN_TRY_ASSIGN(auto fin, p.writer->finish(repo_.keys().index_key.view()));
    CAIRN_TRY(p.fd.close());
    const Key k = Key::pack(fin.id);
    // fsyncs, then renames (same filesystem) or copies; the name appears only when durable
    CAIRN_TRY(repo_.storage().put_file(k, p.tmp));
    {
      std::lock_guard lock(mu_);
      pack_ids_[p.seq] = fin.id;  // its chunks are own_'s from first_[p.seq] on, as added
      written_.push_back(k.path());
    }
    if (on_sealed_) on_sealed_(k.path());
    return {};
  }

  RepositoryImpl& repo_;
  const Scope scope_;
  const std::unordered_set<hash::PackId> allowed_;
  compress::Setting compression_;  // set before the first put(), read by workers_'s factory
  Pool<Worker> workers_;
  std::atomic<std::uint64_t> stored_{0};

  mutable std::mutex mu_;  // guards everything below
  // The chunks stored, by chunk id and in the order stored: those of the pack with
  // OpenPack::seq k from first_[k] on (the pack's own index lists the same).
  OwnChunks own_;
  std::vector<std::size_t> first_;                     // by OpenPack::seq
  std::vector<std::optional<hash::PackId>> pack_ids_;  // by OpenPack::seq; set once sealed
  // Set by finish() once the chunks moved into the repository's index: own_ is empty then, and
  // the session's chunks are the index's copies in own_packs_.
  bool handed_over_ = false;
  std::unordered_set<hash::PackId> own_packs_;
  std::shared_ptr<OpenPack> current_;
  std::vector<std::string> written_;
  std::optional<Error> failed_;
  bool finished_ = false;
  std::function<void(const std::string&)> on_sealed_;  // set before the first put()
};

}  // namespace

std::unique_ptr<WriteSession> make_session(RepositoryImpl& repo, WriteSession::Scope scope,
                                           std::vector<hash::PackId> allowed) {
  return std::make_unique<Session>(repo, scope, std::move(allowed));
}

}  // namespace cairn::repo
