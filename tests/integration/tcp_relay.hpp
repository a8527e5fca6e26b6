// tests/integration/tcp_relay.hpp: a loopback TCP relay in front of a real server, for the
// failures a backend must survive: drop_next(n) hangs up on the next n connections at once
// (the retries must get through), stop() cuts every live connection and stops listening
// (the server "went away": Errc::network after the retries).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <list>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

namespace cairn::test {

class TcpRelay {
 public:
  explicit TcpRelay(std::uint16_t target_port) : target_(target_port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a = loopback(0);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 64) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~TcpRelay() { stop(); }

  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  void drop_next(int n) { drop_ = n; }

  void stop() {
    if (stopped_.exchange(true)) return;
    acceptor_.join();
    ::close(fd_);
    std::lock_guard lock(mu_);
    for (auto& t : pumps_) t.join();
    pumps_.clear();
  }

 private:
  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
  }

  void accept_loop() {
    while (!stopped_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++accepted_;
      if (drop_ > 0) {
        --drop_;
        ::close(c);
        continue;
      }
      std::lock_guard lock(mu_);
      pumps_.emplace_back([this, c] { pump(c); });
    }
  }

  void pump(int client) {
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = loopback(target_);
    if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      if (server >= 0) ::close(server);
      ::close(client);
      return;
    }
    char buf[65536];
    while (!stopped_) {
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(p, 2, 20) <= 0) continue;
      bool done = false;
      for (int i = 0; i < 2 && !done; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const int from = i == 0 ? client : server, to = i == 0 ? server : client;
        const ssize_t n = ::read(from, buf, sizeof buf);
        if (n <= 0) {
          done = true;
          break;
        }
        for (ssize_t off = 0; off < n;) {
          const ssize_t w = ::send(to, buf + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
          if (w <= 0) {
            done = true;
            break;
          }
          off += w;
        }
      }
      if (done) break;
    }
    ::close(server);
    ::close(client);
  }

  std::uint16_t target_;
  std::uint16_t port_ = 0;
  int fd_ = -1;
  std::atomic<bool> stopped_{false};
  std::atomic<int> drop_{0};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::list<std::thread> pumps_;
};

}  // namespace cairn::test
