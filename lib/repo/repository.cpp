// Repository: init, open/unlock, the chunk index, reading chunks and set objects.
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <future>
#include <optional>
#include <set>
#include <type_traits>

#include <fmt/format.h>

#include "base/time.hpp"
#include "base/work_queue.hpp"
#include "repo/internal.hpp"
#include "repo/parity.hpp"
#include "repo/rewrite.hpp"

namespace cairn::repo {

namespace fs = std::filesystem;
using backend::Key;
using backend::Kind;
using backend::ObjectInfo;

// ---- helpers

Error corrupt_error(std::string_view what, std::string_view why) {
  return Error{Errc::corrupt, fmt::format("{} is corrupt: {}", what, why)};
}

Status check_content_address(ByteView bytes, const hash::Digest& name, std::string_view what) {
  if (hash::blake2b(bytes) != name)
    return corrupt_error(what, "its content does not match its name");
  return {};
}

std::string random_hex(std::size_t bytes) {
  Bytes b(bytes);
  crypto::random_bytes(b);
  return to_hex(b);
}

namespace {

std::string pack_what(const hash::PackId& id) { return fmt::format("pack '{}'", id.hex()); }

bool same(ByteView a, ByteView b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

// Inside an opened repository, an absent object that an index names is damage, and so is a
// pack claiming another format version (the config fixes the version): not a usage error.
Error as_damage(Error e) {
  if (e.code == Errc::not_found || e.code == Errc::unsupported_format) e.code = Errc::corrupt;
  return e;
}

}  // namespace

// ---- ChunkIndex

namespace {

// memcmp's order, 8 bytes at a time and inline: ids are keyed hashes, so the first word
// nearly always decides (a call to memcmp per comparison was 4-6% of an unchanged backup's
// cairn-pack, in sorting the index at open and in lookups).
int cmp_id(const std::uint8_t* a, const std::uint8_t* b) {
  static_assert(hash::kDigestSize % 8 == 0);
  for (std::size_t i = 0; i < hash::kDigestSize; i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    if (x == y) continue;
    if constexpr (std::endian::native == std::endian::little) {
      x = __builtin_bswap64(x);
      y = __builtin_bswap64(y);
    }
    return x < y ? -1 : 1;
  }
  return 0;
}

// The leading 32 bits of an id, big-endian, so they order as the id does.
std::uint32_t lead32(const std::uint8_t* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         b[3];
}

}  // namespace

hash::ChunkId ChunkIndex::id_of(const Rec& r) {
  hash::ChunkId id;
  std::memcpy(id.d.b.data(), r.id, hash::kDigestSize);
  return id;
}

Location ChunkIndex::to_location(const Rec& r) const {
  return Location{packs_[r.pack], r.offset, r.length, r.raw_size, static_cast<BlobType>(r.type),
                  r.flags};
}

std::pair<const ChunkIndex::Rec*, const ChunkIndex::Rec*> ChunkIndex::run(const Rec* b,
                                                                          const Rec* e,
                                                                          const hash::ChunkId& id) {
  const std::uint8_t* want = id.d.b.data();
  const Rec* lo = std::partition_point(b, e, [&](const Rec& r) { return cmp_id(r.id, want) < 0; });
  const Rec* hi = lo;
  while (hi != e && cmp_id(hi->id, want) == 0) ++hi;
  return {lo, hi};
}

std::pair<const ChunkIndex::Rec*, const ChunkIndex::Rec*> ChunkIndex::run_main(
    const hash::ChunkId& id) const {
  const Rec* base = main_.data();
  if (dir_.empty()) return run(base, base + main_.size(), id);
  const std::uint32_t k = dir_bits_ == 0 ? 0 : lead32(id.d.b.data()) >> (32 - dir_bits_);
  return run(base + dir_[k], base + dir_[k + 1], id);
}

template <typename F>
void ChunkIndex::each_copy(const hash::ChunkId& id, F&& f) const {
  auto [b, e] = run_main(id);
  for (; b != e; ++b) f(*b);
  auto [rb, re] = run(recent_.data(), recent_.data() + recent_.size(), id);
  for (; rb != re; ++rb) f(*rb);
}

std::optional<Location> ChunkIndex::find(const hash::ChunkId& id) const {
  std::shared_lock lock(mu_);
  std::optional<Location> out;
  each_copy(id, [&](const Rec& r) {
    if (!out) out = to_location(r);
  });
  return out;
}

std::vector<Location> ChunkIndex::find_all(const hash::ChunkId& id) const {
  std::shared_lock lock(mu_);
  std::vector<Location> out;
  // The same copy may sit in both arrays (a pack added again after open): keep one.
  std::vector<std::pair<std::uint32_t, std::uint64_t>> seen;
  each_copy(id, [&](const Rec& r) {
    const std::pair<std::uint32_t, std::uint64_t> at{std::uint32_t{r.pack},
                                                     std::uint64_t{r.offset}};
    if (std::find(seen.begin(), seen.end(), at) != seen.end()) return;
    seen.push_back(at);
    out.push_back(to_location(r));
  });
  return out;
}

template <typename Packs>
void ChunkIndex::append(Recs& to, Packs& packs) {
  std::size_t n = to.size();
  for (const auto& p : packs) n += p.entries.size();
  if (n > to.capacity()) to.reserve(std::max(n, to.capacity() + to.capacity() / 4));
  for (auto& p : packs) {
    auto [it, added] = pack_no_.try_emplace(p.pack, static_cast<std::uint32_t>(packs_.size()));
    if (added) packs_.push_back(p.pack);
    const std::uint32_t no = it->second;
    for (const auto& e : p.entries) {
      Rec& r = to.emplace_back();
      std::memcpy(r.id, e.id.d.b.data(), hash::kDigestSize);
      r.offset = e.offset;
      r.pack = no;
      r.length = e.sealed_len;
      r.raw_size = e.raw_size;
      r.type = e.type;
      r.flags = e.flags;
    }
    if constexpr (!std::is_const_v<Packs>) std::vector<pack::Entry>().swap(p.entries);
  }
}

// Sorted by id, then pack number, then offset; the same copy listed twice (one pack named by
// more than one index file) is kept once. In place: no second copy of the array.
void ChunkIndex::sort_unique(Recs& r) {
  const auto key_less = [](const Rec& a, const Rec& b) {
    if (const int c = cmp_id(a.id, b.id); c != 0) return c < 0;
    if (a.pack != b.pack) return a.pack < b.pack;
    return a.offset < b.offset;
  };
  std::sort(r.begin(), r.end(), key_less);
  r.erase(std::unique(r.begin(), r.end(),
                      [](const Rec& a, const Rec& b) {
                        return a.pack == b.pack && a.offset == b.offset && cmp_id(a.id, b.id) == 0;
                      }),
          r.end());
}

// About eight records a directory slot: a lookup then reads one or two cache lines. Ids are
// keyed hashes, so they spread evenly; planted ones only make a lookup slower, never wrong.
void ChunkIndex::build_directory() {
  dir_.clear();
  dir_bits_ = 0;
  if (main_.size() < 64) return;
  while (dir_bits_ < 28 && (std::size_t{1} << (dir_bits_ + 3)) < main_.size()) ++dir_bits_;
  dir_.assign((std::size_t{1} << dir_bits_) + 1, 0);
  std::size_t i = 0;
  for (std::size_t k = 0; k < (std::size_t{1} << dir_bits_); ++k) {
    while (i < main_.size() && (lead32(main_[i].id) >> (32 - dir_bits_)) < k) ++i;
    dir_[k] = static_cast<std::uint32_t>(i);
  }
  dir_.back() = static_cast<std::uint32_t>(main_.size());
}

void ChunkIndex::reserve(std::size_t chunks) {
  std::unique_lock lock(mu_);
  main_.reserve(main_.size() + chunks);
}

void ChunkIndex::add_bulk(const std::vector<IndexPack>& packs) {
  std::unique_lock lock(mu_);
  append(main_, packs);
}

void ChunkIndex::settle() {
  std::unique_lock lock(mu_);
  sort_unique(main_);
  build_directory();
  main_distinct_ = 0;
  for (std::size_t i = 0; i < main_.size(); ++i)
    if (i == 0 || cmp_id(main_[i - 1].id, main_[i].id) != 0) ++main_distinct_;
  distinct_ = main_distinct_;
}

void ChunkIndex::add(const std::vector<IndexPack>& packs) { add_packs(packs); }

void ChunkIndex::add(std::vector<IndexPack>&& packs) { add_packs(packs); }

template <typename Packs>
void ChunkIndex::add_packs(Packs& packs) {
  std::unique_lock lock(mu_);
  const std::size_t before = recent_.size();
  append(recent_, packs);
  if (recent_.size() == before) return;
  sort_unique(recent_);
  distinct_ = main_distinct_;  // plus the ids recent_ alone holds
  for (std::size_t i = 0; i < recent_.size(); ++i) {
    if (i > 0 && cmp_id(recent_[i - 1].id, recent_[i].id) == 0) continue;
    auto [b, e] = run_main(id_of(recent_[i]));
    if (b == e) ++distinct_;
  }
}

std::vector<pack::Entry> ChunkIndex::entries_of(const hash::PackId& pack) const {
  std::shared_lock lock(mu_);
  std::vector<pack::Entry> out;
  const auto no = pack_no_.find(pack);
  if (no == pack_no_.end()) return out;
  for (const Recs* rs : {&main_, &recent_})
    for (const Rec& r : *rs)
      if (r.pack == no->second)
        out.push_back(pack::Entry{id_of(r), r.type, r.flags, r.offset, r.length, r.raw_size});
  std::sort(out.begin(), out.end(),
            [](const pack::Entry& a, const pack::Entry& b) { return a.offset < b.offset; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool ChunkIndex::names(const hash::PackId& pack) const {
  std::shared_lock lock(mu_);
  return pack_no_.contains(pack);
}

std::size_t ChunkIndex::size() const {
  std::shared_lock lock(mu_);
  return distinct_;
}

std::size_t ChunkIndex::memory_bytes() const {
  std::shared_lock lock(mu_);
  // A hash-map node: the key, the value, the next pointer and the cached hash, plus a bucket.
  constexpr std::size_t kMapNode = sizeof(hash::PackId) + 4 + 2 * sizeof(void*) + sizeof(void*);
  return (main_.capacity() + recent_.capacity()) * sizeof(Rec) +
         dir_.capacity() * sizeof(std::uint32_t) + packs_.capacity() * sizeof(hash::PackId) +
         pack_no_.size() * kMapNode;
}

namespace {
std::uint64_t plausible_seq_ceiling(const std::vector<SetObject>& sets) {
  std::vector<std::uint64_t> seqs;
  seqs.reserve(sets.size());
  for (const auto& s : sets) seqs.push_back(s.header.seq);
  return repo::plausible_seq_ceiling(std::move(seqs));
}

// Two revocations of one writer: a set either kept is kept (each listed what existed then).
void append_keep(Revocation& into, const Revocation& more) {
  for (const auto& id : more.keep)
    if (std::find(into.keep.begin(), into.keep.end(), id) == into.keep.end())
      into.keep.push_back(id);
}
}  // namespace

// ---- init

Status init(const fs::path& dir, std::string_view passphrase, const InitOptions& o) {
  Config c;
  c.chunking = o.chunking;
  c.chunk_hash = o.chunk_hash;
  c.zstd_level = o.zstd_level;
  c.compression_mode = o.compression_mode;
  c.pack_size = o.pack_size;
  c.parity = o.parity;
  CAIRN_TRY(validate(c));
  CAIRN_TRY(crypto::check_kdf_params(o.kdf));

  std::error_code ec;
  if (fs::exists(dir / "config", ec) || fs::exists(dir / "keys", ec))
    return Error{Errc::exists, fmt::format("a repository already exists at '{}'", dir.string())};
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec))
      return Error{Errc::exists, fmt::format("cannot create a repository at '{}': not a directory",
                                             dir.string())};
    if (!fs::is_empty(dir, ec) || ec)
      return Error{Errc::exists,
                   fmt::format("cannot create a repository at '{}': the directory is not empty",
                               dir.string())};
  }
  CAIRN_TRY_ASSIGN(auto be, backend::open_local(dir, /*create=*/true));

  c.repo_id.resize(32);
  crypto::random_bytes(c.repo_id);
  crypto::KeyMaterial k = crypto::KeyMaterial::generate(c.repo_id);
  c.box_pk = k.box_pk;
  c.sign_pk = k.sign_pk;
  c.created_unix = now_ns() / kNsPerSecond;
  // The slot first, the config last: a config marks a complete repository.
  const Bytes slot = crypto::seal_slot(k, passphrase, o.kdf);
  CAIRN_TRY(be->put(Key::slot(random_hex(16)), slot, /*no_replace=*/true));
  const Bytes config = encode_config(c, k.sign_sk.view());
  // A signed copy among the admin records: content-addressed, so it cannot be overwritten by
  // someone who may only add objects, and it stands in for a replaced config.
  CAIRN_TRY(be->put(Key::hold(hash::blake2b(config).hex()), config, /*no_replace=*/true));
  return be->put(Key::config(), config, /*no_replace=*/true);
}

// ---- open

namespace {

// The names in holds/, sorted.
Result<std::vector<std::string>> admin_record_names(backend::Backend& be) {
  std::vector<std::string> names;
  CAIRN_TRY(be.list(Kind::hold, [&](const backend::ObjectInfo& info) -> Status {
    names.push_back(info.key.name);
    return {};
  }));
  std::sort(names.begin(), names.end());
  return names;
}

// The signed copy of the config among the admin records (holds/<id>, written by init), as
// `belongs` accepts it, with its repository-relative path; nullopt when none does.
std::optional<std::pair<Config, std::string>> find_config_copy(
    backend::Backend& be,
    const std::function<Result<Config>(ByteView, const std::string&)>& belongs) {
  auto names = admin_record_names(be);
  if (!names) return std::nullopt;
  for (const auto& name : *names) {
    const Key k = Key::hold(name);
    auto raw = be.get(k);
    if (!raw || !is_config_copy(*raw)) continue;
    auto d = hash::Digest::from_hex(name);
    if (!d || hash::blake2b(*raw) != *d) continue;
    auto c = belongs(*raw, k.path());
    if (c) return std::pair{std::move(*c), k.path()};
  }
  return std::nullopt;
}

// The JSON text of a config, read without authenticating it; nullopt if unreadable.
std::optional<std::string_view> peek_config_json(ByteView raw) {
  if (raw.size() < 12 || as_chars(raw.first(8)) != kConfigMagic) return std::nullopt;
  const std::uint32_t len = get_le32(raw.data() + 8);
  if (len > kMaxConfigJson || raw.size() < 12 + std::size_t{len}) return std::nullopt;
  return as_chars(raw.subspan(12, len));
}

// The "version" of a config's JSON, read without authenticating it; nullopt if unreadable.
std::optional<std::uint64_t> peek_config_version(ByteView raw) {
  auto text = peek_config_json(raw);
  if (!text) return std::nullopt;
  const auto at = text->find("\"version\":");
  if (at == std::string_view::npos) return std::nullopt;
  std::uint64_t v = 0;
  bool any = false;
  for (std::size_t i = at + 10;
       i < text->size() && (*text)[i] >= '0' && (*text)[i] <= '9' && v < 1000000; ++i) {
    v = v * 10 + static_cast<std::uint64_t>((*text)[i] - '0');
    any = true;
  }
  if (!any) return std::nullopt;
  return v;
}

// The "repo_id" of a config's JSON, unauthenticated: it only names the repository's entries
// in the kernel keyring (a kept key still has to open a slot); empty if unreadable.
std::string peek_repo_id(ByteView raw) {
  constexpr std::string_view kField = "\"repo_id\":\"";
  auto text = peek_config_json(raw);
  if (!text) return {};
  const auto at = text->find(kField);
  if (at == std::string_view::npos) return {};
  const auto start = at + kField.size();
  const auto end = text->find('"', start);
  if (end == std::string_view::npos) return {};
  return std::string(text->substr(start, end - start));
}

struct Unlocked {
  crypto::KeyMaterial keys;
  std::string slot;     // keys/<slot> that opened, or empty for a key file
  std::string same_as;  // for a key file: a slot in keys/ with identical bytes
};

// A slot that a key kept in the kernel keyring opens (crypto/key_cache.hpp): first without
// waiting; on a miss, again under the cache's lock, which the tool that derives holds until
// it has stored its key (the other tools of a pipeline wait there instead of deriving too).
template <typename Candidates>
std::optional<std::size_t> cached_candidate(const Candidates& cs, crypto::KeyCache& cache,
                                            std::optional<crypto::KeyMaterial>& out) {
  if (!cache.enabled()) return std::nullopt;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < cs.size(); ++i)
      if ((out = crypto::open_slot_cached(cs[i].bytes, cs[i].name, cache))) return i;
    if (pass == 0) cache.lock();
  }
  return std::nullopt;
}

struct Candidate {
  std::uint64_t cost;
  std::string name;
  Bytes bytes;
};

Result<Unlocked> unlock(backend::Backend& be, const Unlock& u, const std::string& repo_id) {
  const std::string where = be.location();
  crypto::KeyCache cache(repo_id, u.cache_binding, u.cache_seconds, u.observer);
  std::optional<crypto::KeyMaterial> cached;
  if (u.key_file) {
    auto bytes = io::read_file(*u.key_file);
    if (!bytes) return std::move(bytes).error();
    const std::vector<Candidate> file{{0, u.key_file->string(), *bytes}};
    auto m = cached_candidate(file, cache, cached)
                 ? Result<crypto::KeyMaterial>(std::move(*cached))
                 : crypto::open_slot(*bytes, u.passphrase, u.key_file->string(), cache);
    if (!m) {
      if (m.error().code == Errc::auth)
        return Error{Errc::auth,
                     fmt::format("wrong passphrase for key file '{}'", u.key_file->string())};
      return std::move(m).error();
    }
    Unlocked out{std::move(*m), {}, {}};
    // If the file is a copy of a slot in keys/, that slot is the one in use.
    CAIRN_TRY(be.list(Kind::key, [&](const backend::ObjectInfo& info) -> Status {
      if (!out.same_as.empty() || info.size != bytes->size()) return {};
      auto other = be.get(info.key);
      if (other && *other == *bytes) out.same_as = info.key.name;
      return {};
    }));
    return out;
  }
  std::vector<std::string> slots;
  CAIRN_TRY(be.list(Kind::key, [&](const backend::ObjectInfo& info) -> Status {
    slots.push_back(info.key.name);
    return {};
  }));
  std::sort(slots.begin(), slots.end());
  if (slots.empty())
    return Error{Errc::no_repo,
                 fmt::format("no cairn repository at '{}' (run 'cairn init' first)", where)};
  std::size_t damaged = 0;
  std::optional<Error> last_damage;
  // Cheapest first (the KDF cost a slot asks for, read from its cleartext header), so a slot
  // planted with the most expensive parameters the ceiling allows is tried after the real
  // one, not before it; a slot that cannot be read or parsed never stops the search.
  std::vector<Candidate> candidates;
  for (const auto& name : slots) {
    auto bytes = be.get(Key::slot(name));
    if (!bytes) {
      if (bytes.error().code == Errc::not_found) continue;  // removed meanwhile
      ++damaged;
      last_damage = std::move(bytes).error();
      continue;
    }
    auto h = crypto::parse_slot_header(*bytes, name);
    if (!h) {
      ++damaged;
      last_damage = std::move(h).error();
      continue;
    }
    candidates.push_back({h->kdf.ops * h->kdf.mem, name, std::move(*bytes)});
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.cost < b.cost; });
  if (auto i = cached_candidate(candidates, cache, cached))
    return Unlocked{std::move(*cached), candidates[*i].name, {}};
  for (const auto& c : candidates) {
    auto m = crypto::open_slot(c.bytes, u.passphrase, c.name, cache);
    if (m) return Unlocked{std::move(*m), c.name, {}};
    if (m.error().code != Errc::auth) {
      ++damaged;
      last_damage = std::move(m).error();
    }
  }
  if (damaged == slots.size()) return std::move(*last_damage);
  if (damaged > 0)
    return Error{Errc::auth,
                 fmt::format("wrong passphrase for repository '{}' ({} damaged key slot{})", where,
                             damaged, damaged == 1 ? "" : "s")};
  return Error{Errc::auth, fmt::format("wrong passphrase for repository '{}'", where)};
}

}  // namespace

