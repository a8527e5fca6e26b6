// backend::with_pack_cache: whole packs fetched once in parallel ranged pieces after a few
// direct reads, then served locally; bounded, evicting, removed with the backend.
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "backend/backend.hpp"
#include "backend/cache.hpp"
#include "backend/conformance.hpp"
#include "base/tempdir.hpp"

namespace fs = std::filesystem;
using namespace cairn;
using namespace cairn::backend;

namespace {

struct Scratch {
  TempDir tmp = TempDir::create("cairn-cache-").value();
  fs::path dir = tmp.path();
};

// Counts the ranged reads that reach the wrapped backend.
class Counting final : public Backend {
 public:
  explicit Counting(std::unique_ptr<Backend> b) : b_(std::move(b)) {}
  std::atomic<int> ranged{0}, whole{0};
  Properties properties() const override { return b_->properties(); }
  std::string location() const override { return b_->location(); }
  Status put(const Key& k, ByteView body, bool nr) override { return b_->put(k, body, nr); }
  Status put_file(const Key& k, const fs::path& src) override { return b_->put_file(k, src); }
  Result<Bytes> get(const Key& k, std::uint64_t off, std::uint64_t len) override {
    ++(len ? ranged : whole);
    return b_->get(k, off, len);
  }
  Result<std::optional<ObjectInfo>> stat(const Key& k) override { return b_->stat(k); }
  Status list(Kind kind, const std::function<Status(const ObjectInfo&)>& each) override {
    return b_->list(kind, each);
  }
  Status remove(const Key& k) override { return b_->remove(k); }

 private:
  std::unique_ptr<Backend> b_;
};

Key pack_key(char c) { return Key::pack(std::string(64, c)); }

// A local backend under `dir` holding packs 'a', 'b', ... with `bodies`, behind a Counting.
std::unique_ptr<Counting> counting_packs(const fs::path& dir, const std::vector<Bytes>& bodies) {
  auto local = open_local(dir / "repo", true);
  REQUIRE(local);
  char name = 'a';
  for (const auto& b : bodies) REQUIRE((*local)->put(pack_key(name++), b));
  return std::make_unique<Counting>(std::move(*local));
}

}  // namespace

