// lib/base/observer.hpp: how the library reports progress and per-item warnings.
// lib/ never writes to stdout/stderr itself; lib/cli renders an Observer.
// Threads: implementations must be safe to call from several worker threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "base/error.hpp"

namespace cairn {

struct Observer {
  virtual ~Observer() = default;
  virtual void started(std::string_view /*path*/) {}
  virtual void advanced(std::uint64_t /*bytes*/, std::uint64_t /*items*/) {}
  // Adds to the work the run now knows it will do, in the units advanced() counts, so that a
  // renderer can show "X of Y" and an ETA. Called once up front (restore, verify --read-data)
  // or as each batch of work is planned (push); never called when the total is unknown.
  virtual void expect(std::uint64_t /*bytes*/, std::uint64_t /*items*/) {}
  // True when something shows progress, so that work done only to know a total (a second
  // pass over a manifest) is skipped when nobody would see it.
  virtual bool shows_progress() const { return false; }
  // A per-item problem that does not stop the run; marks the run Exit::partial.
  virtual void warning(std::string_view path, const Error& e) = 0;
  // Free-form information for -v (one line, no trailing newline).
  virtual void info(std::string_view /*line*/) {}
};

// Counts warnings and drops everything else (tests, -q).
struct CountingObserver final : Observer {
  std::atomic<std::uint64_t> warnings{0};
  void warning(std::string_view, const Error&) override { ++warnings; }
};

// Tripped by SIGINT/SIGTERM (set in lib/cli), polled by long loops.
class CancelToken {
 public:
  void cancel() noexcept { flag_.store(true, std::memory_order_relaxed); }
  bool cancelled() const noexcept { return flag_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> flag_{false};
};

}  // namespace cairn
