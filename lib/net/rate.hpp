// lib/net/rate.hpp: a token bucket that holds the bytes a destination sends to a rate
// (cairn-push --limit-rate), shared by every transfer to that destination: parallel uploads
// together stay under the limit. The bucket holds at most a tenth of a second's worth of
// tokens (at least 16 KiB), so a burst after an idle spell is short.
// Depends on: base. Threads: take() is thread-safe; callers block in it.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace cairn::net {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  // `rate` in bytes a second; 0 = no limit (take() returns at once).
  explicit TokenBucket(std::uint64_t rate);
  TokenBucket(const TokenBucket&) = delete;
  TokenBucket& operator=(const TokenBucket&) = delete;

  std::uint64_t rate() const { return rate_; }
  // Blocks until `n` bytes may go out. A request larger than the bucket is paid in
  // bucket-sized pieces.
  void take(std::uint64_t n);
  // How long `n` bytes would wait now, without taking them (for tests).
  std::chrono::nanoseconds wait_for(std::uint64_t n);

 private:
  void refill_locked(Clock::time_point now);
  std::uint64_t rate_;
  double capacity_;
  std::mutex mu_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace cairn::net
