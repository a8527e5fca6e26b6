// The repository's objects as stored, for cairn-verify (repo.hpp "For verification"): it checks
// what it reads itself, so nothing here authenticates or decodes.
#include <algorithm>

#include "repo/repo.hpp"

namespace cairn::repo {

Result<Bytes> Repository::read_object(const backend::Key& k) { return storage().get(k); }

Result<std::optional<backend::ObjectInfo>> Repository::stat_object(const backend::Key& k) {
  return storage().stat(k);
}

std::optional<std::vector<hash::SetId>> Repository::list_sets_at(const std::filesystem::path& dir) {
  auto be = backend::open_local(dir, /*create=*/false);
  if (!be) return std::nullopt;
  std::vector<hash::SetId> ids;
  Status st = (*be)->list(backend::Kind::set, [&](const backend::ObjectInfo& info) -> Status {
    if (auto id = hash::SetId::from_hex(info.key.name)) ids.push_back(*id);
    return {};
  });
  if (!st) return std::nullopt;
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace cairn::repo
