// tests/unit/backend/conformance.hpp: the behaviour every Backend must show (restic's backend
// test suite). Call cairn::test::run_conformance(backend) from a TEST_CASE; it uses fresh
// random object names, so it also runs against a shared bucket that already holds objects,
// and removes what it wrote.
#pragma once

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "backend/backend.hpp"

namespace cairn::test {

inline std::string random_name(std::size_t hex_len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string s;
  for (std::size_t i = 0; i < hex_len; ++i) s.push_back(kHex[rd() % 16]);
  return s;
}

inline Bytes pattern_bytes(std::size_t n, std::uint32_t seed) {
  Bytes b(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : b) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<std::uint8_t>(x);
  }
  return b;
}

inline std::set<std::string> listed(backend::Backend& be, backend::Kind kind) {
  std::set<std::string> names;
  auto st = be.list(kind, [&](const backend::ObjectInfo& info) -> Status {
    CHECK(info.key.kind == kind);
    CHECK(info.key.valid());
    names.insert(info.key.name);
    return {};
  });
  REQUIRE(st);
  return names;
}

// `scratch_file_dir`: a local directory where the suite may create a file for put_file().
inline void run_conformance(backend::Backend& be, const std::filesystem::path& scratch_file_dir =
                                                      std::filesystem::temp_directory_path()) {
  using backend::Key;
  using backend::Kind;
  const Key pack = Key::pack(random_name(64));
  const Key pack2 = Key::pack(random_name(64));
  const Key index = Key::index(random_name(64));
  const Key set = Key::set(random_name(64));
  const Key slot = Key::slot(random_name(32));
  const Bytes body = pattern_bytes(300'000, 1);
  const Bytes small = pattern_bytes(100, 2);

  // Absent objects.
  {
    auto st = be.stat(pack);
    REQUIRE(st);
    CHECK_FALSE(st->has_value());
    auto g = be.get(pack);
    REQUIRE_FALSE(g);
    CHECK(g.error().code == Errc::not_found);
    CHECK(be.remove(pack));  // removing an absent object is fine
  }

  // put / get / stat for every kind.
  REQUIRE(be.put(pack, body));
  REQUIRE(be.put(index, small));
  REQUIRE(be.put(set, small));
  REQUIRE(be.put(slot, small));
  REQUIRE(be.put(pack2, Bytes{}));  // empty objects exist too
  {
    auto g = be.get(pack);
    REQUIRE(g);
    CHECK(*g == body);
    auto st = be.stat(pack);
    REQUIRE(st);
    REQUIRE(st->has_value());
    CHECK((*st)->size == body.size());
    CHECK((*st)->key == pack);
    auto e = be.get(pack2);
    REQUIRE(e);
    CHECK(e->empty());
    for (const Key& k : {index, set, slot}) {
      auto s = be.get(k);
      REQUIRE(s);
      CHECK(*s == small);
    }
  }

  // Ranges.
  {
    auto r = be.get(pack, 1000, 5000);
    REQUIRE(r);
    CHECK(*r == Bytes(body.begin() + 1000, body.begin() + 6000));
    auto tail = be.get(pack, body.size() - 12, 0);  // length 0 = to the end
    REQUIRE(tail);
    CHECK(*tail == Bytes(body.end() - 12, body.end()));
    auto past = be.get(pack, body.size() - 10, 100);  // runs past the end: the bytes that exist
    REQUIRE(past);
    CHECK(*past == Bytes(body.end() - 10, body.end()));
    auto beyond = be.get(pack, body.size() + 5, 10);
    REQUIRE(beyond);
    CHECK(beyond->empty());
  }

  // Listing: each kind lists its own objects (packs across their packs/xx/ folders).
  {
    auto packs = listed(be, Kind::pack);
    CHECK(packs.contains(pack.name));
    CHECK(packs.contains(pack2.name));
    CHECK_FALSE(packs.contains(index.name));
    auto idx = listed(be, Kind::index);
    CHECK(idx.contains(index.name));
    CHECK_FALSE(idx.contains(pack.name));
    CHECK(listed(be, Kind::set).contains(set.name));
    CHECK(listed(be, Kind::key).contains(slot.name));
    // a callback's error stops the listing and is returned
    int calls = 0;
    auto st = be.list(Kind::pack, [&](const backend::ObjectInfo&) -> Status {
      ++calls;
      return Error{Errc::cancelled, "stop"};
    });
    REQUIRE_FALSE(st);
    CHECK(st.error().code == Errc::cancelled);
    CHECK(calls == 1);
  }

  // Idempotent put; replacing; no_replace.
  {
    REQUIRE(be.put(index, small));
    auto g = be.get(index);
    REQUIRE(g);
    CHECK(*g == small);
    const Bytes other = pattern_bytes(77, 3);
    auto refused = be.put(index, other, /*no_replace=*/true);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::exists);
    auto still = be.get(index);
    REQUIRE(still);
    CHECK(*still == small);
    REQUIRE(be.put(slot, other));  // a plain put replaces atomically
    auto replaced = be.get(slot);
    REQUIRE(replaced);
    CHECK(*replaced == other);
  }

  // put_file.
  {
    const Key from_file = Key::pack(random_name(64));
    const auto src = scratch_file_dir / ("conformance-" + random_name(8));
    const Bytes content = pattern_bytes(200'000, 4);
    {
      std::ofstream f(src, std::ios::binary);
      f.write(reinterpret_cast<const char*>(content.data()),
              static_cast<std::streamsize>(content.size()));
    }
    REQUIRE(be.put_file(from_file, src));
    auto g = be.get(from_file);
    REQUIRE(g);
    CHECK(*g == content);
    CHECK(listed(be, Kind::pack).contains(from_file.name));
    std::error_code ec;
    std::filesystem::remove(src, ec);
    REQUIRE(be.remove(from_file));
  }

  // Invalid names never reach the storage.
  for (const Key& bad : {Key::pack("../../etc/passwd"), Key::index("ABC"), Key::slot(""),
                         Key::set(std::string(64, 'g')), Key{Kind::config, "other"}}) {
    CHECK_FALSE(be.put(bad, small));
    CHECK_FALSE(be.get(bad));
    CHECK_FALSE(be.stat(bad));
  }

  // Remove.
  for (const Key& k : {pack, pack2, index, set, slot}) {
    REQUIRE(be.remove(k));
    auto g = be.get(k);
    REQUIRE_FALSE(g);
    CHECK(g.error().code == Errc::not_found);
    auto st = be.stat(k);
    REQUIRE(st);
    CHECK_FALSE(st->has_value());
  }
  CHECK_FALSE(listed(be, Kind::pack).contains(pack.name));
  CHECK_FALSE(listed(be, Kind::key).contains(slot.name));

  // config: a single object.
  const Key config = Key::config();
  auto had_config = be.stat(config);
  REQUIRE(had_config);
  if (!had_config->has_value()) {
    REQUIRE(be.put(config, small));
    auto cfg = listed(be, Kind::config);
    CHECK(cfg == std::set<std::string>{"config"});
    REQUIRE(be.remove(config));
    CHECK(listed(be, Kind::config).empty());
  }
}

}  // namespace cairn::test
