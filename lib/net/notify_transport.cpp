// The webhook and SMTP transports for lib/notify: one libcurl easy handle per call, one
// attempt, CURLOPT_TIMEOUT_MS over the whole exchange. (Not net::Client: an alert wants a
// total time limit rather than retries and a stall timeout, and SMTP needs its own options.)
#include "net/notify_transport.hpp"

#include <curl/curl.h>
#include <string.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "base/chandle.hpp"
#include "net/easy.hpp"
#include "net/http.hpp"

namespace cairn::net {

namespace {

using Easy = CHandle<CURL, &curl_easy_cleanup>;
constexpr std::size_t kMaxAnswer = 64u << 10;  // what a webhook answers is read, up to this

struct Source {
  std::string_view data;
  std::size_t pos = 0;
};

size_t read_cb(char* buf, size_t size, size_t nitems, void* userp) {
  auto* s = static_cast<Source*>(userp);
  const std::size_t n = std::min(size * nitems, s->data.size() - s->pos);
  std::memcpy(buf, s->data.data() + s->pos, n);
  s->pos += n;
  return n;
}

size_t answer_cb(char* ptr, size_t size, size_t nmemb, void* userp) {
  auto* out = static_cast<Bytes*>(userp);
  const std::size_t n = size * nmemb;
  const std::size_t keep = std::min(n, kMaxAnswer - std::min(kMaxAnswer, out->size()));
  out->insert(out->end(), reinterpret_cast<const std::uint8_t*>(ptr),
              reinterpret_cast<const std::uint8_t*>(ptr) + keep);
  return n;  // the rest is read and dropped: the status is what counts
}

// "what: detail", or the detail alone when the caller names the subject itself (what = "").
std::string said(std::string_view what, std::string_view detail) {
  return what.empty() ? std::string(detail) : fmt::format("{}: {}", what, detail);
}

// A libcurl failure as an Error (STYLE.md C3: converted here, once).
Error curl_failure(CURLcode rc, const char* errbuf, std::string_view what) {
  const std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
  Errc code = Errc::io;
  switch (classify(rc, false)) {
    case Outcome::transient: code = Errc::network; break;
    case Outcome::auth: code = Errc::auth; break;
    case Outcome::ok:
    case Outcome::result:
    case Outcome::failed: break;  // a refused upload, a garbled answer, ...: io
  }
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return Error{code, said(what, fmt::format("timed out ({})", detail))};
  return Error{code, said(what, detail)};
}

void common_options(CURL* c, char* errbuf, std::chrono::milliseconds timeout) {
  const long total = static_cast<long>(std::max<std::int64_t>(1, timeout.count()));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, total);  // for SMTP this covers EHLO and AUTH too
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
}

// smtp://HOST[:PORT]: is HOST this machine (localhost, 127.x.y.z, [::1])?
bool loopback_host(std::string_view server) {
  std::string_view rest = server.substr(server.find("://") + 3);
  if (const auto at = rest.find('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  rest = rest.substr(0, rest.find('/'));
  if (rest.starts_with("[::1]")) return true;
  rest = rest.substr(0, rest.find(':'));
  if (rest == "localhost") return true;
  // A numeric IPv4 address in 127/8 only: "127.mail.example.org" is a name, not loopback.
  if (!rest.starts_with("127.")) return false;
  int dots = 0;
  for (char c : rest) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  return dots == 3;
}

}  // namespace

Status http_post(std::string_view url, std::string_view content_type, std::string_view body,
                 std::chrono::milliseconds timeout, std::string_view what,
                 std::string_view authorization) {
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    return Error{Errc::usage, said(what, "not an http:// or https:// URL")};
  Easy easy(curl_easy_init());
  if (!easy) return Error{Errc::internal, said(what, "cannot create a libcurl handle")};
  CURL* c = easy.get();
  char errbuf[CURL_ERROR_SIZE] = {};
  const std::string u(url);
  Slist headers;
  CAIRN_TRY(append_slist(headers, fmt::format("Content-Type: {}", content_type)));
  CAIRN_TRY(append_slist(headers, "Expect:"));  // no 100-continue round trip
  if (!authorization.empty()) {
    std::string h = fmt::format("Authorization: {}", authorization);
    const Status added = append_slist(headers, h);
    ::explicit_bzero(h.data(), h.size());
    CAIRN_TRY(added);
  }
  Bytes answer;
  common_options(c, errbuf, timeout);
  curl_easy_setopt(c, CURLOPT_URL, u.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "cairn");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, answer_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return curl_failure(rc, errbuf, what);
  net::Response resp;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  if (resp.status >= 200 && resp.status < 300) return {};
  resp.body = std::move(answer);
  Error e = net::http_error(resp, "-");  // "-: HTTP 500 ...": the subject is ours to name
  e.message = said(what, std::string_view(e.message).substr(3));
  return e;
}

Status smtp_send(const MailSubmission& m, std::string_view message,
                 std::chrono::milliseconds timeout, std::string_view what) {
  const bool smtps = m.server.starts_with("smtps://");
  if (!smtps && !m.server.starts_with("smtp://"))
    return Error{Errc::usage, said(what, "not an smtp:// or smtps:// server")};
  if (m.to.empty()) return Error{Errc::usage, said(what, "no recipient")};
  Easy easy(curl_easy_init());
  if (!easy) return Error{Errc::internal, said(what, "cannot create a libcurl handle")};
  CURL* c = easy.get();
  char errbuf[CURL_ERROR_SIZE] = {};
  Slist rcpt;
  for (const auto& to : m.to) CAIRN_TRY(append_slist(rcpt, "<" + to + ">"));
  const std::string from = "<" + m.from + ">";
  Source src{message, 0};
  common_options(c, errbuf, timeout);
  curl_easy_setopt(c, CURLOPT_URL, m.server.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c, CURLOPT_READDATA, &src);
  const bool credentials = !m.user.empty();
  if (!smtps) {
    // STARTTLS when offered; a password is never sent in the clear to another host.
    const bool require = credentials && !loopback_host(m.server);
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     static_cast<long>(require ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  }
  if (credentials) {
    curl_easy_setopt(c, CURLOPT_USERNAME, m.user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, m.password.reveal().c_str());
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return {};
  // A refused sender or recipient (550 ...) or message (554 ...) is permanent: the target is
  // wrong, not the network. libcurl reports those as various codes; the SMTP reply tells.
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  const std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
  if (rc == CURLE_LOGIN_DENIED || reply == 534 || reply == 535)
    return Error{Errc::auth, said(what, fmt::format("the server refused the login of '{}': {}",
                                                    m.user, detail))};
  if (reply == 530)
    return Error{Errc::auth,
                 said(what, fmt::format("the server requires a login (set CAIRN_SMTP_USER and "
                                        "CAIRN_SMTP_PASSWORD_FILE): {}",
                                        detail))};
  if (reply >= 500 && reply < 600)
    return Error{Errc::bad_input,
                 said(what, fmt::format("the server answered {}: {}", reply, detail))};
  return curl_failure(rc, errbuf, what);
}

}  // namespace cairn::net
