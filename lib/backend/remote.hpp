// lib/backend/remote.hpp: opening a backend by URL (file://, bare paths, s3://, sftp://,
// azure://), the options remote backends take (credentials from the environment, never argv),
// and backend::init() for the process-wide libcurl state.
//   file:///abs/path, /abs/path, rel/path        a local directory (open_local)
//   s3://bucket[/prefix]                          AWS S3 or an S3-compatible endpoint (SigV4)
//   sftp://[user@]host[:port]/abs/path            SFTP over libssh2, host key pinned
//   sftp://[user@]host[:port]/~/rel/path          ... relative to the login's home
//   azure://account/container[/prefix]            Azure Blob Storage (SharedKey or SAS)
// Every remote request is retried on network failures (connection refused or dropped, time
// out, HTTP 408/429/5xx) with exponential backoff; 401/403 and a refused host key or login
// map to Errc::auth, a missing object to Errc::not_found, the rest of the network to
// Errc::network.
// Depends on: base, io, hash (SHA-256/HMAC/MD5 for request signing), net (libcurl).
// Threads: the returned backends are thread-safe; init() must run before any thread starts.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "backend/backend.hpp"
#include "base/result.hpp"
#include "net/http.hpp"
#include "net/secret.hpp"

namespace cairn::backend {

// net::init() (curl_global_init, not thread-safe before libcurl 7.84): call once from main,
// via ops::init_process(). Safe to call more than once.
Status init();

using net::RetryPolicy;
using net::SecretString;

struct RemoteOptions {
  // S3: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, else the profile
  // AWS_PROFILE (default "default") of AWS_SHARED_CREDENTIALS_FILE (default
  // ~/.aws/credentials; aws_profile.hpp); AWS_REGION (else
  // AWS_DEFAULT_REGION, else us-east-1), CAIRN_S3_ENDPOINT (e.g. http://127.0.0.1:9000: then
  // path-style URLs on that endpoint; otherwise https://<bucket>.s3.<region>.amazonaws.com).
  std::string aws_access_key_id;
  SecretString aws_secret_access_key;
  SecretString aws_session_token;
  // Why the credentials file or profile named could not be used (a missing default file is
  // no error); opening an s3:// URL then fails with it (Errc::auth).
  std::string aws_credentials_error;
  std::string aws_region = "us-east-1";
  std::string s3_endpoint;
  // Azure: AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_KEY (base64), or AZURE_STORAGE_SAS_TOKEN, or
  // AZURE_STORAGE_CONNECTION_STRING (AccountName, AccountKey, SharedAccessSignature,
  // BlobEndpoint, DefaultEndpointsProtocol, EndpointSuffix); CAIRN_AZURE_ENDPOINT overrides
  // the blob endpoint (the emulator's is http://127.0.0.1:10000/devstoreaccount1).
  std::string azure_account;
  SecretString azure_key;
  SecretString azure_sas_token;
  SecretString azure_connection_string;
  std::string azure_endpoint;
  // SFTP: CAIRN_SSH_KEY (default ~/.ssh/id_ed25519; ed25519 or ECDSA: Debian 12's libssh2
  // signs RSA only with SHA-1, which OpenSSH 9 refuses), and the host key pin: either
  // CAIRN_SSH_HOST_SHA256 (base64 SHA-256 of the host key, as `ssh-keygen -lf` prints it,
  // with or without "SHA256:") or CAIRN_SSH_KNOWN_HOSTS (default ~/.ssh/known_hosts).
  // Without a pin, sftp:// is refused.
  std::filesystem::path ssh_key;
  std::filesystem::path ssh_known_hosts;
  std::string ssh_host_sha256;
  // S3 uploads of content-addressed objects (packs, index files, sets, holds): the storage
  // class (x-amz-storage-class, e.g. STANDARD_IA, GLACIER_IR; "" = the bucket's default) and
  // Object Lock: with `s3_retain_until` (Unix seconds) set, x-amz-object-lock-mode
  // (`s3_object_lock_mode`: COMPLIANCE or GOVERNANCE) and x-amz-object-lock-retain-until-date.
  // The bucket must have Object Lock enabled; S3 then requires Content-MD5, which every
  // upload carries.
  std::string s3_storage_class;
  std::string s3_object_lock_mode = "COMPLIANCE";
  std::optional<std::int64_t> s3_retain_until;
  // Every backend: at most this many bytes a second sent to the destination, over all its
  // parallel transfers together (0 = no limit). Remote backends: a shared token bucket plus
  // CURLOPT_MAX_SEND_SPEED_LARGE; a local directory: objects are copied in through the bucket.
  std::uint64_t limit_rate = 0;
  // Remote backends: called with the size of each piece of an upload body as libcurl takes
  // it (progress; a retried request counts again). Any thread; must be cheap.
  std::function<void(std::uint64_t)> on_sent;
  // Every remote.
  RetryPolicy retry;
  std::chrono::milliseconds connect_timeout{30'000};
  std::chrono::seconds stall_timeout{120};  // a transfer below 1 byte/s this long fails
  // CAIRN_PART_SIZE (bytes, or with a K, M or G suffix) sets both: objects larger than it go
  // up in parts of that size.
  std::uint64_t multipart_threshold = 64ull << 20;  // larger objects go up in parts
  std::uint64_t part_size = 16ull << 20;            // S3: at least 5 MiB (S3's own minimum)
  unsigned max_connections = 4;
  unsigned list_page_size = 0;  // names per listing request; 0 = the service's maximum
  // file:// and bare paths only: create the directory and its layout (open_local's create).
  bool create = false;

  // Everything above that comes from the environment, read now.
  static RemoteOptions from_env();
};

// A parsed repository URL. For s3, `bucket` is the bucket; for azure, `account` and
// `bucket` (the container); `path` is the local path, the sftp path (percent-decoded, "/~/"
// for home-relative) or the object prefix (no leading or trailing '/').
struct Url {
  enum class Scheme : std::uint8_t { file, s3, sftp, azure };
  Scheme scheme = Scheme::file;
  std::string user;
  std::string host;
  std::uint16_t port = 0;  // 0 = the default
  std::string account;
  std::string bucket;
  std::string path;
};

// Errc::usage for a malformed URL or an unknown scheme. Never contacts anything.
// A URL whose userinfo carries a password ("sftp://user:pw@host/", "s3://key:secret@bucket",
// any scheme) is refused before anything else is said about it: "destination URL carries a
// password: put it in VARIABLE instead (URL)", the URL shown with its userinfo's password
// replaced by "***" (redact_password): no message ever repeats the password.
Result<Url> parse_url(std::string_view url);

// What the backend a URL names supports, known without contacting it. `object_lock`: uploads
// can carry a retention (RemoteOptions::s3_retain_until). A malformed URL supports nothing.
struct Capabilities {
  bool object_lock = false;
};
Capabilities capabilities(std::string_view url);

// `url` with the password of its userinfo replaced by "***" ("sftp://user:***@host/p"; the
// whole userinfo when the separator is percent-encoded); nullopt when it carries none.
std::optional<std::string> redact_password(std::string_view url);

// The name under which the catalog records a destination: a local directory (a bare path or
// file://) as file:// and its absolute, lexically normal path, so "dest", "./dest/" and
// "file:///x/dest" name one destination; any other URL as given. Never contacts anything.
std::string canonical_name(std::string_view url);

// Opens the backend a URL names. Remote backends check their configuration here (credentials
// present, an SFTP host key pinned, a key file readable) and contact the server only on the
// first operation.
Result<std::unique_ptr<Backend>> open_url(std::string_view url, const RemoteOptions& opts);

}  // namespace cairn::backend
