#include "ops/stored.hpp"

#include <cstring>

#include <fmt/format.h>

namespace cairn::ops {

Result<std::size_t> ChunkReader::read(MutByteView buf) {
  while (pos_ == cur_.size()) {
    if (next_ == ids_.size()) return std::size_t{0};
    CAIRN_TRY_ASSIGN(cur_, r_.read_chunk(ids_[next_]));
    ++next_;
    pos_ = 0;
  }
  std::size_t n = std::min(buf.size(), cur_.size() - pos_);
  std::memcpy(buf.data(), cur_.data() + pos_, n);
  pos_ += n;
  return n;
}

Result<StoredSet> open_stored_set(repo::Repository& r, const hash::SetId& id) {
  StoredSet s;
  CAIRN_TRY_ASSIGN(s.obj, r.read_set(id));
  if (!s.obj.body)
    return Error{Errc::auth, fmt::format("this key is write-only: it cannot read set {}", id.hex())};
  s.chunks = std::make_unique<ChunkReader>(r, s.obj.body->manifest);
  s.manifest = std::make_unique<manifest::Reader>(*s.chunks, fmt::format("set {}", id.hex().substr(0, 12)));
  Status st = s.manifest->open();
  if (!st) return as_damage(std::move(st).error());
  return s;
}

Error as_damage(Error e) {
  if (e.code == Errc::bad_input || e.code == Errc::unsupported_format) e.code = Errc::corrupt;
  return e;
}

Result<bool> StoredSet::next(manifest::Entry& e) {
  auto more = manifest->next(e);
  if (!more) return as_damage(std::move(more).error());
  return more;
}

}  // namespace cairn::ops
