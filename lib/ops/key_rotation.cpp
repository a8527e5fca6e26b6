#include "ops/key_rotation.hpp"

#include <fmt/format.h>

#include "base/env.hpp"
#include "base/time.hpp"
#include "ops/hold.hpp"

namespace cairn::ops {

Result<Outcome> rotate_key(repo::Repository& r, std::string_view passphrase, io::Writer& out) {
  CAIRN_TRY_ASSIGN(
      auto done, r.rotate_key(passphrase, crypto::KdfParams::fresh(), current_user(), host_name()));
  // Object lines only, in upload-safe order, so that `cairn key rotate | cairn-push DEST`
  // carries the rotation: the new slot, the record, then the old slot goes.
  std::string text = fmt::format("+keys/{}\n+{}\n", done.slot, done.record);
  if (!done.old_slot.empty()) text += fmt::format("-keys/{}\n", done.old_slot);
  CAIRN_TRY(out.write(as_bytes(text)));
  return Outcome{};
}

Result<GenerationCounts> count_generations(repo::Repository& r) {
  GenerationCounts c;
  const auto& gens = r.generations();
  c.packs.assign(gens.size(), 0);
  c.sets.assign(gens.size(), 0);
  c.counted = r.keys().can_read();
  if (!c.counted) return c;
  std::vector<hash::PackId> ids;
  CAIRN_TRY(r.list_objects(backend::Kind::pack, [&](const backend::ObjectInfo& i) -> Status {
    if (auto d = hash::Digest::from_hex(i.key.name)) ids.push_back(hash::PackId{*d});
    return {};
  }));
  // Each object counts under the generation that sealed it, or as unknown.
  const auto tally = [](const auto& objects, auto generation_of, std::vector<std::uint64_t>& into,
                        std::uint64_t& unknown) -> Status {
    for (const auto& id : objects) {
      auto g = generation_of(id);
      if (g && *g)
        ++into[**g];
      else if (!g && g.error().code != Errc::not_found)
        return std::move(g).error();
      else
        ++unknown;
    }
    return {};
  };
  CAIRN_TRY(tally(
      ids, [&](const hash::PackId& id) { return r.pack_generation(id); }, c.packs,
      c.unknown_packs));
  CAIRN_TRY_ASSIGN(auto set_ids, r.list_sets());
  CAIRN_TRY(tally(
      set_ids, [&](const hash::SetId& id) { return r.set_generation(id); }, c.sets,
      c.unknown_sets));
  return c;
}

Result<Outcome> list_generations(repo::Repository& r, io::Writer& out) {
  const auto& gens = r.generations();
  CAIRN_TRY_ASSIGN(const GenerationCounts c, count_generations(r));
  const bool count = c.counted;
  const auto& packs = c.packs;
  const auto& sets = c.sets;
  const std::uint64_t unknown_packs = c.unknown_packs, unknown_sets = c.unknown_sets;
  std::string text;
  for (std::size_t g = 0; g < gens.size(); ++g) {
    const auto& k = gens[g];
    text += fmt::format("{} {} {} {}", g, to_hex(k.pk), format_time(k.time_ns),
                        k.record.empty() ? "config" : k.record);
    if (count)
      text += k.readable ? fmt::format(" {} packs, {} sets", packs[g], sets[g]) : " unreadable";
    if (g + 1 == gens.size()) text += " (new data)";
    text += "\n";
  }
  if (count && (unknown_packs || unknown_sets))
    text += fmt::format("- {} packs, {} sets sealed under no generation this key opens\n",
                        unknown_packs, unknown_sets);
  for (const auto& [name, why] : r.rotation_problems())
    text += fmt::format("refused {}: {}\n", name, why.message);
  CAIRN_TRY(out.write(as_bytes(text)));
  return Outcome{};
}

}  // namespace cairn::ops
