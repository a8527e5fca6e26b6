#include "backend/azure/azure.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "backend/azure/sharedkey.hpp"
#include "hash/sha256.hpp"
#include "io/file.hpp"

namespace cairn::backend::azure {

namespace {

constexpr std::size_t kMaxXml = 16u << 20;
constexpr std::uint64_t kMaxBlocks = 50'000;


Result<std::string> md5_base64(const curl::Body& body) {
  hash::Md5 h;
  CAIRN_TRY(body.for_each_piece([&](ByteView piece) { h.update(piece); }));
  return to_base64(h.finish());
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

struct Call {
  std::string method = "GET";
  std::string blob;  // unencoded; "" = the container
  Params query;      // unencoded
  Params headers;    // extra, lower-case names
  curl::Body body;
  bool body_md5 = false;  // send Content-MD5 of the body
  std::size_t max_response = kMaxXml;
  std::size_t expect_size = 0;
};

class AzureBackend final : public Backend {
 public:
  AzureBackend(Config c, curl::Endpoint ep, Bytes key)
      : c_(std::move(c)), ep_(std::move(ep)), key_(std::move(key)), http_(c_.http) {}
  ~AzureBackend() override { std::fill(key_.begin(), key_.end(), std::uint8_t{0}); }

  Properties properties() const override { return Properties{std::max(1u, c_.http.max_idle), false}; }
  std::string location() const override {
    std::string s = fmt::format("azure://{}/{}", c_.account, c_.container);
    if (!c_.prefix.empty()) s += "/" + c_.prefix;
    return s;
  }

  Status put(const Key& k, ByteView body, bool no_replace) override {
    CAIRN_TRY(check(k));
    return upload(k, curl::Body::memory(body), no_replace);
  }

  Status put_file(const Key& k, const std::filesystem::path& src) override {
    CAIRN_TRY(check(k));
    return curl::put_file_streamed(*this, k, src, [&](curl::Body body) { return upload(k, std::move(body), false); });
  }

  Result<Bytes> get(const Key& k, std::uint64_t offset, std::uint64_t length) override {
    CAIRN_TRY(check(k));
    const std::string what = fmt::format("cannot get '{}'", display(k));
    Call call;
    call.blob = blob_name(k);
    call.max_response = 0;
    if (auto range = curl::range_value(offset, length)) {
      call.headers.emplace_back("x-ms-range", std::move(*range));
      call.expect_size = static_cast<std::size_t>(std::min<std::uint64_t>(length, 64ull << 20));
    }
    CAIRN_TRY_ASSIGN(auto r, send(std::move(call), what));
    return curl::ranged_body(std::move(r), offset, length, what);
  }

  Result<std::optional<ObjectInfo>> stat(const Key& k) override {
    CAIRN_TRY(check(k));
    const std::string what = fmt::format("cannot stat '{}'", display(k));
    Call call;
    call.method = "HEAD";
    call.blob = blob_name(k);
    CAIRN_TRY_ASSIGN(auto r, send(std::move(call), what));
    if (r.status == 404) return std::optional<ObjectInfo>{};
    if (r.status != 200) return curl::http_error(r, what);
    std::uint64_t size = r.content_length >= 0 ? static_cast<std::uint64_t>(r.content_length) : 0;
    if (auto cl = r.header("content-length"))
      if (auto v = parse_u64(*cl)) size = *v;
    return std::optional<ObjectInfo>{ObjectInfo{k, size}};
  }

  Status list(Kind kind, const std::function<Status(const ObjectInfo&)>& each) override {
    if (kind == Kind::config) {
      CAIRN_TRY_ASSIGN(auto info, stat(Key::config()));
      if (info) CAIRN_TRY(each(*info));
      return {};
    }
    const std::string root = c_.prefix.empty() ? "" : c_.prefix + "/";
    const std::string want = root + std::string(kind_dir(kind)) + "/";
    const std::string what = fmt::format("cannot list '{}/{}'", location(), kind_dir(kind));
    std::optional<std::string> marker;
    do {
      Call call;
      call.query = {{"restype", "container"}, {"comp", "list"}, {"prefix", want}};
      if (marker) call.query.emplace_back("marker", *marker);
      if (c_.list_page_size) call.query.emplace_back("maxresults", std::to_string(c_.list_page_size));
      CAIRN_TRY_ASSIGN(auto r, send(std::move(call), what));
      if (r.status != 200) return curl::http_error(r, what);
      CAIRN_TRY_ASSIGN(auto page, parse_list(as_chars(r.body)));
      for (const auto& [name, size] : page.blobs) {
        if (!name.starts_with(root)) continue;
        auto key = Key::from_path(std::string_view(name).substr(root.size()));
        if (!key || key->kind != kind) continue;
        CAIRN_TRY(each(ObjectInfo{std::move(*key), size}));
      }
      marker = std::move(page.next_marker);
    } while (marker);
    return {};
  }

  Status remove(const Key& k) override {
    CAIRN_TRY(check(k));
    const std::string what = fmt::format("cannot remove '{}'", display(k));
    Call call;
    call.method = "DELETE";
    call.blob = blob_name(k);
    CAIRN_TRY_ASSIGN(auto r, send(std::move(call), what));
    if (r.status == 202 || r.status == 200 || r.status == 204 || r.status == 404) return {};
    return curl::http_error(r, what);
  }

 private:
  Status check(const Key& k) const {
    if (!k.valid())
      return Error{Errc::bad_input, fmt::format("invalid object name '{}' in '{}'", k.path(), location())};
    return {};
  }
  std::string blob_name(const Key& k) const { return c_.prefix.empty() ? k.path() : c_.prefix + "/" + k.path(); }
  std::string display(const Key& k) const { return location() + "/" + k.path(); }

  Error exists_error(const Key& k) const {
    return Error{Errc::exists, fmt::format("object '{}' already exists", display(k))};
  }

  Status upload(const Key& k, const curl::Body& body, bool no_replace) {
    const std::string what = fmt::format("cannot put '{}'", display(k));
    if (body.size() > c_.multipart_threshold) return upload_blocks(k, body, no_replace, what);
    Call call;
    call.method = "PUT";
    call.blob = blob_name(k);
    call.body = body;
    call.body_md5 = true;
    call.headers.emplace_back("x-ms-blob-type", "BlockBlob");
    if (no_replace) call.headers.emplace_back("if-none-match", "*");
    CAIRN_TRY_ASSIGN(auto r, send(std::move(call), what));
    if (r.status == 201) return {};
    if (no_replace && (r.status == 409 || r.status == 412)) return exists_error(k);
    return curl::http_error(r, what);
  }

  Status upload_blocks(const Key& k, const curl::Body& body, bool no_replace, const std::string& what) {
    const std::uint64_t block = std::max(c_.block_size, (body.size() + kMaxBlocks - 1) / kMaxBlocks);
    const std::string tag = curl::random_hex(16);  // ids of this upload only, all the same length
    std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    unsigned number = 0;
    for (std::uint64_t off = 0; off < body.size(); off += block, ++number) {
      const std::string id = to_base64(as_bytes(fmt::format("{}-{:06}", tag, number)));
      Call put;
      put.method = "PUT";
      put.blob = blob_name(k);
      put.query = {{"comp", "block"}, {"blockid", id}};
      put.body = body.slice(off, block);
      put.body_md5 = true;
      const std::string part_what = fmt::format("{} (block {})", what, number);
      CAIRN_TRY_ASSIGN(auto r, send(std::move(put), part_what));
      if (r.status != 201) return curl::http_error(r, part_what);
      xml += fmt::format("<Latest>{}</Latest>", id);
    }
    xml += "</BlockList>";
    Call commit;
    commit.method = "PUT";
    commit.blob = blob_name(k);
    commit.query = {{"comp", "blocklist"}};
    commit.body = curl::Body::memory(as_bytes(xml));
    commit.body_md5 = true;
    commit.headers.emplace_back("content-type", "application/xml");
    if (no_replace) commit.headers.emplace_back("if-none-match", "*");
    CAIRN_TRY_ASSIGN(auto r, send(std::move(commit), what));
    if (r.status == 201) return {};
    if (no_replace && (r.status == 409 || r.status == 412)) return exists_error(k);
    return curl::http_error(r, what);
  }

  Result<curl::Response> send(Call call, std::string_view what) {
    std::string path = ep_.path + "/" + curl::uri_encode(c_.container, false);
    if (!call.blob.empty()) path += "/" + curl::uri_encode(call.blob, true);
    std::string query;
    for (const auto& [name, value] : call.query) {
      if (!query.empty()) query.push_back('&');
      query += curl::uri_encode(name, false) + "=" + curl::uri_encode(value, false);
    }
    if (!c_.sas.empty()) {
      if (!query.empty()) query.push_back('&');
      query += c_.sas.reveal();
    }
    Params headers = std::move(call.headers);
    headers.emplace_back("x-ms-date", curl::rfc1123_date(static_cast<std::int64_t>(std::time(nullptr))));
    headers.emplace_back("x-ms-version", std::string(kApiVersion));
    if (call.body_md5) {
      CAIRN_TRY_ASSIGN(auto md5, md5_base64(call.body));
      headers.emplace_back("content-md5", std::move(md5));
    }
    curl::Request req;
    req.method = call.method;
    req.url = ep_.origin + path + (query.empty() ? "" : "?" + query);
    for (const auto& [name, value] : headers) req.headers.push_back(fmt::format("{}: {}", name, value));
    if (!key_.empty()) {
      SignInput in;
      in.method = call.method;
      in.account = c_.account;
      in.path = path;
      in.query = query;
      in.headers = headers;
      // libcurl sends Content-Length with every PUT (0 included) and never on GET/HEAD/DELETE.
      if (call.method == "PUT" || call.method == "POST")
        in.headers.emplace_back("content-length", std::to_string(call.body.size()));
      CAIRN_TRY_ASSIGN(auto auth, authorization(in, key_));
      req.headers.push_back("Authorization: " + auth);
    }
    req.body = call.body;
    req.max_response = call.max_response;
    req.expect_size = call.expect_size;
    return http_.perform(req, what);
  }

  Config c_;
  curl::Endpoint ep_;
  Bytes key_;
  curl::Client http_;
};

bool valid_account(std::string_view a) {
  return a.size() >= 3 && a.size() <= 24 &&
         std::all_of(a.begin(), a.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

}  // namespace

Result<ListPage> parse_list(std::string_view xml) {
  if (curl::xml_elements(xml, "EnumerationResults").empty())
    return Error{Errc::network, "the listing is not an EnumerationResults document"};
  ListPage page;
  for (std::string_view blob : curl::xml_elements(xml, "Blob")) {
    auto name = curl::xml_text(blob, "Name");
    auto size_text = curl::xml_text(blob, "Content-Length");
    auto size = size_text ? parse_u64(*size_text) : std::nullopt;
    if (!name || !size) return Error{Errc::network, "a listing entry lacks its Name or Content-Length"};
    page.blobs.emplace_back(std::move(*name), *size);
  }
  auto next = curl::xml_text(xml, "NextMarker");
  if (next && !next->empty()) page.next_marker = std::move(next);
  return page;
}

Status resolve_credentials(const RemoteOptions& opts, Config& c) {
  ConnectionString cs;
  if (!opts.azure_connection_string.empty()) {
    CAIRN_TRY_ASSIGN(cs, parse_connection_string(opts.azure_connection_string.reveal()));
  }
  const bool env_account_ok = opts.azure_account.empty() || opts.azure_account == c.account;
  const bool cs_account_ok = cs.account == c.account;
  if (env_account_ok && !opts.azure_key.empty()) c.key = opts.azure_key;
  else if (cs_account_ok && !cs.key.empty()) c.key = cs.key;
  if (env_account_ok && !opts.azure_sas_token.empty()) {
    const std::string& s = opts.azure_sas_token.reveal();
    c.sas = SecretString(s.starts_with('?') ? s.substr(1) : s);
  } else if (cs_account_ok && !cs.sas.empty()) {
    c.sas = cs.sas;
  }
  if (c.key.empty() && c.sas.empty())
    return Error{Errc::auth, fmt::format("no credentials for Azure account '{}': set AZURE_STORAGE_KEY, "
                                         "AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING",
                                         c.account)};
  if (!c.key.empty() && !c.sas.empty()) c.sas = SecretString{};  // the key signs everything
  if (!opts.azure_endpoint.empty()) c.endpoint = opts.azure_endpoint;
  else if (cs_account_ok && !cs.blob_endpoint.empty()) c.endpoint = cs.blob_endpoint;
  else c.endpoint = fmt::format("{}://{}.blob.{}", cs_account_ok ? cs.protocol : "https", c.account,
                                cs_account_ok ? cs.suffix : "core.windows.net");
  return {};
}

Result<std::unique_ptr<Backend>> open(Config c) {
  if (!valid_account(c.account))
    return Error{Errc::usage, fmt::format("invalid Azure storage account name '{}'", c.account)};
  CAIRN_TRY_ASSIGN(auto ep, curl::parse_endpoint(c.endpoint));
  Bytes key;
  if (!c.key.empty()) {
    auto decoded = from_base64(c.key.reveal());
    if (!decoded || decoded->empty())
      return Error{Errc::auth, fmt::format("the key of Azure account '{}' is not valid base64", c.account)};
    key = std::move(*decoded);
  } else if (c.sas.empty()) {
    return Error{Errc::auth, fmt::format("no credentials for Azure account '{}'", c.account)};
  }
  c.block_size = std::max<std::uint64_t>(c.block_size, 1u << 20);
  return std::unique_ptr<Backend>(std::make_unique<AzureBackend>(std::move(c), std::move(ep), std::move(key)));
}

}  // namespace cairn::backend::azure
