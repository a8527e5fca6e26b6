// lib/net/http.hpp: the one place that drives libcurl for the S3, Azure and SFTP backends. A
// Client keeps a pool of easy handles (each keeps its connections alive between requests),
// performs one attempt of a Request and hands back the Response; Retrying decorates any
// Transport with the retry policy; make_client builds the two for a Settings.
// Depends on: base, io, libcurl. Threads: perform is thread-safe (one handle per call).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "net/rate.hpp"

namespace cairn::net {

// Wraps curl_global_init (not thread-safe before libcurl 7.84): call once from main, via
// backend::init() (ops::init_process). Safe to call more than once.
Status init();

struct RetryPolicy {
  unsigned attempts = 5;                       // tries in all, 1 = no retry
  std::chrono::milliseconds first_delay{250};  // doubled after each failure, +-50% jitter
  std::chrono::milliseconds max_delay{8000};
};

// The bytes of an upload: none, a memory buffer, or a range of an open local file. Readable
// at any position, so a retried request (or libcurl rewinding) can send them again.
class Body {
 public:
  Body() = default;
  static Body memory(ByteView b);
  static Body file(int fd, std::uint64_t offset, std::uint64_t size, std::string name);
  std::uint64_t size() const { return size_; }
  // The sub-range [offset, offset+n) of this body (for multipart uploads).
  Body slice(std::uint64_t offset, std::uint64_t n) const;
  // Reads min(out.size(), size()-pos) bytes at `pos`; short only at the end.
  Result<std::size_t> read_at(std::uint64_t pos, MutByteView out) const;
  // Streams the body through `fn` in pieces of at most 1 MiB (hashing before an upload).
  Status for_each_piece(const std::function<void(ByteView)>& fn) const;

 private:
  ByteView mem_;
  int fd_ = -1;
  std::uint64_t offset_ = 0;
  std::uint64_t size_ = 0;
  std::string name_;
};

struct Request {
  // HTTP: GET, HEAD, PUT, POST, DELETE. SFTP: GET (download, or a listing when the URL
  // ends in '/'), PUT (upload), HEAD (stat, or run `quote` only).
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;    // "Name: value"
  Body body;                           // PUT and POST
  std::string range;                   // SFTP only: "first-last" or "first-"
  std::vector<std::string> quote;      // SFTP commands before the transfer
  std::vector<std::string> postquote;  // ... and after it
  bool create_dirs = false;            // SFTP upload: create missing parent directories
  std::size_t max_response = 0;        // refuse a larger response body; 0 = no limit
  std::size_t expect_size = 0;         // a hint to reserve the response body
};

struct Response {
  long status = 0;  // HTTP status; 0 for SFTP
  // A libcurl result the caller must interpret (SFTP: kRemoteNotFound, kQuoteFailed,
  // kPastTheEnd, 73 exists, 70 disk full); 0 when all went well.
  int curl_code = 0;
  std::string curl_error;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  // SFTP: the text libcurl reports as headers (a quote command's answer, e.g. "statvfs"'s
  // "f_bsize: 4096" lines); at most 64 KiB.
  std::string sftp_text;
  Bytes body;
  std::int64_t content_length = -1;  // what the server announced (SFTP stat: the size)
  std::optional<std::string_view> header(std::string_view lower_name) const;
};

// The values of Response::curl_code that SFTP callers tell apart (CURLE_*, checked in http.cpp).
inline constexpr int kQuoteFailed = 21;     // CURLE_QUOTE_ERROR: a quote command failed
inline constexpr int kPastTheEnd = 36;      // CURLE_BAD_DOWNLOAD_RESUME: an offset past the end
inline constexpr int kRemoteNotFound = 78;  // CURLE_REMOTE_FILE_NOT_FOUND

// Settings applied to every request of a Client.
struct Settings {
  bool sftp = false;
  RetryPolicy retry;  // applied by make_client's Retrying decorator, not by Client
  std::chrono::milliseconds connect_timeout{30'000};
  std::chrono::seconds stall_timeout{120};
  unsigned max_idle = 4;  // easy handles (and their connections) kept between requests
  // --limit-rate: every upload body goes through `limiter` (shared by all the transfers to
  // one destination), and each transfer is also capped with CURLOPT_MAX_SEND_SPEED_LARGE.
  std::shared_ptr<TokenBucket> limiter;
  std::function<void(std::uint64_t)> on_sent;  // each piece of an upload body (progress)
  // SFTP only.
  std::string ssh_user;
  std::string ssh_key;          // private key file
  std::string ssh_pubkey;       // public key file, or "" to derive it from the private key
  std::string ssh_host_sha256;  // base64 without '=' padding, or ""
  std::string ssh_known_hosts;  // a known_hosts file, used when ssh_host_sha256 is ""
};

// Something that performs a Request: a Client, or a decorator over one.
class Transport {
 public:
  virtual ~Transport() = default;
  // Errors: Errc::network (a connection failure, time out or dropped transfer), Errc::auth (a
  // refused login, host key or permission), Errc::io (a local read of the body failed, or a
  // response over max_response). Any HTTP status comes back as a Response. `what` names the
  // subject in messages (never the URL: it may carry a SAS token).
  virtual Result<Response> perform(const Request& r, std::string_view what) = 0;
};

// One attempt per perform, on a pooled easy handle.
class Client final : public Transport {
 public:
  explicit Client(Settings s);
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<Response> perform(const Request& r, std::string_view what) override;

