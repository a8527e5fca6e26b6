#include "backend/s3/s3.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>

#include "backend/object_store.hpp"
#include "backend/s3/sigv4.hpp"
#include "base/time.hpp"
#include "hash/sha256.hpp"

namespace cairn::backend::s3 {

namespace {

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct BodyDigests {
  std::string sha256_hex;  // x-amz-content-sha256 (S3 verifies it)
  std::string md5_base64;  // Content-MD5 (S3 verifies it; Object Lock buckets require it)
};

// One pass over the body for both digests.
Result<BodyDigests> digests(const net::Body& body) {
  hash::Sha256 sha;
  hash::Md5 md5;
  CAIRN_TRY(body.for_each_piece([&](ByteView piece) {
    sha.update(piece);
    md5.update(piece);
  }));
  return BodyDigests{to_hex(sha.finish()), to_base64(md5.finish())};
}

// Virtual-hosted style needs a bucket name that is a valid DNS label chain without dots
// (dots break the wildcard TLS certificate).
bool vhost_compatible(std::string_view b) {
  return b.find('.') == std::string_view::npos && !b.empty() &&
         std::all_of(b.begin(), b.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

class S3Backend final : public ObjectStore {
 public:
  S3Backend(Config c, net::Endpoint ep, bool path_style)
      : ObjectStore(c.http, c.prefix, "range"),
        c_(std::move(c)),
        ep_(std::move(ep)),
        path_style_(path_style) {}

  std::string location() const override {
    return c_.prefix.empty() ? "s3://" + c_.bucket
                             : fmt::format("s3://{}/{}", c_.bucket, c_.prefix);
  }

 private:
  Status upload(const Key& k, const net::Body& body, bool no_replace) override {
    const std::string what = fmt::format("cannot put '{}'", display(k));
    if (no_replace) {  // servers without conditional PUT (If-None-Match below) still refuse
      auto info = stat(k);
      if (info && info->has_value()) return exists_error(k);
      if (!info && info.error().code != Errc::auth) return std::move(info).error();
    }
    CAIRN_TRY_ASSIGN(auto extra, upload_headers(c_, k.kind));
    if (body.size() > c_.multipart_threshold)
      return multipart(k, body, no_replace, what, std::move(extra));
    Call call;
    call.method = "PUT";
    call.name = object_name(k);
    call.body = body;
    call.headers = std::move(extra);
    if (no_replace) call.headers.emplace_back("if-none-match", "*");
    CAIRN_TRY_ASSIGN(auto r, send(std::move(call), what));
    if (r.status == 200) return {};
    if (no_replace && (r.status == 412 || r.status == 409)) return exists_error(k);
    return net::http_error(r, what);
  }

  Result<Page> list_page(const std::string& prefix, const std::optional<std::string>& token,
                         std::string_view what) override {
    Call call;
    call.query = {{"list-type", "2"}, {"prefix", prefix}};
    if (token) call.query.emplace_back("continuation-token", *token);
    if (c_.list_page_size) call.query.emplace_back("max-keys", std::to_string(c_.list_page_size));
    CAIRN_TRY_ASSIGN(auto r, send(std::move(call), what));
    if (r.status != 200) return net::http_error(r, what);
    CAIRN_TRY_ASSIGN(auto page, parse_list(as_chars(r.body)));
    return Page{std::move(page.objects), std::move(page.next_token)};
  }

  // Multipart uploads of `key` that a killed run left behind (they cost storage until
  // aborted): listed with ListMultipartUploads and aborted. Best effort: a server without
  // the call (s3rver answers 501) or a refusal leaves them, and the upload goes on.
  void abort_stale(const std::string& key, const std::string& what) {
    Call list;
    list.query = {{"prefix", key}, {"uploads", ""}};
    auto r = send(std::move(list), what);
    if (!r || r->status != 200) return;
    for (std::string_view up : net::xml_elements(as_chars(r->body), "Upload")) {
      auto k = net::xml_text(up, "Key");
      auto id = net::xml_text(up, "UploadId");
      if (!k || *k != key || !id || id->empty()) continue;
      Call abort;
      abort.method = "DELETE";
      abort.name = key;
      abort.query = {{"uploadId", *id}};
      (void)send(std::move(abort), what);
    }
  }

  Status multipart(const Key& k, const net::Body& body, bool no_replace, const std::string& what,
                   Params extra) {
    const std::string key = object_name(k);
    abort_stale(key, what);
    Call init;
    init.method = "POST";
    init.name = key;
    init.query = {{"uploads", ""}};
    init.headers = std::move(extra);
    CAIRN_TRY_ASSIGN(auto r, send(std::move(init), what));
    if (r.status != 200) return net::http_error(r, what);
    auto upload_id = net::xml_text(as_chars(r.body), "UploadId");
    if (!upload_id || upload_id->empty())
      return Error{Errc::network, fmt::format("{}: the server sent no upload id", what)};
    auto st = upload_parts(key, *upload_id, body, no_replace, what, display(k));
    if (!st) {
      Call abort;  // best effort: a leftover upload costs storage, not correctness
      abort.method = "DELETE";
      abort.name = key;
      abort.query = {{"uploadId", *upload_id}};
      (void)send(std::move(abort), what);
    }
    return st;
  }

  Status upload_parts(const std::string& key, const std::string& upload_id, const net::Body& body,
                      bool no_replace, const std::string& what, const std::string& name) {
    const std::uint64_t part = part_size_for(body.size(), c_.part_size);
    std::string xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    unsigned number = 1;
    for (std::uint64_t off = 0; off < body.size(); off += part, ++number) {
      Call put;
      put.method = "PUT";
      put.name = key;
      put.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
      put.body = body.slice(off, part);
      CAIRN_TRY_ASSIGN(auto r, send(std::move(put), fmt::format("{} (part {})", what, number)));
      if (r.status != 200) return net::http_error(r, fmt::format("{} (part {})", what, number));
      auto etag = r.header("etag");
      if (!etag)
        return Error{Errc::network,
                     fmt::format("{} (part {}): no ETag in the answer", what, number)};
      xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", number,
                         net::xml_escape(*etag));
    }
    xml += "</CompleteMultipartUpload>";
    Call done;
    done.method = "POST";
    done.name = key;
    done.query = {{"uploadId", upload_id}};
    done.headers.emplace_back("content-type", "application/xml");
    if (no_replace) done.headers.emplace_back("if-none-match", "*");
    done.body = net::Body::memory(as_bytes(xml));
    CAIRN_TRY_ASSIGN(auto r, send(std::move(done), what));
    // CompleteMultipartUpload can fail after its 200 status line: the error is in the body.
    if (r.status == 200 && net::xml_elements(as_chars(r.body), "Error").empty()) return {};
    if (no_replace && (r.status == 412 || r.status == 409))
      return Error{Errc::exists, fmt::format("object '{}' already exists", name)};
    if (r.status == 200) r.status = 500;
    return net::http_error(r, what);
  }

  Result<net::Response> send(Call call, std::string_view what) override {
    std::string path = ep_.path;
    if (path_style_) path += "/" + net::uri_encode(c_.bucket, false);
    if (!call.name.empty() || !path_style_) path += "/" + net::uri_encode(call.name, true);
    const std::string query = canonical_query(call.query);
    Params headers = std::move(call.headers);
    std::string payload_hash(kEmptySha256);
    if (call.body.size() != 0) {
      CAIRN_TRY_ASSIGN(auto d, digests(call.body));
      payload_hash = std::move(d.sha256_hex);
      headers.emplace_back("content-md5", std::move(d.md5_base64));
    }
    const std::string date = format_utc_basic(static_cast<std::int64_t>(std::time(nullptr)));
    headers.emplace_back("host", ep_.host);
    headers.emplace_back("x-amz-date", date);
    headers.emplace_back("x-amz-content-sha256", payload_hash);
    if (!c_.session_token.empty())
      headers.emplace_back("x-amz-security-token", c_.session_token.reveal());
    SignInput in;
    in.method = call.method;
    in.canonical_uri = path;
    in.canonical_query = query;
    in.headers = headers;
    in.payload_hash = payload_hash;
    in.amz_date = date;
    in.region = c_.region;
    in.access_key = c_.access_key;
    in.secret_key = c_.secret_key.reveal();
    const Signature sig = sign_v4(in);

    std::vector<std::string> lines;
    for (const auto& [name, value] : headers)
      if (name != "host") lines.push_back(fmt::format("{}: {}", name, value));
    lines.push_back("Authorization: " + sig.authorization);
    return perform(call, ep_.origin + path + (query.empty() ? "" : "?" + query), std::move(lines),
                   what);
  }

  Config c_;
  net::Endpoint ep_;
  bool path_style_;
};

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> upload_headers(const Config& c,
                                                                        Kind kind) {
  std::vector<std::pair<std::string, std::string>> h;
  if (!content_addressed(kind)) return h;
  if (!c.storage_class.empty()) h.emplace_back("x-amz-storage-class", c.storage_class);
  if (c.retain_until) {
    std::string mode = c.object_lock_mode;
    std::transform(mode.begin(), mode.end(), mode.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
    if (mode != "COMPLIANCE" && mode != "GOVERNANCE")
      return Error{Errc::usage,
                   fmt::format("unknown object lock mode '{}' (compliance or governance)",
                               c.object_lock_mode)};
    const std::string d = format_utc_basic(*c.retain_until);  // 20270131T000000Z
    h.emplace_back("x-amz-object-lock-mode", mode);
    h.emplace_back("x-amz-object-lock-retain-until-date",
                   fmt::format("{}-{}-{}T{}:{}:{}Z", d.substr(0, 4), d.substr(4, 2), d.substr(6, 2),
                               d.substr(9, 2), d.substr(11, 2), d.substr(13, 2)));
  }
  return h;
}

std::uint64_t part_size_for(std::uint64_t size, std::uint64_t wanted) {
  std::uint64_t part = std::max(wanted, kMinPartSize);
  const std::uint64_t least = (size + kMaxParts - 1) / kMaxParts;
  return std::max(part, least);
}

Result<ListPage> parse_list(std::string_view xml) {
  ListPage page;
  CAIRN_TRY_ASSIGN(page.objects, parse_entries(xml, "ListBucketResult", "a ListBucketResult",
                                               "Contents", "Key", "Size"));
  if (net::xml_text(xml, "IsTruncated").value_or("false") == "true") {
    page.next_token = net::xml_text(xml, "NextContinuationToken");
    if (!page.next_token || page.next_token->empty())
      return Error{Errc::network, "a truncated listing has no NextContinuationToken"};
  }
  return page;
}

Result<std::unique_ptr<Backend>> open(Config c) {
  if (c.access_key.empty() || c.secret_key.empty())
    return Error{Errc::auth,
                 fmt::format("no credentials for 's3://{}': set AWS_ACCESS_KEY_ID and "
                             "AWS_SECRET_ACCESS_KEY, or write them in ~/.aws/credentials "
                             "(AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE)",
                             c.bucket)};
  if (c.region.empty()) c.region = "us-east-1";
  c.part_size = std::max(c.part_size, kMinPartSize);
  net::Endpoint ep;
  bool path_style = true;
  if (!c.endpoint.empty()) {
    CAIRN_TRY_ASSIGN(ep, net::parse_endpoint(c.endpoint));
  } else if (vhost_compatible(c.bucket)) {
    path_style = false;
    ep.host = fmt::format("{}.s3.{}.amazonaws.com", c.bucket, c.region);
    ep.origin = "https://" + ep.host;
  } else {
    ep.host = fmt::format("s3.{}.amazonaws.com", c.region);
    ep.origin = "https://" + ep.host;
  }
  return std::unique_ptr<Backend>(
      std::make_unique<S3Backend>(std::move(c), std::move(ep), path_style));
}

}  // namespace cairn::backend::s3
