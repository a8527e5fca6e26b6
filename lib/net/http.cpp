// The libcurl driver: handle pool, request options, retries and the mapping of libcurl
// results onto Errc.
#include "net/http.hpp"

#include <curl/curl.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "base/chandle.hpp"
#include "net/easy.hpp"

namespace cairn::net {

namespace {

constexpr std::size_t kPiece = 1u << 20;

// ---- callbacks

struct ReadState {
  const Body* body = nullptr;
  std::uint64_t pos = 0;
  Status error;
  TokenBucket* limiter = nullptr;
  const std::function<void(std::uint64_t)>* on_sent = nullptr;
};

size_t read_cb(char* buf, size_t size, size_t nitems, void* userp) {
  auto* st = static_cast<ReadState*>(userp);
  const std::size_t want = size * nitems;
  auto n = st->body->read_at(st->pos, MutByteView(reinterpret_cast<std::uint8_t*>(buf), want));
  if (!n) {
    st->error = std::move(n).error();
    return CURL_READFUNC_ABORT;
  }
  st->pos += *n;
  if (st->limiter) st->limiter->take(*n);
  if (st->on_sent && *st->on_sent && *n) (*st->on_sent)(*n);
  return *n;
}

int seek_cb(void* userp, curl_off_t offset, int origin) {
  auto* st = static_cast<ReadState*>(userp);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::uint64_t>(offset) > st->body->size())
    return CURL_SEEKFUNC_FAIL;
  st->pos = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

struct WriteState {
  Bytes* out = nullptr;
  std::size_t max = 0;
  bool over = false;
};

size_t write_cb(char* ptr, size_t size, size_t nmemb, void* userp) {
  auto* st = static_cast<WriteState*>(userp);
  const std::size_t n = size * nmemb;
  if (st->max != 0 && st->out->size() + n > st->max) {
    st->over = true;
    return 0;  // CURLE_WRITE_ERROR
  }
  st->out->insert(st->out->end(), reinterpret_cast<const std::uint8_t*>(ptr),
                  reinterpret_cast<const std::uint8_t*>(ptr) + n);
  return n;
}

size_t header_cb(char* buf, size_t size, size_t nitems, void* userp) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(userp);
  const std::size_t n = size * nitems;
  std::string_view line(buf, n);
  if (line.starts_with("HTTP/")) {  // a new response (after 100 Continue, or a retry): start over
    headers->clear();
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  headers->emplace_back(std::move(name), std::string(value));
  return n;
}

size_t text_cb(char* buf, size_t size, size_t nitems, void* userp) {
  auto* text = static_cast<std::string*>(userp);
  const std::size_t n = size * nitems;
  constexpr std::size_t kMaxText = 64u << 10;
  text->append(buf, std::min(n, kMaxText - std::min(kMaxText, text->size())));
  return n;
}

int ssh_key_cb(CURL*, const curl_khkey*, const curl_khkey*, curl_khmatch match, void*) {
  return match == CURLKHMATCH_OK ? CURLKHSTAT_FINE : CURLKHSTAT_REJECT;
}

static_assert(kQuoteFailed == CURLE_QUOTE_ERROR && kPastTheEnd == CURLE_BAD_DOWNLOAD_RESUME &&
              kRemoteNotFound == CURLE_REMOTE_FILE_NOT_FOUND);

bool transient_status(long status) { return status == 408 || status == 429 || status >= 500; }

std::string auth_message(CURLcode rc, const Settings& s, std::string_view detail) {
  if (rc == CURLE_PEER_FAILED_VERIFICATION && s.sftp)
    return fmt::format("the server's host key is unknown or does not match the pinned one ({}): {}",
                       s.ssh_host_sha256.empty() ? "known_hosts '" + s.ssh_known_hosts + "'"
                                                 : std::string("CAIRN_SSH_HOST_SHA256"),
                       detail);
  if (rc == CURLE_LOGIN_DENIED && s.sftp)
    return fmt::format("the server refused the login of '{}' with key '{}': {}", s.ssh_user,
                       s.ssh_key, detail);
  return std::string(detail);
}

}  // namespace

Status append_slist(Slist& list, const std::string& s) {
  curl_slist* n = curl_slist_append(list.get(), s.c_str());
  if (!n) return Error{Errc::internal, "out of memory building a request"};
  (void)list.release();
  list.reset(n);
  return {};
}

// ---- classification of libcurl results

Outcome classify(CURLcode rc, bool sftp) {
  switch (rc) {
    case CURLE_OK: return Outcome::ok;
    case CURLE_FAILED_INIT:  // libcurl's answer to a failed SSH handshake (banner, key exchange)
      return sftp ? Outcome::transient : Outcome::failed;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_USE_SSL_FAILED:  // SMTP: STARTTLS required but refused
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_AGAIN:
    case CURLE_SSH:  // libssh2 session failures: a dropped or reset connection, mostly
      return Outcome::transient;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_LOGIN_DENIED:
    case CURLE_REMOTE_ACCESS_DENIED:
    case CURLE_AUTH_ERROR: return Outcome::auth;
    case CURLE_REMOTE_FILE_NOT_FOUND:
    case CURLE_QUOTE_ERROR:
    case CURLE_BAD_DOWNLOAD_RESUME:
    case CURLE_RANGE_ERROR:
    case CURLE_REMOTE_FILE_EXISTS:
    case CURLE_REMOTE_DISK_FULL:
    case CURLE_UPLOAD_FAILED: return Outcome::result;
    default: return Outcome::failed;
  }
}

Status init() {
  const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK)
    return Error{Errc::internal,
                 fmt::format("cannot initialise libcurl: {}", curl_easy_strerror(rc))};
  return {};
}

