// Repository key slots: add, list, remove, export.
#include <algorithm>

#include <fmt/format.h>

#include "repo/internal.hpp"

namespace cairn::repo {

using backend::Key;
using backend::Kind;

namespace {

Error write_only_error() {
  return Error{Errc::auth, "this key is write-only: it cannot manage key slots"};
}

}  // namespace

Result<std::string> RepositoryImpl::add_key(std::string_view new_passphrase,
                                            const crypto::KdfParams& p) {
  if (!keys_.can_read()) return write_only_error();
  CAIRN_TRY(crypto::check_kdf_params(p));
  CAIRN_TRY_ASSIGN(std::string name, put_checked_slot(keys_, new_passphrase, p));
  known_full_.insert(name);
  return name;
}

Result<std::string> RepositoryImpl::put_checked_slot(const crypto::KeyMaterial& want,
                                                     std::string_view passphrase,
                                                     const crypto::KdfParams& p) {
  const Bytes slot = crypto::seal_slot(want, passphrase, p);
  const Key k = Key::slot(random_hex(16));
  CAIRN_TRY(be_->put(k, slot, /*no_replace=*/true));
  auto check = [&]() -> Status {
    CAIRN_TRY_ASSIGN(Bytes back, be_->get(k));
    CAIRN_TRY_ASSIGN(crypto::KeyMaterial m, crypto::open_slot(back, passphrase, k.name));
    if (m.caps != want.caps || m.repo_id != want.repo_id || m.box_pk != want.box_pk ||
        m.sign_pk != want.sign_pk || !crypto::equal(m.box_sk.view(), want.box_sk.view()) ||
        !crypto::equal(m.index_key.view(), want.index_key.view()))
      return corrupt_error(fmt::format("key slot '{}'", k.name),
                           "it does not read back as written");
    return {};
  };
  if (auto st = check(); !st) {
    (void)be_->remove(k);
    return std::move(st).error().wrap(fmt::format("cannot add key slot '{}'", k.name));
  }
  return k.name;
}

Result<std::vector<std::string>> RepositoryImpl::list_keys() {
  std::vector<std::string> out;
  CAIRN_TRY(be_->list(Kind::key, [&](const backend::ObjectInfo& info) -> Status {
    out.push_back(info.key.name);
    return {};
  }));
  std::sort(out.begin(), out.end());
  return out;
}

Status RepositoryImpl::remove_key(std::string_view slot_name) {
  if (!keys_.can_read()) return write_only_error();
  const Key k = Key::slot(std::string(slot_name));
  if (!k.valid()) return Error{Errc::not_found, fmt::format("no key slot '{}'", slot_name)};
  CAIRN_TRY_ASSIGN(auto names, list_keys());
  if (std::find(names.begin(), names.end(), k.name) == names.end())
    return Error{Errc::not_found, fmt::format("no key slot '{}'", slot_name)};
  // Another slot known to open with full access must remain. Slots we cannot open (other
  // passphrases) may be write-only, so they do not count.
  const bool other_full = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
    return n != k.name && known_full_.contains(n);
  });
  if (!other_full)
    return Error{
        Errc::usage,
        fmt::format(
            "refusing to remove key slot '{}': no other key slot is known to give full access "
            "(add a key first, or unlock with another full key)",
            slot_name)};
  // The keys kept in the kernel keyring for this slot go with it.
  auto bytes = be_->get(k);
  CAIRN_TRY(be_->remove(k));
  if (bytes) {
    if (auto h = crypto::parse_slot_header(*bytes, k.name))
      crypto::forget_cached_keys(to_hex(config_.repo_id), ByteView(h->kdf.salt));
  }
  known_full_.erase(k.name);
  if (slot_ == k.name) slot_.clear();
  return {};
}

Result<Bytes> RepositoryImpl::export_slot(std::string_view passphrase, bool write_only,
                                          const crypto::KdfParams& p) const {
  if (!write_only && !keys_.can_read())
    return Error{Errc::auth, "this key is write-only: it can only export a write-only key"};
  CAIRN_TRY(crypto::check_kdf_params(p));
  if (write_only) return crypto::seal_slot(keys_.write_only(), passphrase, p);
  return crypto::seal_slot(keys_, passphrase, p);
}

}  // namespace cairn::repo
