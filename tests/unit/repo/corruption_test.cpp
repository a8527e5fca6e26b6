// Damage every kind of repository file in every way we can think of: each read must fail with
// an error (corrupt; auth for a key slot, whose AEAD cannot tell a flipped bit from a wrong
// passphrase), never return wrong bytes, and never crash.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "repo/repo_fixture.hpp"

using namespace cairn;
using namespace cairn::test;

namespace {

std::string swap_files(const fs::path& a, const fs::path& b) {
  const fs::path tmp = a.string() + ".swap";
  fs::rename(a, tmp);
  fs::rename(b, a);
  fs::rename(tmp, b);
  return "swapped " + a.filename().string() + " and " + b.filename().string();
}

std::string replace_with(const fs::path& victim, const fs::path& other) {
  fs::rename(other, victim);  // the other object now sits under the victim's name
  return "renamed " + other.filename().string() + " over " + victim.filename().string();
}

Errc open_error(const fs::path& dir, const std::string& pass) {
  auto r = repo::Repository::open(dir, repo::Unlock{pass, {}});
  if (r) FAIL("a damaged repository opened");
  return r.error().code;
}

// A repository with two packs of four chunks each (and one index file per pack).
struct TwoPacks {
  TestRepo t;
  std::vector<Bytes> chunks;
  std::vector<hash::ChunkId> ids;
  hash::PackId pack_a, pack_b;
  TwoPacks() {
    auto r = t.open();
    for (int i = 0; i < 8; ++i)
      chunks.push_back(i % 2 ? random_bytes(20'000) : text_bytes(60'000, i));
    auto first = store(*r, {chunks.begin(), chunks.begin() + 4});
    auto second = store(*r, {chunks.begin() + 4, chunks.end()});
    ids = first;
    ids.insert(ids.end(), second.begin(), second.end());
    pack_a = r->locate(ids[0])->pack;
    pack_b = r->locate(ids[4])->pack;
    REQUIRE(pack_a != pack_b);
    for (int i = 0; i < 4; ++i) REQUIRE(r->locate(ids[i])->pack == pack_a);
    for (int i = 4; i < 8; ++i) REQUIRE(r->locate(ids[i])->pack == pack_b);
  }
  fs::path pack_path(const hash::PackId& p) const {
    return t.dir / "packs" / p.hex().substr(0, 2) / p.hex();
  }
  // Reads every chunk: each is either an error or exactly the stored bytes. Returns how many
  // of chunk indexes [from, to) failed.
  int read_all(repo::Repository& r, int from, int to) {
    int failed = 0;
    for (int i = 0; i < 8; ++i) {
      auto got = r.read_chunk_unproven(ids[i]);
      if (got) {
        CHECK(*got == chunks[i]);  // never wrong bytes
      } else {
        CHECK(got.error().code == Errc::corrupt);
        CHECK(got.error().message.find(ids[i].hex()) != std::string::npos);
        if (i >= from && i < to)
          ++failed;
        else
          FAIL_CHECK("chunk " << i << " of an undamaged pack failed: " << got.error().message);
      }
    }
    return failed;
  }
};

}  // namespace

TEST_CASE("repo::Repository: a damaged config is refused; its signed copy stands in",
          "[repo][corruption]") {
  for (auto d : kAllDamage) {
    TestRepo t;
    const Bytes good = read_all(t.dir / "config");
    INFO(damage(t.dir / "config", d));
    {
      auto r = t.open();
      CHECK_THAT(r->config_problem(), Catch::Contains("config") && Catch::Contains("holds/"));
      CHECK(r->config().repo_id == r->keys().repo_id);
    }
    // without the copy, the damaged config is refused
    for (const auto& f : files_in(t.dir / "holds"))
      if (read_all(f) == good) fs::remove(f);
    CHECK(open_error(t.dir, "pass") == Errc::corrupt);
  }
  TestRepo a, b;  // same passphrase, different repositories: b's copy does not belong to a
  INFO(replace_with(a.dir / "config", b.dir / "config"));
  for (const auto& f : files_in(a.dir / "holds")) fs::remove(f);
  for (const auto& f : files_in(b.dir / "holds")) fs::copy_file(f, a.dir / "holds" / f.filename());
  CHECK(open_error(a.dir, "pass") == Errc::corrupt);
}

TEST_CASE("repo::Repository: a damaged key slot does not open", "[repo][corruption]") {
  for (auto d : kAllDamage) {
    TestRepo t;
    auto slots = files_in(t.dir / "keys");
    REQUIRE(slots.size() == 1);
    INFO(damage(slots[0], d));
    const Errc e = open_error(t.dir, "pass");
    CHECK((e == Errc::auth || e == Errc::corrupt));
  }
  // A slot of another repository with the same passphrase opens, but its key does not verify
  // this repository's config.
  TestRepo a, b;
  auto sa = files_in(a.dir / "keys"), sb = files_in(b.dir / "keys");
  INFO(replace_with(sa[0], sb[0]));
  CHECK(open_error(a.dir, "pass") == Errc::corrupt);
}

