#include "pack/pack.hpp"

#include <catch2/catch.hpp>

#include "crypto/crypto.hpp"
#include "hash/hash.hpp"

using namespace cairn;

namespace {

// Holds a pack's keys and a few chunks, and writes them into a pack in memory.
struct SodiumInit {
  SodiumInit() { REQUIRE(crypto::init()); }
};

struct Fixture {
  SodiumInit init;  // first: sodium_malloc needs sodium_init
  Bytes repo_id = Bytes(32, 0x42);
  crypto::BoxKeyPair box;
  crypto::SecretBytes index_key{32};
  compress::Compressor comp{3};
  compress::Decompressor decomp;

  Fixture() {
    box = crypto::box_keypair();
    crypto::random_bytes(index_key.mut());
  }

  struct Chunk {
    hash::ChunkId id;
    Bytes plain;
    std::uint8_t type;
  };

  static Bytes compressible(std::size_t n, char c) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(c + (i / 100) % 3);
    return b;
  }
  static Bytes random(std::size_t n) {
    Bytes b(n);
    crypto::random_bytes(b);
    return b;
  }

  std::vector<Chunk> chunks() {
    std::vector<Chunk> out;
    for (Bytes b : {compressible(20000, 'a'), random(5000), compressible(100, 'x'), random(1)}) {
      out.push_back(
          Chunk{hash::ChunkId{hash::blake2b(b)}, b, static_cast<std::uint8_t>(out.size() % 2 + 1)});
    }
    return out;
  }

  // Writes `cs` into a pack; returns its bytes and the writer's result.
  std::pair<Bytes, pack::Writer::Finished> write(const std::vector<Chunk>& cs) {
    io::StringWriter sink;
    auto w = pack::Writer::start(sink, repo_id, box.pk);
    REQUIRE(w);
    CHECK(sink.out.size() == pack::kHeaderSize);
    CHECK(w->size() == pack::kHeaderSize);
    Bytes zbuf, sealed;
    for (const auto& c : cs) {
      auto p = pack::make_payload(comp, c.plain, zbuf);
      REQUIRE(p);
      pack::seal_payload(w->data_key(), repo_id, c.type, c.id, *p, sealed);
      const std::size_t before = sink.out.size();
      REQUIRE(w->add(c.id, c.type, p->flags, static_cast<std::uint32_t>(c.plain.size()), sealed));
      CHECK(sink.out.size() == before + sealed.size());  // streamed, not held back
    }
    auto fin = w->finish(index_key.view());
    REQUIRE(fin);
    Bytes bytes(sink.out.begin(), sink.out.end());
    return {bytes, std::move(*fin)};
  }

  // Reads every chunk of a pack back, as a repository would.
  Status read_all(ByteView pack_bytes, const std::vector<Chunk>& cs,
                  std::vector<Bytes>* got = nullptr) {
    CAIRN_TRY_ASSIGN(auto entries, pack::read_index(pack_bytes, index_key.view(), repo_id, "pack"));
    CAIRN_TRY_ASSIGN(auto key, pack::open_data_key(
                                   pack_bytes.first(std::min(pack_bytes.size(), pack::kHeaderSize)),
                                   box.pk, box.sk.view(), "pack"));
    if (entries.size() != cs.size()) return Error{Errc::corrupt, "entry count"};
    Bytes scratch, out;
    for (const auto& e : entries) {
      CAIRN_TRY(pack::open_blob(key.view(), repo_id, e, pack_bytes.subspan(e.offset, e.sealed_len),
                                decomp, 1 << 20, scratch, out, "pack"));
      if (got) got->push_back(out);
    }
    return {};
  }
};

}  // namespace

TEST_CASE("pack::Writer: a written pack reads back chunk for chunk", "[pack]") {
  Fixture f;
  const auto cs = f.chunks();
  auto [bytes, fin] = f.write(cs);
  CHECK(fin.id.d == hash::blake2b(bytes));  // the id is the content address of the file
  CHECK(fin.size == bytes.size());
  REQUIRE(fin.entries.size() == cs.size());
  std::vector<Bytes> got;
  REQUIRE(f.read_all(bytes, cs, &got));
  REQUIRE(got.size() == cs.size());
  auto entries = pack::read_index(bytes, f.index_key.view(), f.repo_id, "pack");
  REQUIRE(entries);
  CHECK(*entries == fin.entries);
  for (std::size_t i = 0; i < cs.size(); ++i) {
    CHECK(got[i] == cs[i].plain);
    CHECK((*entries)[i].id == cs[i].id);
    CHECK((*entries)[i].type == cs[i].type);
    CHECK((*entries)[i].raw_size == cs[i].plain.size());
  }
  // compressible chunks are stored compressed, random ones raw
  CHECK(((*entries)[0].flags & pack::kFlagZstd) != 0);
  CHECK((*entries)[0].sealed_len < cs[0].plain.size());
  CHECK(((*entries)[1].flags & pack::kFlagZstd) == 0);
  CHECK((*entries)[1].sealed_len == cs[1].plain.size() + crypto::kSealOverhead);
}