Result<std::unique_ptr<Repository>> Repository::open(const fs::path& dir, const Unlock& u) {
  auto be = backend::open_local(dir, /*create=*/false);
  if (!be) {
    if (be.error().code == Errc::not_found)
      return Error{
          Errc::no_repo,
          fmt::format("no cairn repository at '{}' (run 'cairn init' first)", dir.string())};
    return std::move(be).error();
  }
  CAIRN_TRY_ASSIGN(auto repo, open(std::move(*be), u, dir / "tmp"));
  static_cast<RepositoryImpl&>(*repo).set_local_dir(dir);
  return repo;
}

Result<std::optional<std::uint64_t>> RepositoryImpl::object_size(const Key& k) {
  CAIRN_TRY_ASSIGN(auto info, be_->stat(k));
  if (!info) return std::optional<std::uint64_t>{};
  return std::optional<std::uint64_t>{info->size};
}

Result<std::optional<Key>> RepositoryImpl::config_copy() {
  CAIRN_TRY_ASSIGN(Bytes config, be_->get(Key::config()));
  const Key copy = Key::hold(hash::blake2b(config).hex());
  CAIRN_TRY_ASSIGN(auto info, be_->stat(copy));
  if (!info) return std::optional<Key>{};
  return std::optional<Key>{copy};
}

