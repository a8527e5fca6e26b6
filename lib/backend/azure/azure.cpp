#include "backend/azure/azure.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "backend/azure/sharedkey.hpp"
#include "backend/object_store.hpp"
#include "base/time.hpp"
#include "hash/sha256.hpp"

namespace cairn::backend::azure {

namespace {

constexpr std::uint64_t kMaxBlocks = 50'000;

Result<std::string> md5_base64(const net::Body& body) {
  hash::Md5 h;
  CAIRN_TRY(body.for_each_piece([&](ByteView piece) { h.update(piece); }));
  return to_base64(h.finish());
}

class AzureBackend final : public ObjectStore {
 public:
  AzureBackend(Config c, net::Endpoint ep, Bytes key)
      : ObjectStore(c.http, c.prefix, "x-ms-range"),
        c_(std::move(c)),
        ep_(std::move(ep)),
        key_(std::move(key)) {}
  ~AzureBackend() override { std::fill(key_.begin(), key_.end(), std::uint8_t{0}); }

  std::string location() const override {
    std::string s = fmt::format("azure://{}/{}", c_.account, c_.container);
    if (!c_.prefix.empty()) s += "/" + c_.prefix;
    return s;
  }

 private:
  Result<Page> list_page(const std::string& prefix, const std::optional<std::string>& marker,
                         std::string_view what) override {
    Call call;
    call.query = {{"restype", "container"}, {"comp", "list"}, {"prefix", prefix}};
    if (marker) call.query.emplace_back("marker", *marker);
    if (c_.list_page_size) call.query.emplace_back("maxresults", std::to_string(c_.list_page_size));
    CAIRN_TRY_ASSIGN(auto r, send(std::move(call), what));
    if (r.status != 200) return net::http_error(r, what);
    CAIRN_TRY_ASSIGN(auto page, parse_list(as_chars(r.body)));
    return Page{std::move(page.blobs), std::move(page.next_marker)};
  }

  Status upload(const Key& k, const net::Body& body, bool no_replace) override {
    const std::string what = fmt::format("cannot put '{}'", display(k));
    if (body.size() > c_.multipart_threshold) return upload_blocks(k, body, no_replace, what);
    Call call;
    call.method = "PUT";
    call.name = object_name(k);
    call.body = body;
    call.body_md5 = true;
    call.headers.emplace_back("x-ms-blob-type", "BlockBlob");
    if (no_replace) call.headers.emplace_back("if-none-match", "*");
    CAIRN_TRY_ASSIGN(auto r, send(std::move(call), what));
    if (r.status == 201) return {};
    if (no_replace && (r.status == 409 || r.status == 412)) return exists_error(k);
    return net::http_error(r, what);
  }

  Status upload_blocks(const Key& k, const net::Body& body, bool no_replace,
                       const std::string& what) {
    const std::uint64_t block =
        std::max(c_.block_size, (body.size() + kMaxBlocks - 1) / kMaxBlocks);
    const std::string tag = net::random_hex(16);  // ids of this upload only, all the same length
    std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    unsigned number = 0;
    for (std::uint64_t off = 0; off < body.size(); off += block, ++number) {
      const std::string id = to_base64(as_bytes(fmt::format("{}-{:06}", tag, number)));
      Call put;
      put.method = "PUT";
      put.name = object_name(k);
      put.query = {{"comp", "block"}, {"blockid", id}};
      put.body = body.slice(off, block);
      put.body_md5 = true;
      const std::string part_what = fmt::format("{} (block {})", what, number);
      CAIRN_TRY_ASSIGN(auto r, send(std::move(put), part_what));
      if (r.status != 201) return net::http_error(r, part_what);
      xml += fmt::format("<Latest>{}</Latest>", id);
    }
    xml += "</BlockList>";
    Call commit;
    commit.method = "PUT";
    commit.name = object_name(k);
    commit.query = {{"comp", "blocklist"}};
    commit.body = net::Body::memory(as_bytes(xml));
    commit.body_md5 = true;
    commit.headers.emplace_back("content-type", "application/xml");
    if (no_replace) commit.headers.emplace_back("if-none-match", "*");
    CAIRN_TRY_ASSIGN(auto r, send(std::move(commit), what));
    if (r.status == 201) return {};
    if (no_replace && (r.status == 409 || r.status == 412)) return exists_error(k);
    return net::http_error(r, what);
  }

