#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

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
