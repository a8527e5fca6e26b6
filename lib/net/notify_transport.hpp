// lib/net/notify_transport.hpp: the two network transports of lib/notify (alerts): an
// HTTP(S) POST of a small body (a webhook) and an SMTP submission of one RFC 5322 message,
// both through libcurl, which only lib/net may include. Each call is one attempt with a
// hard time limit on the whole exchange (connect, TLS, request, answer), so a cron job never
// hangs on an alert; nothing is retried.
// Depends on: base, libcurl. Threads: each call uses its own handle; call net::init()
// (ops::init_process) first.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "net/secret.hpp"

namespace cairn::net {

// POSTs `body` to an http:// or https:// `url` with the given Content-Type; a 2xx answer is
// success. Errors (the message starts with "`what`: " unless `what` is empty; it must not
// hold the URL's secrets):
// Errc::network (unreachable, refused, timed out, HTTP 408/429/5xx), Errc::auth (HTTP
// 401/403, a TLS peer that fails verification), Errc::not_found (404), Errc::io (any other
// status or failure), Errc::usage (not an http(s) URL). `authorization`, when not empty, is
// sent as the Authorization header's value (a secret: never in a message).
Status http_post(std::string_view url, std::string_view content_type, std::string_view body,
                 std::chrono::milliseconds timeout, std::string_view what,
                 std::string_view authorization = {});

struct MailSubmission {
  // smtp://host[:port] (STARTTLS when the server offers it; required when credentials are
  // given and the host is not the loopback) or smtps://host[:port] (TLS from the start).
  std::string server;
  std::string from;             // envelope sender (MAIL FROM), a bare address
  std::vector<std::string> to;  // envelope recipients (RCPT TO), bare addresses
  std::string user;             // SMTP AUTH, when not empty
  SecretString password;
};

// Sends `message` (a complete RFC 5322 message with CRLF line ends) through the server.
// Errors as for http_post; a recipient or sender the server refuses is Errc::bad_input,
// a refused login Errc::auth.
Status smtp_send(const MailSubmission& m, std::string_view message,
                 std::chrono::milliseconds timeout, std::string_view what);

}  // namespace cairn::net
