#include "io/file.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/std.h>

namespace cairn::io {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Status Fd::close() {
  if (fd_ < 0) return {};
  int f = release();
  if (::close(f) != 0 && errno != EINTR) return errno_error(errno, "close");
  return {};
}

Result<Fd> open_file(const std::filesystem::path& p, int flags, int mode) {
  int fd;
  do fd = ::open(p.c_str(), flags | O_CLOEXEC, mode);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno_error(errno, fmt::format("cannot open '{}'", p.string()));
  return Fd{fd};
}

Result<std::size_t> read_full(int fd, MutByteView buf, std::string_view what) {
  std::size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, fmt::format("cannot read '{}'", what));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return got;
}

Status write_full(int fd, ByteView buf, std::string_view what) {
  std::size_t off = 0;
  while (off < buf.size()) {
    ssize_t n = ::write(fd, buf.data() + off, buf.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, fmt::format("cannot write '{}'", what));
    }
    off += static_cast<std::size_t>(n);
  }
  return {};
}

Result<Bytes> read_file(const std::filesystem::path& p) {
  CAIRN_TRY_ASSIGN(Fd fd, open_file(p, O_RDONLY));
  Bytes out;
  std::uint8_t tmp[1 << 16];
  for (;;) {
    CAIRN_TRY_ASSIGN(std::size_t n, read_full(fd.get(), tmp, p.string()));
    if (n == 0) break;
    out.insert(out.end(), tmp, tmp + n);
  }
  return out;
}

Status fsync_dir(const std::filesystem::path& dir) {
  CAIRN_TRY_ASSIGN(Fd fd, open_file(dir, O_RDONLY | O_DIRECTORY));
  if (::fsync(fd.get()) != 0)
    return errno_error(errno, fmt::format("cannot fsync '{}'", dir.string()));
  return {};
}

std::size_t widen_pipe(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return 0;
  int now = ::fcntl(fd, F_GETPIPE_SZ);
  if (now < 0) return 0;
  if (static_cast<std::size_t>(now) >= kPipeCapacity) return static_cast<std::size_t>(now);
  int got = ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(kPipeCapacity));
  return got > 0 ? static_cast<std::size_t>(got) : static_cast<std::size_t>(now);
}

Result<std::size_t> FdReader::read(MutByteView buf) {
  for (;;) {
    ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    return errno_error(errno, fmt::format("cannot read '{}'", name_));
  }
}

Result<std::size_t> MemReader::read(MutByteView buf) {
  std::size_t n = std::min(buf.size(), b_.size() - pos_);
  if (n) std::memcpy(buf.data(), b_.data() + pos_, n);  // memcpy(null, null, 0) is UB
  pos_ += n;
  return n;
}

// The queue between an ahead writer and its thread: full buffers in order, empty ones for
// reuse, and the first error the thread met (after which it writes nothing more).
struct FdWriter::Ahead {
  std::size_t cap = 0;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Bytes> full;
  std::vector<Bytes> spare;
  std::size_t queued = 0;  // bytes in `full` and in the buffer being written
  Status error;            // the first failed write's error; ok until then
  bool stop = false;
  std::thread thread;

  bool failed() const { return !error.has_value(); }

  void run(int fd, const std::string& name) {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stop || !full.empty(); });
      if (full.empty()) return;  // stopped, everything written
      Bytes b = std::move(full.front());
      full.pop_front();
      const bool skip = failed();  // after a failed write nothing more is written
      lock.unlock();
      Status st = skip ? Status{} : write_full(fd, b, name);
      lock.lock();
      if (!st.has_value() && !failed()) error = std::move(st);
      queued -= b.size();
      b.clear();
      spare.push_back(std::move(b));
      cv.notify_all();
    }
  }
};