Result<std::unique_ptr<Repository>> Repository::open(std::unique_ptr<backend::Backend> be,
                                                     const Unlock& u, fs::path tmp_dir) {
  const std::string where = be->location();
  // One GET, no HEAD first: on a remote repository every round trip before the first pack
  // is a wait.
  auto got = be->get(Key::config());
  if (!got && got.error().code == Errc::not_found)
    return Error{Errc::no_repo,
                 fmt::format("no cairn repository at '{}' (run 'cairn init' first)", where)};
  const std::string what = fmt::format("config of repository '{}'", where);
  CAIRN_TRY_ASSIGN(Bytes raw, std::move(got));
  // Name an older format before any key is derived (the version is only read, not trusted:
  // a config of this version is still verified below).
  if (auto v = peek_config_version(raw); v && *v != static_cast<std::uint64_t>(kFormatVersion))
    return Error{
        Errc::unsupported_format,
        fmt::format(
            "repository '{}' is of format {}{}; this cairn reads format {} only: make a new "
            "repository with 'cairn init' and back up into it (an older cairn still reads this "
            "one)",
            where, *v, *v == 1 ? " (cairn 0.1)" : "", kFormatVersion)};
  // What needs no key is listed while the key is derived (Argon2id: 0.1-0.2 s of one core):
  // on a remote repository, the round trips for holds/ (the key generations, then every kind
  // of admin record) and index/ overlap it instead of following it. The backend is
  // thread-safe, and both are waited for before it can go.
  backend::Backend* const b = be.get();
  auto admin_listing = std::async(std::launch::async, [b] { return admin_record_names(*b); });
  auto index_listing = std::async(std::launch::async, [b]() -> Result<std::vector<ObjectInfo>> {
    std::vector<ObjectInfo> infos;
    CAIRN_TRY(b->list(Kind::index, [&](const ObjectInfo& info) -> Status {
      infos.push_back(info);
      return {};
    }));
    return infos;
  });
  auto unlocked = unlock(*be, u, peek_repo_id(raw));
  auto admin_names = admin_listing.get();
  auto index_infos = index_listing.get();
  CAIRN_TRY_ASSIGN(Unlocked un, std::move(unlocked));
  // decode_config verifies the signature with the key's admin key before it parses anything.
  auto belongs = [&](ByteView bytes, const std::string& name) -> Result<Config> {
    CAIRN_TRY_ASSIGN(Config c, decode_config(bytes, un.keys.sign_pk, name));
    // The key's box_pk is the config's, or a later generation's (checked by
    // load_generations(): key rotation).
    if (!same(c.repo_id, un.keys.repo_id) || !same(c.sign_pk, un.keys.sign_pk))
      return corrupt_error(name, "it does not belong to this key");
    return c;
  };
  auto first = belongs(raw, what);
  std::string problem;
  if (!first && first.error().code == Errc::corrupt) {
    // Replaced or damaged (a write-only host cannot sign a config, but put-only storage rights
    // can overwrite one): the signed copy init left among the admin records stands in.
    auto copy = find_config_copy(*be, belongs);
    if (copy) {
      problem = fmt::format(
          "{}; its signed copy '{}' was used: copy that file over 'config' to repair it",
          first.error().message, copy->second);
      first = std::move(copy->first);
    }
  }
  if (!first) return std::move(first).error();
  Config c = std::move(*first);
  auto repo = std::make_unique<RepositoryImpl>(std::move(be), std::move(tmp_dir), std::move(c),
                                               std::move(un.keys), un.slot);
  repo->set_config_problem(std::move(problem));
  if (!un.slot.empty() && repo->keys().can_read()) repo->mark_full_slot(un.slot);
  if (!un.same_as.empty() && repo->keys().can_read()) repo->mark_full_slot(un.same_as);
  if (admin_names) repo->seed_admin_listing(std::move(*admin_names));  // else listed again
  CAIRN_TRY(repo->load_generations());
  CAIRN_TRY(repo->load_indexes(u.skip_damaged_indexes, index_infos ? &*index_infos : nullptr));
  // A revoked writer can write nothing more (its sets would be refused anyway).
  CAIRN_TRY_ASSIGN(auto keep, repo->revoked_keep(repo->keys().writer_id));
  if (keep && !repo->keys().can_admin())
    return Error{
        Errc::auth,
        fmt::format("this key (writer {}) was revoked: ask the repository's admin for a new "
                    "write-only key",
                    to_hex(repo->keys().writer_id))};
  return std::unique_ptr<Repository>(std::move(repo));
}

