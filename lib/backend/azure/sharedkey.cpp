#include "backend/azure/sharedkey.hpp"

#include <algorithm>
#include <array>
#include <map>

#include <fmt/format.h>

#include "hash/sha256.hpp"
#include "net/http.hpp"

namespace cairn::backend::azure {

namespace {

constexpr std::array<std::string_view, 11> kStandard{"content-encoding",
                                                     "content-language",
                                                     "content-length",
                                                     "content-md5",
                                                     "content-type",
                                                     "date",
                                                     "if-modified-since",
                                                     "if-match",
                                                     "if-none-match",
                                                     "if-unmodified-since",
                                                     "range"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<std::string> string_to_sign(const SignInput& in) {
  std::map<std::string, std::string> h;
  for (const auto& [k, v] : in.headers) h[lower(k)] = std::string(trim(v));
  std::string out(in.method);
  out.push_back('\n');
  for (std::string_view name : kStandard) {
    auto it = h.find(std::string(name));
    std::string value = it == h.end() ? "" : it->second;
    if (name == "content-length" && value == "0") value.clear();
    out += value;
    out.push_back('\n');
  }
  for (const auto& [k, v] : h)  // std::map: sorted by name
    if (k.starts_with("x-ms-")) out += fmt::format("{}:{}\n", k, v);
  out += fmt::format("/{}{}", in.account, in.path.empty() ? "/" : in.path);
  std::map<std::string, std::vector<std::string>> params;
  std::string_view q = in.query;
  while (!q.empty()) {
    const std::size_t amp = q.find('&');
    const std::string_view piece = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    auto name = net::uri_decode(piece.substr(0, eq));
    auto value =
        net::uri_decode(eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1));
    if (!name || !value)
      return Error{Errc::bad_input, "malformed percent-escape in a request query"};
    params[lower(*name)].push_back(std::move(*value));
  }
  for (auto& [k, values] : params) {
    std::sort(values.begin(), values.end());
    out += fmt::format("\n{}:{}", k, fmt::join(values, ","));
  }
  return out;
}

Result<std::string> authorization(const SignInput& in, ByteView key) {
  CAIRN_TRY_ASSIGN(std::string text, string_to_sign(in));
  return fmt::format("SharedKey {}:{}", in.account,
                     to_base64(hash::hmac_sha256(key, as_bytes(text))));
}

Result<ConnectionString> parse_connection_string(std::string_view s) {
  ConnectionString cs;
  bool protocol_set = false;
  while (!s.empty()) {
    const std::size_t semi = s.find(';');
    const std::string_view piece = trim(s.substr(0, semi));
    s = semi == std::string_view::npos ? std::string_view{} : s.substr(semi + 1);
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return Error{Errc::usage,
                   "malformed AZURE_STORAGE_CONNECTION_STRING: expected Name=value pairs"};
    const std::string name = lower(trim(piece.substr(0, eq)));
    const std::string value(trim(piece.substr(eq + 1)));
    if (name == "accountname")
      cs.account = value;
    else if (name == "accountkey")
      cs.key = SecretString(value);
    else if (name == "sharedaccesssignature")
      cs.sas = SecretString(value.starts_with('?') ? value.substr(1) : value);
    else if (name == "blobendpoint")
      cs.blob_endpoint = value;
    else if (name == "defaultendpointsprotocol") {
      cs.protocol = value;
      protocol_set = true;
    } else if (name == "endpointsuffix")
      cs.suffix = value;
  }
  if (protocol_set && cs.protocol != "http" && cs.protocol != "https")
    return Error{Errc::usage,
                 "malformed AZURE_STORAGE_CONNECTION_STRING: DefaultEndpointsProtocol must be http "
                 "or https"};
  return cs;
}

}  // namespace cairn::backend::azure
