// lib/model/set.hpp: the facts about a backup set that several modules share: its kind, and
// the summary its writer records. The set object's body (repo::SetBody) and the catalog's row
// (catalog::SetRecord) are both a SetSummary plus what only they hold, so the row is filled
// from the body in one assignment (ops::set_record) and no field is copied by hand.
// Depends on: base. Threads: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace cairn::model {

// What a set shares with older sets of its source: an incremental set anything, a
// differential set the packs of the last full set, a full set nothing outside itself.
enum class SetKind : std::uint8_t { full, differential, incremental };

// The text forms "full", "differential", "incremental", as set objects (cairn-repository(5))
// and the catalog (cairn-catalog(5)) store them. Any other text is Errc::bad_input naming
// it: an unknown kind is never read as one of the three.
std::string_view to_string(SetKind k);
Result<SetKind> parse_set_kind(std::string_view s);

// Writers choose seq (1 + the newest set's), so a writer can claim any number. The
// plausible ceiling of a list of seqs is the highest one reached from 0 by steps of at most
// kMaxSeqStep: a claim beyond a larger gap is one no chain of real sets supports. Writers
// chain only to plausible sets, and readers never take an implausible set for the newest, so
// one forged high seq cannot stop later backups or stay "latest" (a seq beyond
// repo::kMaxSeq is damage to every reader).
inline constexpr std::uint64_t kMaxSeqStep = 1ull << 24;
std::uint64_t plausible_seq_ceiling(std::vector<std::uint64_t> seqs);

// A tag names sets for people and policies ("monthly", "before-upgrade", "v1.2"): 1 to 64
// characters of [A-Za-z0-9._-], starting with a letter or digit (so "+t" and "-t" in
// `cairn tag SET +t -t` and a leading dash stay unambiguous). Errc::usage naming the tag.
inline constexpr std::size_t kMaxTagLength = 64;
Status check_tag(std::string_view tag);
// `tags` sorted, without duplicates.
void normalize_tags(std::vector<std::string>& tags);

// What the writer of a set records about it. Times are nanoseconds since the Unix epoch (UTC).
struct SetSummary {
  std::string source, host, retention_class;
  SetKind kind = SetKind::full;
  std::int64_t started_ns = 0;  // snapshot time: point-in-time selection uses this
  std::int64_t ended_ns = 0;
  std::uint64_t files = 0;
  std::uint64_t bytes_read = 0;    // bytes read from the source
  std::uint64_t bytes_new = 0;     // bytes of chunks not already in the repository
  std::uint64_t bytes_stored = 0;  // bytes written to the repository (compressed, sealed)
  bool legal_hold = false;         // placed when the set was written (later: hold records)
  std::string hold_reason;         // empty when not held
  // Tags given when the set was written (--tag), sorted and unique; later changes are tag
  // records (cairn-repository(5)), which the catalog applies on top.
  std::vector<std::string> tags;
  bool operator==(const SetSummary&) const = default;
};

}  // namespace cairn::model