TEST_CASE("pack::Writer: an empty pack is well formed", "[pack]") {
  Fixture f;
  auto [bytes, fin] = f.write({});
  CHECK(bytes.size() == pack::kMinPackSize);
  auto entries = pack::read_index(bytes, f.index_key.view(), f.repo_id, "pack");
  REQUIRE(entries);
  CHECK(entries->empty());
}

TEST_CASE("pack::Writer: two packs of the same chunks differ (fresh data key)", "[pack]") {
  Fixture f;
  const auto cs = f.chunks();
  auto a = f.write(cs);
  auto b = f.write(cs);
  CHECK(a.second.id != b.second.id);
  CHECK(a.first != b.first);
}

TEST_CASE("pack::read_index: every flipped bit, truncation or appended byte is an error",
          "[pack]") {
  Fixture f;
  const auto cs = f.chunks();
  auto [bytes, fin] = f.write(cs);
  // Flip one bit at a spread of positions: header, each blob, index, trailer.
  for (std::size_t pos = 0; pos < bytes.size(); pos += 97) {
    for (std::size_t p : {pos, bytes.size() - 1 - pos % 13}) {
      Bytes bad = bytes;
      bad[p] ^= 0x10;
      INFO("position " << p);
      auto st = f.read_all(bad, cs);
      REQUIRE_FALSE(st);
      CHECK((st.error().code == Errc::corrupt || st.error().code == Errc::unsupported_format));
    }
  }
  for (std::size_t cut :
       {std::size_t{1}, std::size_t{12}, std::size_t{13}, bytes.size() / 2, bytes.size() - 1}) {
    INFO("truncated by " << cut);
    CHECK_FALSE(f.read_all(ByteView(bytes).first(bytes.size() - cut), cs));
  }
  Bytes longer = bytes;
  longer.push_back(0);
  CHECK_FALSE(f.read_all(longer, cs));
  CHECK_FALSE(f.read_all(Bytes(bytes.size(), 0), cs));
}

TEST_CASE("pack::open_blob: refuses another repository, a moved blob or a swapped type", "[pack]") {
  Fixture f;
  const auto cs = f.chunks();
  auto [bytes, fin] = f.write(cs);
  auto key = pack::open_data_key(bytes, f.box.pk, f.box.sk.view(), "pack");
  REQUIRE(key);
  Bytes scratch, out;
  const pack::Entry e0 = fin.entries[0];
  const auto blob = [&](const pack::Entry& e) {
    return ByteView(bytes).subspan(e.offset, e.sealed_len);
  };
  REQUIRE(
      pack::open_blob(key->view(), f.repo_id, e0, blob(e0), f.decomp, 1 << 20, scratch, out, "p"));
  CHECK(out == cs[0].plain);

  Bytes other_repo = f.repo_id;
  other_repo[0] ^= 1;
  CHECK_FALSE(
      pack::open_blob(key->view(), other_repo, e0, blob(e0), f.decomp, 1 << 20, scratch, out, "p"));
  pack::Entry renamed = e0;
  renamed.id = cs[1].id;  // claims to be another chunk
  CHECK_FALSE(pack::open_blob(key->view(), f.repo_id, renamed, blob(e0), f.decomp, 1 << 20, scratch,
                              out, "p"));
  pack::Entry retyped = e0;
  retyped.type = e0.type == 1 ? 2 : 1;
  CHECK_FALSE(pack::open_blob(key->view(), f.repo_id, retyped, blob(e0), f.decomp, 1 << 20, scratch,
                              out, "p"));
  pack::Entry reflagged = fin.entries[1];
  reflagged.flags = pack::kFlagZstd;
  CHECK_FALSE(pack::open_blob(key->view(), f.repo_id, reflagged, blob(fin.entries[1]), f.decomp,
                              1 << 20, scratch, out, "p"));
  // a chunk claiming more than the largest chunk is refused before any work
  auto big = pack::open_blob(key->view(), f.repo_id, e0, blob(e0), f.decomp, cs[0].plain.size() - 1,
                             scratch, out, "p");
  REQUIRE_FALSE(big);
  CHECK(big.error().code == Errc::corrupt);
  // another pack's data key does not open this pack's blobs
  auto [bytes2, fin2] = f.write(cs);
  auto key2 = pack::open_data_key(bytes2, f.box.pk, f.box.sk.view(), "pack");
  REQUIRE(key2);
  CHECK_FALSE(
      pack::open_blob(key2->view(), f.repo_id, e0, blob(e0), f.decomp, 1 << 20, scratch, out, "p"));
}

