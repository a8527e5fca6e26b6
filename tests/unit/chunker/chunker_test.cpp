#include "chunker/chunker.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

using cairn::Bytes;
using cairn::ByteView;
using cairn::Errc;
using cairn::chunker::Chunker;
using cairn::chunker::Params;

namespace {

struct XorShift {
  std::uint64_t s;
  std::uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

Bytes random_bytes(std::size_t n, std::uint64_t seed) {
  XorShift r{seed};
  Bytes b(n);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const std::uint64_t v = r.next();
    std::memcpy(b.data() + i, &v, 8);
  }
  for (; i < n; ++i) b[i] = static_cast<std::uint8_t>(r.next());
  return b;
}

Bytes seed_of(std::uint8_t v) { return Bytes(32, v); }

// Smaller than the defaults so tests see many chunks in little data.
constexpr Params kSmall{64u << 10, 128u << 10, 1u << 20};

std::vector<std::size_t> chunk_lengths(const Chunker& c, ByteView data) {
  std::vector<std::size_t> out;
  while (!data.empty()) {
    const std::size_t n = c.next_cut(data, true);
    REQUIRE(n > 0);
    REQUIRE(n <= data.size());
    out.push_back(n);
    data = data.subspan(n);
  }
  return out;
}

// A chunk's identity for deduplication: its length and a hash of its bytes.
std::set<std::pair<std::size_t, std::size_t>> chunk_set(const Chunker& c, ByteView data) {
  std::set<std::pair<std::size_t, std::size_t>> out;
  for (std::size_t n : chunk_lengths(c, data)) {
    const std::string_view s(reinterpret_cast<const char*>(data.data()), n);
    out.emplace(n, std::hash<std::string_view>{}(s));
    data = data.subspan(n);
  }
  return out;
}

std::size_t new_chunks(const std::set<std::pair<std::size_t, std::size_t>>& before,
                       const std::set<std::pair<std::size_t, std::size_t>>& after) {
  std::size_t n = 0;
  for (const auto& c : after) n += before.count(c) == 0;
  return n;
}

}  // namespace

TEST_CASE("chunker::Params: validate accepts sane sizes and rejects the rest", "[chunker]") {
  CHECK(Params{}.validate().has_value());
  CHECK(kSmall.validate().has_value());
  CHECK(Params{64u << 10, 64u << 20 >> 1, 64u << 20}.validate().has_value());
  const Params bad[] = {
      {(64u << 10) - 1, 1u << 20, 8u << 20},    // min too small
      {512u << 10, 1u << 20, (64u << 20) + 1},  // max too large
      {512u << 10, 768u << 10, 8u << 20},       // avg not a power of two
      {1u << 20, 1u << 20, 8u << 20},           // min == avg
      {512u << 10, 8u << 20, 8u << 20},         // avg == max
      {2u << 20, 1u << 20, 8u << 20},           // min > avg
      {0, 0, 0},
  };
  for (const Params& p : bad) {
    CAPTURE(p.min_size, p.avg_size, p.max_size);
    auto s = p.validate();
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == Errc::usage);
    CHECK(s.error().message.find("chunk size") != std::string::npos);
  }
}

TEST_CASE("chunker::Chunker: identical input gives identical cut points", "[chunker]") {
  const Bytes data = random_bytes(8u << 20, 1);
  const Chunker a(kSmall, seed_of(1));
  const Chunker b(kSmall, seed_of(1));
  const auto la = chunk_lengths(a, data);
  CHECK(la.size() > 16);
  CHECK(la == chunk_lengths(b, data));
  CHECK(la == chunk_lengths(a, data));
}

TEST_CASE("chunker::Chunker: chunks stay within min and max except the last", "[chunker]") {
  const Chunker c(kSmall, seed_of(2));
  // Random data, then a long run of zeros (no natural cut points: forced max cuts), then a tail.
  Bytes data = random_bytes(6u << 20, 2);
  data.resize(data.size() + (5u << 20) + 12345, 0);
  const auto lens = chunk_lengths(c, data);
  REQUIRE(lens.size() > 2);
  std::size_t total = 0;
  for (std::size_t i = 0; i < lens.size(); ++i) {
    CAPTURE(i, lens[i]);
    total += lens[i];
    CHECK(lens[i] <= kSmall.max_size);
    if (i + 1 < lens.size()) CHECK(lens[i] >= kSmall.min_size);
  }
  CHECK(total == data.size());
}

TEST_CASE("chunker::Chunker: next_cut honours eof and short data", "[chunker]") {
  const Chunker c(kSmall, seed_of(3));
  const Bytes data = random_bytes(2 * kSmall.max_size, 3);
  const ByteView v(data);
  CHECK(c.next_cut({}, true) == 0);
  CHECK(c.next_cut({}, false) == 0);
  CHECK(c.next_cut(v.first(1000), true) == 1000);
  CHECK(c.next_cut(v.first(1000), false) == 0);
  CHECK(c.next_cut(v.first(kSmall.min_size), false) == 0);
  CHECK(c.next_cut(v.first(kSmall.min_size), true) == kSmall.min_size);
  // With at least max_size bytes, a cut is always found, eof or not.
  const std::size_t cut = c.next_cut(v, false);
  CHECK(cut >= kSmall.min_size);
  CHECK(cut <= kSmall.max_size);
  CHECK(c.next_cut(v.first(kSmall.max_size), false) == cut);
  // Zeros have no natural cut point: the cut is forced at exactly max_size.
  const Bytes zeros(2 * kSmall.max_size, 0);
  const std::size_t z = c.next_cut(zeros, false);
  CHECK((z == kSmall.max_size || z == kSmall.min_size + 1 || z == kSmall.avg_size + 1));
}