// ---- Body

Body Body::memory(ByteView b) {
  Body out;
  out.mem_ = b;
  out.size_ = b.size();
  return out;
}

Body Body::file(int fd, std::uint64_t offset, std::uint64_t size, std::string name) {
  Body out;
  out.fd_ = fd;
  out.offset_ = offset;
  out.size_ = size;
  out.name_ = std::move(name);
  return out;
}

Body Body::slice(std::uint64_t offset, std::uint64_t n) const {
  Body out = *this;
  offset = std::min(offset, size_);
  n = std::min(n, size_ - offset);
  out.size_ = n;
  if (fd_ >= 0)
    out.offset_ = offset_ + offset;
  else
    out.mem_ = mem_.subspan(static_cast<std::size_t>(offset), static_cast<std::size_t>(n));
  return out;
}

Result<std::size_t> Body::read_at(std::uint64_t pos, MutByteView out) const {
  if (pos >= size_) return std::size_t{0};
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size_ - pos));
  if (fd_ < 0) {
    std::copy_n(mem_.begin() + static_cast<std::ptrdiff_t>(pos), n, out.begin());
    return n;
  }
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r =
        ::pread(fd_, out.data() + got, n - got, static_cast<off_t>(offset_ + pos + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, fmt::format("cannot read '{}'", name_));
    }
    if (r == 0)
      return Error{Errc::io,
                   fmt::format("cannot read '{}': it shrank while being uploaded", name_)};
    got += static_cast<std::size_t>(r);
  }
  return n;
}

Status Body::for_each_piece(const std::function<void(ByteView)>& fn) const {
  if (fd_ < 0) {
    for (std::uint64_t pos = 0; pos < size_; pos += kPiece)
      fn(mem_.subspan(static_cast<std::size_t>(pos),
                      static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, size_ - pos))));
    return {};
  }
  Bytes buf(static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, size_)));
  for (std::uint64_t pos = 0; pos < size_;) {
    CAIRN_TRY_ASSIGN(std::size_t n, read_at(pos, buf));
    fn(ByteView(buf).first(n));
    pos += n;
  }
  return {};
}

std::optional<std::string_view> Response::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return std::string_view(v);
  return std::nullopt;
}

// ---- Client

struct Client::Handle {
  CURL* easy = nullptr;
  char errbuf[CURL_ERROR_SIZE] = {};
  ~Handle() {
    if (easy) curl_easy_cleanup(easy);
  }
};

Client::Client(Settings s) : s_(std::move(s)) {}

