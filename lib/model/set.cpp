#include "model/set.hpp"

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

}  // namespace cairn::model