FdWriter::FdWriter(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

FdWriter::~FdWriter() {
  (void)flush();
  if (ahead_) {
    {
      std::lock_guard lock(ahead_->mu);
      ahead_->stop = true;
    }
    ahead_->cv.notify_all();
    ahead_->thread.join();
  }
}

void FdWriter::write_ahead(std::size_t cap) {
  if (ahead_ || chunk_ != 0 || widen_pipe(fd_) == 0) return;
  ahead_ = std::make_unique<Ahead>();
  ahead_->cap = cap;
  try {
    ahead_->thread = std::thread([a = ahead_.get(), fd = fd_, name = name_] { a->run(fd, name); });
  } catch (const std::system_error&) {
    ahead_.reset();  // no thread to be had: the writes go out directly, as without this
  }
}

Status FdWriter::emit(ByteView b) {
  if (!guard_) return write_full(fd_, b, name_);
  return guard_([&] { return write_full(fd_, b, name_); });
}

Status FdWriter::push() {
  if (buf_.empty()) return {};
  if (!ahead_) {
    auto st = emit(buf_);
    buf_.clear();  // keeps the capacity; on failure the bytes are dropped (the caller fails)
    return st;
  }
  Ahead& a = *ahead_;
  std::unique_lock lock(a.mu);
  // Room for this buffer, or an empty queue (one buffer is always let through).
  a.cv.wait(lock, [&] { return a.failed() || a.queued == 0 || a.queued + buf_.size() <= a.cap; });
  if (a.failed()) {
    buf_.clear();
    return a.error;
  }
  a.queued += buf_.size();
  a.full.push_back(std::move(buf_));
  buf_ = Bytes();
  if (!a.spare.empty()) {
    buf_ = std::move(a.spare.back());
    a.spare.pop_back();
  }
  a.cv.notify_all();
  return {};
}

Status FdWriter::write(ByteView b) {
  if (chunk_ == 0) {
    // Into a pipe: a quarter of its (widened) capacity per write, so the writer runs up to
    // 3/4 of the pipe ahead of its reader while the reader works; a file: 1 MiB writes.
    std::size_t cap = widen_pipe(fd_);
    chunk_ = cap >= kPipeCapacity ? kPipeWrite : std::size_t{1} << 20;
  }
  if (buf_.size() + b.size() > chunk_) CAIRN_TRY(push());
  if (b.size() >= chunk_ && !ahead_) return emit(b);
  if (buf_.capacity() < chunk_) buf_.reserve(chunk_);  // once: no regrowth, no fresh pages
  append(buf_, b);
  return {};
}

Status FdWriter::flush() {
  CAIRN_TRY(push());
  if (!ahead_) return {};
  Ahead& a = *ahead_;
  std::unique_lock lock(a.mu);
  a.cv.wait(lock, [&] { return a.failed() || a.queued == 0; });
  return a.error;
}

Result<bool> LineReader::fill() {
  if (eof_) return false;
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  std::size_t old = buf_.size();
  buf_.resize(old + (1u << 16));
  auto n = r_.read(MutByteView(buf_.data() + old, 1u << 16));
  if (!n) {
    buf_.resize(old);
    return std::move(n).error();
  }
  buf_.resize(old + *n);
  if (*n == 0) eof_ = true;
  return *n > 0;
}

Result<bool> LineReader::next(std::string& line) {
  std::size_t scan = pos_;
  for (;;) {
    auto* begin = buf_.data() + scan;
    auto* nl = scan < buf_.size()
                   ? static_cast<std::uint8_t*>(std::memchr(begin, '\n', buf_.size() - scan))
                   : nullptr;  // memchr on an empty (null) buffer is UB
    if (nl) {
      std::size_t end = static_cast<std::size_t>(nl - buf_.data());
      line.assign(reinterpret_cast<const char*>(buf_.data() + pos_), end - pos_);
      consumed_ += end + 1 - pos_;
      pos_ = end + 1;
      return true;
    }
    if (buf_.size() - pos_ > max_)
      return Error{Errc::bad_input, fmt::format("line longer than {} bytes in stream", max_)};
    std::size_t keep = buf_.size() - pos_;
    CAIRN_TRY_ASSIGN(bool more, fill());
    scan = pos_ + keep;
    if (!more) {
      if (buf_.size() == pos_) return false;
      return Error{Errc::bad_input, "stream is truncated (last line has no newline)"};
    }
  }
}

Status LineReader::read_exact(MutByteView out) {
  std::size_t got = 0;
  while (got < out.size()) {
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
      CAIRN_TRY_ASSIGN(bool more, fill());
      if (!more) return Error{Errc::bad_input, "stream is truncated (inside a content frame)"};
    }
    std::size_t n = std::min(out.size() - got, buf_.size() - pos_);
    std::memcpy(out.data() + got, buf_.data() + pos_, n);
    pos_ += n;
    got += n;
    consumed_ += n;
  }
  return {};
}

Result<AtomicFile> AtomicFile::create(const std::filesystem::path& final, int mode) {
  std::random_device rd;
  auto dir = final.parent_path();
  if (dir.empty()) dir = ".";
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto tmp = dir / fmt::format(".tmp-{}-{:08x}{:08x}", final.filename().string(), rd(), rd());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd >= 0) return AtomicFile{Fd{fd}, tmp, final};
    if (errno != EEXIST)
      return errno_error(errno, fmt::format("cannot create a file in '{}'", dir.string()));
  }
  return Error{Errc::io, fmt::format("cannot create a temporary file in '{}'", dir.string())};
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : fd_(std::move(o.fd_)), tmp_(std::move(o.tmp_)), final_(std::move(o.final_)), done_(o.done_) {
  o.done_ = true;
}

AtomicFile::~AtomicFile() {
  if (!done_) ::unlink(tmp_.c_str());
}

Status AtomicFile::write(ByteView b) { return write_full(fd_.get(), b, tmp_.string()); }

Status AtomicFile::commit(bool no_replace) {
  if (::fsync(fd_.get()) != 0)
    return errno_error(errno, fmt::format("cannot fsync '{}'", tmp_.string()));
  CAIRN_TRY(fd_.close());
  int rc = no_replace
               ? ::renameat2(AT_FDCWD, tmp_.c_str(), AT_FDCWD, final_.c_str(), RENAME_NOREPLACE)
               : ::rename(tmp_.c_str(), final_.c_str());
  if (rc != 0) return errno_error(errno, fmt::format("cannot rename into '{}'", final_.string()));
  done_ = true;
  auto dir = final_.parent_path();
  return fsync_dir(dir.empty() ? "." : dir);
}

Status write_file_atomic(const std::filesystem::path& p, ByteView b, int mode, bool no_replace) {
  CAIRN_TRY_ASSIGN(auto f, AtomicFile::create(p, mode));
  CAIRN_TRY(f.write(b));
  return f.commit(no_replace);
}

}  // namespace cairn::io