TEST_CASE("repo::Repository: a damaged pack never yields wrong bytes", "[repo][corruption]") {
  for (auto d : kAllDamage) {
    TwoPacks p;
    const fs::path victim = p.pack_path(p.pack_a);
    INFO(damage(victim, d));
    CHECK(hash::blake2b(read_all(victim)) != p.pack_a.d);  // a full check (verify) always sees it
    auto r = p.t.open();
    const int failed = p.read_all(*r, 0, 4);
    auto idx = r->read_pack_index(p.pack_a);
    if (idx) {
      CHECK(failed > 0);  // the damage is in the blobs: the chunks there fail
    } else {
      CHECK(idx.error().code == Errc::corrupt);
    }
    switch (d) {
      case Damage::flip_header: CHECK(failed == 4); break;  // the data key (version) is gone
      case Damage::flip_middle: CHECK(failed >= 1); break;
      case Damage::truncate_half:
        CHECK(failed >= 1);
        CHECK_FALSE(idx);
        break;
      default: CHECK_FALSE(idx); break;  // trailer damage
    }
    CHECK(r->read_pack_index(p.pack_b));
  }
}

TEST_CASE("repo::Repository: swapped or replaced packs never yield wrong bytes",
          "[repo][corruption]") {
  {
    TwoPacks p;
    INFO(swap_files(p.pack_path(p.pack_a), p.pack_path(p.pack_b)));
    auto r = p.t.open();
    for (int i = 0; i < 8; ++i) {
      auto got = r->read_chunk_unproven(p.ids[i]);
      if (got)
        CHECK(*got == p.chunks[i]);
      else
        CHECK(got.error().code == Errc::corrupt);
    }
    CHECK(p.read_all(*r, 0, 8) == 8);
  }
  {
    TwoPacks p;
    INFO(replace_with(p.pack_path(p.pack_b), p.pack_path(p.pack_a)));
    auto r = p.t.open();
    CHECK(p.read_all(*r, 0, 8) == 8);  // pack a is missing (damage), b holds a's bytes
  }
}

TEST_CASE("repo::Repository: a damaged or swapped index file is refused at open",
          "[repo][corruption]") {
  for (auto d : kAllDamage) {
    TwoPacks p;
    auto idx = files_in(p.t.dir / "index");
    REQUIRE(idx.size() == 2);
    INFO(damage(idx[0], d));
    auto r = repo::Repository::open(p.t.dir, repo::Unlock{"pass", {}});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::corrupt);
    CHECK(r.error().message.find(idx[0].filename().string()) != std::string::npos);
  }
  for (bool swap : {true, false}) {
    TwoPacks p;
    auto idx = files_in(p.t.dir / "index");
    INFO((swap ? swap_files(idx[0], idx[1]) : replace_with(idx[0], idx[1])));
    CHECK(open_error(p.t.dir, "pass") == Errc::corrupt);
  }
}

TEST_CASE("repo::Repository: a damaged or swapped set is refused", "[repo][corruption]") {
  auto make = [](TestRepo& t) {
    auto r = t.open();
    auto a = r->write_set(repo::SetBody{{.source = "a", .files = 1}});
    auto b = r->write_set(repo::SetBody{{.source = "b", .files = 2}});
    REQUIRE(a);
    REQUIRE(b);
    return std::pair{a->id, b->id};
  };
  for (auto d : kAllDamage) {
    TestRepo t;
    auto [a, b] = make(t);
    INFO(damage(t.dir / "sets" / a.hex(), d));
    auto r = t.open();
    auto got = r->read_set(a);
    REQUIRE_FALSE(got);
    CHECK(got.error().code == Errc::corrupt);
    CHECK(got.error().message.find(a.hex()) != std::string::npos);
    auto other = r->read_set(b);
    REQUIRE(other);
    REQUIRE(other->body);
    CHECK(other->body->source == "b");
  }
  for (bool swap : {true, false}) {
    TestRepo t;
    auto [a, b] = make(t);
    INFO((swap ? swap_files(t.dir / "sets" / a.hex(), t.dir / "sets" / b.hex())
               : replace_with(t.dir / "sets" / a.hex(), t.dir / "sets" / b.hex())));
    auto r = t.open();
    auto ra = r->read_set(a);
    REQUIRE_FALSE(ra);
    CHECK(ra.error().code == Errc::corrupt);
    auto rb = r->read_set(b);
    REQUIRE_FALSE(rb);
    CHECK(rb.error().code == (swap ? Errc::corrupt : Errc::not_found));
  }
}
