// lib/repo/parity.cpp: parity objects (see parity.hpp), encoded and decoded with Intel ISA-L's
// erasure-code routines (ec_encode_data over a Cauchy matrix from gf_gen_cauchy1_matrix).
#include "repo/parity.hpp"

#include <fmt/format.h>
#include <isa-l/erasure_code.h>

#include <algorithm>
#include <cstring>

#include "crypto/crypto.hpp"

namespace cairn::repo::parity {

namespace {

constexpr std::size_t kFixed = 56;  // magic .. repo_id
constexpr std::uint64_t kHashRead = 4u << 20;

void put_le(Bytes& b, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint64_t get_le(ByteView b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | b[at + static_cast<std::size_t>(i)];
  return v;
}

hash::Blake2b mac_of(const crypto::KeyMaterial& keys) {
  crypto::SecretBytes k(32);
  hash::derive(keys.index_key.view(), "cairn parity v1", k.mut());
  return hash::Blake2b(k.view());
}

Error damaged(std::string_view what, std::string_view why) {
  return Error{Errc::corrupt, fmt::format("{} {}", what, why)};
}

// The encoding matrix: k identity rows, then m Cauchy rows (any k rows are independent).
std::vector<std::uint8_t> matrix(unsigned k, unsigned m) {
  std::vector<std::uint8_t> a(static_cast<std::size_t>(k + m) * k);
  gf_gen_cauchy1_matrix(a.data(), static_cast<int>(k + m), static_cast<int>(k));
  return a;
}

// Bytes [off, off + len) of a pack, zero-padded past its end (the code's padding).
Result<Bytes> read_padded(Repository& r, const backend::Key& key, std::uint64_t size,
                          std::uint64_t off, std::size_t len) {
  Bytes out(len, 0);
  if (off >= size) return out;
  const std::uint64_t n = std::min<std::uint64_t>(len, size - off);
  CAIRN_TRY_ASSIGN(Bytes got, r.storage().get(key, off, n));
  if (got.size() != n)
    return damaged(fmt::format("'{}'", key.path()), "is shorter than its parity says");
  std::memcpy(out.data(), got.data(), got.size());
  return out;
}

// Whether the object is present, of `size` bytes and hashes to `name` (streamed).
Result<bool> intact(Repository& r, const backend::Key& key, const hash::Digest& name,
                    std::optional<std::uint64_t> size) {
  CAIRN_TRY_ASSIGN(auto info, r.storage().stat(key));
  if (!info || (size && info->size != *size)) return false;
  hash::Blake2b h;
  for (std::uint64_t off = 0; off < info->size; off += kHashRead) {
    auto got = r.storage().get(key, off, std::min(kHashRead, info->size - off));
    if (!got) {
      if (got.error().code == Errc::not_found) return false;
      return std::move(got).error();
    }
    h.update(*got);
    if (got->size() != std::min(kHashRead, info->size - off)) return false;
  }
  return h.finish() == name;
}

std::string short_id(const hash::PackId& id) { return id.hex(); }

}  // namespace

std::string Code::text() const { return fmt::format("{}+{}", k, m); }

Result<Code> parse_code(std::string_view text) {
  auto bad = [&] {
    return Error{Errc::usage,
                 fmt::format("parity '{}' is not K+M with K in 1..{} and M in 1..{} (e.g. 8+2)",
                             text, kMaxK, kMaxM)};
  };
  const auto plus = text.find('+');
  if (plus == std::string_view::npos) return bad();
  auto num = [](std::string_view s) -> std::optional<unsigned> {
    if (s.empty() || s.size() > 2) return std::nullopt;
    unsigned v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v;
  };
  auto k = num(text.substr(0, plus)), m = num(text.substr(plus + 1));
  if (!k || !m || *k < 1 || *k > kMaxK || *m < 1 || *m > kMaxM) return bad();
  return Code{*k, *m};
}

Bytes encode_header(const Header& h, const crypto::KeyMaterial& keys) {
  Bytes b(kMagic.begin(), kMagic.end());
  put_le(b, kVersion, 2);
  put_le(b, h.packs.size(), 1);
  put_le(b, h.m, 1);
  put_le(b, h.stripe, 4);
  put_le(b, h.shard, 8);
  append(b, keys.repo_id);
  for (const auto& p : h.packs) {
    b.insert(b.end(), p.id.d.b.begin(), p.id.d.b.end());
    put_le(b, p.size, 8);
  }
  auto mac = mac_of(keys);
  mac.update(b);
  const hash::Digest d = mac.finish();
  append(b, d.view());
  return b;
}

Result<Header> decode_header(ByteView b, const crypto::KeyMaterial& keys, std::string_view what) {
  const ByteView magic = as_bytes(kMagic);
  if (b.size() < kFixed + 32 || !std::equal(magic.begin(), magic.end(), b.begin()))
    return damaged(what, "is not a parity object (bad magic or too short)");
  const unsigned k = b[10];
  if (k < 1 || k > kMaxK) return damaged(what, "names no packs or too many");
  Header h;
  if (b.size() < kFixed + 40 * k + 32) return damaged(what, "is too short");
  const std::size_t body = kFixed + 40 * k;
  auto mac = mac_of(keys);
  mac.update(b.first(body));
  if (!crypto::equal(mac.finish().view(), b.subspan(body, 32)))
    return damaged(what, "fails authentication (its MAC does not match)");
  if (get_le(b, 8, 2) != kVersion) return damaged(what, "has an unknown version");
  h.m = b[11];
  h.stripe = static_cast<std::uint32_t>(get_le(b, 12, 4));
  h.shard = get_le(b, 16, 8);
  if (!crypto::equal(b.subspan(24, 32), keys.repo_id))
    return damaged(what, "belongs to another repository");
  if (h.m < 1 || h.m > kMaxM || h.stripe == 0) return damaged(what, "has a bad m or stripe");
  for (unsigned i = 0; i < k; ++i) {
    Member p;
    std::memcpy(p.id.d.b.data(), b.data() + kFixed + 40 * i, 32);
    p.size = get_le(b, kFixed + 40 * i + 32, 8);
    if (p.size > h.shard) return damaged(what, "names a pack larger than its shards");
    h.packs.push_back(p);
  }
  return h;
}

Result<std::vector<Group>> list_groups(Repository& r, const Repository::SkipRecord& skip) {
  std::vector<backend::ObjectInfo> objs;
  CAIRN_TRY(r.storage().list(backend::Kind::parity, [&](const backend::ObjectInfo& i) -> Status {
    objs.push_back(i);
    return {};
  }));
  std::vector<Group> out;
  for (const auto& o : objs) {
    const std::string what = fmt::format("parity object '{}'", o.key.name);
    auto fail = [&](Error e) -> Status {
      if (!skip) return e;
      skip(o.key.name, std::move(e));
      return {};
    };
    auto head = r.storage().get(o.key, 0, kFixed);
    if (!head) {
      if (head.error().code == Errc::not_found) continue;  // swept meanwhile
      return std::move(head).error();
    }
    if (head->size() < kFixed) {
      CAIRN_TRY(fail(damaged(what, "is too short")));
      continue;
    }
    const std::uint64_t len = kFixed + 40ull * (*head)[10] + 32;
    CAIRN_TRY_ASSIGN(Bytes all, r.storage().get(o.key, 0, len));
    auto h = decode_header(all, r.keys(), what);
    if (!h) {
      CAIRN_TRY(fail(std::move(h).error()));
      continue;
    }
    out.push_back(Group{o.key.name, std::move(*h)});
  }
  return out;
}

Result<std::vector<std::string>> build(Repository& r, std::vector<Member> packs, Code code) {
  std::vector<std::string> written;
  // Largest first: a group's shards are as large as its largest pack, so packs of like size
  // together waste the least padding (the last, small packs of sessions group together).
  std::sort(packs.begin(), packs.end(), [](const Member& a, const Member& b) {
    return a.size != b.size ? a.size > b.size : a.id < b.id;
  });
  for (std::size_t first = 0; first < packs.size(); first += code.k) {
    Header h;
    h.m = code.m;
    h.packs.assign(
        packs.begin() + static_cast<std::ptrdiff_t>(first),
        packs.begin() + static_cast<std::ptrdiff_t>(std::min(packs.size(), first + code.k)));
    const unsigned k = static_cast<unsigned>(h.packs.size());
    h.shard = h.packs.front().size;
    // A short group uses the first k columns of the K-column code: still MDS (Cauchy), and
    // the header says k.
    const auto ak = matrix(k, code.m);
    std::vector<std::uint8_t> tbls(static_cast<std::size_t>(k) * code.m * 32);
    ec_init_tables(static_cast<int>(k), static_cast<int>(code.m),
                   const_cast<std::uint8_t*>(ak.data()) + static_cast<std::size_t>(k) * k,
                   tbls.data());
    Bytes obj = encode_header(h, r.keys());
    const std::size_t body = obj.size();
    obj.resize(body + h.shard * code.m);
    std::vector<Bytes> data(k);
    std::vector<std::uint8_t*> in(k), out(code.m);
    for (std::uint64_t off = 0, s = 0; off < h.shard; off += h.stripe, ++s) {
      const std::size_t len =
          static_cast<std::size_t>(std::min<std::uint64_t>(h.stripe, h.shard - off));
      for (unsigned i = 0; i < k; ++i) {
        CAIRN_TRY_ASSIGN(
            data[i], read_padded(r, backend::Key::pack(h.packs[i].id), h.packs[i].size, off, len));
        in[i] = data[i].data();
      }
      for (unsigned j = 0; j < code.m; ++j) out[j] = obj.data() + body + off * code.m + j * len;
      ec_encode_data(static_cast<int>(len), static_cast<int>(k), static_cast<int>(code.m),
                     tbls.data(), in.data(), out.data());
    }
    const auto key = backend::Key::parity(hash::blake2b(obj).hex());
    CAIRN_TRY(r.storage().put(key, obj));
    written.push_back(key.path());
  }
  return written;
}

Result<Rebuilt> rebuild(Repository& r, const std::vector<Group>& groups,
                        const std::set<hash::PackId>& want, const std::set<hash::PackId>& good) {
  Rebuilt res;
  auto& out = res.packs;
  std::set<hash::PackId> covered;
  std::map<hash::PackId, std::string> why;  // a wanted pack's last failure
  for (const auto& g : groups) {
    const auto& h = g.h;
    const unsigned k = static_cast<unsigned>(h.packs.size());
    bool wanted = false;
    for (const auto& p : h.packs)
      if (want.contains(p.id) && !out.contains(p.id)) wanted = true;
    if (!wanted) continue;
    for (const auto& p : h.packs)
      if (want.contains(p.id)) covered.insert(p.id);
    // Which members are erasures.
    std::vector<unsigned> lost;
    for (unsigned i = 0; i < k; ++i) {
      const auto& p = h.packs[i];
      if (good.contains(p.id) || out.contains(p.id)) continue;
      CAIRN_TRY_ASSIGN(bool ok, intact(r, backend::Key::pack(p.id), p.id.d, p.size));
      if (!ok) lost.push_back(i);
    }
    const std::string gname = fmt::format("parity object '{}' ({}+{})", g.name, k, h.m);
    if (lost.empty()) continue;  // every member is intact: nothing to rebuild here
    if (lost.size() > h.m) {
      std::string names;
      for (unsigned i : lost) names += (names.empty() ? "" : ", ") + short_id(h.packs[i].id);
      for (unsigned i : lost)
        why[h.packs[i].id] = fmt::format(
            "{} packs of its group are damaged or missing ({}), beyond the power of {}, which "
            "rebuilds at most {}",
            lost.size(), names, gname, h.m);
      continue;
    }
    // k survivors: intact members first, then parity rows.
    const auto a = matrix(k, h.m);
    std::vector<unsigned> rows;
    for (unsigned i = 0; i < k + h.m && rows.size() < k; ++i)
      if (std::find(lost.begin(), lost.end(), i) == lost.end()) rows.push_back(i);
    std::vector<std::uint8_t> b(static_cast<std::size_t>(k) * k), inv(b.size());
    for (unsigned i = 0; i < k; ++i)
      std::memcpy(&b[i * k], &a[static_cast<std::size_t>(rows[i]) * k], k);
    if (gf_invert_matrix(b.data(), inv.data(), static_cast<int>(k)) != 0)
      return Error{Errc::internal, fmt::format("{}: the decoding matrix is singular", gname)};
    std::vector<std::uint8_t> dec(lost.size() * k);
    for (std::size_t e = 0; e < lost.size(); ++e)
      std::memcpy(&dec[e * k], &inv[static_cast<std::size_t>(lost[e]) * k], k);
    std::vector<std::uint8_t> tbls(static_cast<std::size_t>(k) * lost.size() * 32);
    ec_init_tables(static_cast<int>(k), static_cast<int>(lost.size()), dec.data(), tbls.data());

    std::vector<Bytes> rebuilt(lost.size());
    for (std::size_t e = 0; e < lost.size(); ++e) rebuilt[e].resize(h.shard);
    const auto pkey = backend::Key::parity(g.name);
    const std::uint64_t body = h.header_size();
    std::vector<Bytes> src(k);
    std::vector<std::uint8_t*> in(k), outp(lost.size());
    Status st;
    for (std::uint64_t off = 0; off < h.shard && st; off += h.stripe) {
      const std::size_t len =
          static_cast<std::size_t>(std::min<std::uint64_t>(h.stripe, h.shard - off));
      for (unsigned i = 0; i < k && st; ++i) {
        Result<Bytes> got = rows[i] < k ? read_padded(r, backend::Key::pack(h.packs[rows[i]].id),
                                                      h.packs[rows[i]].size, off, len)
                                        : read_padded(r, pkey, body + h.shard * h.m,
                                                      body + off * h.m + (rows[i] - k) * len, len);
        if (!got) {
          st = std::move(got).error();
          break;
        }
        src[i] = std::move(*got);
        in[i] = src[i].data();
      }
      if (!st) break;
      for (std::size_t e = 0; e < lost.size(); ++e) outp[e] = rebuilt[e].data() + off;
      ec_encode_data(static_cast<int>(len), static_cast<int>(k), static_cast<int>(lost.size()),
                     tbls.data(), in.data(), outp.data());
    }
    if (!st) {
      if (st.error().code != Errc::corrupt && st.error().code != Errc::not_found) return st.error();
      for (unsigned i : lost)
        why[h.packs[i].id] = fmt::format("{} could not be read: {}", gname, st.error().message);
      continue;
    }
    for (std::size_t e = 0; e < lost.size(); ++e) {
      const auto& p = h.packs[lost[e]];
      rebuilt[e].resize(p.size);
      // The only check that matters: a parity object anyone could have written (or damaged)
      // never yields a pack other than the one its name promises.
      if (hash::blake2b(rebuilt[e]) != p.id.d) {
        why[p.id] = fmt::format(
            "its rebuild from {} does not match its name (the parity object or another "
            "member is damaged too)",
            gname);
        continue;
      }
      out.emplace(p.id, std::move(rebuilt[e]));
      res.by[p.id] = g.name;
      why.erase(p.id);
    }
  }
  for (const auto& p : want) {
    if (out.contains(p)) continue;
    if (auto w = why.find(p); w != why.end())
      res.failed[p] = w->second;
    else if (!covered.contains(p))
      res.failed[p] = "no parity object protects it";
  }
  return res;
}

Status put_back(Repository& r, const hash::PackId& id, ByteView bytes) {
  return r.storage().put(backend::Key::pack(id), bytes, false);
}

}  // namespace cairn::repo::parity
