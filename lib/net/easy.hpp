// lib/net/easy.hpp (net's own, not for other modules): what the Client and the alert
// transports share of libcurl: the one reading of a libcurl result, and header lists.
// Depends on: base, libcurl. Threads: pure.
#pragma once

#include <curl/curl.h>

#include <string>

#include "base/chandle.hpp"
#include "base/result.hpp"

namespace cairn::net {

using Slist = CHandle<curl_slist, &curl_slist_free_all>;

// Appends `s` to `list` (Errc::internal when out of memory).
Status append_slist(Slist& list, const std::string& s);

// ok; transient: the network failed (Errc::network, worth another try); auth: a refused
// login, host key or permission (Errc::auth); result: an SFTP answer the caller interprets
// (Response::curl_code); failed: anything else (Errc::io).
enum class Outcome { ok, transient, auth, result, failed };

// `sftp`: CURLE_FAILED_INIT is then a failed SSH handshake (banner, key exchange): transient.
Outcome classify(CURLcode rc, bool sftp);

}  // namespace cairn::net
