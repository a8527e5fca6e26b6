// tests/bench/bench_micro.cpp: micro-benchmarks (Google Benchmark) of single primitives on
// one core, moved out of the unit suites (issue 17): keyed hashing per algorithm and buffer
// size, XChaCha20-Poly1305 seal and open. bench_primitives measures the write path as a whole.
//
//   bench_micro [--benchmark_filter=REGEX] [--benchmark_min_time=S] ...
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>

#include "base/bytes.hpp"
#include "crypto/crypto.hpp"
#include "hash/hash.hpp"

namespace {

using namespace cairn;

Bytes pattern(std::size_t n) {  // random: neither constant nor compressible
  Bytes b(n);
  crypto::random_bytes(b);
  return b;
}

void keyed_hash(benchmark::State& state, hash::Algo algo) {
  const Bytes key = pattern(32);
  const Bytes data = pattern(static_cast<std::size_t>(state.range(0)));
  const hash::KeyedHasher h(algo, key);
  for (auto _ : state) benchmark::DoNotOptimize(h.hash(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK_CAPTURE(keyed_hash, blake2b_keyed, hash::Algo::blake2b_keyed)->Arg(4096)->Arg(1 << 20);
BENCHMARK_CAPTURE(keyed_hash, hmac_sha256, hash::Algo::hmac_sha256)->Arg(4096)->Arg(1 << 20);

void aead_seal(benchmark::State& state) {
  const Bytes key = pattern(32);
  const Bytes pt = pattern(static_cast<std::size_t>(state.range(0)));
  Bytes out;
  out.reserve(pt.size() + crypto::kSealOverhead);
  for (auto _ : state) {
    out.clear();
    crypto::seal_append(key, pt, {}, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(aead_seal)->Arg(1 << 20);

void aead_open(benchmark::State& state) {  // each iteration opens a fresh copy (open is in place)
  const Bytes key = pattern(32);
  Bytes sealed;
  crypto::seal_append(key, pattern(static_cast<std::size_t>(state.range(0))), {}, sealed);
  Bytes copy;
  for (auto _ : state) {
    copy = sealed;
    if (!crypto::open_in_place(key, copy, {}, "bench")) state.SkipWithError("open failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(aead_open)->Arg(1 << 20);

}  // namespace

int main(int argc, char** argv) {
  if (!crypto::init()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