Client::~Client() {
  for (Handle* h : idle_) delete h;
}

Client::Handle* Client::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      Handle* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  auto* h = new Handle;
  h->easy = curl_easy_init();
  if (!h->easy) {
    delete h;
    return nullptr;
  }
  return h;
}

void Client::release(Handle* h) {
  std::lock_guard lock(mu_);
  if (idle_.size() < std::max(1u, s_.max_idle))
    idle_.push_back(h);
  else
    delete h;
}

Result<Response> Client::perform(const Request& r, std::string_view what) {
  Handle* h = acquire();
  if (!h) return Error{Errc::internal, fmt::format("{}: cannot create a libcurl handle", what)};
  auto res = attempt(*h, r, what);
  // A broken connection goes with its handle. So does an SFTP session after a read past the
  // end: libcurl 7.88 leaves that file handle open, and only closing the session frees it.
  const bool dropped = !res && res.error().code == Errc::network;
  if (dropped || (res && res->curl_code == CURLE_BAD_DOWNLOAD_RESUME))
    delete h;
  else
    release(h);
  return res;
}

Result<Response> Retrying::perform(const Request& r, std::string_view what) {
  const unsigned attempts = std::max(1u, p_.attempts);
  std::chrono::milliseconds delay = p_.first_delay;
  for (unsigned i = 1;; ++i) {
    auto res = inner_->perform(r, what);
    // SFTP answers carry no HTTP status (0): only their network failures are retried.
    const bool transient = res ? transient_status(res->status) : res.error().code == Errc::network;
    if (!transient || i >= attempts) {
      if (!res && res.error().code == Errc::network && attempts > 1)
        res.error().message += fmt::format(" (tried {} times)", attempts);
      return res;
    }
    std::random_device rd;
    const double jitter = 0.5 + static_cast<double>(rd() % 1001) / 1000.0;  // 0.5 .. 1.5
    std::this_thread::sleep_for(std::chrono::milliseconds(
        static_cast<std::int64_t>(static_cast<double>(delay.count()) * jitter)));
    delay = std::min(delay * 2, p_.max_delay);
  }
}

std::unique_ptr<Transport> make_client(Settings s) {
  const RetryPolicy retry = s.retry;
  return std::make_unique<Retrying>(std::make_unique<Client>(std::move(s)), retry);
}

