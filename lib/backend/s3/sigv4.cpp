#include "backend/s3/sigv4.hpp"

#include <string.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/bytes.hpp"
#include "hash/sha256.hpp"
#include "net/http.hpp"

namespace cairn::backend::s3 {

namespace {

// Trims and folds runs of spaces, as the canonical headers want.
std::string fold(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

hash::Sha256Digest hmac(ByteView key, std::string_view msg) {
  return hash::hmac_sha256(key, as_bytes(msg));
}

}  // namespace

std::string canonical_query(Params params) {
  for (auto& [k, v] : params) {
    k = net::uri_encode(k, false);
    v = net::uri_encode(v, false);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

Signature sign_v4(const SignInput& in) {
  Signature s;
  Params headers = in.headers;
  for (auto& [k, v] : headers) {
    std::transform(k.begin(), k.end(), k.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    v = fold(v);
  }
  std::sort(headers.begin(), headers.end());
  std::string canonical_headers;
  for (const auto& [k, v] : headers) {
    canonical_headers += fmt::format("{}:{}\n", k, v);
    if (!s.signed_headers.empty()) s.signed_headers.push_back(';');
    s.signed_headers += k;
  }
  s.canonical_request =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}", in.method, in.canonical_uri, in.canonical_query,
                  canonical_headers, s.signed_headers, in.payload_hash);
  const std::string_view day = in.amz_date.substr(0, 8);
  const std::string scope = fmt::format("{}/{}/{}/aws4_request", day, in.region, in.service);
  s.string_to_sign = fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", in.amz_date, scope,
                                 to_hex(hash::sha256(as_bytes(s.canonical_request))));
  std::string first = "AWS4";
  first.append(in.secret_key);
  auto k_date = hmac(as_bytes(first), day);
  ::explicit_bzero(first.data(), first.size());
  auto k_region = hmac(k_date, in.region);
  auto k_service = hmac(k_region, in.service);
  auto k_signing = hmac(k_service, "aws4_request");
  s.signature = to_hex(hmac(k_signing, s.string_to_sign));
  for (auto* k : {&k_date, &k_region, &k_service, &k_signing})
    ::explicit_bzero(k->data(), k->size());
  s.authorization = fmt::format("AWS4-HMAC-SHA256 Credential={}/{},SignedHeaders={},Signature={}",
                                in.access_key, scope, s.signed_headers, s.signature);
  return s;
}

}  // namespace cairn::backend::s3
