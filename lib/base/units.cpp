#include "base/units.hpp"

#include <fmt/format.h>

namespace cairn {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

Error bad_size(std::string_view text, std::string_view why) {
  return Error{Errc::usage, fmt::format("invalid size '{}': {}", text, why)};
}

}  // namespace

Result<std::uint64_t> parse_size(std::string_view text) {
  std::size_t i = 0;
  std::uint64_t value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return bad_size(text, "too large");
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return bad_size(text, "expected a number with an optional K, M, G or T suffix");

  std::string_view unit = text.substr(i);
  unsigned shift = 0;
  if (!unit.empty()) {
    switch (lower(unit[0])) {
      case 'k': shift = 10; break;
      case 'm': shift = 20; break;
      case 'g': shift = 30; break;
      case 't': shift = 40; break;
      case 'b': break;
      default: return bad_size(text, "expected a number with an optional K, M, G or T suffix");
    }
    if (shift != 0) unit.remove_prefix(1);
    // What may follow: nothing, "B" or "iB" (after a multiplier), or just "B" alone.
    std::string u;
    for (char c : unit) u.push_back(lower(c));
    const bool ok = u.empty() || u == "b" || (shift != 0 && u == "ib");
    if (!ok) return bad_size(text, "expected a number with an optional K, M, G or T suffix");
  }
  if (shift != 0 && value > (UINT64_MAX >> shift)) return bad_size(text, "too large");
  return value << shift;
}

}  // namespace cairn