chunker::Params manifest_chunking(const chunker::Params& content) {
  // Measured at make-dataset scale 1 (a 12.6 MB manifest stream): at content's sizes a set
  // whose tree had not changed stored 374 KB anew (its first chunk, which holds the header),
  // a set with 11 changed files 3.7 MB; at these, 62 KB and 0.6 MB. The component-wise
  // minimum of two valid parameter sets is valid (min < avg < max, avg a power of two).
  chunker::Params p;
  p.min_size = std::min<std::uint32_t>(content.min_size, 64u << 10);
  p.avg_size = std::min<std::uint32_t>(content.avg_size, 128u << 10);
  p.max_size = std::min<std::uint32_t>(content.max_size, 1u << 20);
  return p;
}

RepositoryImpl::RepositoryImpl(std::unique_ptr<backend::Backend> be, fs::path tmp_dir, Config c,
                               crypto::KeyMaterial k, std::string slot)
    : be_(std::move(be)),
      tmp_dir_(std::move(tmp_dir)),
      config_(std::move(c)),
      keys_(std::move(k)),
      chunker_(config_.chunking, keys_.gear_seed.view()),
      manifest_chunker_(manifest_chunking(config_.chunking), keys_.gear_seed.view()),
      hasher_(config_.chunk_hash, keys_.chunk_id_key.view()),
      slot_(std::move(slot)),
      readers_([] { return std::make_unique<ReadScratch>(); }) {}