  Result<net::Response> send(Call call, std::string_view what) override {
    std::string path = ep_.path + "/" + net::uri_encode(c_.container, false);
    if (!call.name.empty()) path += "/" + net::uri_encode(call.name, true);
    std::string query;
    for (const auto& [name, value] : call.query) {
      if (!query.empty()) query.push_back('&');
      query += net::uri_encode(name, false) + "=" + net::uri_encode(value, false);
    }
    if (!c_.sas.empty()) {
      if (!query.empty()) query.push_back('&');
      query += c_.sas.reveal();
    }
    Params headers = std::move(call.headers);
    headers.emplace_back("x-ms-date",
                         format_rfc5322(static_cast<std::int64_t>(std::time(nullptr)), "GMT"));
    headers.emplace_back("x-ms-version", std::string(kApiVersion));
    if (call.body_md5) {
      CAIRN_TRY_ASSIGN(auto md5, md5_base64(call.body));
      headers.emplace_back("content-md5", std::move(md5));
    }
    std::vector<std::string> lines;
    for (const auto& [name, value] : headers) lines.push_back(fmt::format("{}: {}", name, value));
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
      lines.push_back("Authorization: " + auth);
    }
    return perform(call, ep_.origin + path + (query.empty() ? "" : "?" + query), std::move(lines),
                   what);
  }

  Config c_;
  net::Endpoint ep_;
  Bytes key_;
};

bool valid_account(std::string_view a) {
  return a.size() >= 3 && a.size() <= 24 && std::all_of(a.begin(), a.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         });
}

}  // namespace

Result<ListPage> parse_list(std::string_view xml) {
  ListPage page;
  CAIRN_TRY_ASSIGN(page.blobs, parse_entries(xml, "EnumerationResults", "an EnumerationResults",
                                             "Blob", "Name", "Content-Length"));
  auto next = net::xml_text(xml, "NextMarker");
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
  if (env_account_ok && !opts.azure_key.empty())
    c.key = opts.azure_key;
  else if (cs_account_ok && !cs.key.empty())
    c.key = cs.key;
  if (env_account_ok && !opts.azure_sas_token.empty()) {
    const std::string& s = opts.azure_sas_token.reveal();
    c.sas = SecretString(s.starts_with('?') ? s.substr(1) : s);
  } else if (cs_account_ok && !cs.sas.empty()) {
    c.sas = cs.sas;
  }
  if (c.key.empty() && c.sas.empty())
    return Error{Errc::auth,
                 fmt::format("no credentials for Azure account '{}': set AZURE_STORAGE_KEY, "
                             "AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING",
                             c.account)};
  if (!c.key.empty() && !c.sas.empty()) c.sas = SecretString{};  // the key signs everything
  if (!opts.azure_endpoint.empty())
    c.endpoint = opts.azure_endpoint;
  else if (cs_account_ok && !cs.blob_endpoint.empty())
    c.endpoint = cs.blob_endpoint;
  else
    c.endpoint = fmt::format("{}://{}.blob.{}", cs_account_ok ? cs.protocol : "https", c.account,
                             cs_account_ok ? cs.suffix : "core.windows.net");
  return {};
}

Result<std::unique_ptr<Backend>> open(Config c) {
  if (!valid_account(c.account))
    return Error{Errc::usage, fmt::format("invalid Azure storage account name '{}'", c.account)};
  CAIRN_TRY_ASSIGN(auto ep, net::parse_endpoint(c.endpoint));
  Bytes key;
  if (!c.key.empty()) {
    auto decoded = from_base64(c.key.reveal());
    if (!decoded || decoded->empty())
      return Error{Errc::auth,
                   fmt::format("the key of Azure account '{}' is not valid base64", c.account)};
    key = std::move(*decoded);
  } else if (c.sas.empty()) {
    return Error{Errc::auth, fmt::format("no credentials for Azure account '{}'", c.account)};
  }
  c.block_size = std::max<std::uint64_t>(c.block_size, 1u << 20);
  return std::unique_ptr<Backend>(
      std::make_unique<AzureBackend>(std::move(c), std::move(ep), std::move(key)));
}

}  // namespace cairn::backend::azure
