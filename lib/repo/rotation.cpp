// Key rotation: box key generations chained by admin-signed rotation records (holds/, magic
// CAIRNKR1; cairn-repository(5) KEY ROTATION).
#include <algorithm>

#include <fmt/format.h>

#include "base/time.hpp"
#include "repo/internal.hpp"

namespace cairn::repo {

using backend::Key;
using backend::Kind;

Status RepositoryImpl::load_generations() {
  generations_.clear();
  rotation_problems_.clear();
  keys_.older_box.clear();
  keys_.newest_box_pk.clear();
  generations_.push_back(
      KeyGeneration{config_.box_pk, false, config_.created_unix * 1'000'000'000, ""});
  CAIRN_TRY_ASSIGN(auto recs, list_rotations([&](const std::string& name, Error why) {
                     rotation_problems_.emplace_back(Key::hold(name).path(), std::move(why));
                   }));
  // Chain from the config's box_pk: each step takes the oldest verified record (time_ns, then
  // name: list_rotations' order) that names the current generation as its prev. Records off
  // the chain are refused (a second rotation that raced the first, or a record whose prev
  // is unknown).
  std::vector<const Rotation*> chain;
  std::vector<bool> used(recs.size(), false);
  for (;;) {
    const Bytes& cur = generations_.back().pk;
    std::size_t next = recs.size();
    for (std::size_t i = 0; i < recs.size(); ++i)
      if (!used[i] && recs[i].prev_pk == cur) {
        next = i;
        break;
      }
    if (next == recs.size()) break;
    used[next] = true;
    const Rotation& r = recs[next];
    const bool loop = std::any_of(generations_.begin(), generations_.end(),
                                  [&](const KeyGeneration& g) { return g.pk == r.box_pk; });
    if (loop) {
      rotation_problems_.emplace_back(
          r.record, Error{Errc::corrupt, fmt::format("rotation record '{}': it names a key "
                                                     "generation that is already in the chain",
                                                     r.record)});
      break;
    }
    chain.push_back(&r);
    generations_.push_back(KeyGeneration{r.box_pk, false, r.time_ns, r.record});
  }
  for (std::size_t i = 0; i < recs.size(); ++i)
    if (!used[i])
      rotation_problems_.emplace_back(
          recs[i].record,
          Error{Errc::corrupt,
                fmt::format("rotation record '{}': it does not follow the chain of key "
                            "generations (a rotation made at the same time as another?)",
                            recs[i].record)});
  auto mine = std::find_if(generations_.begin(), generations_.end(),
                           [&](const KeyGeneration& g) { return g.pk == keys_.box_pk; });
  if (mine == generations_.end())
    return Error{
        Errc::corrupt,
        fmt::format("{}'s box key is none of the repository's {} key generation{} (a 'cairn key "
                    "rotate' that was interrupted, or rotation records deleted from holds/): "
                    "unlock with another key slot, or copy the rotation records back from a "
                    "destination",
                    slot_.empty() ? std::string("this key") : fmt::format("key slot '{}'", slot_),
                    generations_.size(), generations_.size() == 1 ? "" : "s")};
  my_generation_ = static_cast<std::size_t>(mine - generations_.begin());
  if (my_generation_ + 1 != generations_.size()) keys_.newest_box_pk = generations_.back().pk;
  if (!keys_.can_read()) return {};
  generations_[my_generation_].readable = true;
  // Backwards: generation g's secret key opens record g's body, which holds g-1's.
  crypto::BoxGeneration cur{keys_.box_pk, crypto::SecretBytes::copy_of(keys_.box_sk.view())};
  for (std::size_t g = my_generation_; g > 0; --g) {
    const std::string& name = generations_[g].record;
    const std::string what = fmt::format("rotation record '{}'", name);
    auto raw = be_->get(Key::hold(name.substr(name.rfind('/') + 1)));
    if (!raw) break;
    auto r = decode_rotation(*raw, keys_, &cur, what);
    if (!r) {
      rotation_problems_.emplace_back(name, std::move(r).error());
      break;  // the generations before it stay unreadable (their data reads as damage)
    }
    keys_.older_box.push_back(
        crypto::BoxGeneration{r->prev_pk, crypto::SecretBytes::copy_of(r->prev_sk.view())});
    generations_[g - 1].readable = true;
    cur = crypto::BoxGeneration{r->prev_pk, std::move(r->prev_sk)};
  }
  return {};
}

namespace {

std::optional<std::size_t> generation_of(const std::vector<KeyGeneration>& gens, ByteView pk) {
  for (std::size_t g = 0; g < gens.size(); ++g)
    if (std::equal(gens[g].pk.begin(), gens[g].pk.end(), pk.begin(), pk.end())) return g;
  return std::nullopt;
}

}  // namespace

Result<std::optional<std::size_t>> RepositoryImpl::pack_generation(const hash::PackId& id) {
  if (!keys_.can_read()) return Error{Errc::auth, "this key is write-only: it cannot read data"};
  const std::string what = fmt::format("pack '{}'", id.hex());
  CAIRN_TRY_ASSIGN(Bytes header, be_->get(Key::pack(id), 0, pack::kHeaderSize));
  Bytes pk;
  auto key = pack::open_data_key(header, keys_, what, &pk);
  if (!key) {
    if (key.error().code == Errc::corrupt) return std::optional<std::size_t>{};
    return std::move(key).error();
  }
  return generation_of(generations_, pk);
}

Result<std::optional<std::size_t>> RepositoryImpl::set_generation(const hash::SetId& id) {
  if (!keys_.can_read()) return Error{Errc::auth, "this key is write-only: it cannot read data"};
  const std::string what = fmt::format("set '{}'", id.hex());
  CAIRN_TRY_ASSIGN(Bytes raw, be_->get(Key::set(id)));
  auto d = decode_set(raw, keys_, /*want_body=*/true, what);
  if (!d || d->sealed_by.empty()) return std::optional<std::size_t>{};
  return generation_of(generations_, d->sealed_by);
}

Result<Repository::Rotated> RepositoryImpl::rotate_key(std::string_view passphrase,
                                                       const crypto::KdfParams& p, std::string user,
                                                       std::string host) {
  if (!keys_.can_admin())
    return Error{Errc::auth, "this key is write-only: it cannot rotate the repository's keys"};
  if (slot_.empty())
    return Error{Errc::usage,
                 "cairn key rotate needs the repository unlocked from a key slot with its "
                 "passphrase, not a key file (the new key goes into a new slot)"};
  if (my_generation_ + 1 != generations_.size())
    return Error{Errc::usage,
                 fmt::format("key slot '{}' holds key generation {}, not the newest ({}): unlock "
                             "with a key slot made after the last rotation",
                             slot_, my_generation_, generations_.size() - 1)};
  CAIRN_TRY(crypto::check_kdf_params(p));
  crypto::BoxKeyPair fresh = crypto::box_keypair();
  Rotation r;
  r.box_pk = fresh.pk;
  r.prev_pk = keys_.box_pk;
  r.prev_sk = crypto::SecretBytes::copy_of(keys_.box_sk.view());
  r.time_ns = now_ns();
  r.user = std::move(user);
  r.host = std::move(host);
  CAIRN_TRY_ASSIGN(Bytes record, encode_rotation(r, fresh.sk.view(), keys_));
  // 1. The new generation in a slot of its own, read back and opened (a crash after this
  //    leaves a slot no rotation record names: open says so; remove it and run again).
  crypto::KeyMaterial next = keys_.clone();
  next.older_box.clear();
  next.newest_box_pk.clear();
  next.box_pk = fresh.pk;
  next.box_sk = crypto::SecretBytes::copy_of(fresh.sk.view());
  CAIRN_TRY_ASSIGN(const std::string slot_name, put_checked_slot(next, passphrase, p));
  const Key k = Key::slot(slot_name);
  // 2. The record: from now on every writer (write-only keys too) seals to the new box_pk.
  auto path = put_admin_record(record);
  if (!path) {
    (void)be_->remove(k);
    return std::move(path).error();
  }
  // 3. The old slot goes: this passphrase now opens the new generation.
  Rotated out;
  out.record = *path;
  out.slot = k.name;
  known_full_.insert(k.name);
  const std::string old = slot_;
  CAIRN_TRY(remove_key(old));
  out.old_slot = old;
  // This handle reads and writes as the new key from here on.
  keys_ = std::move(next);
  slot_ = k.name;
  CAIRN_TRY(load_generations());
  out.generation = my_generation_;
  CAIRN_TRY_ASSIGN(auto names, list_keys());
  for (auto& n : names)
    if (n != k.name) out.other_slots.push_back(std::move(n));
  return out;
}

}  // namespace cairn::repo