Result<Response> Client::attempt(Handle& h, const Request& r, std::string_view what) {
  CURL* c = h.easy;
  curl_easy_reset(c);  // keeps the live connections
  h.errbuf[0] = '\0';
  Response resp;
  WriteState ws{&resp.body, r.max_response, false};
  ReadState rs{&r.body, 0, {}, s_.limiter.get(), &s_.on_sent};
  if (r.expect_size) resp.body.reserve(r.expect_size);
  Slist headers, quote, postquote;

  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h.errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(s_.stall_timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &ws);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c, CURLOPT_READDATA, &rs);
  curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_cb);
  curl_easy_setopt(c, CURLOPT_SEEKDATA, &rs);
  const auto body_size = static_cast<curl_off_t>(r.body.size());
  if (s_.limiter && s_.limiter->rate() > 0)
    curl_easy_setopt(c, CURLOPT_MAX_SEND_SPEED_LARGE, static_cast<curl_off_t>(s_.limiter->rate()));

  if (s_.sftp) {
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "sftp");
    curl_easy_setopt(c, CURLOPT_USERNAME, s_.ssh_user.c_str());
    curl_easy_setopt(c, CURLOPT_SSH_AUTH_TYPES, static_cast<long>(CURLSSH_AUTH_PUBLICKEY));
    curl_easy_setopt(c, CURLOPT_SSH_PRIVATE_KEYFILE, s_.ssh_key.c_str());
    curl_easy_setopt(c, CURLOPT_SSH_PUBLIC_KEYFILE, s_.ssh_pubkey.c_str());
    if (!s_.ssh_host_sha256.empty()) {
      curl_easy_setopt(c, CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256, s_.ssh_host_sha256.c_str());
    } else {
      curl_easy_setopt(c, CURLOPT_SSH_KNOWNHOSTS, s_.ssh_known_hosts.c_str());
      curl_easy_setopt(c, CURLOPT_SSH_KEYFUNCTION, ssh_key_cb);
    }
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, text_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.sftp_text);
    curl_easy_setopt(c, CURLOPT_NEW_FILE_PERMS, 0600L);
    curl_easy_setopt(c, CURLOPT_NEW_DIRECTORY_PERMS, 0700L);
    if (r.method == "PUT") {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, body_size);
      if (r.create_dirs)
        curl_easy_setopt(c, CURLOPT_FTP_CREATE_MISSING_DIRS, static_cast<long>(CURLFTP_CREATE_DIR));
    } else if (r.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (!r.range.empty()) {
      curl_easy_setopt(c, CURLOPT_RANGE, r.range.c_str());
    }
    for (const auto& q : r.quote) CAIRN_TRY(append_slist(quote, q));
    for (const auto& q : r.postquote) CAIRN_TRY(append_slist(postquote, q));
    if (quote) curl_easy_setopt(c, CURLOPT_QUOTE, quote.get());
    if (postquote) curl_easy_setopt(c, CURLOPT_POSTQUOTE, postquote.get());
  } else {
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
    bool has_content_type = false;
    for (const auto& hd : r.headers) {
      CAIRN_TRY(append_slist(headers, hd));
      if (hd.size() >= 13 && strncasecmp(hd.c_str(), "content-type:", 13) == 0)
        has_content_type = true;
    }
    if (r.method == "GET") {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else if (r.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (r.method == "PUT") {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, body_size);
      CAIRN_TRY(append_slist(headers, "Expect:"));  // no 100-continue round trip
    } else if (r.method == "POST") {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, body_size);
      CAIRN_TRY(append_slist(headers, "Expect:"));
      if (!has_content_type) CAIRN_TRY(append_slist(headers, "Content-Type:"));  // no form type
    } else {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  }

  const CURLcode rc = curl_easy_perform(c);
  curl_off_t cl = -1;
  curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
  resp.content_length = cl;
  if (!s_.sftp) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  const std::string detail =
      h.errbuf[0] ? std::string(h.errbuf) : std::string(curl_easy_strerror(rc));

  switch (classify(rc, s_.sftp)) {
    case Outcome::ok: return resp;
    case Outcome::result:
      if (!s_.sftp) break;
      resp.curl_code = static_cast<int>(rc);
      resp.curl_error = detail;
      return resp;
    case Outcome::transient: return Error{Errc::network, fmt::format("{}: {}", what, detail)};
    case Outcome::auth:
      return Error{Errc::auth, fmt::format("{}: {}", what, auth_message(rc, s_, detail))};
    case Outcome::failed: break;
  }
  if (!rs.error) return std::move(rs.error).error().wrap(what);
  if (ws.over)
    return Error{Errc::io, fmt::format("{}: the response is larger than the {} bytes expected",
                                       what, ws.max)};
  return Error{Errc::io, fmt::format("{}: {}", what, detail)};
}

std::optional<std::string> range_value(std::uint64_t offset, std::uint64_t length) {
  if (offset == 0 && length == 0) return std::nullopt;
  const std::uint64_t last = length == 0 || offset + length < offset ? 0 : offset + length - 1;
  return last ? fmt::format("bytes={}-{}", offset, last) : fmt::format("bytes={}-", offset);
}

Result<Bytes> ranged_body(Response r, std::uint64_t offset, std::uint64_t length,
                          std::string_view what) {
  if (r.status == 416) return Bytes{};
  if (r.status == 206) return std::move(r.body);
  if (r.status != 200) return http_error(r, what);
  if (offset == 0 && length == 0) return std::move(r.body);
  const Bytes& all = r.body;  // the server ignored Range and sent everything
  if (offset >= all.size()) return Bytes{};
  const std::uint64_t n =
      length == 0 ? all.size() - offset : std::min<std::uint64_t>(length, all.size() - offset);
  return Bytes(all.begin() + static_cast<std::ptrdiff_t>(offset),
               all.begin() + static_cast<std::ptrdiff_t>(offset + n));
}

}  // namespace cairn::net
