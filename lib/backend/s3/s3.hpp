// lib/backend/s3/s3.hpp: the S3 backend (AWS S3 and S3-compatible servers). Objects live at
// <prefix>/<Key::path()> in one bucket. put = one PUT (atomic on S3), or a multipart upload
// above the threshold (aborted on failure; uploads of the same key left behind by a killed
// run are found with ListMultipartUploads and aborted before a new one starts); every body
// goes with its real SHA-256 in x-amz-content-sha256 and its Content-MD5, which S3 verifies.
// get uses Range; list is ListObjectsV2.
// Depends on: backend, net, backend/s3/sigv4. Threads: the backend is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend.hpp"
#include "backend/remote.hpp"
#include "net/http.hpp"

namespace cairn::backend::s3 {

inline constexpr std::uint64_t kMinPartSize = 5ull << 20;  // S3's minimum for all but the last
inline constexpr std::uint64_t kMaxParts = 10'000;

struct Config {
  std::string bucket;
  std::string prefix;    // no leading or trailing '/'
  std::string endpoint;  // "scheme://host[:port][/path]": path-style there; "" = AWS
  std::string region = "us-east-1";
  std::string access_key;
  SecretString secret_key;
  SecretString session_token;
  std::uint64_t multipart_threshold = 64ull << 20;
  std::uint64_t part_size = 16ull << 20;
  unsigned list_page_size = 0;  // max-keys; 0 = the server's default (1000)
  // Uploads of content-addressed objects (pack, index, set, hold) carry these (RemoteOptions).
  std::string storage_class;  // x-amz-storage-class; "" = none
  std::string object_lock_mode = "COMPLIANCE";
  std::optional<std::int64_t> retain_until;  // Unix seconds: Object Lock headers when set
  net::Settings http;
};

// The headers an upload of `kind` carries for `c` (lower-case names): storage class and
// Object Lock mode and retain-until date ("2027-01-31T00:00:00Z"), for content-addressed
// kinds only. Errc::usage for a mode other than COMPLIANCE or GOVERNANCE (any case).
Result<std::vector<std::pair<std::string, std::string>>> upload_headers(const Config& c, Kind kind);

Result<std::unique_ptr<Backend>> open(Config c);

// One page of a ListObjectsV2 answer.
struct ListPage {
  std::vector<std::pair<std::string, std::uint64_t>> objects;  // key, size
  std::optional<std::string> next_token;                       // set when truncated
};
Result<ListPage> parse_list(std::string_view xml);

// The part size a multipart upload of `size` bytes uses: `wanted`, raised to 5 MiB and to
// what keeps the count within 10,000 parts.
std::uint64_t part_size_for(std::uint64_t size, std::uint64_t wanted);

}  // namespace cairn::backend::s3
