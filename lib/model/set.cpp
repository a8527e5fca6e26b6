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

Status check_tag(std::string_view tag) {
  const auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  };
  const bool good = !tag.empty() && tag.size() <= kMaxTagLength &&
                    std::all_of(tag.begin(), tag.end(), ok) && tag[0] != '.' && tag[0] != '_' &&
                    tag[0] != '-';
  if (!good)
    return Error{Errc::usage,
                 fmt::format("invalid tag '{}': use 1 to {} letters, digits, '.', '_' or '-', "
                             "starting with a letter or digit",
                             tag, kMaxTagLength)};
  return {};
}

void normalize_tags(std::vector<std::string>& tags) {
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
}

}  // namespace cairn::model