TEST_CASE("backend::with_pack_cache: direct reads first, then the whole pack once, in pieces",
          "[backend]") {
  Scratch s;
  auto local = open_local(s.dir / "repo", true);
  REQUIRE(local);
  const Bytes body = test::pattern_bytes(1'000'000, 3);
  REQUIRE((*local)->put(pack_key('a'), body));
  auto counting = std::make_unique<Counting>(std::move(*local));
  Counting& c = *counting;
  PackCacheOptions o;
  o.piece = 100'000;  // 10 pieces
  o.parallel = 3;
  auto cached = with_pack_cache(std::move(counting), s.dir, o);
  REQUIRE(cached);
  Backend& be = **cached;
  auto slice = [&](std::uint64_t off, std::uint64_t n) {
    return Bytes(body.begin() + off, body.begin() + off + n);
  };

  for (std::uint64_t off : {10u, 500'000u}) {  // direct
    auto r = be.get(pack_key('a'), off, 1000);
    REQUIRE(r);
    CHECK(*r == slice(off, 1000));
  }
  CHECK(c.ranged == 2);
  auto third = be.get(pack_key('a'), 999'000, 5000);  // fetches the pack: 10 ranged pieces
  REQUIRE(third);
  CHECK(*third == slice(999'000, 1000));  // cut at the end, as a server would
  CHECK(c.ranged == 12);
  for (int i = 0; i < 50; ++i) {
    const std::uint64_t off = static_cast<std::uint64_t>(i) * 19'000;
    auto r = be.get(pack_key('a'), off, 777);
    REQUIRE(r);
    CHECK(*r == slice(off, 777));
  }
  CHECK(c.ranged == 12);  // all from the cache
  auto all = be.get(pack_key('a'));
  REQUIRE(all);
  CHECK(*all == body);
  CHECK(c.whole == 1);  // whole reads pass through
  int dirs = 0;
  for (const auto& e : fs::directory_iterator(s.dir))
    dirs += e.path().filename().string().starts_with("cairn-packs-");
  CHECK(dirs == 1);
  cached->reset();
  dirs = 0;
  for (const auto& e : fs::directory_iterator(s.dir))
    dirs += e.path().filename().string().starts_with("cairn-packs-");
  CHECK(dirs == 0);  // removed with the backend
}

TEST_CASE(
    "backend::with_pack_cache: bounded: least recently used packs go, oversized ones never come",
    "[backend]") {
  Scratch s;
  const Bytes a = test::pattern_bytes(300'000, 1), b = test::pattern_bytes(300'000, 2),
              big = test::pattern_bytes(600'000, 3);
  auto counting = counting_packs(s.dir, {a, b, big});
  Counting& c = *counting;
  PackCacheOptions o;
  o.max_bytes = 500'000;  // one of a and b at a time; never c
  o.direct_reads = 0;
  o.piece = 1'000'000;
  auto cached = with_pack_cache(std::move(counting), s.dir, o);
  REQUIRE(cached);
  Backend& be = **cached;
  REQUIRE(be.get(pack_key('a'), 0, 10));
  REQUIRE(be.get(pack_key('a'), 10, 10));
  CHECK(c.ranged == 1);                   // fetched once, then cached
  REQUIRE(be.get(pack_key('b'), 0, 10));  // fetched; a goes
  CHECK(c.ranged == 2);
  REQUIRE(be.get(pack_key('b'), 5, 10));
  CHECK(c.ranged == 2);
  auto again = be.get(pack_key('a'), 100, 10);  // fetched again
  REQUIRE(again);
  CHECK(*again == Bytes(a.begin() + 100, a.begin() + 110));
  CHECK(c.ranged == 3);
  for (int i = 0; i < 3; ++i) REQUIRE(be.get(pack_key('c'), 0, 10));
  CHECK(c.ranged == 6);  // too big: always direct
}

TEST_CASE("backend::with_pack_cache: will_read fetches whole packs ahead, bounded, in order",
          "[backend]") {
  Scratch s;
  const Bytes a = test::pattern_bytes(300'000, 1), b = test::pattern_bytes(300'000, 2),
              p = test::pattern_bytes(300'000, 3), other = test::pattern_bytes(300'000, 4);
  auto counting = counting_packs(s.dir, {a, b, p, other});
  Counting& c = *counting;
  PackCacheOptions o;
  o.max_bytes = 1'000'000;  // packs fetched ahead and not read yet: under 500,000 bytes
  o.piece = 1'000'000;      // one request a pack
  o.ahead = 1;              // one pack at a time: deterministic order
  auto cached = with_pack_cache(std::move(counting), s.dir, o);
  REQUIRE(cached);
  Backend& be = **cached;
  const auto settle = [&](int want) {  // polls until `want` ranged reads reached the server
    for (int i = 0; i < 1000 && c.ranged < want; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return c.ranged.load();
  };
  be.will_read({pack_key('a'), pack_key('b'), pack_key('c')});
  CHECK(settle(2) == 2);  // a and b; then 600,000 bytes wait unread: c waits
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(c.ranged == 2);
  auto r = be.get(pack_key('a'), 1000, 50);  // from the cache, no direct read
  REQUIRE(r);
  CHECK(*r == Bytes(a.begin() + 1000, a.begin() + 1050));
  CHECK(settle(3) == 3);  // a was read: c is fetched ahead now
  r = be.get(pack_key('c'), 299'990, 50);
  REQUIRE(r);
  CHECK(*r == Bytes(p.begin() + 299'990, p.end()));
  REQUIRE(be.get(pack_key('b'), 0, 10));
  CHECK(c.ranged == 3);
  REQUIRE(be.get(pack_key('d'), 0, 10));  // not named: direct reads first, as before
  CHECK(c.ranged == 4);
}
