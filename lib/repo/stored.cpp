#include "repo/stored.hpp"

#include <cstring>

#include <fmt/format.h>

namespace cairn::repo {

Result<std::size_t> ChunkReader::read(MutByteView buf) {
  while (pos_ == cur_.size()) {
    if (next_ == ids_.size()) return std::size_t{0};
    if (next_ >= proofs_.size())
      return Error{Errc::corrupt, "the set has no proof for a manifest chunk"};
    CAIRN_TRY_ASSIGN(cur_, r_.read_chunk(ids_[next_], proofs_[next_]));
    ++next_;
    pos_ = 0;
  }
  std::size_t n = std::min(buf.size(), cur_.size() - pos_);
  std::memcpy(buf.data(), cur_.data() + pos_, n);
  pos_ += n;
  return n;
}

Result<StoredSet> open_stored_set(Repository& r, const hash::SetId& id) {
  StoredSet s;
  CAIRN_TRY_ASSIGN(s.obj, r.read_set(id));
  if (!s.obj.body)
    return Error{Errc::auth,
                 fmt::format("this key is write-only: it cannot read set {}", id.hex())};
  s.chunks = std::make_unique<ChunkReader>(r, s.obj.body->manifest, s.obj.body->manifest_proofs);
  s.manifest =
      std::make_unique<manifest::Reader>(*s.chunks, fmt::format("set {}", id.hex().substr(0, 12)));
  Status st = s.manifest->open();
  if (!st) return as_damage(std::move(st).error());
  return s;
}

Status check_entry_proofs(const manifest::Entry& e) {
  if (e.proofs.size() != e.chunks.size())
    return Error{Errc::corrupt,
                 fmt::format("entry '{}' lacks the possession proofs of its chunks", e.path)};
  return {};
}

Result<Bytes> read_entry_chunk(Repository& r, const manifest::Entry& e, std::size_t i) {
  CAIRN_TRY(check_entry_proofs(e));
  return r.read_chunk(e.chunks[i], e.proofs[i]);
}

Error as_damage(Error e) {
  if (e.code == Errc::bad_input || e.code == Errc::unsupported_format) e.code = Errc::corrupt;
  return e;
}

Result<bool> StoredSet::next(manifest::Entry& e) {
  auto more = manifest->next(e);
  if (!more) return as_damage(std::move(more).error());
  if (*more && e.type == manifest::Type::file) {
    auto st = check_entry_proofs(e);
    if (!st) return std::move(st).error().wrap(fmt::format("set {}", obj.id.hex()));
  }
  return more;
}

}  // namespace cairn::repo
