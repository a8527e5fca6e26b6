// cairn-pack's pipeline. The calling thread reads the manifest stream and the file contents,
// cuts chunks and computes their ids (so the stored manifest can be written in input order);
// WorkQueue workers compress, encrypt and append new chunks to packs. The queue is bounded by
// bytes, so memory stays bounded whatever the input size. The set object is written only
// after the input stream's trailer verified and every chunk is durably in a pack: a failure
// anywhere before that commits nothing.
#include "repo/ingest.hpp"

#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "base/work_queue.hpp"
#include "io/file.hpp"
#include "repo/rewrite.hpp"

namespace cairn::repo {
namespace {

// The queue holds chunks read but not yet stored: 8 MiB (eight average chunks, or 32 batches
// of small ones: enough to keep the workers busy), or one chunk of the largest size (a larger
// job runs alone). Measured on 2 cores (scale-1 make-dataset tree, first backup): 96 MiB ran
// no faster than 16 MiB and cost 80-140 MiB more peak RSS; on 200,000 small files 8 MiB
// instead of 16 (which was two of the largest chunks) took 8 MiB off cairn-pack's peak.
std::uint64_t queue_bytes(std::uint64_t max_chunk) {
  return std::max<std::uint64_t>(8ull << 20, max_chunk);
}

// The buffers that carry new chunks to the workers come from here and return when stored: a
// fresh multi-MiB allocation per chunk costs page faults (glibc maps large blocks anew each
// time). At most kKeepBytes of spare capacity is kept.
class BufferPool {
 public:
  // An empty buffer with room for `want` bytes: one that came back with that room when there
  // is one (buffers above the mmap threshold are mapped anew when they grow: page faults).
  Bytes take(std::size_t want) {
    Bytes out;
    {
      std::lock_guard l(mu_);
      if (!free_.empty()) {
        auto it = std::find_if(free_.begin(), free_.end(),
                               [&](const Bytes& b) { return b.capacity() >= want; });
        if (it == free_.end()) it = free_.end() - 1;
        out = std::move(*it);
        free_.erase(it);
        kept_ -= out.capacity();
      }
    }
    out.reserve(want);
    return out;
  }
  void clear() {
    std::lock_guard l(mu_);
    std::vector<Bytes>().swap(free_);
    kept_ = 0;
  }
  void give_back(Bytes b) {
    b.clear();
    std::lock_guard l(mu_);
    if (kept_ + b.capacity() > kKeepBytes) return;
    kept_ += b.capacity();
    free_.push_back(std::move(b));
  }

 private:
  static constexpr std::size_t kKeepBytes = 16u << 20;
  std::mutex mu_;
  std::vector<Bytes> free_;
  std::size_t kept_ = 0;
};

// The repository's packs (outside this session's) that hold chunks the set references: with
// the session's own packs, every pack a restore of the set needs. Kept as packs, not chunk
// ids, so it does not grow with the number of chunks (a set of every referenced id cost
// about 53 bytes a chunk). The reading thread only.
class Referenced {
 public:
  void add(const hash::PackId& p) {
    if (last_ == p) return;  // consecutive chunks mostly share a pack
    last_ = p;
    packs_.insert(p);
  }
  const std::set<hash::PackId>& packs() const { return packs_; }

 private:
  std::optional<hash::PackId> last_;
  std::set<hash::PackId> packs_;
};

// Cuts a byte stream into chunks and submits the new ones for storage.
class ChunkSink {
 public:
  ChunkSink(WriteSession& s, const chunker::Chunker& c, WorkQueue& q, BlobType type,
            Referenced& refs, std::atomic<std::uint64_t>& bytes_new)
      : s_(s), c_(c), q_(q), type_(type), refs_(refs), bytes_new_(bytes_new) {}
  // Feeds bytes; chunk ids and their possession proofs are appended to `ids` and `proofs` as
  // chunks complete. A cut is looked for once twice the average chunk size is pending (most
  // chunks end before that), not only once max_size is: the chunker finds the same cut point
  // in a prefix as in the whole (chunker.hpp), so the chunks are the same, and the buffer holds
  // a few MiB instead of up to twice max_size (16 MiB for the stored manifest of 200,000
  // files). Where no cut is found the next look waits for twice as much, so no byte is
  // scanned more than about twice.
  Status feed(ByteView b, std::vector<hash::ChunkId>& ids, std::vector<hash::Digest>& proofs) {
    append(buf_, b);
    while (buf_.size() - pos_ >= try_at_) {
      const std::size_t before = pos_;
      CAIRN_TRY(cut(false, ids, proofs));
      if (pos_ == before) {  // less than max_size pending, and no cut point in it yet
        try_at_ = std::min<std::size_t>(2 * (buf_.size() - pos_), c_.params().max_size);
        break;
      }
      try_at_ = first_try();
    }
    compact();
    return {};
  }
  Status finish(std::vector<hash::ChunkId>& ids, std::vector<hash::Digest>& proofs) {
    while (pos_ < buf_.size()) CAIRN_TRY(cut(true, ids, proofs));
    buf_.clear();  // keeps its capacity for the next file
    pos_ = 0;
    try_at_ = first_try();
    return {};
  }
  // Frees the buffers (the queue is drained): ingest's bookkeeping after this needs no room
  // for them.
  void release() {
    Bytes().swap(buf_);
    pos_ = 0;
    pool_.clear();
  }

