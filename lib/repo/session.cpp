// WriteSession: deduplicate, compress, encrypt and append chunks to packs; seal packs into
// packs/xx/<id>; write one index file at finish().
//
// Threads: put() compresses and seals in the calling thread; only the append (a write(2) of the
// sealed blob to the pack's temp file) and the bookkeeping run under mu_. A full pack is taken
// out of `current_` under the lock and sealed (index, trailer, fsync, rename) outside it.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>

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

// Where a chunk this session wrote lives; the pack id is known once the pack is sealed.
struct OwnLoc {
  std::uint64_t offset;
  std::uint32_t seq;
  std::uint32_t length;
  std::uint32_t raw_size;
  std::uint8_t type;
  std::uint8_t flags;
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
      if (own_.contains(id)) return false;
      CAIRN_TRY(ensure_pack_locked());
      target = current_;
    }
    // Sealing outside the lock: the data key of a pack never changes once started.
    pack::seal_payload(target->writer->data_key(), repo_id, t, id, payload, worker->sealed);

    std::shared_ptr<OpenPack> full;
    {
      std::lock_guard lock(mu_);
      CAIRN_TRY(usable_locked());
      if (own_.contains(id)) return false;  // another thread stored it meanwhile
      if (current_ != target) {             // the pack rolled over meanwhile: seal for the new one
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
      own_.emplace(id, OwnLoc{offset, target->seq, length,
                              static_cast<std::uint32_t>(plaintext.size()), t, payload.flags});
      stored_ += length;
      if (target->writer->size() >= cfg.pack_size) full = std::move(current_);
    }
    if (full) CAIRN_TRY(seal(std::move(full)));
    return true;
  }

  std::optional<Location> locate(const hash::ChunkId& id) const override {
    {
      std::lock_guard lock(mu_);
      if (auto it = own_.find(id); it != own_.end()) {
        const OwnLoc& l = it->second;
        const auto& pid = pack_ids_[l.seq];
        if (!pid) return std::nullopt;
        return Location{*pid,   l.offset, l.length, l.raw_size, static_cast<BlobType>(l.type),
                        l.flags};
      }
    }
    return in_scope(id);
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
    if (sealed_.empty()) return written_;
    const auto& keys = repo_.keys();
    std::string path;
    {  // the encoded file (50 bytes a chunk) is gone before the index grows (54 a chunk)
      const Bytes file = encode_index_file(sealed_, keys.index_key.view(), keys.repo_id);
      const Key k = Key::index(hash::blake2b(file).hex());
      auto st = repo_.storage().put(k, file, /*no_replace=*/true);
      if (!st && st.error().code != Errc::exists) {
        failed_ = st.error();
        return std::move(st).error();
      }
      path = k.path();
    }
    repo_.index().add(sealed_);  // later sessions in this process deduplicate against it
    std::vector<IndexPack>().swap(sealed_);  // the index holds them now
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
      if (own_.contains(id)) return true;
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
      sealed_.push_back(IndexPack{fin.id, std::move(fin.entries)});
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
  std::unordered_map<hash::ChunkId, OwnLoc> own_;
  std::vector<std::optional<hash::PackId>> pack_ids_;  // by OpenPack::seq; set once sealed
  std::shared_ptr<OpenPack> current_;
  std::vector<IndexPack> sealed_;
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