// cairn-prune rewrites index files while backups run (the new file is stored first, then the
// old one goes), so a file listed a moment ago may be gone when it is read. Its entries live on
// in a file written before it went: list again and read what is new. Entries already read from
// a file that went since are kept; prune's generations account for a reader that saw them (a
// backup that opened the repository before the rewrite).
Status RepositoryImpl::load_indexes(bool skip_damaged, const std::vector<ObjectInfo>* listed) {
  constexpr int kMaxRounds = 8;
  std::set<std::string> seen;
  for (int round = 1;; ++round) {
    std::vector<std::pair<std::string, std::uint64_t>> names;  // and sizes
    std::uint64_t bytes = 0;
    auto take = [&](const backend::ObjectInfo& info) -> Status {
      if (!seen.contains(info.key.name)) {
        names.emplace_back(info.key.name, info.size);
        bytes += info.size;
      }
      return {};
    };
    if (round == 1 && listed != nullptr) {
      for (const auto& info : *listed) CAIRN_TRY(take(info));
    } else {
      CAIRN_TRY(be_->list(Kind::index, take));
    }
    // Each entry takes pack::kEntrySize bytes of an index file: room for them all at once, so
    // loading never doubles the array (a backend that lists no sizes just grows it).
    // A listing's sizes are only a hint: past 2^28 entries (15 GiB) the array grows as read.
    if (bytes / pack::kEntrySize < (std::uint64_t{1} << 28))
      index_.reserve(static_cast<std::size_t>(bytes / pack::kEntrySize));
    std::sort(names.begin(), names.end());
    // On a remote repository each file is a round trip, and a repository with a file per
    // backup has many: small files are read (and decoded) up to kReaders at a time, at most
    // kWindowBytes of them by their listed sizes, then added in name order as one reader
    // would. A file of unknown size, or a local repository, is read alone.
    constexpr unsigned kReaders = 8;
    constexpr std::uint64_t kWindowBytes = 16u << 20;
    const bool remote = !be_->properties().local;
    std::vector<std::optional<Result<std::vector<IndexPack>>>> window;
    std::optional<Error> vanished;
    for (std::size_t i = 0, end = 0; i < names.size(); ++i) {
      if (i == end) {  // the next window: names[i, end)
        std::uint64_t held = names[i].second;
        for (end = i + 1; remote && end < names.size() && end - i < kReaders && held > 0 &&
                          names[end].second > 0 && held + names[end].second <= kWindowBytes;
             ++end)
          held += names[end].second;
        window.assign(end - i, std::nullopt);
        for_each_index(window.size(), kReaders, [&, i](std::size_t k) {
          window[k].emplace(read_index_file(names[i + k].first));
        });
      }
      const std::string& name = names[i].first;
      seen.insert(name);
      auto packs = std::move(*window[i - (end - window.size())]);
      if (!packs && packs.error().code == Errc::not_found) {
        vanished = std::move(packs).error();
        continue;
      }
      if (!packs && skip_damaged &&
          (packs.error().code == Errc::corrupt || packs.error().code == Errc::unsupported_format))
        continue;  // cairn repair replaces it
      if (!packs) return std::move(packs).error();
      index_.add_bulk(*packs);
    }
    index_.settle();
    if (!vanished) return {};
    if (round == kMaxRounds)
      return std::move(vanished->wrap(fmt::format(
          "index files kept vanishing while they were read ({} listings): is a prune of {} "
          "running in a loop? Try again when it has finished",
          kMaxRounds, be_->location())));
  }
}

Result<std::vector<IndexPack>> RepositoryImpl::read_index_file(const std::string& name) {
  const std::string what = fmt::format("index file '{}'", name);
  CAIRN_TRY_ASSIGN(const Bytes raw, be_->get(Key::index(name)));
  CAIRN_TRY(check_content_address(raw, *hash::Digest::from_hex(name), what));
  CAIRN_TRY_ASSIGN(auto packs, decode_index_file(raw, keys_.index_key.view(), keys_.repo_id, what));
  std::vector<hash::PackId> ids;
  for (const auto& p : packs) ids.push_back(p.pack);
  std::lock_guard lock(index_files_mu_);
  index_files_[name] = std::move(ids);
  return packs;
}

void RepositoryImpl::remember_index_file(const std::string& name, std::vector<hash::PackId> packs) {
  std::lock_guard lock(index_files_mu_);
  index_files_[name] = std::move(packs);
}

Result<std::unordered_set<hash::PackId>> RepositoryImpl::indexed_packs() {
  std::vector<std::string> names;
  CAIRN_TRY(be_->list(Kind::index, [&](const backend::ObjectInfo& info) -> Status {
    names.push_back(info.key.name);
    return {};
  }));
  std::unordered_set<hash::PackId> out;
  for (const auto& name : names) {
    {
      std::lock_guard lock(index_files_mu_);
      if (auto it = index_files_.find(name); it != index_files_.end()) {
        out.insert(it->second.begin(), it->second.end());
        continue;
      }
    }
    auto packs = read_index_file(name);
    if (!packs && packs.error().code == Errc::not_found) continue;  // rewritten meanwhile
    if (!packs) return std::move(packs).error();
    for (const auto& p : *packs) out.insert(p.pack);
  }
  return out;
}

Result<std::unique_ptr<WriteSession>> RepositoryImpl::begin_write(
    WriteSession::Scope scope, std::vector<hash::PackId> allowed_packs) {
  if (scope == WriteSession::Scope::any) CAIRN_TRY(find_orphans());
  return make_session(*this, scope, std::move(allowed_packs));
}

// Everything under packs/ is whole: a pack is written under tmp/ and renamed into place only
// once it is complete and fsync'd (WriteSession), so an orphan is a finished pack whose writer
// died before its index file. A pack whose trailing index does not read is skipped (cairn-verify
// reports it). Orphans are also prune's garbage: a rerun that adopts one between prune's mark
// and its sweep is the revival WriteSession::keep_indexed and the sweep's second listing
// handle (repo/gc.cpp).
Status RepositoryImpl::find_orphans() {
  std::lock_guard lock(orphans_mu_);
  if (orphans_found_) return {};
  struct Orphan {
    hash::PackId id;
    std::int64_t mtime_ns = 0;
  };
  std::vector<Orphan> found;
  CAIRN_TRY(be_->list(Kind::pack, [&](const backend::ObjectInfo& info) -> Status {
    auto id = hash::PackId::from_hex(info.key.name);
    if (id && !index_.names(*id)) found.push_back(Orphan{*id});
    return {};
  }));
  if (found.size() > kMaxOrphans && local_dir_) {
    for (auto& o : found) {
      struct stat st {};
      if (::stat((*local_dir_ / Key::pack(o.id).path()).c_str(), &st) == 0)
        o.mtime_ns = st.st_mtim.tv_sec * 1'000'000'000ll + st.st_mtim.tv_nsec;
    }
    std::sort(found.begin(), found.end(),
              [](const Orphan& a, const Orphan& b) { return a.mtime_ns > b.mtime_ns; });
  }
  if (found.size() > kMaxOrphans) found.resize(kMaxOrphans);
  std::vector<IndexPack> packs;
  for (const auto& o : found) {
    auto entries = read_pack_index(o.id);
    if (entries) packs.push_back(IndexPack{o.id, std::move(*entries)});
  }
  orphans_.add(packs);
  orphans_found_ = true;
  return {};
}

// ---- reading chunks

Result<std::shared_ptr<const crypto::SecretBytes>> RepositoryImpl::pack_key(
    const hash::PackId& pack) {
  {
    std::lock_guard lock(key_cache_mu_);
    if (auto it = key_cache_.find(pack); it != key_cache_.end()) return it->second;
  }
  auto header = be_->get(Key::pack(pack), 0, pack::kHeaderSize);
  if (!header) return as_damage(std::move(header).error());
  auto key = pack::open_data_key(*header, keys_, pack_what(pack));
  if (!key) return as_damage(std::move(key).error());
  auto shared = std::make_shared<const crypto::SecretBytes>(std::move(*key));
  std::lock_guard lock(key_cache_mu_);
  constexpr std::size_t kMaxCachedKeys = 256;
  if (key_cache_.size() >= kMaxCachedKeys) key_cache_.clear();
  key_cache_.emplace(pack, shared);
  return shared;
}