 private:
  Status cut(bool eof, std::vector<hash::ChunkId>& ids, std::vector<hash::Digest>& proofs) {
    ByteView rest(buf_.data() + pos_, buf_.size() - pos_);
    std::size_t n = c_.next_cut(rest, eof);
    if (n == 0) return {};
    ByteView chunk = rest.first(n);
    pos_ += n;
    hash::Digest proof;
    hash::ChunkId id = s_.id_of(chunk, &proof);
    ids.push_back(id);
    proofs.push_back(proof);
    // Stored by this session already, or in the repository within the session's scope: not
    // stored again. (A chunk still queued is neither: a second copy is queued, and put()
    // finds the first one stored by then, or stores the chunk once, whichever copy comes
    // first.)
    if (s_.stored_here(id)) return {};
    if (const auto loc = s_.locate(id)) {
      refs_.add(loc->pack);
      return {};
    }
    // A batch stays within its buffer's kBatchBytes (never grown, so never copied); a larger
    // chunk goes alone.
    if (batch_.data.size() + n > kBatchBytes) CAIRN_TRY(submit());
    if (batch_.chunks.empty()) {
      batch_.data = pool_.take(std::max<std::size_t>(n, kBatchBytes));
    }
    batch_.chunks.push_back(
        {id, static_cast<std::uint32_t>(batch_.data.size()), static_cast<std::uint32_t>(n)});
    append(batch_.data, chunk);
    if (batch_.data.size() >= kBatchBytes || batch_.chunks.size() >= kBatchChunks) return submit();
    return {};
  }

 public:
  // Hands the new chunks not yet submitted to the workers: call before waiting for the queue.
  Status submit() {
    if (batch_.chunks.empty()) return {};
    auto type = type_;
    auto* s = &s_;
    auto* bytes_new = &bytes_new_;
    auto* pool = &pool_;
    // What the batch holds is its buffer's capacity, not just the bytes in it.
    const std::uint64_t size = batch_.data.capacity();
    return q_.submit(
        size, [s, type, batch = std::exchange(batch_, {}), bytes_new, pool]() mutable -> Status {
          Status st;
          for (const auto& c : batch.chunks) {
            auto fresh = s->put(c.id, type, ByteView(batch.data.data() + c.offset, c.size));
            if (!fresh) {
              st = std::move(fresh).error();
              break;
            }
            if (*fresh) *bytes_new += c.size;
          }
          pool->give_back(std::move(batch.data));
          return st;
        });
  }

 private:
  std::size_t first_try() const {
    return std::min<std::size_t>(2 * std::size_t{c_.params().avg_size}, c_.params().max_size);
  }
  // Drops the consumed front of the buffer once it is at least as long as what is left (and
  // one average chunk), so each byte is moved at most about once.
  void compact() {
    if (pos_ < c_.params().avg_size || pos_ < buf_.size() - pos_) return;
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }

