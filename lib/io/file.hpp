// lib/io/file.hpp: file descriptors, readers/writers and atomic file creation.
// Depends on: base. Threads: each object is thread-compatible (one user at a time).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace cairn::io {

// Move-only owner of a file descriptor (ccache util::Fd). Closing errors are ignored by the
// destructor; call close() when the result matters.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  Status close();

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC; `what` names the subject in errors.
Result<Fd> open_file(const std::filesystem::path& p, int flags, int mode = 0644);

// Reads up to buf.size() bytes, retrying EINTR and short reads; returns 0 only at EOF.
Result<std::size_t> read_full(int fd, MutByteView buf, std::string_view what);
Status write_full(int fd, ByteView buf, std::string_view what);
Result<Bytes> read_file(const std::filesystem::path& p);
Status fsync_dir(const std::filesystem::path& dir);

// The capacity widen_pipe() asks for, and the write size FdWriter uses on such a pipe.
inline constexpr std::size_t kPipeCapacity = 1u << 20;
inline constexpr std::size_t kPipeWrite = kPipeCapacity / 4;
// If fd is a pipe, grows its kernel buffer to kPipeCapacity (F_SETPIPE_SZ; 1 MiB is Linux's
// default pipe-max-size, so no privilege is needed) and returns the capacity it now has;
// 0 when fd is not a pipe. Failing to grow it is not an error (the user's pipe quota, an
// older kernel): the pipe keeps its 64 KiB. Why: two stages joined by a 64 KiB pipe, the
// writer emitting 1 MiB at a time, take turns instead of overlapping (measured: cairn-diff |
// cairn-pack used 1.07 of 2 cores); with 1 MiB of slack each keeps its own core.
std::size_t widen_pipe(int fd);

// A byte source: a file, stdin, a pipe, a memory buffer.
class Reader {
 public:
  virtual ~Reader() = default;
  // Fills up to buf.size() bytes; 0 means end of stream.
  virtual Result<std::size_t> read(MutByteView buf) = 0;
};

class Writer {
 public:
  virtual ~Writer() = default;
  virtual Status write(ByteView b) = 0;
  virtual Status flush() { return {}; }
};

class FdReader final : public Reader {
 public:
  FdReader(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Result<std::size_t> read(MutByteView buf) override;

 private:
  int fd_;
  std::string name_;
};

class MemReader final : public Reader {
 public:
  explicit MemReader(ByteView b) : b_(b) {}
  Result<std::size_t> read(MutByteView buf) override;

 private:
  ByteView b_;
  std::size_t pos_ = 0;
};

// Buffered writer on a borrowed fd (stdout). flush() reports EPIPE/ENOSPC.
class FdWriter final : public Writer {
 public:
  FdWriter(int fd, std::string name);
  ~FdWriter() override;
  Status write(ByteView b) override;
  // Everything written so far is on the descriptor (or the first error writing it).
  Status flush() override;
  // When fd is a pipe: the writes go to it from a thread of this writer's own, through a queue
  // of at most `cap` bytes, so the caller runs up to `cap` (plus the pipe) ahead of a reader
  // that is not reading yet. For cairn-snap, whose reader derives the repository key (about
  // 0.3 s of one core) before it reads: the walk goes on meanwhile on the other core instead
  // of stopping at a full pipe. The queue's buffers are reused; the guard is not used (a pipe
  // is not a terminal). Call before the first write; a no-op for anything but a pipe.
  void write_ahead(std::size_t cap);
  // Each write to the descriptor runs inside `guard`, which calls its argument once and
  // returns what it returns: cli's status line is erased first and not drawn meanwhile, so
  // a result on the same terminal starts on a line of its own.
  using Guard = std::function<Status(const std::function<Status()>&)>;
  void set_guard(Guard g) { guard_ = std::move(g); }

 private:
  Status emit(ByteView b);
  Status push();  // hands buf_ to the descriptor (or to the queue); buf_ is empty after

  int fd_;
  std::string name_;
  Bytes buf_;
  std::size_t chunk_ = 0;  // bytes per write(2); set at the first write (pipe or not)
  Guard guard_;
  struct Ahead;
  std::unique_ptr<Ahead> ahead_;
};

class StringWriter final : public Writer {
 public:
  Status write(ByteView b) override {
    out.append(as_chars(b));
    return {};
  }
  std::string out;
};

// A line reader over a Reader with a hard line-length cap (so a hostile stream cannot make us
// allocate without bound). Also hands out raw bytes, for framed binary content between lines.
class LineReader {
 public:
  explicit LineReader(Reader& r, std::size_t max_line = 64u << 20) : r_(r), max_(max_line) {}
  // Reads one line without its '\n'. Returns false at a clean EOF (no partial line).
  // A final line without '\n' is an error (Errc::bad_input, "truncated").
  Result<bool> next(std::string& line);
  // Reads exactly n raw bytes (after the last line returned); short = Errc::bad_input.
  Status read_exact(MutByteView out);
  std::uint64_t offset() const { return consumed_; }

 private:
  Result<bool> fill();
  Reader& r_;
  std::size_t max_;
  Bytes buf_;
  std::size_t pos_ = 0;
  std::uint64_t consumed_ = 0;
  bool eof_ = false;
};

// Creates `final` atomically: writes to a temporary name in the same directory, then
// commit() = fsync, rename, fsync(dir). Never commits in the destructor: an AtomicFile that
// is dropped without commit() removes its temporary (ccache AtomicFile).
class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::filesystem::path& final, int mode = 0644);
  AtomicFile(AtomicFile&&) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();
  Status write(ByteView b);
  // `no_replace`: fail with Errc::exists rather than replace an existing file (renameat2).
  Status commit(bool no_replace = false);
  int fd() const { return fd_.get(); }
  const std::filesystem::path& temp_path() const { return tmp_; }

 private:
  AtomicFile(Fd fd, std::filesystem::path tmp, std::filesystem::path final)
      : fd_(std::move(fd)), tmp_(std::move(tmp)), final_(std::move(final)) {}
  Fd fd_;
  std::filesystem::path tmp_, final_;
  bool done_ = false;
};

// Convenience: write a whole buffer atomically.
Status write_file_atomic(const std::filesystem::path& p, ByteView b, int mode = 0644,
                         bool no_replace = false);

}  // namespace cairn::io
