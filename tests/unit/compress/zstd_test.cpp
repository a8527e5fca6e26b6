#include "compress/zstd.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string_view>

using cairn::Bytes;
using cairn::ByteView;
using cairn::Errc;
using cairn::compress::Compressor;
using cairn::compress::Decompressor;

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
  for (auto& c : b) c = static_cast<std::uint8_t>(r.next() >> 32);
  return b;
}

// Pseudo-English: words drawn from a small vocabulary, so zstd finds plenty of matches.
Bytes text_bytes(std::size_t n, std::uint64_t seed) {
  static constexpr std::array<std::string_view, 16> kWords{
      "backup ", "chunk ", "repository ", "the ",  "of ",    "snapshot ", "restore ",   "pack ",
      "index ",  "and ",   "a ",          "file ", "tree\n", "manifest ", "retention ", "key "};
  XorShift r{seed};
  Bytes b;
  b.reserve(n + 16);
  while (b.size() < n) {
    auto w = kWords[r.next() % kWords.size()];
    b.insert(b.end(), w.begin(), w.end());
  }
  b.resize(n);
  return b;
}

Bytes compress_ok(ByteView in) {
  Compressor c;
  Bytes out;
  auto r = c.compress(in, out);
  REQUIRE(r.has_value());
  REQUIRE(*r);
  return out;
}

}  // namespace

TEST_CASE("compress::Compressor: round trips text of various sizes", "[compress]") {
  Compressor c;
  Decompressor d;
  Bytes packed, back;
  for (std::size_t n : {std::size_t{4} << 10, std::size_t{100} << 10, std::size_t{3} << 20}) {
    CAPTURE(n);
    const Bytes in = text_bytes(n, n + 1);
    auto r = c.compress(in, packed);
    REQUIRE(r.has_value());
    REQUIRE(*r);
    CHECK(packed.size() <= n - n / 32);
    CHECK(packed.size() < n / 2);
    REQUIRE(d.decompress(packed, n, back).has_value());
    CHECK(back == in);
  }
}

TEST_CASE("compress::Compressor: empty and one-byte inputs are stored raw", "[compress]") {
  Compressor c;
  Bytes out{1, 2, 3};
  for (std::size_t n : {0, 1}) {
    const Bytes in(n, 'a');
    auto r = c.compress(in, out);
    REQUIRE(r.has_value());
    CHECK_FALSE(*r);
    CHECK(out.empty());
  }
}

TEST_CASE("compress::Compressor: random data is reported incompressible", "[compress]") {
  Compressor c;
  Bytes out;
  // Below the sampling threshold (full attempt) and above it (sample only).
  for (std::size_t n : {std::size_t{4} << 10, std::size_t{100} << 10, std::size_t{3} << 20}) {
    CAPTURE(n);
    out.assign(10, 7);
    auto r = c.compress(random_bytes(n, n), out);
    REQUIRE(r.has_value());
    CHECK_FALSE(*r);
    CHECK(out.empty());
  }
}

TEST_CASE("compress::Compressor: a compressible chunk with a random head is still compressed",
          "[compress]") {
  // The sample is spread over the chunk, not taken from its start only.
  Bytes in = random_bytes(256 << 10, 5);
  const Bytes tail = text_bytes(3 << 20, 6);
  in.insert(in.end(), tail.begin(), tail.end());
  const Bytes packed = compress_ok(in);
  CHECK(packed.size() < in.size() / 2);
  Decompressor d;
  Bytes back;
  REQUIRE(d.decompress(packed, in.size(), back).has_value());
  CHECK(back == in);
}

TEST_CASE("compress::Compressor: a chunk that saves less than 1/32 is stored raw", "[compress]") {
  // 1/64 of the bytes are zeros runs, the rest random: zstd saves about 1.5 percent.
  Bytes in = random_bytes(1 << 20, 9);
  for (std::size_t i = 0; i < in.size(); i += 4096)
    for (std::size_t j = 0; j < 64; ++j) in[i + j] = 0;
  Compressor c;
  Bytes out;
  auto r = c.compress(in, out);
  REQUIRE(r.has_value());
  CHECK_FALSE(*r);
  CHECK(out.empty());
  // The same data with 1/8 zeros saves more than 1/32 and is compressed.
  for (std::size_t i = 0; i < in.size(); i += 4096)
    for (std::size_t j = 0; j < 512; ++j) in[i + j] = 0;
  r = c.compress(in, out);
  REQUIRE(r.has_value());
  CHECK(*r);
  CHECK(out.size() <= in.size() - in.size() / 32);
}