Result<Bytes> RepositoryImpl::read_copy(const hash::ChunkId& id, const Location& loc,
                                        hash::Digest* proof) {
  // The pack's header (its data key, read by pack_key when not cached) and the blob are
  // independent reads: on a remote repository both go at once, one round trip instead of
  // two. The blob is only opened (authenticated) with the key, never parsed before.
  bool together = !be_->properties().local;
  if (together) {
    std::lock_guard lock(key_cache_mu_);
    together = !key_cache_.contains(loc.pack);
  }
  const Key k = Key::pack(loc.pack);
  std::future<Result<Bytes>> ahead;  // waited for on every return
  if (together)
    ahead = std::async(std::launch::async, [&] { return be_->get(k, loc.offset, loc.length); });
  auto key = pack_key(loc.pack);
  if (!key) return std::move(key).error();
  auto sealed = together ? ahead.get() : be_->get(k, loc.offset, loc.length);
  if (!sealed) return as_damage(std::move(sealed).error());
  return open_with((*key)->view(), id, loc, *sealed, proof);
}

Result<Bytes> RepositoryImpl::open_copy(const hash::ChunkId& id, const Location& loc,
                                        ByteView sealed, hash::Digest* proof) {
  auto key = pack_key(loc.pack);
  if (!key) return std::move(key).error();
  return open_with((*key)->view(), id, loc, sealed, proof);
}

Result<Bytes> RepositoryImpl::open_with(ByteView key, const hash::ChunkId& id, const Location& loc,
                                        ByteView sealed, hash::Digest* proof) {
  const std::string what = pack_what(loc.pack);
  const pack::Entry e{
      id, static_cast<std::uint8_t>(loc.type), loc.flags, loc.offset, loc.length, loc.raw_size};
  Bytes out;
  {
    auto lease = readers_.lease();
    CAIRN_TRY(pack::open_blob(key, keys_.repo_id, e, sealed, lease->d, config_.chunking.max_size,
                              lease->scratch, out, what));
  }
  if (hasher_.hash(out, proof) != id.d)
    return corrupt_error(fmt::format("chunk '{}' in {}", id.hex(), what),
                         "its content does not match its id");
  return out;
}

Result<Bytes> RepositoryImpl::read_chunk_unproven(const hash::ChunkId& id, hash::Digest* proof) {
  if (!keys_.can_read()) return Error{Errc::auth, "this key is write-only: it cannot read data"};
  const auto copies = index_.find_all(id);
  if (copies.empty())
    return Error{Errc::not_found, fmt::format("chunk '{}' is not in the repository", id.hex())};
  // Every copy the indexes list, until one authenticates: a planted index pointing at garbage
  // cannot hide a good copy. The first copy's error is the one reported.
  std::optional<Error> first;
  for (const auto& loc : copies) {
    auto r = read_copy(id, loc, proof);
    if (r) return r;
    if (!first) first = std::move(r).error();
  }
  // move records (U1): a pack rewritten since would be resolved here too.
  for (const auto& loc : copies) {
    CAIRN_TRY_ASSIGN(auto r, read_via_parity(id, loc, proof));
    if (r) return std::move(*r);
  }
  return std::move(first->wrap(
      fmt::format("cannot read chunk '{}'{}", id.hex(),
                  copies.size() > 1 ? fmt::format(" ({} copies, none intact)", copies.size())
                                    : std::string())));
}

Result<std::optional<Bytes>> RepositoryImpl::read_via_parity(const hash::ChunkId& id,
                                                             const Location& loc,
                                                             hash::Digest* proof) {
  std::shared_ptr<const Bytes> pack;
  {
    std::lock_guard lock(parity_mu_);
    auto it = parity_packs_.find(loc.pack);
    if (it == parity_packs_.end()) {
      CAIRN_TRY_ASSIGN(auto groups, parity::list_groups(*this, [](const std::string&, Error) {}));
      CAIRN_TRY_ASSIGN(auto rb, parity::rebuild(*this, groups, {loc.pack}));
      auto got = rb.packs.find(loc.pack);
      constexpr std::size_t kMaxKept = 4;  // packs of up to pack_size each
      if (parity_packs_.size() >= kMaxKept) parity_packs_.clear();
      it = parity_packs_
               .emplace(loc.pack, got == rb.packs.end()
                                      ? nullptr
                                      : std::make_shared<const Bytes>(std::move(got->second)))
               .first;
    }
    pack = it->second;
  }
  if (!pack || pack->size() < pack::kHeaderSize || loc.offset + loc.length > pack->size())
    return std::optional<Bytes>{};
  const ByteView bytes(*pack);
  auto key = pack::open_data_key(bytes.first(pack::kHeaderSize), keys_.box_pk, keys_.box_sk.view(),
                                 pack_what(loc.pack));
  if (!key) return std::optional<Bytes>{};
  auto r = open_with(key->view(), id, loc, bytes.subspan(loc.offset, loc.length), proof);
  if (!r) return std::optional<Bytes>{};
  return std::optional<Bytes>(std::move(*r));
}

Result<Bytes> RepositoryImpl::read_chunk(const hash::ChunkId& id, const hash::Digest& proof) {
  hash::Digest got;
  CAIRN_TRY_ASSIGN(Bytes out, read_chunk_unproven(id, &got));
  if (!crypto::equal(got.view(), proof.view()))
    return Error{
        Errc::corrupt,
        fmt::format(
            "chunk '{}': its possession proof does not match (the set names a chunk its writer did "
            "not hold)",
            id.hex())};
  return out;
}

Result<Bytes> RepositoryImpl::open_chunk(const hash::ChunkId& id, const hash::Digest& proof,
                                         const Location& loc, ByteView sealed) {
  if (!keys_.can_read()) return Error{Errc::auth, "this key is write-only: it cannot read data"};
  hash::Digest got;
  CAIRN_TRY_ASSIGN(Bytes out, open_copy(id, loc, sealed, &got));
  if (!crypto::equal(got.view(), proof.view()))
    return Error{Errc::corrupt,
                 fmt::format("chunk '{}': its possession proof does not match", id.hex())};
  return out;
}

Result<std::vector<pack::Entry>> RepositoryImpl::read_pack_index(const hash::PackId& id) {
  const Key k = Key::pack(id);
  const std::string what = pack_what(id);
  CAIRN_TRY_ASSIGN(auto info, be_->stat(k));
  if (!info) return Error{Errc::not_found, fmt::format("{} does not exist", what)};
  if (info->size < pack::kMinPackSize) return corrupt_error(what, "too short to be a pack");
  CAIRN_TRY_ASSIGN(Bytes head, be_->get(k, 0, 10));
  if (head.size() != 10 || as_chars(ByteView(head).first(8)) != pack::kMagic)
    return corrupt_error(what, "not a cairn pack (bad magic)");
  if (head[8] != (pack::kVersion & 0xff) || head[9] != (pack::kVersion >> 8))
    return corrupt_error(what, "it claims another pack format version");
  CAIRN_TRY_ASSIGN(Bytes tail, be_->get(k, info->size - pack::kTrailerSize, pack::kTrailerSize));
  CAIRN_TRY_ASSIGN(auto span, pack::parse_trailer(tail, info->size, what));
  CAIRN_TRY_ASSIGN(Bytes sealed, be_->get(k, span.offset, span.length));
  if (sealed.size() != span.length) return corrupt_error(what, "truncated while reading");
  return pack::open_index(sealed, keys_.index_key.view(), keys_.repo_id, span.offset, what);
}

