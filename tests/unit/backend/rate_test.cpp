// backend::TokenBucket (cairn-push --limit-rate) and the local backend's rate-limited
// put_file: measured, since a limiter that does not hold the rate must fail here.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "backend/backend.hpp"
#include "base/tempdir.hpp"
#include "net/rate.hpp"

namespace fs = std::filesystem;
using namespace cairn;
using namespace cairn::backend;
using net::TokenBucket;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Scratch {
  TempDir tmp = TempDir::create("cairn-rate-").value();
  fs::path dir = tmp.path();
};

}  // namespace

TEST_CASE("backend::TokenBucket: N bytes from several threads take at least N/rate, less one burst",
          "[backend]") {
  constexpr std::uint64_t kRate = 1u << 20;  // 1 MiB/s: the burst is 104857 bytes
  TokenBucket bucket(kRate);
  constexpr std::uint64_t kEach = 160u << 10, kThreads = 3;  // 480 KiB in 16 KiB pieces
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (std::uint64_t sent = 0; sent < kEach; sent += 16u << 10) bucket.take(16u << 10);
    });
  for (auto& t : threads) t.join();
  const double took = seconds_since(t0);
  const double least =
      static_cast<double>(kEach * kThreads - kRate / 10) / static_cast<double>(kRate);
  CHECK(took >= least * 0.95);
  CHECK(took < least + 2.0);
}

TEST_CASE("backend::TokenBucket: a piece larger than the bucket is paid in full", "[backend]") {
  TokenBucket bucket(200u << 10);  // 200 KiB/s, a 20 KiB burst (a tenth of a second)
  const auto t0 = Clock::now();
  bucket.take(100u << 10);
  CHECK(seconds_since(t0) >= 0.95 * (100.0 - 20.0) / 200.0);
  CHECK(bucket.wait_for(100u << 10) > std::chrono::milliseconds(400));
}

TEST_CASE("backend::TokenBucket: rate 0 never waits", "[backend]") {
  TokenBucket bucket(0);
  const auto t0 = Clock::now();
  for (int i = 0; i < 1000; ++i) bucket.take(1u << 30);
  CHECK(seconds_since(t0) < 0.5);
  CHECK(bucket.wait_for(1u << 30) == std::chrono::nanoseconds{0});
}

TEST_CASE("backend::open_local: a rate limit holds put_file to it and keeps the source",
          "[backend]") {
  Scratch s;
  const fs::path src = s.dir / "object";
  {
    std::ofstream f(src, std::ios::binary);
    const std::string block(64u << 10, 'x');
    for (int i = 0; i < 5; ++i) f << block;  // 320 KiB
  }
  auto be = open_local(s.dir / "repo", true, 512u << 10);  // 512 KiB/s
  REQUIRE(be);
  const Key k = Key::pack(std::string(64, 'c'));
  const auto t0 = Clock::now();
  REQUIRE((*be)->put_file(k, src));
  const double took = seconds_since(t0);
  CHECK(took >= 0.95 * (320.0 - 51.2) / 512.0);
  CHECK(fs::exists(src));  // copied through the bucket, not moved
  auto info = (*be)->stat(k);
  REQUIRE(info);
  REQUIRE(info->has_value());
  CHECK((*info)->size == 320u << 10);
  // Already there: nothing to send, no wait.
  const auto t1 = Clock::now();
  REQUIRE((*be)->put_file(k, src));
  CHECK(seconds_since(t1) < 0.2);
}
