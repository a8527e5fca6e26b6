#include <algorithm>

#include "backend/backend.hpp"

namespace cairn::backend {

namespace {

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

constexpr std::size_t kIdHexLen = 64;    // BLAKE2b-256 content address
constexpr std::size_t kSlotHexLen = 32;  // random 16-byte key slot id

}  // namespace

std::string_view kind_dir(Kind k) {
  switch (k) {
    case Kind::config: return "";
    case Kind::key: return "keys";
    case Kind::pack: return "packs";
    case Kind::index: return "index";
    case Kind::set: return "sets";
    case Kind::hold: return "holds";
    case Kind::parity: return "parity";
  }
  return "";
}

bool content_addressed(Kind k) {
  return k == Kind::pack || k == Kind::index || k == Kind::set || k == Kind::hold ||
         k == Kind::parity;
}

bool Key::valid() const {
  switch (kind) {
    case Kind::config: return name == "config";
    case Kind::key: return name.size() == kSlotHexLen && is_lower_hex(name);
    case Kind::pack:
    case Kind::index:
    case Kind::set:
    case Kind::hold:
    case Kind::parity: return name.size() == kIdHexLen && is_lower_hex(name);
  }
  return false;
}

std::string Key::path() const {
  switch (kind) {
    case Kind::config: return "config";
    case Kind::pack: return "packs/" + name.substr(0, 2) + "/" + name;
    case Kind::key:
    case Kind::index:
    case Kind::set:
    case Kind::hold:
    case Kind::parity: return std::string(kind_dir(kind)) + "/" + name;
  }
  return name;
}

std::optional<Key> Key::from_path(std::string_view rel) {
  if (rel == "config") return Key::config();
  const auto slash = rel.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto dir = rel.substr(0, slash);
  auto rest = rel.substr(slash + 1);
  Key k{Kind::config, {}};
  if (dir == "keys")
    k.kind = Kind::key;
  else if (dir == "index")
    k.kind = Kind::index;
  else if (dir == "sets")
    k.kind = Kind::set;
  else if (dir == "holds")
    k.kind = Kind::hold;
  else if (dir == "parity")
    k.kind = Kind::parity;
  else if (dir == "packs") {
    k.kind = Kind::pack;
    if (rest.size() < 3 || rest[2] != '/') return std::nullopt;
    const auto sub = rest.substr(0, 2);
    rest = rest.substr(3);
    if (rest.substr(0, 2) != sub) return std::nullopt;
  } else {
    return std::nullopt;
  }
  k.name = std::string(rest);
  if (!k.valid()) return std::nullopt;
  return k;
}

}  // namespace cairn::backend