TEST_CASE("compress::Decompressor: accepts an empty frame for an empty chunk", "[compress]") {
  // `printf '' | cat | zstd -c`
  const Bytes frame{0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x00, 0x01, 0x00, 0x00, 0x99, 0xe9, 0xd8, 0x51};
  Decompressor d;
  Bytes out{1};
  REQUIRE(d.decompress(frame, 0, out).has_value());
  CHECK(out.empty());
  auto r = d.decompress(frame, 1, out);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::corrupt);
}

TEST_CASE("compress::Decompressor: a frame without a content size is bounded by expected_size",
          "[compress]") {
  // `printf 'hello hello hello hello hello hello' | cat | zstd -c`: streamed, so no size field.
  const Bytes frame{0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x65, 0x00, 0x00, 0x30, 0x68, 0x65, 0x6c,
                    0x6c, 0x6f, 0x20, 0x01, 0x00, 0xb9, 0x4b, 0x11, 0x2b, 0xe1, 0x68, 0xe7};
  const std::string_view text = "hello hello hello hello hello hello";
  Decompressor d;
  Bytes out;
  REQUIRE(d.decompress(frame, text.size(), out).has_value());
  CHECK(std::string_view(reinterpret_cast<const char*>(out.data()), out.size()) == text);
  for (std::size_t wrong :
       {std::size_t{0}, text.size() - 1, text.size() + 1, std::size_t{1} << 20}) {
    CAPTURE(wrong);
    auto r = d.decompress(frame, wrong, out);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::corrupt);
    CHECK(out.empty());
  }
}

TEST_CASE("compress::Decompressor: a frame whose size differs from the expected one is corrupt",
          "[compress]") {
  const Bytes in = text_bytes(4096, 3);
  const Bytes packed = compress_ok(in);
  Decompressor d;
  Bytes out;
  for (std::size_t wrong :
       {std::size_t{0}, std::size_t{4095}, std::size_t{4097}, std::size_t{1} << 20}) {
    CAPTURE(wrong);
    auto r = d.decompress(packed, wrong, out);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::corrupt);
    CHECK(r.error().message.starts_with("corrupt compressed data"));
    CHECK(out.empty());
  }
  // Still usable after errors.
  REQUIRE(d.decompress(packed, in.size(), out).has_value());
  CHECK(out == in);
}

TEST_CASE("compress::Decompressor: truncated frames and trailing bytes are corrupt", "[compress]") {
  const Bytes in = text_bytes(64 << 10, 4);
  const Bytes packed = compress_ok(in);
  Decompressor d;
  Bytes out;
  for (std::size_t len = 0; len < packed.size(); ++len) {
    CAPTURE(len);
    auto r = d.decompress(ByteView(packed).first(len), in.size(), out);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::corrupt);
  }
  Bytes longer = packed;
  longer.push_back(0);
  auto r = d.decompress(longer, in.size(), out);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::corrupt);
  Bytes twice = packed;
  twice.insert(twice.end(), packed.begin(), packed.end());
  r = d.decompress(twice, in.size() * 2, out);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::corrupt);
}

TEST_CASE("compress::Decompressor: a single-byte flip never yields wrong data", "[compress]") {
  const Bytes in = text_bytes(16 << 10, 8);
  const Bytes packed = compress_ok(in);
  Decompressor d;
  Bytes out;
  Bytes bad = packed;
  std::size_t detected = 0, harmless = 0;
  for (std::size_t i = 0; i < bad.size(); ++i) {
    for (std::uint8_t flip : {0x01, 0x80}) {
      CAPTURE(i, flip);
      bad[i] ^= flip;
      auto r = d.decompress(bad, in.size(), out);
      bad[i] ^= flip;
      // Either an error, or a bit zstd never reads (padding): the frame checksum rules out
      // a successful decode to different bytes.
      if (r.has_value()) {
        ++harmless;
        CHECK(out == in);
      } else {
        ++detected;
        CHECK(r.error().code == Errc::corrupt);
        CHECK(out.empty());
      }
    }
  }
  CHECK(detected > 20 * harmless);
}

