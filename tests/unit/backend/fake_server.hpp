// tests/unit/backend/fake_server.hpp: loopback TCP servers for testing the network layers'
// failure handling (no network beyond 127.0.0.1). Each connection reads one request's header
// block and answers with what `respond(connection_number, request)` returns; an empty answer
// closes the connection without a word (a dropped connection).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

namespace cairn::test {

// A TCP server on 127.0.0.1 that serves one connection at a time with `serve(fd, n)` (n counts
// connections from 1) and closes it afterwards. The notify tests speak SMTP through it.
class LoopbackServer {
 public:
  using Serve = std::function<void(int fd, int n)>;
  explicit LoopbackServer(Serve serve) : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  int connections() const { return count_.load(); }

  // A port nothing listens on (bound, then closed).
  static std::uint16_t closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
  }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      serve_(c, ++count_);
      ::close(c);
    }
  }

  Serve serve_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> count_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// An HTTP-ish server: reads one request's header block and answers with `respond(n, request)`.
class FakeServer {
 public:
  using Respond = std::function<std::string(int n, const std::string& request)>;

  explicit FakeServer(Respond respond)
      : respond_(std::move(respond)), server_([this](int c, int n) { serve(c, n); }) {}
  std::uint16_t port() const { return server_.port(); }
  int connections() const { return server_.connections(); }
  static std::uint16_t closed_port() { return LoopbackServer::closed_port(); }

 private:
  void serve(int c, int n) {
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      pollfd q{c, POLLIN, 0};
      if (::poll(&q, 1, 2000) <= 0) break;
      const ssize_t r = ::read(c, buf, sizeof buf);
      if (r <= 0) break;
      req.append(buf, static_cast<std::size_t>(r));
    }
    const std::string answer = respond_(n, req);
    std::size_t off = 0;
    while (off < answer.size()) {
      const ssize_t w = ::send(c, answer.data() + off, answer.size() - off, MSG_NOSIGNAL);
      if (w <= 0) break;
      off += static_cast<std::size_t>(w);
    }
  }

  Respond respond_;
  LoopbackServer server_;  // last: its thread starts once respond_ is set
};

}  // namespace cairn::test