TEST_CASE("chunker::Chunker: different seeds give different cut points", "[chunker]") {
  const Bytes data = random_bytes(8u << 20, 4);
  const auto a = chunk_lengths(Chunker(kSmall, seed_of(1)), data);
  const auto b = chunk_lengths(Chunker(kSmall, seed_of(2)), data);
  Bytes s3 = seed_of(1);
  s3[31] ^= 1;  // one bit
  const auto c = chunk_lengths(Chunker(kSmall, s3), data);
  CHECK(a != b);
  CHECK(a != c);
  // Not merely shifted: most cut offsets differ.
  std::set<std::size_t> offs_a;
  std::size_t o = 0;
  for (std::size_t n : a) offs_a.insert(o += n);
  std::size_t shared = 0;
  o = 0;
  for (std::size_t n : b) shared += offs_a.count(o += n);
  CHECK(shared < a.size() / 4 + 1);
}

TEST_CASE("chunker::Chunker: average chunk size is near avg_size on random data", "[chunker]") {
  const Params p;  // defaults: 512 KiB / 1 MiB / 8 MiB
  const Bytes data = random_bytes(64u << 20, 5);
  const auto lens = chunk_lengths(Chunker(p, seed_of(5)), data);
  const double mean = static_cast<double>(data.size()) / static_cast<double>(lens.size());
  CAPTURE(lens.size(), mean);
  CHECK(mean > 0.75 * p.avg_size);
  CHECK(mean < 1.5 * p.avg_size);
  // Normalized chunking: sizes cluster around avg, few chunks near min or max.
  std::size_t near_min = 0, huge = 0;
  for (std::size_t i = 0; i + 1 < lens.size(); ++i) {
    near_min += lens[i] < p.min_size + (p.min_size >> 3);
    huge += lens[i] > 4 * std::size_t{p.avg_size};
  }
  CHECK(near_min <= lens.size() / 8);
  CHECK(huge == 0);
}

TEST_CASE("chunker::Chunker: next_cut on a prefix agrees with the whole buffer", "[chunker]") {
  const Chunker c(kSmall, seed_of(6));
  const Bytes data = random_bytes(12u << 20, 6);
  const auto whole = chunk_lengths(c, data);
  // Feed the data through a buffer in odd-sized pieces, as a streaming caller would.
  XorShift r{6};
  std::vector<std::size_t> streamed;
  std::size_t start = 0, have = 0;  // buffer = data[start, have)
  while (start < data.size()) {
    const bool eof = have == data.size();
    const ByteView buf = ByteView(data).subspan(start, have - start);
    const std::size_t n = c.next_cut(buf, eof);
    if (n == 0) {
      REQUIRE_FALSE(eof);
      REQUIRE(buf.size() < kSmall.max_size);
      have = std::min(data.size(), have + 1 + static_cast<std::size_t>(r.next() % (300u << 10)));
      continue;
    }
    streamed.push_back(n);
    start += n;
  }
  CHECK(streamed == whole);
  // Every prefix that contains the cut yields the same cut; shorter ones ask for more.
  const std::size_t first = whole.front();
  for (int i = 0; i < 200; ++i) {
    const std::size_t len = kSmall.min_size + r.next() % (kSmall.max_size - kSmall.min_size);
    const std::size_t got = c.next_cut(ByteView(data).first(len), false);
    CAPTURE(len, got, first);
    CHECK(got == (len >= first ? first : 0));
  }
}

TEST_CASE(
    "chunker::Chunker: a one-byte insert in the middle of a 64 MiB file changes at most 2 chunks",
    "[chunker]") {
  const Chunker c(Params{}, seed_of(7));
  const Bytes before = random_bytes(64u << 20, 7);
  const auto old_set = chunk_set(c, before);
  REQUIRE(old_set.size() > 32);

  Bytes after = before;
  after.insert(after.begin() + static_cast<std::ptrdiff_t>(before.size() / 2), std::uint8_t{0x5a});
  const auto ins = chunk_set(c, after);
  CHECK(new_chunks(old_set, ins) >= 1);
  CHECK(new_chunks(old_set, ins) <= 2);

  // The same for a deletion and an overwrite elsewhere.
  Bytes del = before;
  del.erase(del.begin() + static_cast<std::ptrdiff_t>(before.size() / 3));
  const auto del_set = chunk_set(c, del);
  CHECK(new_chunks(old_set, del_set) >= 1);
  CHECK(new_chunks(old_set, del_set) <= 2);

  Bytes ovw = before;
  ovw[before.size() / 5] ^= 0xff;
  const auto ovw_set = chunk_set(c, ovw);
  CHECK(new_chunks(old_set, ovw_set) >= 1);
  CHECK(new_chunks(old_set, ovw_set) <= 2);
}
