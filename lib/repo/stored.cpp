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

std::size_t ChunkRun::plan(const hash::ChunkId& id, const hash::Digest& proof) {
  plan_.push_back(Planned{id, proof, r_.locate(id)});
  return planned();
}

// Reads the region from the next chunk's blob (plan_.front()) on, extended over the following
// planned blobs of the same pack while each starts at most kGap bytes after the region's end
// (a blob inside it, a chunk planned twice, adds nothing) and the region stays within max_span_.
Status ChunkRun::fetch_region() {
  constexpr std::uint64_t kGap = 64u << 10;
  const Location& first = *plan_.front().loc;
  const std::uint64_t start = first.offset;
  std::uint64_t end = start + first.length;
  for (std::size_t j = 1; j < plan_.size(); ++j) {
    const auto& loc = plan_[j].loc;
    if (!loc || loc->pack != first.pack) break;
    if (loc->offset >= start && loc->offset + loc->length <= end) continue;
    if (loc->offset < end || loc->offset - end > kGap ||
        loc->offset + loc->length - start > max_span_)
      break;
    end = loc->offset + loc->length;
  }
  region_.clear();
  auto got = r_.storage().get(backend::Key::pack(first.pack), start, end - start);
  if (!got) return std::move(got).error();
  region_ = std::move(*got);
  pack_ = first.pack;
  offset_ = start;
  return {};
}

Result<Bytes> ChunkRun::read(std::size_t k) {
  if (k < base_ || k >= planned())
    return Error{Errc::internal, fmt::format("chunk {} of a run read out of order", k)};
  while (base_ < k) {
    plan_.pop_front();
    ++base_;
  }
  const Planned& p = plan_.front();
  if (!p.loc) return Error{Errc::not_found, fmt::format("chunk '{}' is in no index", p.id.hex())};
  const Location& loc = *p.loc;
  auto inside = [&] {
    return !region_.empty() && loc.pack == pack_ && loc.offset >= offset_ &&
           loc.offset + loc.length <= offset_ + region_.size();
  };
  if (!inside()) {
    CAIRN_TRY(fetch_region());
    if (!inside()) return Error{Errc::corrupt, "the pack is shorter than its index says"};
  }
  const ByteView sealed = ByteView(region_).subspan(loc.offset - offset_, loc.length);
  return r_.open_chunk(p.id, p.proof, loc, sealed);
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
