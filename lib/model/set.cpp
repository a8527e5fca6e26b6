#include "model/set.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace cairn::model {

std::string_view to_string(SetKind k) {
  switch (k) {
    case SetKind::full: return "full";
    case SetKind::differential: return "differential";
    case SetKind::incremental: return "incremental";
  }
  return "full";
}

Result<SetKind> parse_set_kind(std::string_view s) {
  for (auto k : {SetKind::full, SetKind::differential, SetKind::incremental})
    if (to_string(k) == s) return k;
  return Error{Errc::bad_input,
               fmt::format("unknown set kind '{}' (full, differential or incremental)", s)};
}

std::uint64_t plausible_seq_ceiling(std::vector<std::uint64_t> seqs) {
  std::sort(seqs.begin(), seqs.end());
  std::uint64_t top = 0;
  for (auto q : seqs) {
    if (q - top > kMaxSeqStep) break;
    top = q;
  }
  return top;
}

}  // namespace cairn::model
