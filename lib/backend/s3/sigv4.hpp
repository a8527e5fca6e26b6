// lib/backend/s3/sigv4.hpp: AWS Signature Version 4 for S3 requests, computed in-house (no
// dependence on how a libcurl version canonicalises queries; see NOTES on curl 7.88).
// Depends on: base, hash (SHA-256, HMAC-SHA-256). Threads: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::backend::s3 {

using Params = std::vector<std::pair<std::string, std::string>>;

// The canonical query string: names and values RFC 3986-encoded (only A-Za-z0-9-_.~ left as
// they are), sorted by name then value, "name=" even without a value. Sent as is, too.
std::string canonical_query(Params params);

struct SignInput {
  std::string_view method;
  std::string_view canonical_uri;    // the path as sent (each segment encoded, '/' kept)
  std::string_view canonical_query;  // from canonical_query()
  Params headers;                    // every header to sign: lower-case names, e.g. host
  std::string_view payload_hash;     // hex SHA-256 of the body, or UNSIGNED-PAYLOAD
  std::string_view amz_date;         // YYYYMMDDTHHMMSSZ, also sent as x-amz-date
  std::string_view region;
  std::string_view service = "s3";
  std::string_view access_key;
  std::string_view secret_key;
};

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;range;x-amz-content-sha256;x-amz-date"
  std::string signature;       // hex
  std::string authorization;   // the Authorization header's value
};

Signature sign_v4(const SignInput& in);

}  // namespace cairn::backend::s3
