// cairn-test-tool: what an attacker runs, for the adversarial CLI tests (tests/cli/trust/).
// It uses the repository format's encoders directly and writes objects straight into storage,
// as a host holding only a write-only key file (or only storage access) would: nothing here
// goes through cairn-pack or any check the tools make on the way in.
//
//   cairn-test-tool forge-set REPO KEYFILE PASSFILE SOURCE PROOF
//       Lists every chunk id the index files name (index_key is in every key), writes a
//       manifest whose one file "stolen" is made of all the data chunks, stores that manifest
//       as meta chunks (with their true proofs: the forger holds the manifest's plaintext),
//       and signs a set with the write-only key's writer key. PROOF says what stands in for
//       the proofs of the chunks it never held: "zero", "id" (the chunk id itself) or "none".
//       Prints the set id.
//   cairn-test-tool plant-copy REPO KEYFILE PASSFILE
//       Writes a garbage "pack" and an index file that lists every chunk of the repository in
//       it, ground until its name sorts before every other index file (so its entries are the
//       copies found first). Prints the garbage pack's id.
//   cairn-test-tool resign-config REPO KEYFILE PASSFILE
//       Re-signs the config with the only signing key a write-only key holds (its writer key).
//   cairn-test-tool forge-move REPO KEYFILE PASSFILE foreign|uncovered FROM TO
//       Writes a move record (holds/) saying that for every set the chunks of pack FROM
//       (its own index) are in pack TO: "foreign" signs it with an admin key of its own (not
//       this repository's), "uncovered" with the repository's (KEYFILE "-": a full key), though
//       TO does not hold those chunks. Prints the record's path.
//   cairn-test-tool pack-grep REPO KEYFILE PASSFILE NEEDLE
//       Not an attack: the erasure test's witness (tests/cli/erase/). Opens every pack file
//       the storage holds (not only those an index names), decrypts and decompresses every
//       blob its own trailing index lists with the full key, and searches the plaintext for
//       NEEDLE. Prints "PACK-ID CHUNK-ID" for each blob that holds it, then "N packs, M
//       blobs searched, K hold it"; exits 1 when K > 0 or a blob cannot be opened.
//   cairn-test-tool synth-index REPO KEYFILE PASSFILE CHUNKS
//       Not an attack: the scale test's generator (scripts/bench-scale). Writes index files
//       (the repository's own encoder, 100,000 entries a file, 32 a pack) that list CHUNKS
//       synthetic 1 MiB chunks in packs that are not stored, so that opening the repository
//       loads an index of that size without terabytes of data. KEYFILE "-": the repository's
//       own key slots. The ids are BLAKE2b of a counter: spread like real (keyed) ids.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "compress/zstd.hpp"
#include "crypto/crypto.hpp"
#include "io/file.hpp"
#include "manifest/manifest.hpp"
#include "pack/pack.hpp"
#include "repo/objects.hpp"
#include "repo/repo.hpp"

using namespace cairn;

