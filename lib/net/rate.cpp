#include "net/rate.hpp"

#include <algorithm>
#include <thread>

namespace cairn::net {

namespace {
constexpr double kMinCapacity = 16.0 * 1024;
}

TokenBucket::TokenBucket(std::uint64_t rate)
    : rate_(rate),
      capacity_(std::max(kMinCapacity, static_cast<double>(rate) / 10.0)),
      tokens_(capacity_),
      last_(Clock::now()) {}

void TokenBucket::refill_locked(Clock::time_point now) {
  const double secs = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  if (secs > 0) tokens_ = std::min(capacity_, tokens_ + secs * static_cast<double>(rate_));
}

void TokenBucket::take(std::uint64_t n) {
  if (rate_ == 0) return;
  while (n > 0) {
    const double piece = std::min(static_cast<double>(n), capacity_);
    std::chrono::nanoseconds wait{0};
    {
      std::lock_guard lock(mu_);
      refill_locked(Clock::now());
      // Debt is allowed: the tokens are spent now and the caller sleeps until the bucket is
      // back at zero, so waiting callers queue in arrival order.
      tokens_ -= piece;
      if (tokens_ < 0)
        wait = std::chrono::nanoseconds(
            static_cast<std::int64_t>(-tokens_ / static_cast<double>(rate_) * 1e9));
    }
    if (wait.count() > 0) std::this_thread::sleep_for(wait);
    n -= static_cast<std::uint64_t>(piece);
  }
}

std::chrono::nanoseconds TokenBucket::wait_for(std::uint64_t n) {
  if (rate_ == 0) return std::chrono::nanoseconds{0};
  std::lock_guard lock(mu_);
  refill_locked(Clock::now());
  const double after = tokens_ - static_cast<double>(n);
  if (after >= 0) return std::chrono::nanoseconds{0};
  return std::chrono::nanoseconds(
      static_cast<std::int64_t>(-after / static_cast<double>(rate_) * 1e9));
}

}  // namespace cairn::net
