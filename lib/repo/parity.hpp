// lib/repo/parity.hpp: erasure-coded parity over groups of packs (parity/<id>,
// cairn-repository(5) PARITY). A parity object protects up to 32 packs (the group's members,
// padded with zeros to the largest) with m Reed-Solomon shards (Intel ISA-L, a Cauchy matrix
// over GF(2^8): every k of the k+m shards decode). A reader rebuilds up to m members that are
// missing or do not hash to their name; a rebuilt pack is used only when BLAKE2b of its bytes
// equals its name, so a forged or damaged parity object can fail a repair, never feed wrong data.
//
//   0       8  "CAIRNPY1"
//   8       2  version = 1
//   10      1  k (members, 1..32)
//   11      1  m (parity shards, 1..16)
//   12      4  stripe (bytes; the shards are interleaved stripe by stripe)
//   16      8  shard size (the largest member's size)
//   24     32  repo_id
//   56  40*k   per member: pack id (32) || u64 size
//   .      32  MAC: BLAKE2b-256(key = derive(index_key, "cairn parity v1"), every byte before)
//   .       .  per stripe s (length L = min(stripe, shard - s*stripe)): m blocks of L bytes
//
// Depends on: base, hash, crypto, backend (through Repository). Threads: thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "hash/hash.hpp"
#include "repo/repo.hpp"

namespace cairn::repo::parity {

inline constexpr std::string_view kMagic = "CAIRNPY1";
inline constexpr std::uint16_t kVersion = 1;
inline constexpr unsigned kMaxK = 32, kMaxM = 16;
inline constexpr std::uint32_t kStripe = 1u << 20;

// "K+M": 1 <= K <= 32, 1 <= M <= 16. Errc::usage otherwise, naming the text.
struct Code {
  unsigned k = 0, m = 0;
  bool on() const { return k > 0; }
  std::string text() const;
};
Result<Code> parse_code(std::string_view text);

struct Member {
  hash::PackId id;
  std::uint64_t size = 0;
};

struct Header {
  unsigned m = 0;
  std::uint32_t stripe = kStripe;
  std::uint64_t shard = 0;
  std::vector<Member> packs;  // k = packs.size()
  std::uint64_t header_size() const { return 56 + 40 * packs.size() + 32; }
};

// The header bytes (with MAC) and, parsed after the MAC checks, the header. Errc::corrupt
// naming `what` when the MAC, the magic or a field is wrong.
Bytes encode_header(const Header& h, const crypto::KeyMaterial& keys);
Result<Header> decode_header(ByteView bytes, const crypto::KeyMaterial& keys,
                             std::string_view what);

// A parity object whose header authenticated.
struct Group {
  std::string name;  // parity/<name>
  Header h;
};

// Every parity object's header (two range reads each). A damaged one is passed to `skip`
// (name, why) and left out.
Result<std::vector<Group>> list_groups(Repository& r, const Repository::SkipRecord& skip = {});

// Writes parity objects for `packs` (ids and sizes), grouped by size (largest first, so little
// padding) into groups of at most code.k. Returns the paths written ("parity/<id>").
Result<std::vector<std::string>> build(Repository& r, std::vector<Member> packs, Code code);

// The packs of every group holding one of `want`, rebuilt: members missing or not hashing to
// their name are erasures (those in `good` are taken as intact without hashing them again);
// when at most m in a group, they are decoded and each is checked against its name. A wanted
// pack that is intact is in neither map. Storage errors (other than absent objects) fail.
// Memory: the rebuilt packs, plus one stripe per member.
struct Rebuilt {
  std::map<hash::PackId, Bytes> packs;         // rebuilt, hashing to their names
  std::map<hash::PackId, std::string> failed;  // why a wanted pack could not be rebuilt
  std::map<hash::PackId, std::string> by;      // the parity object that rebuilt each
};
Result<Rebuilt> rebuild(Repository& r, const std::vector<Group>& groups,
                        const std::set<hash::PackId>& want,
                        const std::set<hash::PackId>& good = {});

// Writes a rebuilt pack back under its name, replacing a damaged one (the backend writes a
// temporary object and renames it into place).
Status put_back(Repository& r, const hash::PackId& id, ByteView bytes);

}  // namespace cairn::repo::parity
