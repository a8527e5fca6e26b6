// WriteSession: deduplicate, compress, encrypt and append chunks to packs; seal packs into
// packs/xx/<id>; write one index file at finish().
//
// Threads: put() compresses and seals in the calling thread; only the append (a write(2) of the
// sealed blob to the pack's temp file) and the bookkeeping run under mu_. A full pack is taken
// out of `current_` under the lock and sealed (index, trailer, fsync, rename) outside it.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

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

// The chunks this session stored, found by id: an open-addressing table (linear probing, at
// most half full) of 8-byte slots that point into the sessions's per-pack entry lists, which
// are kept anyway for the index file. About 75 bytes a chunk less than a hash map of ids to
// locations beside those lists (15 MiB on 200,000 small files).
class OwnTable {
 public:
  struct Slot {
    std::uint32_t seq = 0;  // the pack's OpenPack::seq + 1; 0: empty
    std::uint32_t idx = 0;  // into that pack's entries
  };
  // The slot of `id`, whose entry is in `packs` (by seq), or nullptr.
  const Slot* find(const hash::ChunkId& id, const std::vector<IndexPack>& packs) const {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = home(id);; i = (i + 1) & mask()) {
      const Slot& sl = slots_[i];
      if (sl.seq == 0) return nullptr;
      if (packs[sl.seq - 1].entries[sl.idx].id == id) return &sl;
    }
  }
  // Records packs[seq].entries[idx] (not in the table yet).
  void add(std::uint32_t seq, std::uint32_t idx, const std::vector<IndexPack>& packs) {
    if (2 * (count_ + 1) > slots_.size()) grow(packs);
    place(Slot{seq + 1, idx}, packs[seq].entries[idx].id);
    ++count_;
  }

 private:
  std::size_t mask() const { return slots_.size() - 1; }
  // Chunk ids are keyed hashes: their first bytes are as good as any hash of them.
  std::size_t home(const hash::ChunkId& id) const {
    std::uint64_t h;
    std::memcpy(&h, id.d.b.data(), sizeof h);
    return static_cast<std::size_t>(h) & mask();
  }
  void place(Slot sl, const hash::ChunkId& id) {
    std::size_t i = home(id);
    while (slots_[i].seq != 0) i = (i + 1) & mask();
    slots_[i] = sl;
  }
  void grow(const std::vector<IndexPack>& packs) {
    std::vector<Slot> old(std::max<std::size_t>(1024, slots_.size() * 2));
    old.swap(slots_);
    for (const Slot& sl : old)
      if (sl.seq != 0) place(sl, packs[sl.seq - 1].entries[sl.idx].id);
  }

  std::vector<Slot> slots_;
  std::size_t count_ = 0;
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
      if (own_.find(id, packs_)) return false;
      CAIRN_TRY(ensure_pack_locked());
      target = current_;
    }
    // Sealing outside the lock: the data key of a pack never changes once started.
    pack::seal_payload(target->writer->data_key(), repo_id, t, id, payload, worker->sealed);

    std::shared_ptr<OpenPack> full;
    {
      std::lock_guard lock(mu_);
      CAIRN_TRY(usable_locked());
      if (own_.find(id, packs_)) return false;  // another thread stored it meanwhile
      if (current_ != target) {  // the pack rolled over meanwhile: seal for the new one
        CAIRN_TRY(ensure_pack_locked());
        target = current_;
        pack::seal_payload(target->writer->data_key(), repo_id, t, id, payload, worker->sealed);
      }
      const std::uint64_t offset = target->writer->size();
      if (auto st = target->writer->add(
              id, t, payload.flags, static_cast<std::uint32_t>(plaintext.size()), worker->sealed);
          !st) {
        failed_ = st.error();
        return std::move(st).error();
      }
      const auto length = static_cast<std::uint32_t>(worker->sealed.size());
      auto& entries = packs_[target->seq].entries;
      entries.push_back(pack::Entry{id, t, payload.flags, offset, length,
                                    static_cast<std::uint32_t>(plaintext.size())});
      own_.add(target->seq, static_cast<std::uint32_t>(entries.size() - 1), packs_);
      stored_ += length;
      if (target->writer->size() >= cfg.pack_size) full = std::move(current_);
    }
    if (full) CAIRN_TRY(seal(std::move(full)));
    return true;
  }

  std::optional<Location> locate(const hash::ChunkId& id) const override {
    {
      std::lock_guard lock(mu_);
      if (const auto* sl = own_.find(id, packs_)) {
        const auto& pid = pack_ids_[sl->seq - 1];
        if (!pid) return std::nullopt;
        const pack::Entry& e = packs_[sl->seq - 1].entries[sl->idx];
        return Location{*pid,   e.offset, e.sealed_len, e.raw_size, static_cast<BlobType>(e.type),
                        e.flags};
      }
    }
    return in_scope(id);
  }

  bool stored_here(const hash::ChunkId& id) const override {
    std::lock_guard lock(mu_);
    return own_.find(id, packs_) != nullptr;
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
    const auto& keys = repo_.keys();
    std::string path;
    {  // the encoded file (50 bytes a chunk) is gone before the index grows (54 a chunk)
      const Bytes file = encode_index_file(packs_, keys.index_key.view(), keys.repo_id);
      const Key k = Key::index(hash::blake2b(file).hex());
      auto st = repo_.storage().put(k, file, /*no_replace=*/true);
      if (!st && st.error().code != Errc::exists) {
        failed_ = st.error();
        return std::move(st).error();
      }
      path = k.path();
    }
    // Later sessions in this process deduplicate against them. packs_ stays: locate() answers
    // from it (the index's first copy of a chunk may be an older one outside this set).
    repo_.index().add(packs_);
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
      if (own_.find(id, packs_)) return true;
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
    packs_.emplace_back();
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
      pack_ids_[p.seq] = fin.id;
      packs_[p.seq].pack = fin.id;            // its entries are packs_[p.seq]'s, as added
      packs_[p.seq].entries.shrink_to_fit();  // no more are added: no room left for them
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
  // By OpenPack::seq: each pack's chunks in the order stored (the pack's own index lists the
  // same), its id set once sealed; and own_, the table of them by chunk id.
  std::vector<IndexPack> packs_;
  OwnTable own_;
  std::vector<std::optional<hash::PackId>> pack_ids_;  // by OpenPack::seq; set once sealed
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