  WriteSession& s_;
  const chunker::Chunker& c_;
  WorkQueue& q_;
  BlobType type_;
  Referenced& refs_;
  std::atomic<std::uint64_t>& bytes_new_;  // added to by the workers
  Bytes buf_;
  std::size_t pos_ = 0;
  std::size_t try_at_ = first_try();  // pending bytes at which feed() looks for a cut
  // New chunks go to the workers in batches (one queue hand-off, not one per chunk: small
  // files make small chunks); a chunk of kBatchBytes or more goes alone. A batch's chunks lie
  // side by side in one buffer: one allocation a batch, and what the queue holds is what it
  // counts (a buffer a chunk kept the capacity of the largest chunk it ever held: 53 MiB for
  // the 16 MiB queue on 200,000 small files).
  static constexpr std::uint64_t kBatchBytes = 256u << 10;
  static constexpr std::size_t kBatchChunks = 128;
  struct Batch {
    struct Chunk {
      hash::ChunkId id;
      std::uint32_t offset, size;  // in data
    };
    Bytes data;
    std::vector<Chunk> chunks;
  };
  Batch batch_;
  BufferPool pool_;  // outlives the tasks: the queue is drained before a sink goes away
};

// The stored manifest is itself chunked (BlobType::meta): it deduplicates between sets.
class MetaWriter final : public io::Writer {
 public:
  MetaWriter(ChunkSink& sink, io::Writer* copy) : sink_(sink), copy_(copy) {}
  Status write(ByteView b) override {
    size_ += b.size();
    if (copy_) CAIRN_TRY(copy_->write(b));
    return sink_.feed(b, ids, proofs);
  }
  Status flush() override { return {}; }
  Status finish() { return sink_.finish(ids, proofs); }
  std::vector<hash::ChunkId> ids;
  std::vector<hash::Digest> proofs;
  std::uint64_t size() const { return size_; }