namespace {

int fail(const std::string& m) {
  std::fprintf(stderr, "cairn-test-tool: %s\n", m.c_str());
  return 1;
}

Result<std::string> passphrase(const char* file) {
  CAIRN_TRY_ASSIGN(Bytes b, io::read_file(file));
  std::string s(b.begin(), b.end());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

class StringWriter final : public io::Writer {
 public:
  Status write(ByteView b) override {
    s.append(reinterpret_cast<const char*>(b.data()), b.size());
    return {};
  }
  Status flush() override { return {}; }
  std::string s;
};

Result<std::unique_ptr<repo::Repository>> open(const char* dir, const char* key, const char* pass) {
  CAIRN_TRY_ASSIGN(std::string p, passphrase(pass));
  std::optional<std::filesystem::path> key_file;
  if (std::string_view(key) != "-") key_file = key;
  return repo::Repository::open(dir, repo::Unlock{p, key_file});
}

int forge_set(char** argv) {
  auto r = open(argv[0], argv[1], argv[2]);
  if (!r) return fail(r.error().message);
  auto& repo = **r;
  const std::string source = argv[3];
  const std::string how = argv[4];
  const auto& k = repo.keys();
  // Every data chunk the indexes list: the write-only key opens index files.
  std::vector<hash::ChunkId> chunks;
  std::uint64_t size = 0;
  std::vector<hash::PackId> packs;
  auto st =
      repo.storage().list(backend::Kind::index, [&](const backend::ObjectInfo& info) -> Status {
        CAIRN_TRY_ASSIGN(Bytes raw, repo.storage().get(info.key));
        CAIRN_TRY_ASSIGN(
            auto ip, repo::decode_index_file(raw, k.index_key.view(), k.repo_id, info.key.name));
        for (const auto& p : ip) {
          packs.push_back(p.pack);
          for (const auto& e : p.entries)
            if (e.type == static_cast<std::uint8_t>(repo::BlobType::data)) {
              chunks.push_back(e.id);
              size += e.raw_size;
            }
        }
        return {};
      });
  if (!st) return fail(st.error().message);
  if (chunks.empty()) return fail("no data chunks listed");
  // The manifest, written by hand.
  StringWriter text;
  manifest::Writer w(text);
  manifest::SetInfo info;
  info.source = source;
  info.host = "forger";
  info.retention_class = "daily";
  info.started_ns = 1;
  manifest::Entry dir;
  dir.path = ".";
  dir.type = manifest::Type::dir;
  dir.mode = 0755;
  manifest::Entry e;
  e.path = "stolen";
  e.type = manifest::Type::file;
  e.mode = 0644;
  e.size = size;
  e.chunks = chunks;
  for (const auto& c : chunks) {
    if (how == "zero")
      e.proofs.push_back(hash::Digest{});
    else if (how == "id")
      e.proofs.push_back(c.d);
  }
  if (!w.header(info) || !w.entry(dir) || !w.entry(e) || !w.finish())
    return fail("cannot write the manifest");
  // Stored as meta chunks through a write session (packs + an index file), with true proofs.
  auto s = repo.begin_write(repo::WriteSession::Scope::own);
  if (!s) return fail(s.error().message);
  repo::SetBody body;
  body.source = source;
  body.host = "forger";
  body.retention_class = "daily";
  body.kind = model::SetKind::full;
  body.started_ns = 1;
  body.ended_ns = 2;
  body.files = 2;
  const ByteView all = as_bytes(text.s);
  for (std::size_t at = 0; at < all.size(); at += 64 * 1024) {
    const ByteView piece = all.subspan(at, std::min<std::size_t>(64 * 1024, all.size() - at));
    hash::Digest proof;
    const auto id = (*s)->id_of(piece, &proof);
    auto put = (*s)->put(id, repo::BlobType::meta, piece);
    if (!put) return fail(put.error().message);
    body.manifest.push_back(id);
    body.manifest_proofs.push_back(proof);
  }
  body.manifest_size = all.size();
  auto written = (*s)->finish();
  if (!written) return fail(written.error().message);
  for (const auto& path : *written)
    if (path.starts_with("packs/"))
      packs.push_back(*hash::PackId::from_hex(path.substr(path.rfind('/') + 1)));
  body.packs = packs;
  repo::SetHeader h;
  h.seq = 1000;
  h.time_ns = 1;
  auto bytes = repo::encode_set(h, body, k);
  if (!bytes) return fail(bytes.error().message);
  const hash::SetId id{hash::blake2b(*bytes)};
  auto put = repo.storage().put(backend::Key::set(id), *bytes);
  if (!put) return fail(put.error().message);
  std::printf("%s\n", id.hex().c_str());
  return 0;
}

int plant_copy(char** argv) {
  auto r = open(argv[0], argv[1], argv[2]);
  if (!r) return fail(r.error().message);
  auto& repo = **r;
  const auto& k = repo.keys();
  repo::IndexPack planted;
  std::string lowest = std::string(64, 'f');
  auto st =
      repo.storage().list(backend::Kind::index, [&](const backend::ObjectInfo& info) -> Status {
        lowest = std::min(lowest, info.key.name);
        CAIRN_TRY_ASSIGN(Bytes raw, repo.storage().get(info.key));
        CAIRN_TRY_ASSIGN(
            auto ip, repo::decode_index_file(raw, k.index_key.view(), k.repo_id, info.key.name));
        for (const auto& p : ip)
          for (auto e : p.entries) {
            e.offset = 100;  // same sizes and flags, in a file of garbage
            planted.entries.push_back(e);
          }
        return {};
      });
  if (!st) return fail(st.error().message);
  Bytes garbage(1u << 20);
  crypto::random_bytes(garbage);
  planted.pack = hash::PackId{hash::blake2b(garbage)};
  if (auto put = repo.storage().put(backend::Key::pack(planted.pack), garbage); !put)
    return fail(put.error().message);
  for (int tries = 0; tries < 100000; ++tries) {
    const Bytes index = repo::encode_index_file({planted}, k.index_key.view(), k.repo_id);
    const std::string name = hash::blake2b(index).hex();
    if (name >= lowest) continue;
    if (auto put = repo.storage().put(backend::Key::index(name), index); !put)
      return fail(put.error().message);
    std::printf("%s\n", planted.pack.hex().c_str());
    return 0;
  }
  return fail("could not grind an index name");
}

int resign_config(char** argv) {
  auto r = open(argv[0], argv[1], argv[2]);
  if (!r) return fail(r.error().message);
  auto& repo = **r;
  repo::Config c = repo.config();
  c.zstd_level = 19;  // any change an attacker wants
  const Bytes forged = repo::encode_config(c, repo.keys().writer_sk.view());
  auto st = repo.storage().put(backend::Key::config(), forged);
  if (!st) return fail(st.error().message);
  return 0;
}

int forge_move(char** argv) {
  auto r = open(argv[0], argv[1], argv[2]);
  if (!r) return fail(r.error().message);
  auto& repo = **r;
  const std::string mode = argv[3];
  auto from = hash::PackId::from_hex(argv[4]);
  auto to = hash::PackId::from_hex(argv[5]);
  if (!from || !to || (mode != "foreign" && mode != "uncovered")) return fail("bad arguments");
  auto entries = repo.read_pack_index(*from);
  if (!entries) return fail(entries.error().message);
  auto sets = repo.list_sets();
  if (!sets) return fail(sets.error().message);
  repo::MoveRecord m;
  m.sets = *sets;
  std::sort(m.sets.begin(), m.sets.end());
  m.user = "mallory";
  m.host = "forge";
  m.time_ns = 1;
  repo::PackMove mv{*from, {*to}, {}};
  for (const auto& e : *entries) mv.chunks.push_back(e.id);
  m.moves.push_back(std::move(mv));
  const auto foreign = crypto::KeyMaterial::generate(repo.config().repo_id);
  auto bytes = repo::encode_move_record(m, mode == "foreign" ? foreign : repo.keys());
  if (!bytes) return fail(bytes.error().message);
  const auto k = backend::Key::hold(hash::blake2b(*bytes).hex());
  auto st = repo.storage().put(k, *bytes);
  if (!st) return fail(st.error().message);
  std::printf("%s\n", k.path().c_str());
  return 0;
}

int pack_grep(char** argv) {
  auto r = open(argv[0], argv[1], argv[2]);
  if (!r) return fail(r.error().message);
  auto& repo = **r;
  const auto& k = repo.keys();
  const std::string needle = argv[3];
  std::size_t packs = 0, blobs = 0, hits = 0, bad = 0;
  compress::Decompressor d;
  Bytes scratch, plain;
  auto st =
      repo.storage().list(backend::Kind::pack, [&](const backend::ObjectInfo& info) -> Status {
        CAIRN_TRY_ASSIGN(Bytes raw, repo.storage().get(info.key));
        ++packs;
        CAIRN_TRY_ASSIGN(auto entries,
                         pack::read_index(raw, k.index_key.view(), k.repo_id, info.key.name));
        CAIRN_TRY_ASSIGN(auto key, pack::open_data_key(ByteView(raw).first(pack::kHeaderSize), k,
                                                       info.key.name));
        for (const auto& e : entries) {
          ++blobs;
          const ByteView sealed = ByteView(raw).subspan(e.offset, e.sealed_len);
          if (auto o = pack::open_blob(key.view(), k.repo_id, e, sealed, d, 1u << 30, scratch,
                                       plain, info.key.name);
              !o) {
            std::fprintf(stderr, "cairn-test-tool: %s\n", o.error().message.c_str());
            ++bad;
            continue;
          }
          const std::string_view text(reinterpret_cast<const char*>(plain.data()), plain.size());
          if (text.find(needle) == std::string_view::npos) continue;
          std::printf("%s %s\n", info.key.name.c_str(), e.id.hex().c_str());
          ++hits;
        }
        return {};
      });
  if (!st) return fail(st.error().message);
  std::printf("%zu packs, %zu blobs searched, %zu hold it\n", packs, blobs, hits);
  return hits > 0 || bad > 0 ? 1 : 0;
}

int synth_index(char** argv) {
  auto r = open(argv[0], argv[1], argv[2]);
  if (!r) return fail(r.error().message);
  auto& repo = **r;
  const auto& k = repo.keys();
  const std::uint64_t total = std::strtoull(argv[3], nullptr, 10);
  constexpr std::uint64_t kPerFile = 100'000, kPerPack = 32;
  constexpr std::uint32_t kRaw = 1u << 20;
  const auto digest_of = [](char tag, std::uint64_t n) {
    Bytes b(9);
    b[0] = static_cast<std::uint8_t>(tag);
    for (int i = 0; i < 8; ++i) b[1 + i] = static_cast<std::uint8_t>(n >> (8 * i));
    return hash::blake2b(b);
  };
  std::vector<repo::IndexPack> file;
  std::uint64_t in_file = 0;
  const auto flush = [&]() -> bool {
    if (file.empty()) return true;
    const Bytes index = repo::encode_index_file(file, k.index_key.view(), k.repo_id);
    if (auto put = repo.storage().put(backend::Key::index(hash::blake2b(index).hex()), index); !put)
      return fail(put.error().message), false;
    file.clear();
    in_file = 0;
    return true;
  };
  for (std::uint64_t i = 0; i < total; ++i) {
    if (i % kPerPack == 0)
      file.push_back(repo::IndexPack{hash::PackId{digest_of('p', i / kPerPack)}, {}});
    pack::Entry e;
    e.id = hash::ChunkId{digest_of('c', i)};
    e.type = static_cast<std::uint8_t>(repo::BlobType::data);
    e.offset = pack::kHeaderSize + (i % kPerPack) * (kRaw + crypto::kSealOverhead);
    e.sealed_len = kRaw + crypto::kSealOverhead;
    e.raw_size = kRaw;
    file.back().entries.push_back(e);
    if (++in_file == kPerFile && !flush()) return 1;
  }
  return flush() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (!crypto::init()) return fail("libsodium");
  const std::string verb = argc > 1 ? argv[1] : "";
  if (verb == "forge-set" && argc == 7) return forge_set(argv + 2);
  if (verb == "resign-config" && argc == 5) return resign_config(argv + 2);
  if (verb == "plant-copy" && argc == 5) return plant_copy(argv + 2);
  if (verb == "synth-index" && argc == 6) return synth_index(argv + 2);
  if (verb == "pack-grep" && argc == 6) return pack_grep(argv + 2);
  if (verb == "forge-move" && argc == 8) return forge_move(argv + 2);
  return fail(
      "usage: cairn-test-tool forge-set REPO KEYFILE PASSFILE SOURCE zero|id|none | "
      "resign-config|plant-copy "
      "REPO KEYFILE PASSFILE | synth-index REPO KEYFILE PASSFILE CHUNKS | forge-move REPO KEYFILE "
      "PASSFILE foreign|uncovered FROM TO");
}
