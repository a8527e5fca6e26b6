// tests/unit/support/repo.hpp: repository settings and test data shared by the unit tests of
// repo and the modules above it (shared test fixtures, issue 17). Header-only: each unit-test
// binary links only its own module; include it as "support/repo.hpp".
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>

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

}  // namespace cairn::test
