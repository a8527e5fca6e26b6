// lib/ops/key_rotation.hpp: cairn key rotate and cairn key generations (cairn-repository(5)
// KEY ROTATION), called from ops::key.
// Depends on: repo, io. Threads: plain functions.
#pragma once

#include <cstdint>
#include <vector>

#include "io/file.hpp"
#include "ops/outcome.hpp"
#include "repo/repo.hpp"

namespace cairn::ops {

// A new box key generation; `passphrase` (the one that unlocked `r`) seals the new slot.
// Prints "+keys/NEW", "+holds/RECORD" and "-keys/OLD" (for cairn-push).
Result<Outcome> rotate_key(repo::Repository& r, std::string_view passphrase, io::Writer& out);
// How many packs and sets each box key generation seals (by generation number), and how many
// no generation this key opens. Counted only with a full key (`counted`; else all zero): one
// ranged read per pack and one set body per set.
struct GenerationCounts {
  bool counted = false;
  std::vector<std::uint64_t> packs, sets;
  std::uint64_t unknown_packs = 0, unknown_sets = 0;
};
Result<GenerationCounts> count_generations(repo::Repository& r);
// One line per generation: number, public key, when, its record, and (with a full key) how
// many packs and sets it seals; the newest is marked "(new data)".
Result<Outcome> list_generations(repo::Repository& r, io::Writer& out);

}  // namespace cairn::ops
