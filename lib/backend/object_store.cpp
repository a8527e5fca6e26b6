// The remote backends' shared skeleton (object_store.hpp).
#include "backend/object_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "io/file.hpp"

namespace cairn::backend {

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Result<std::vector<std::pair<std::string, std::uint64_t>>> parse_entries(
    std::string_view xml, std::string_view root, std::string_view what_root, std::string_view entry,
    std::string_view name_tag, std::string_view size_tag) {
  if (net::xml_elements(xml, root).empty())
    return Error{Errc::network, fmt::format("the listing is not {} document", what_root)};
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (std::string_view item : net::xml_elements(xml, entry)) {
    auto name = net::xml_text(item, name_tag);
    auto size_text = net::xml_text(item, size_tag);
    std::optional<std::uint64_t> size;
    if (size_text) size = parse_u64(*size_text);
    if (!name || !size)
      return Error{Errc::network,
                   fmt::format("a listing entry lacks its {} or {}", name_tag, size_tag)};
    out.emplace_back(std::move(*name), size.value_or(0));
  }
  return out;
}

// ---- RemoteBackend

Status RemoteBackend::list(Kind kind, const std::function<Status(const ObjectInfo&)>& each) {
  if (kind == Kind::config) {
    CAIRN_TRY_ASSIGN(auto info, stat(Key::config()));
    if (info) CAIRN_TRY(each(*info));
    return {};
  }
  return list_kind(kind, each);
}

Status RemoteBackend::check(const Key& k) const {
  if (!k.valid())
    return Error{Errc::bad_input,
                 fmt::format("invalid object name '{}' in '{}'", k.path(), location())};
  return {};
}

Error RemoteBackend::exists_error(const Key& k) const {
  return Error{Errc::exists, fmt::format("object '{}' already exists", display(k))};
}

Result<bool> RemoteBackend::stored_already(const Key& k) {
  if (!content_addressed(k.kind)) return false;
  auto info = stat(k);
  if (info && info->has_value()) return true;
  if (!info && info.error().code != Errc::auth) return std::move(info).error();
  return false;
}

Status RemoteBackend::with_file_body(const std::filesystem::path& src,
                                     const std::function<Status(net::Body)>& fn) {
  CAIRN_TRY_ASSIGN(io::Fd fd, io::open_file(src, O_RDONLY));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return errno_error(errno, fmt::format("cannot stat '{}'", src.string()));
  return fn(net::Body::file(fd.get(), 0, static_cast<std::uint64_t>(st.st_size), src.string()));
}

// ---- ObjectStore

ObjectStore::ObjectStore(const net::Settings& http, std::string prefix, std::string range_header)
    : RemoteBackend(http.max_idle),
      prefix_(std::move(prefix)),
      range_header_(std::move(range_header)),
      http_(net::make_client(http)) {}

ObjectStore::Call ObjectStore::object_call(std::string method, const Key& k) const {
  Call call;
  call.method = std::move(method);
  call.name = object_name(k);
  return call;
}

Result<net::Response> ObjectStore::perform(const Call& call, std::string url,
                                           std::vector<std::string> header_lines,
                                           std::string_view what) {
  net::Request req;
  req.method = call.method;
  req.url = std::move(url);
  req.headers = std::move(header_lines);
  req.body = call.body;
  req.max_response = call.max_response;
  req.expect_size = call.expect_size;
  return http_->perform(req, what);
}

Status ObjectStore::put(const Key& k, ByteView body, bool no_replace) {
  CAIRN_TRY(check(k));
  return upload(k, net::Body::memory(body), no_replace);
}

Status ObjectStore::put_file(const Key& k, const std::filesystem::path& src) {
  CAIRN_TRY(check(k));
  CAIRN_TRY_ASSIGN(const bool stored, stored_already(k));
  if (stored) return {};
  return with_file_body(src, [&](net::Body body) { return upload(k, body, false); });
}

Result<Bytes> ObjectStore::get(const Key& k, std::uint64_t offset, std::uint64_t length) {
  CAIRN_TRY(check(k));
  const std::string what = fmt::format("cannot get '{}'", display(k));
  Call call = object_call("GET", k);
  call.max_response = 0;
  if (auto range = net::range_value(offset, length)) {
    call.headers.emplace_back(range_header_, std::move(*range));
    call.expect_size = static_cast<std::size_t>(std::min<std::uint64_t>(length, 64ull << 20));
  }
  CAIRN_TRY_ASSIGN(auto r, send(std::move(call), what));
  return net::ranged_body(std::move(r), offset, length, what);
}

Result<std::optional<ObjectInfo>> ObjectStore::stat(const Key& k) {
  CAIRN_TRY(check(k));
  const std::string what = fmt::format("cannot stat '{}'", display(k));
  CAIRN_TRY_ASSIGN(auto r, send(object_call("HEAD", k), what));
  if (r.status == 404) return std::optional<ObjectInfo>{};
  if (r.status != 200) return net::http_error(r, what);
  std::uint64_t size = r.content_length >= 0 ? static_cast<std::uint64_t>(r.content_length) : 0;
  if (auto cl = r.header("content-length"))
    if (auto v = parse_u64(*cl)) size = *v;
  return std::optional<ObjectInfo>{ObjectInfo{k, size}};
}

Status ObjectStore::list_kind(Kind kind, const std::function<Status(const ObjectInfo&)>& each) {
  const std::string root = prefix_.empty() ? "" : prefix_ + "/";
  const std::string want = root + std::string(kind_dir(kind)) + "/";
  const std::string what = fmt::format("cannot list '{}/{}'", location(), kind_dir(kind));
  std::optional<std::string> token;
  do {
    CAIRN_TRY_ASSIGN(auto page, list_page(want, token, what));
    for (const auto& [name, size] : page.objects) {
      if (!name.starts_with(root)) continue;
      auto key = Key::from_path(std::string_view(name).substr(root.size()));
      if (!key || key->kind != kind) continue;  // junk, or another kind's folder
      CAIRN_TRY(each(ObjectInfo{std::move(*key), size}));
    }
    token = std::move(page.next);
  } while (token);
  return {};
}

Status ObjectStore::remove(const Key& k) {
  CAIRN_TRY(check(k));
  const std::string what = fmt::format("cannot remove '{}'", display(k));
  CAIRN_TRY_ASSIGN(auto r, send(object_call("DELETE", k), what));
  if (r.status == 200 || r.status == 202 || r.status == 204 || r.status == 404) return {};
  return net::http_error(r, what);
}

}  // namespace cairn::backend
