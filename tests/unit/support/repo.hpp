// tests/unit/support/repo.hpp: repository settings and test data shared by the unit tests of
// repo and the modules above it (shared test fixtures, issue 17). Header-only: each unit-test
// binary links only its own module; include it as "support/repo.hpp".
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "backend/backend.hpp"
#include "crypto/crypto.hpp"
#include "repo/repo.hpp"

namespace cairn::test {

// Small limits so tests are fast: chunks of 64..256 KiB, packs of about 64 KiB (a 64 KiB
// random file is one chunk in a pack of its own), zstd -3, cheap Argon2id.
inline repo::InitOptions small_options() {
  repo::InitOptions o;
  o.chunking = chunker::Params{64u << 10, 128u << 10, 256u << 10};
  o.pack_size = 64u << 10;
  o.zstd_level = 3;
  o.kdf = crypto::KdfParams::fast_for_tests();
  return o;
}

// `n` random (incompressible) bytes; crypto::init() must have run.
inline Bytes random_bytes(std::size_t n) {
  Bytes b(n);
  crypto::random_bytes(b);
  return b;
}

// A storage that passes every call on to `inner`: tests derive from it and override the calls
// whose behaviour they change (an index file rewritten while it is read, one stored meanwhile).
class ForwardingBackend : public backend::Backend {
 public:
  explicit ForwardingBackend(std::unique_ptr<backend::Backend> inner) : b_(std::move(inner)) {}
  backend::Properties properties() const override { return b_->properties(); }
  std::string location() const override { return b_->location(); }
  Status put(const backend::Key& k, ByteView body, bool nr) override {
    return b_->put(k, body, nr);
  }
  Status put_file(const backend::Key& k, const std::filesystem::path& src) override {
    return b_->put_file(k, src);
  }
  Result<Bytes> get(const backend::Key& k, std::uint64_t off, std::uint64_t len) override {
    return b_->get(k, off, len);
  }
  Result<std::optional<backend::ObjectInfo>> stat(const backend::Key& k) override {
    return b_->stat(k);
  }
  Status list(backend::Kind kind,
              const std::function<Status(const backend::ObjectInfo&)>& each) override {
    return b_->list(kind, each);
  }
  Status remove(const backend::Key& k) override { return b_->remove(k); }
  Result<std::optional<backend::SpaceFigures>> space() override { return b_->space(); }

 protected:
  backend::Backend& inner() { return *b_; }

 private:
  std::unique_ptr<backend::Backend> b_;
};

// A far server (not local): every read of an object of `kind` takes `delay`; `most` is the
// largest number of those reads in flight at once (1 for a reader that waits for one after
// another).
class SlowReads final : public ForwardingBackend {
 public:
  SlowReads(std::unique_ptr<backend::Backend> inner, backend::Kind kind,
            std::chrono::milliseconds delay)
      : ForwardingBackend(std::move(inner)), kind_(kind), delay_(delay) {}
  backend::Properties properties() const override {
    auto p = ForwardingBackend::properties();
    p.local = false;
    return p;
  }
  Result<Bytes> get(const backend::Key& k, std::uint64_t off, std::uint64_t len) override {
    if (k.kind != kind_) return inner().get(k, off, len);
    const int now = ++in_flight_;
    for (int was = most.load(); now > was && !most.compare_exchange_weak(was, now);) {}
    std::this_thread::sleep_for(delay_);
    auto r = inner().get(k, off, len);
    --in_flight_;
    return r;
  }
  std::atomic<int> most{0};

 private:
  backend::Kind kind_;
  std::chrono::milliseconds delay_;
  std::atomic<int> in_flight_{0};
};

}  // namespace cairn::test