TEST_CASE("pack::open_data_key: a write-only key or another key pair cannot open it", "[pack]") {
  Fixture f;
  auto [bytes, fin] = f.write(f.chunks());
  auto wo = pack::open_data_key(bytes, f.box.pk, ByteView{}, "pack");
  REQUIRE_FALSE(wo);
  CHECK(wo.error().code == Errc::auth);
  auto other = crypto::box_keypair();
  auto wrong = pack::open_data_key(bytes, other.pk, other.sk.view(), "pack");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == Errc::corrupt);
  Bytes v2 = bytes;
  v2[8] = 2;
  auto unsupported = pack::open_data_key(v2, f.box.pk, f.box.sk.view(), "pack");
  REQUIRE_FALSE(unsupported);
  CHECK(unsupported.error().code == Errc::unsupported_format);
}

TEST_CASE("pack::read_index: the wrong index key or repository id fails", "[pack]") {
  Fixture f;
  auto [bytes, fin] = f.write(f.chunks());
  crypto::SecretBytes other(32);
  crypto::random_bytes(other.mut());
  auto r = pack::read_index(bytes, other.view(), f.repo_id, "pack 'x'");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::corrupt);
  CHECK(r.error().message.find("pack 'x'") != std::string::npos);
  Bytes other_repo(32, 0x43);
  CHECK_FALSE(pack::read_index(bytes, f.index_key.view(), other_repo, "pack"));
}

TEST_CASE("pack::decode_index: structural checks on entries", "[pack]") {
  pack::Entry good{hash::ChunkId{}, 1, 0, pack::kHeaderSize, 100, 100 - crypto::kSealOverhead};
  const std::uint64_t end = pack::kHeaderSize + 100;
  auto decode = [&](const pack::Entry& e, std::uint64_t blobs_end) {
    return pack::decode_index(pack::encode_index({e}), blobs_end, "pack");
  };
  REQUIRE(decode(good, end));
  CHECK(decode(good, end)->front() == good);
  CHECK(decode(good, 0));  // index files do not know the pack size
  auto bad = good;
  bad.type = 3;
  CHECK_FALSE(decode(bad, end));
  bad = good;
  bad.type = 0;
  CHECK_FALSE(decode(bad, end));
  bad = good;
  bad.flags = 0x80;
  CHECK_FALSE(decode(bad, end));
  bad = good;
  bad.offset = 10;  // inside the header
  CHECK_FALSE(decode(bad, end));
  bad = good;
  bad.offset += 1;  // runs into the index
  CHECK_FALSE(decode(bad, end));
  bad = good;
  bad.sealed_len = 39;
  CHECK_FALSE(decode(bad, 0));
  bad = good;
  bad.raw_size += 1;  // a raw blob's sizes must agree
  CHECK_FALSE(decode(bad, end));
  bad = good;
  bad.offset = ~std::uint64_t{0} - 10;  // overflow
  CHECK_FALSE(decode(bad, 0));
  // counts that disagree with the size
  Bytes plain = pack::encode_index({good});
  plain[0] = 2;
  CHECK_FALSE(pack::decode_index(plain, end, "pack"));
  plain[0] = 0;
  CHECK_FALSE(pack::decode_index(plain, end, "pack"));
  CHECK_FALSE(pack::decode_index(Bytes{1, 0}, end, "pack"));
}

TEST_CASE("pack::parse_trailer: refuses impossible lengths", "[pack]") {
  Bytes tail(4, 0);
  append(tail, as_bytes(pack::kEndMagic));
  const std::uint64_t size = 1000;
  for (std::uint32_t len :
       {0u, 43u, static_cast<std::uint32_t>(size - pack::kHeaderSize - pack::kTrailerSize + 1),
        0xffffffffu}) {
    tail[0] = static_cast<std::uint8_t>(len);
    tail[1] = static_cast<std::uint8_t>(len >> 8);
    tail[2] = static_cast<std::uint8_t>(len >> 16);
    tail[3] = static_cast<std::uint8_t>(len >> 24);
    INFO(len);
    CHECK_FALSE(pack::parse_trailer(tail, size, "pack"));
  }
  const std::uint32_t ok = 100;
  tail[0] = ok;
  tail[1] = tail[2] = tail[3] = 0;
  auto span = pack::parse_trailer(tail, size, "pack");
  REQUIRE(span);
  CHECK(span->offset == size - pack::kTrailerSize - ok);
  CHECK(span->length == ok);
  CHECK_FALSE(pack::parse_trailer(tail, pack::kMinPackSize - 1, "pack"));
  tail[5] ^= 1;
  CHECK_FALSE(pack::parse_trailer(tail, size, "pack"));
}
