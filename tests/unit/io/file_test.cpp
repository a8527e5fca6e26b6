#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>

#include "io/file.hpp"

using namespace cairn;

namespace {

struct PipeEnds {
  io::Fd rd, wr;
};

PipeEnds make_pipe() {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  return {io::Fd(p[0]), io::Fd(p[1])};
}

int queued(int rd) {
  int n = -1;
  REQUIRE(::ioctl(rd, FIONREAD, &n) == 0);
  return n;
}

}  // namespace

TEST_CASE("io::widen_pipe: a pipe grows to 1 MiB, anything else is left alone", "[io]") {
  auto p = make_pipe();
  REQUIRE(::fcntl(p.wr.get(), F_GETPIPE_SZ) < static_cast<int>(io::kPipeCapacity));
  CHECK(io::widen_pipe(p.wr.get()) == io::kPipeCapacity);
  // Either end names the same pipe.
  CHECK(::fcntl(p.rd.get(), F_GETPIPE_SZ) == static_cast<int>(io::kPipeCapacity));
  CHECK(io::widen_pipe(p.rd.get()) == io::kPipeCapacity);

  auto f = io::open_file("/dev/null", O_WRONLY);
  REQUIRE(f);
  CHECK(io::widen_pipe(f->get()) == 0);
  CHECK(io::widen_pipe(-1) == 0);
}

TEST_CASE("io::FdWriter into a pipe: runs ahead of its reader, a quarter of the pipe a write",
          "[io]") {
  auto p = make_pipe();
  // Non-blocking, so that a write the pipe has no room for fails (EAGAIN) instead of waiting
  // for a reader that never comes: with the pipe's default 64 KiB this test fails.
  REQUIRE(::fcntl(p.wr.get(), F_SETFL, O_NONBLOCK) == 0);
  io::FdWriter w(p.wr.get(), "the test pipe");
  const Bytes piece(1024, 0x5a);  // divides kPipeWrite
  std::size_t total = 0;
  while (total + piece.size() <= io::kPipeWrite + piece.size()) {
    REQUIRE(w.write(piece));
    total += piece.size();
  }
  // One full write has gone out; the rest waits in the writer's buffer.
  CHECK(queued(p.rd.get()) == static_cast<int>(io::kPipeWrite));
  while (total < 3 * io::kPipeWrite) {
    REQUIRE(w.write(piece));
    total += piece.size();
  }
  REQUIRE(w.flush());
  CHECK(queued(p.rd.get()) == static_cast<int>(total));
}

namespace {

// Everything that can be read from `rd` until EOF.
Bytes drain(int rd) {
  Bytes out;
  std::uint8_t tmp[1 << 16];
  for (ssize_t n; (n = ::read(rd, tmp, sizeof tmp)) > 0;) out.insert(out.end(), tmp, tmp + n);
  return out;
}

// A deterministic byte pattern, written in pieces of varying size.
Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>((i * 131) ^ (i >> 9));
  return b;
}

}  // namespace

TEST_CASE("io::FdWriter::write_ahead: the writer gets `cap` ahead of a reader that waits", "[io]") {
  auto p = make_pipe();
  constexpr std::size_t kCap = 4u << 20;
  const Bytes data = pattern(kCap);  // the queue plus the pipe take this without a reader
  auto w = std::make_unique<io::FdWriter>(p.wr.get(), "the test pipe");
  w->write_ahead(kCap);
  // The writes return while nobody reads (without write_ahead they block in write(2) once the
  // pipe is full: the future times out and the test fails instead of hanging).
  auto wrote = std::async(std::launch::async, [&] {
    std::size_t off = 0, step = 1;
    while (off < data.size()) {
      std::size_t n = std::min(step, data.size() - off);
      if (!w->write(ByteView(data.data() + off, n))) return false;
      off += n;
      step = step * 7 % 300001 + 1;
    }
    return true;
  });
  const bool returned = wrote.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  CHECK(returned);
  // Now read: flush() waits until all of it is in the pipe, in order.
  auto reader = std::async(std::launch::async, [&] { return drain(p.rd.get()); });
  REQUIRE(wrote.get());
  REQUIRE(w->flush());
  w.reset();  // joins the writer's thread
  p.wr = io::Fd();
  CHECK(reader.get() == data);
}

TEST_CASE("io::FdWriter::write_ahead: a reader that went away is an error, not a hang", "[io]") {
  ::signal(SIGPIPE, SIG_IGN);
  auto p = make_pipe();
  io::FdWriter w(p.wr.get(), "the test pipe");
  w.write_ahead(1u << 20);
  p.rd = io::Fd();  // no reader
  const Bytes data = pattern(3u << 20);
  bool failed = false;
  for (std::size_t off = 0; off < data.size() && !failed; off += 100000)
    failed =
        !w.write(ByteView(data.data() + off, std::min<std::size_t>(100000, data.size() - off)));
  auto st = w.flush();
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("the test pipe") != std::string::npos);
}

TEST_CASE("io::FdWriter::write_ahead: a file is written as before", "[io]") {
  char name[] = "/tmp/cairn-file-test-XXXXXX";
  int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  io::Fd f(fd);
  ::unlink(name);
  const Bytes data = pattern(3u << 20);
  {
    io::FdWriter w(f.get(), "the test file");
    w.write_ahead(1u << 20);  // not a pipe: no thread, no queue
    REQUIRE(w.write(data));
    REQUIRE(w.flush());
  }
  REQUIRE(::lseek(f.get(), 0, SEEK_SET) == 0);
  CHECK(drain(f.get()) == data);
}