// ---- sets

Result<std::vector<hash::SetId>> RepositoryImpl::list_sets() {
  std::vector<hash::SetId> out;
  CAIRN_TRY(be_->list(Kind::set, [&](const backend::ObjectInfo& info) -> Status {
    if (auto id = hash::SetId::from_hex(info.key.name)) out.push_back(*id);
    return {};
  }));
  std::sort(out.begin(), out.end());
  return out;
}

Result<bool> RepositoryImpl::has_set(const hash::SetId& id) {
  CAIRN_TRY_ASSIGN(auto info, be_->stat(Key::set(id)));
  return info.has_value();
}

Result<SetObject> RepositoryImpl::read_set_impl(const hash::SetId& id, bool want_body) {
  const std::string what = fmt::format("set '{}'", id.hex());
  std::optional<Bytes> seen = recent_sets_.find(id);
  Result<Bytes> raw = seen ? Result<Bytes>(std::move(*seen)) : be_->get(Key::set(id));
  if (!raw) {
    if (raw.error().code == Errc::not_found)
      return Error{Errc::not_found, fmt::format("{} does not exist", what)};
    return std::move(raw).error();
  }
  CAIRN_TRY(check_content_address(*raw, id.d, what));
  recent_sets_.add(id, *raw);  // only bytes that match their name
  CAIRN_TRY_ASSIGN(DecodedSet d, decode_set(*raw, keys_, want_body, what));
  SetObject s{id, d.header, std::move(d.body)};
  CAIRN_TRY(check_writer(s));
  return s;
}

Result<std::optional<std::vector<hash::SetId>>> RepositoryImpl::revoked_keep(ByteView writer) {
  std::lock_guard lock(revoked_mu_);
  if (!revoked_) {  // read once per handle (open() asks first), again after write_revocation
    CAIRN_TRY_ASSIGN(auto revs, revocations());
    revoked_.emplace();
    for (auto& r : revs) {
      auto [it, fresh] = revoked_->try_emplace(to_hex(r.writer), r);
      if (!fresh) append_keep(it->second, r);
    }
  }
  auto it = revoked_->find(to_hex(writer));
  if (it == revoked_->end()) return std::optional<std::vector<hash::SetId>>{};
  return std::optional<std::vector<hash::SetId>>{it->second.keep};
}

Status RepositoryImpl::check_writer(const SetObject& s) {
  CAIRN_TRY_ASSIGN(auto keep, revoked_keep(s.header.writer));
  if (!keep || std::find(keep->begin(), keep->end(), s.id) != keep->end()) return {};
  return Error{Errc::corrupt, fmt::format("set '{}' was written by writer {} after it was revoked",
                                          s.id.hex(), to_hex(s.header.writer))};
}

Result<SetObject> RepositoryImpl::read_set(const hash::SetId& id) {
  return read_set_impl(id, true);
}

Result<WrittenSet> RepositoryImpl::write_set(const SetBody& body) {
  // The newest plausible readable set (highest seq; ties by time, then id) becomes `prev`.
  CAIRN_TRY_ASSIGN(auto ids, list_sets());
  std::vector<SetObject> all;
  for (const auto& id : ids) {
    auto s = read_set_impl(id, /*want_body=*/false);
    if (!s) continue;  // damaged sets are verify's business; they cannot be `prev`
    all.push_back(std::move(*s));
  }
  std::optional<SetObject> newest;
  const std::uint64_t ceiling = plausible_seq_ceiling(all);
  for (auto& s : all) {
    if (s.header.seq > ceiling) continue;  // a writer's claim nobody else's chain supports
    if (!newest || std::tie(s.header.seq, s.header.time_ns, s.id) >
                       std::tie(newest->header.seq, newest->header.time_ns, newest->id))
      newest = std::move(s);
  }
  SetHeader h;
  h.seq = newest ? newest->header.seq + 1 : 1;
  if (newest) h.prev = newest->id;
  h.time_ns = now_ns();
  CAIRN_TRY_ASSIGN(Bytes bytes, encode_set(h, body, keys_));
  const hash::SetId id{hash::blake2b(bytes)};
  const Key k = Key::set(id);
  auto st = be_->put(k, bytes, /*no_replace=*/true);
  if (!st && st.error().code != Errc::exists) return std::move(st).error();
  return WrittenSet{id, std::move(h), k.path()};
}

namespace {
std::int64_t now_or(std::int64_t t) { return t != 0 ? t : now_ns(); }
}  // namespace

// An administrative record (holds/<id>): content-addressed, so an existing one is the same.
Result<std::string> RepositoryImpl::put_admin_record(ByteView bytes) {
  const Key k = Key::hold(hash::blake2b(bytes).hex());
  auto st = be_->put(k, bytes, /*no_replace=*/true);
  if (!st && st.error().code != Errc::exists) return std::move(st).error();
  admin_.wrote(k.name);
  return k.path();
}

Result<std::vector<std::string>> AdminCache::names(backend::Backend& be) {
  std::lock_guard lock(mu_);  // held while listing: concurrent first lists list once
  if (!names_) {
    CAIRN_TRY_ASSIGN(auto listed, admin_record_names(be));
    names_ = std::move(listed);
  }
  return *names_;
}

void AdminCache::wrote(const std::string& name) {
  std::lock_guard lock(mu_);
  if (!names_) return;  // the first listing will have it
  auto it = std::lower_bound(names_->begin(), names_->end(), name);
  if (it == names_->end() || *it != name) names_->insert(it, name);
}

Result<std::string> RepositoryImpl::write_hold(HoldRecord r) {
  r.time_ns = now_or(r.time_ns);
  CAIRN_TRY_ASSIGN(Bytes bytes, encode_hold(r, keys_));
  return put_admin_record(bytes);
}