 private:
  struct Handle;
  Handle* acquire();
  void release(Handle* h);
  Result<Response> attempt(Handle& h, const Request& r, std::string_view what);

  Settings s_;
  std::mutex mu_;
  std::vector<Handle*> idle_;
};

// Retries what `inner` performs while it fails with Errc::network or answers HTTP
// 408/429/5xx, with exponential backoff; the last failure says "(tried N times)".
class Retrying final : public Transport {
 public:
  Retrying(std::unique_ptr<Transport> inner, RetryPolicy p) : inner_(std::move(inner)), p_(p) {}
  Result<Response> perform(const Request& r, std::string_view what) override;

 private:
  std::unique_ptr<Transport> inner_;
  RetryPolicy p_;
};

// A Client for `s`, retried per s.retry.
std::unique_ptr<Transport> make_client(Settings s);

// The Error for an HTTP response that is not a success: 401/403 -> auth, 404 -> not_found,
// 408/429/5xx -> network, others -> io; the message carries the status and, when the body is
// S3/Azure error XML, its <Code> and <Message>: "<what>: HTTP 403 SignatureDoesNotMatch: ...".
Error http_error(const Response& r, std::string_view what);

// Ranged reads, shared by the S3 and Azure backends (Backend::get semantics). The value of a
// Range header for [offset, offset + length) (length 0: to the end); nullopt for the whole
// object.
std::optional<std::string> range_value(std::uint64_t offset, std::uint64_t length);
// A GET's bytes for that range: 206 as sent; 416 none (the range starts at or past the end);
// 200 whole, with the range cut out here when the server ignored Range; else http_error.
Result<Bytes> ranged_body(Response r, std::uint64_t offset, std::uint64_t length,
                          std::string_view what);

// An HTTP(S) endpoint URL split for request building: "http://127.0.0.1:9000/base" gives
// origin "http://127.0.0.1:9000", host "127.0.0.1:9000" (the Host header), path "/base".
struct Endpoint {
  std::string origin;
  std::string host;
  std::string path;  // "" or "/..." without a trailing '/'
};
// Errc::usage unless http:// or https:// with a host, and no query or fragment.
Result<Endpoint> parse_endpoint(std::string_view url);

// RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash).
std::string uri_encode(std::string_view s, bool keep_slash);
// Percent-decoding; nullopt on a malformed escape.
std::optional<std::string> uri_decode(std::string_view s);

// Minimal XML reading for S3 and Azure responses (flat, well-formed, no CDATA): the inner
// text of each element named `name` in `xml`, in order; and of the first one.
std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view name);
std::optional<std::string> xml_text(std::string_view xml, std::string_view name);  // unescaped
std::string xml_escape(std::string_view s);
std::string xml_unescape(std::string_view s);

// A random lower-case hex string (temporary names, block ids).
std::string random_hex(std::size_t n);

}  // namespace cairn::net