TEST_CASE("compress::Decompressor: garbage is corrupt", "[compress]") {
  Decompressor d;
  Bytes out;
  for (std::uint64_t seed = 1; seed <= 64; ++seed) {
    Bytes junk = random_bytes(seed * 7, seed);
    if (seed % 2 == 0 && junk.size() >= 4) {  // a valid magic, then junk
      junk[0] = 0x28, junk[1] = 0xb5, junk[2] = 0x2f, junk[3] = 0xfd;
    }
    auto r = d.decompress(junk, 1 << 20, out);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::corrupt);
  }
}

TEST_CASE("compress::Compressor: moved-to objects keep working", "[compress]") {
  Compressor a(5);
  Compressor b(std::move(a));
  CHECK(b.level() == 5);
  const Bytes in = text_bytes(200 << 10, 11);
  Bytes packed;
  auto r = b.compress(in, packed);
  REQUIRE(r.has_value());
  REQUIRE(*r);
  Decompressor d1;
  Decompressor d2(std::move(d1));
  Bytes back;
  REQUIRE(d2.decompress(packed, in.size(), back).has_value());
  CHECK(back == in);
}

TEST_CASE("compress::parse_setting: levels, auto and off; anything else is a usage error",
          "[compress]") {
  using cairn::compress::parse_setting;
  using Mode = cairn::compress::Setting::Mode;
  CHECK(parse_setting("1")->level == 1);
  CHECK(parse_setting("19")->mode == Mode::level);
  CHECK(parse_setting("auto")->mode == Mode::automatic);
  CHECK(parse_setting("off")->mode == Mode::off);
  CHECK(parse_setting("auto")->name() == "auto");
  CHECK(parse_setting("7")->name() == "7");
  for (const char* bad : {"", "0", "20", "-1", "3x", "AUTO", "none", " 3"}) {
    auto r = parse_setting(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Errc::usage);
    CHECK(r.error().message.find("'auto' or 'off'") != std::string::npos);
  }
}

TEST_CASE("compress::Compressor: off stores everything raw, even text", "[compress]") {
  Compressor c(cairn::compress::Setting{cairn::compress::Setting::Mode::off, 3});
  Bytes out;
  for (std::size_t n : {std::size_t{100}, std::size_t{64} << 10, std::size_t{1} << 20}) {
    auto r = c.compress(text_bytes(n, 3), out);
    REQUIRE(r.has_value());
    CHECK_FALSE(*r);
    CHECK(out.empty());
  }
}

TEST_CASE("compress::Compressor: auto compresses text, and keeps only savings of 1/8",
          "[compress]") {
  const cairn::compress::Setting automatic{cairn::compress::Setting::Mode::automatic, 3};
  Compressor c(automatic);
  Bytes out;
  // Text of every size class (whole, first-64-KiB sample, spread sample) is compressed.
  for (std::size_t n : {std::size_t{4} << 10, std::size_t{100} << 10, std::size_t{2} << 20}) {
    const Bytes in = text_bytes(n, 11);
    auto r = c.compress(in, out);
    REQUIRE(r.has_value());
    CHECK(*r);
    Decompressor d;
    Bytes back;
    REQUIRE(d.decompress(out, in.size(), back).has_value());
    CHECK(back == in);
  }
  // Random data of every size class is stored raw.
  for (std::size_t n : {std::size_t{4} << 10, std::size_t{100} << 10, std::size_t{2} << 20}) {
    auto r = c.compress(random_bytes(n, 12), out);
    REQUIRE(r.has_value());
    CHECK_FALSE(*r);
  }
  // 1/16 of the bytes zero runs, the rest random: zstd saves about 1/16, which a level
  // setting keeps and auto does not.
  Bytes in = random_bytes(1 << 20, 13);
  for (std::size_t i = 0; i < in.size(); i += 4096)
    for (std::size_t j = 0; j < 256; ++j) in[i + j] = 0;
  Compressor level;
  auto kept = level.compress(in, out);
  REQUIRE(kept.has_value());
  REQUIRE(*kept);
  CHECK(out.size() > in.size() - in.size() / 8);  // saves less than 1/8 ...
  auto r = c.compress(in, out);
  REQUIRE(r.has_value());
  CHECK_FALSE(*r);  // ... so auto does not keep it
}