namespace {

// The admin records in holds/ that `mine` claims (by their magic: anything else is left to
// the other lists), authenticated by `decode`, oldest first (time_ns, then name); see
// list_holds for `skip`. `cache` (may be null: holds/ is listed afresh) gives the handle's
// listing, and skips, without a get, the records read before whose magic `mine` does not
// claim.
template <typename Rec, typename Mine, typename Decode>
Result<std::vector<Rec>> list_admin_records(backend::Backend& be, AdminCache* cache,
                                            std::string_view label,
                                            const Repository::SkipRecord& skip, const Mine& mine,
                                            const Decode& decode) {
  CAIRN_TRY_ASSIGN(const std::vector<std::string> names,
                   cache != nullptr ? cache->names(be) : admin_record_names(be));
  // The records to read: those of this kind, and those of a kind not known yet.
  std::vector<std::string_view> wanted;
  for (const auto& name : names) {
    if (cache != nullptr)
      if (auto m = cache->magic(name); m && !mine(ByteView(*m))) continue;
    wanted.push_back(name);
  }
  // On a remote repository each is a round trip: fetched kFetchers at a time, a window of
  // kWindow records held at once, then taken in name order as one reader would.
  constexpr unsigned kFetchers = 8;
  constexpr std::size_t kWindow = 64;
  std::vector<std::optional<Result<Bytes>>> window;
  std::vector<std::pair<Rec, std::string>> recs;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const std::string name(wanted[i]);
    if (i % kWindow == 0) {
      window.assign(std::min(kWindow, wanted.size() - i), std::nullopt);
      for_each_index(window.size(), kFetchers, [&](std::size_t j) {
        window[j].emplace(be.get(Key::hold(std::string(wanted[i + j]))));
      });
    }
    const std::string what = fmt::format("{} record '{}'", label, name);
    Result<Bytes> raw = std::move(*window[i % kWindow]);
    if (!raw) {
      // Removed since it was listed (the handle's listing may be older than this list).
      if ((skip || cache != nullptr) && raw.error().code == Errc::not_found) continue;
      return std::move(raw).error();
    }
    if (cache != nullptr) cache->note(name, *raw);
    if (!mine(ByteView(*raw))) continue;
    auto rec = [&]() -> Result<Rec> {
      auto digest = hash::Digest::from_hex(name);
      if (!digest) return Error{Errc::corrupt, fmt::format("{}: not a valid name", what)};
      CAIRN_TRY(check_content_address(*raw, *digest, what));
      return decode(*raw, what);
    }();
    if (!rec) {
      const Errc c = rec.error().code;
      if (!skip || (c != Errc::corrupt && c != Errc::bad_input && c != Errc::unsupported_format))
        return std::move(rec).error();
      skip(name, std::move(rec).error());
      continue;
    }
    recs.emplace_back(std::move(*rec), name);
  }
  std::sort(recs.begin(), recs.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.time_ns, a.second) < std::tie(b.first.time_ns, b.second);
  });
  std::vector<Rec> out;
  out.reserve(recs.size());
  for (auto& r : recs) out.push_back(std::move(r.first));
  return out;
}

}  // namespace

Result<std::vector<HoldRecord>> RepositoryImpl::list_holds(const SkipRecord& skip) {
  return list_admin_records<HoldRecord>(
      *be_, &admin_, "hold", skip,
      [](ByteView raw) {  // garbage counts as a damaged hold record
        return !is_revocation(raw) && !is_config_copy(raw) && !is_tag_record(raw) &&
               !is_move_record(raw) && !is_rotation(raw) && !is_erasure_record(raw);
      },
      [&](ByteView raw, const std::string& what) { return decode_hold(raw, keys_, what); });
}

Result<std::string> RepositoryImpl::write_tag_record(TagRecord r) {
  r.time_ns = now_or(r.time_ns);
  CAIRN_TRY_ASSIGN(Bytes bytes, encode_tag_record(r, keys_));
  return put_admin_record(bytes);
}

Result<std::vector<TagRecord>> RepositoryImpl::list_tag_records(const SkipRecord& skip) {
  return list_admin_records<TagRecord>(
      *be_, &admin_, "tag", skip, [](ByteView raw) { return is_tag_record(raw); },
      [&](ByteView raw, const std::string& what) { return decode_tag_record(raw, keys_, what); });
}

Result<std::string> RepositoryImpl::write_move_record(MoveRecord r) {
  r.time_ns = now_or(r.time_ns);
  std::sort(r.sets.begin(), r.sets.end());
  CAIRN_TRY_ASSIGN(Bytes bytes, encode_move_record(r, keys_));
  return put_admin_record(bytes);
}

// Erasure records (objects.hpp) go through the Repository interface only: storage and keys.
Result<std::string> write_erasure_record(Repository& r, ErasureRecord rec) {
  rec.time_ns = now_or(rec.time_ns);
  CAIRN_TRY_ASSIGN(Bytes bytes, encode_erasure_record(rec, r.keys()));
  const Key k = Key::hold(hash::blake2b(bytes).hex());
  auto st = r.storage().put(k, bytes, /*no_replace=*/true);
  if (!st && st.error().code != Errc::exists) return std::move(st).error();
  return k.path();
}

Result<std::vector<ErasureRecord>> list_erasure_records(Repository& r,
                                                        const Repository::SkipRecord& skip) {
  return list_admin_records<ErasureRecord>(
      r.storage(), nullptr, "erasure", skip, [](ByteView raw) { return is_erasure_record(raw); },
      [&](ByteView raw, const std::string& what) {
        return decode_erasure_record(raw, r.keys(), what);
      });
}

Result<std::vector<MoveRecord>> RepositoryImpl::list_move_records(const SkipRecord& skip) {
  PackIndexCache cache;
  return list_admin_records<MoveRecord>(
      *be_, &admin_, "move", skip, [](ByteView raw) { return is_move_record(raw); },
      [&](ByteView raw, const std::string& what) -> Result<MoveRecord> {
        CAIRN_TRY_ASSIGN(MoveRecord m, decode_move_record(raw, keys_, what));
        CAIRN_TRY(check_move_cover(*this, m, what, cache));
        return m;
      });
}

Result<std::vector<Rotation>> RepositoryImpl::list_rotations(const SkipRecord& skip) {
  return list_admin_records<Rotation>(
      *be_, &admin_, "rotation", skip, [](ByteView raw) { return is_rotation(raw); },
      [&](ByteView raw, const std::string& what) -> Result<Rotation> {
        CAIRN_TRY_ASSIGN(Rotation r, decode_rotation(raw, keys_, nullptr, what));
        r.record = Key::hold(hash::blake2b(raw).hex()).path();
        return r;
      });
}

Result<std::string> RepositoryImpl::write_revocation(Revocation r) {
  r.time_ns = now_or(r.time_ns);
  CAIRN_TRY_ASSIGN(Bytes bytes, encode_revocation(r, keys_));
  CAIRN_TRY_ASSIGN(std::string path, put_admin_record(bytes));
  std::lock_guard lock(revoked_mu_);
  revoked_.reset();  // reload on next use
  return path;
}

Result<std::vector<Revocation>> RepositoryImpl::revocations() {
  CAIRN_TRY_ASSIGN(const std::vector<std::string> names, admin_.names(*be_));
  std::vector<Revocation> out;
  for (const auto& name : names) {
    const std::string what = fmt::format("revocation record '{}'", name);
    // Reading the magic costs a whole get of each admin record, once (admin_).
    if (auto m = admin_.magic(name); m && !is_revocation(*m)) continue;
    auto got = be_->get(Key::hold(name));
    if (!got && got.error().code == Errc::not_found) continue;  // removed since it was listed
    CAIRN_TRY_ASSIGN(Bytes raw, std::move(got));
    admin_.note(name, raw);
    if (!is_revocation(raw)) continue;
    auto digest = hash::Digest::from_hex(name);
    if (!digest) return Error{Errc::corrupt, fmt::format("{}: not a valid name", what)};
    CAIRN_TRY(check_content_address(raw, *digest, what));
    CAIRN_TRY_ASSIGN(Revocation r, decode_revocation(raw, keys_, what));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace cairn::repo