 private:
  ChunkSink& sink_;
  io::Writer* copy_;  // IngestOptions::manifest_copy
  std::uint64_t size_ = 0;
};

// open(2) of `path`, also when it is longer than PATH_MAX (ENAMETOOLONG for open): then the
// directories above it are opened in steps shorter than PATH_MAX, each relative to the last,
// and the file relative to the deepest. -1 with errno set on failure, like open(2).
int open_any_length(const std::string& path, int flags) {
  if (path.size() < PATH_MAX) return ::open(path.c_str(), flags);
  io::Fd dir;
  std::string_view rest = path;
  while (rest.size() >= PATH_MAX) {
    const auto cut = rest.rfind('/', PATH_MAX - 1);
    if (cut == std::string_view::npos || cut == 0) {
      errno = ENAMETOOLONG;
      return -1;
    }
    const std::string step(rest.substr(0, cut));
    const int d = ::openat(dir.valid() ? dir.get() : AT_FDCWD, step.c_str(),
                           O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
    if (d < 0) return -1;
    dir = io::Fd(d);
    rest.remove_prefix(cut + 1);
  }
  const int fd = ::openat(dir.get(), std::string(rest).c_str(), flags);
  const int err = errno;
  (void)dir.close();
  errno = err;
  return fd;
}

// Opens the source files for reading. Entries come in path order, so the files of one
// directory follow each other: its fd is kept and each file opened relative to it (the
// directory's path is resolved once, not once per file). O_NOATIME where allowed (files of
// the effective user, or any as root): reading a file does not write its inode's atime.
class SourceFiles {
 public:
  // open(2) of `file` with `flags` (O_NOFOLLOW: a final symlink is not followed), owned by
  // `uid` as the snapshot saw it; -1 with errno set on failure, like open(2).
  int open(const std::string& file, int flags, std::uint32_t uid) {
    const bool noatime = noatime_ && (euid_ == 0 || uid == euid_);
    const auto slash = file.rfind('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == file.size())
      return open_noatime(AT_FDCWD, file, flags, true, noatime);
    const std::string_view dir(file.data(), slash);
    if (!dir_.valid() || dir != dir_path_) {
      dir_ = io::Fd();
      dir_path_.clear();
      const int d = open_any_length(std::string(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (d < 0) return -1;
      dir_ = io::Fd(d);
      dir_path_.assign(dir);
    }
    name_.assign(file, slash + 1);
    return open_noatime(dir_.get(), name_, flags, false, noatime);
  }

 private:
  int open_noatime(int at, const std::string& name, int flags, bool any_length, bool noatime) {
    const auto once = [&](int f) {
      return any_length ? open_any_length(name, f) : ::openat(at, name.c_str(), f);
    };
    if (noatime) {
      const int fd = once(flags | O_NOATIME);
      if (fd >= 0 || errno != EPERM) return fd;
      noatime_ = false;  // refused where it should not be (no CAP_FOWNER): plain opens from now on
    }
    return once(flags);
  }

  io::Fd dir_;
  std::string dir_path_, name_;
  bool noatime_ = true;
  const std::uint32_t euid_ = ::geteuid();
};

// Maps a manifest path to the file on disk, from the header's roots.
class RootMap {
 public:
  explicit RootMap(const std::vector<std::string>& roots) {
    for (auto& r : roots) {
      std::filesystem::path p = std::filesystem::absolute(r).lexically_normal();
      if (p.filename().empty()) p = p.parent_path();
      roots_.push_back(p);
    }
  }
  std::optional<std::filesystem::path> resolve(const std::string& path) const {
    if (roots_.empty()) return std::nullopt;
    if (roots_.size() == 1) return path == "." ? roots_[0] : roots_[0] / path;
    auto slash = path.find('/');
    std::string first = path.substr(0, slash);
    for (auto& r : roots_)
      if (r.filename() == first) return slash == std::string::npos ? r : r / path.substr(slash + 1);
    return std::nullopt;
  }

 private:
  std::vector<std::filesystem::path> roots_;
};

struct Stats {
  std::uint64_t files = 0, bytes_read = 0;
  std::atomic<std::uint64_t> bytes_new{0};
};

class Packer {
 public:
  Packer(Repository& r, WriteSession& s, WorkQueue& q, Observer& obs, const CancelToken& cancel,
         bool reuse_unchanged, io::Writer* manifest_copy)
      : r_(r),
        s_(s),
        q_(q),
        obs_(obs),
        cancel_(cancel),
        reuse_(reuse_unchanged),
        data_(s, r.chunker(), q, BlobType::data, refs_, stats_.bytes_new),
        meta_(s, r.manifest_chunker(), q, BlobType::meta, refs_, stats_.bytes_new),
        meta_out_(meta_, manifest_copy),
        stored_(meta_out_) {}

  Status run(manifest::Reader& in, const RootMap& roots) {
    manifest::SetInfo info = in.set();
    CAIRN_TRY(stored_.header(info));
    manifest::Entry e;
    // Not zero-filled: only the pages a read reaches become resident (a tree of small files
    // touches a few KiB of it, not 4 MiB).
    if (!buf_) buf_.reset(new std::uint8_t[kReadSize]);
    for (;;) {
      if (cancel_.cancelled()) return Error{Errc::cancelled, "interrupted"};
      CAIRN_TRY_ASSIGN(bool more, in.next(e));
      if (!more) break;
      if (e.status == manifest::Change::deleted) continue;
      bool keep = true;
      if (e.type == manifest::Type::file) {
        CAIRN_TRY_ASSIGN(keep, content(in, e, roots));
      }
      if (!keep) continue;
      e.status = manifest::Change::none;
      e.inline_content = false;
      ++stats_.files;
      CAIRN_TRY(stored_.entry(e));
    }
    CAIRN_TRY(stored_.finish());
    CAIRN_TRY(meta_out_.finish());
    CAIRN_TRY(stored(data_.submit()));
    return stored(meta_.submit());
  }

  // Once the queue is drained: frees the read buffer, the chunk sinks' buffers and the spare
  // buffers of the queue (26 MiB on 200,000 small files), before the session writes its index.
  void release() {
    data_.release();
    meta_.release();
    buf_.reset();
  }

  const Stats& stats() const { return stats_; }
  const std::vector<hash::ChunkId>& manifest_chunks() const { return meta_out_.ids; }
  const std::vector<hash::Digest>& manifest_proofs() const { return meta_out_.proofs; }
  std::uint64_t manifest_size() const { return meta_out_.size(); }
  // The repository's packs the set references besides the session's (Referenced).
  const std::set<hash::PackId>& referenced_packs() const { return refs_.packs(); }

 private:
  // Fills e.chunks (and e.size for streamed content). false = the entry is dropped (warned).
  Result<bool> content(manifest::Reader& in, manifest::Entry& e, const RootMap& roots) {
    if (e.inline_content) {
      e.chunks.clear();
      e.proofs.clear();
      std::uint64_t total = 0;
      Bytes frame;
      for (;;) {
        CAIRN_TRY_ASSIGN(std::size_t n, in.read_frame(frame));
        if (n == 0) break;
        total += n;
        CAIRN_TRY(data_.feed(ByteView(frame.data(), n), e.chunks, e.proofs));
        obs_.advanced(n, 0);
        if (cancel_.cancelled()) return Error{Errc::cancelled, "interrupted"};
      }
      CAIRN_TRY(data_.finish(e.chunks, e.proofs));
      e.size = total;
      stats_.bytes_read += total;
      obs_.advanced(0, 1);
      return true;
    }
    // An unchanged entry is reused only with one proof per chunk: the proofs come from the
    // base set and show the chunks' plaintext was held (restore checks them; cairn-pack
    // cannot, as it does not read the chunks back). Without them the file is read again.
    if (e.status == manifest::Change::unchanged && reuse_ && (e.size == 0 || !e.chunks.empty()) &&
        e.proofs.size() == e.chunks.size()) {
      reused_.clear();
      for (const auto& id : e.chunks) {
        const auto loc = r_.locate(id);
        if (!loc) break;
        reused_.push_back(loc->pack);
      }
      if (reused_.size() == e.chunks.size()) {
        for (const auto& p : reused_) refs_.add(p);
        obs_.advanced(0, 1);
        return true;
      }
    }
    auto file = roots.resolve(e.path);
    if (!file) {
      obs_.warning(e.path,
                   Error{Errc::not_found, "no root in the manifest header holds this path"});
      return false;
    }
    auto r = read_file(*file, e);
    if (!r) {
      if (r.error().code == Errc::cancelled || store_failed_) return std::move(r).error();
      obs_.warning(e.path, r.error());
      return false;
    }
    obs_.advanced(0, 1);
    return true;
  }

  // What storing chunks returns (a failed repository write may be a worker's, from an
  // earlier file): it stops the run and names the repository object, never a source file.
  Status stored(Status st) {
    if (!st) store_failed_ = true;
    return st;
  }

  Status read_file(const std::filesystem::path& file, manifest::Entry& e) {
    int fd = files_.open(file.string(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                         e.uid);
    if (fd < 0) return errno_error(errno, "cannot open");
    io::Fd owner(fd);
    struct stat before;
    if (::fstat(fd, &before) != 0) return errno_error(errno, "cannot stat");
    if (!S_ISREG(before.st_mode)) return Error{Errc::bad_input, "is no longer a regular file"};
    const auto expect = static_cast<std::uint64_t>(before.st_size);
    if (expect > kReadSize) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    e.chunks.clear();
    e.proofs.clear();
    std::uint64_t total = 0;
    for (;;) {
      // Up to the size fstat gave, then no read for the end of file: a small file takes one
      // read. A file that grew meanwhile shows in the fstat below (warned about as changed).
      const std::uint64_t left = expect > total ? expect - total : 0;
      const std::size_t want = left > 0 && left < kReadSize ? left : kReadSize;
      CAIRN_TRY_ASSIGN(std::size_t n, io::read_full(fd, MutByteView(buf_.get(), want), "file"));
      if (n == 0) break;
      total += n;
      CAIRN_TRY(stored(data_.feed(ByteView(buf_.get(), n), e.chunks, e.proofs)));
      obs_.advanced(n, 0);
      if (cancel_.cancelled()) return Error{Errc::cancelled, "interrupted"};
      if (total == expect || n < want) break;
    }
    CAIRN_TRY(stored(data_.finish(e.chunks, e.proofs)));
    stats_.bytes_read += total;
    struct stat after;
    if (::fstat(fd, &after) != 0) return errno_error(errno, "cannot stat");
    const auto ns = [](const timespec& t) {
      return std::int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
    };
    // Changed while read (size, mtime or ctime moved), or since the snapshot listed it: a
    // same-size edit moves mtime or ctime (0 in the manifest: not recorded, not compared).
    const bool changed =
        static_cast<std::uint64_t>(after.st_size) != total ||
        ns(after.st_mtim) != ns(before.st_mtim) || ns(after.st_ctim) != ns(before.st_ctim) ||
        (e.mtime_ns != 0 && (e.size != total || e.mtime_ns != ns(before.st_mtim))) ||
        (e.ctime_ns != 0 && e.ctime_ns != ns(before.st_ctim));
    e.size = total;
    if (changed) {
      // Keep what was read (it is consistent chunk by chunk) but say so: exit 3.
      e.mtime_ns = ns(after.st_mtim);
      e.ctime_ns = ns(after.st_ctim);
      obs_.warning(e.path, Error{Errc::io,
                                 "changed since the snapshot or while it was read; "
                                 "stored as read"});
    }
    return {};
  }

  Repository& r_;
  WriteSession& s_;
  WorkQueue& q_;
  Observer& obs_;
  const CancelToken& cancel_;
  bool reuse_;
  bool store_failed_ = false;
  Stats stats_;
  Referenced refs_;
  std::vector<hash::PackId> reused_;  // content()'s scratch
  ChunkSink data_, meta_;
  MetaWriter meta_out_;
  manifest::Writer stored_;
  static constexpr std::size_t kReadSize = 4u << 20;
  std::unique_ptr<std::uint8_t[]> buf_;  // kReadSize
  SourceFiles files_;
};

}  // namespace

Result<Ingested> ingest(Repository& r, WriteSession& s, manifest::Reader& in,
                        const IngestOptions& o, Observer& obs, const CancelToken& cancel) {
  test_pause("pack-before-ingest");
#ifdef __GLIBC__
  // glibc raises its mmap threshold to the largest block freed so far, so the batch buffers
  // and chunk copies (256 KiB to 8 MiB) then come from the heap, where the small allocations
  // between them keep freed room from going back: 23 MiB more peak RSS on 200,000 small files.
  // A fixed threshold keeps them mapped (the pools reuse them, so no more page faults).
  static const bool fixed = ::mallopt(M_MMAP_THRESHOLD, 128 << 10) == 1;
  (void)fixed;
#endif
  RootMap roots(in.set().roots);
  std::optional<Packer> packer;
  {
    const unsigned workers = o.jobs ? o.jobs : default_jobs();
    WorkQueue q(workers, queue_bytes(r.chunker().params().max_size));
    packer.emplace(r, s, q, obs, cancel, o.reuse_unchanged, o.manifest_copy);
    Status st = packer->run(in, roots);
    Status w = q.wait();
    packer->release();
    if (!st) return std::move(st).error();
    if (!w) return std::move(w).error();
  }
  Ingested out;
  CAIRN_TRY_ASSIGN(out.objects, s.finish());

  // Every pack a restore of this set needs: the session's (each holds only chunks of this
  // set) and the repository's that the set shares.
  std::set<hash::PackId> packs = packer->referenced_packs();
  for (const auto& p : s.sealed_packs()) packs.insert(p);
  out.packs.assign(packs.begin(), packs.end());
  out.files = packer->stats().files;
  out.bytes_read = packer->stats().bytes_read;
  out.bytes_new = packer->stats().bytes_new;
  out.bytes_stored = s.stored_bytes();
  out.manifest = packer->manifest_chunks();
  out.manifest_proofs = packer->manifest_proofs();
  out.manifest_size = packer->manifest_size();
  return out;
}

void take_stored(SetBody& body, Ingested&& got) {
  body.bytes_new = got.bytes_new;
  body.bytes_stored = got.bytes_stored;
  body.manifest = std::move(got.manifest);
  body.manifest_proofs = std::move(got.manifest_proofs);
  body.manifest_size = got.manifest_size;
  body.packs = std::move(got.packs);
}

Result<WrittenSet> commit(Repository& r, WriteSession& s, const SetBody& body,
                          std::vector<std::string>& objects) {
  std::vector<std::string> revived;
  const auto keep = [&]() -> Status {
    CAIRN_TRY_ASSIGN(const auto files, s.keep_indexed(body.packs));
    revived.insert(revived.end(), files.begin(), files.end());
    return {};
  };
  test_pause("pack-before-commit-check");
  CAIRN_TRY(keep());
  test_pause("pack-before-commit");
  CAIRN_TRY_ASSIGN(auto written, r.write_set(body));
  if (auto st = keep(); !st) {
    // A pack is gone after all (see repo/gc.cpp): the set could not be restored, so it goes,
    // and so do the index files that name the pack (a rerun stores its chunks afresh).
    std::vector<backend::Key> undo{backend::Key::set(written.id)};
    for (const auto& path : revived)  // the index files; the adopted orphan packs stay
      if (auto k = backend::Key::from_path(path); k && k->kind != backend::Kind::pack)
        undo.push_back(*k);
    for (const auto& k : undo)
      if (auto rm = r.storage().remove(k); !rm && rm.error().code != Errc::not_found)
        return std::move(
            st.error().wrap(fmt::format("set {} cannot be restored, and removing '{}' failed ({})",
                                        written.id.hex(), k.path(), rm.error().message)));
    return std::move(st).error();
  }
  objects.insert(objects.end(), revived.begin(), revived.end());
  test_pause("pack-after-commit");
  return written;
}

}  // namespace cairn::repo
