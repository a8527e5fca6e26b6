// lib/backend/azure/sharedkey.hpp: Azure Storage "SharedKey" request signing and connection
// strings. The string to sign (service versions 2009-09-19 and later):
//   VERB \n Content-Encoding \n Content-Language \n Content-Length (empty when 0) \n
//   Content-MD5 \n Content-Type \n Date (empty: x-ms-date is sent) \n If-Modified-Since \n
//   If-Match \n If-None-Match \n If-Unmodified-Since \n Range \n
//   every x-ms-* header, lower-cased and sorted, "name:value\n"
//   "/" account <URL path as sent>, then per query parameter sorted by lower-cased name
//   "\nname:v1,v2" (values percent-decoded and sorted).
// With path-style (emulator) URLs the account therefore appears twice: /acct/acct/container/blob.
// Depends on: base, hash (HMAC-SHA-256). Threads: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/remote.hpp"
#include "base/bytes.hpp"
#include "base/result.hpp"

namespace cairn::backend::azure {

using Params = std::vector<std::pair<std::string, std::string>>;

struct SignInput {
  std::string_view method;
  std::string_view account;
  std::string_view path;   // the URL path as sent (percent-encoded)
  std::string_view query;  // the URL query as sent, without '?'
  Params headers;          // the request's headers, lower-case names (content-length too)
};

// Errc::bad_input for a malformed percent-escape in the query.
Result<std::string> string_to_sign(const SignInput& in);
// "SharedKey <account>:<base64 HMAC-SHA256(key, string to sign)>"; `key` is the decoded key.
Result<std::string> authorization(const SignInput& in, ByteView key);

struct ConnectionString {
  std::string account;
  SecretString key;  // base64, as given
  SecretString sas;  // without a leading '?'
  std::string blob_endpoint;
  std::string protocol = "https";
  std::string suffix = "core.windows.net";
};
// "Name=value;Name=value;..." (values may contain '='). Errc::usage when malformed.
Result<ConnectionString> parse_connection_string(std::string_view s);

}  // namespace cairn::backend::azure
