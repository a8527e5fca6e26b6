// The URL registry: parse_url, open_url, RemoteOptions::from_env and backend::init.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "backend/aws_profile.hpp"
#include "backend/azure/azure.hpp"
#include "backend/remote.hpp"
#include "backend/s3/s3.hpp"
#include "backend/sftp/sftp.hpp"
#include "base/env.hpp"
#include "base/units.hpp"
#include "net/http.hpp"

namespace cairn::backend {

namespace {

std::string env(const char* name) { return process_env(name).value_or(""); }

Error bad_url(std::string_view url, std::string_view why) {
  return Error{Errc::usage, fmt::format("invalid location '{}': {}", url, why)};
}

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool valid_bucket(std::string_view b) {
  return b.size() >= 3 && b.size() <= 63 && lower_alnum(b.front()) && lower_alnum(b.back()) &&
         std::all_of(b.begin(), b.end(),
                     [](char c) { return lower_alnum(c) || c == '-' || c == '.'; }) &&
         b.find("..") == std::string_view::npos;
}

bool valid_container(std::string_view b) {
  return b.size() >= 3 && b.size() <= 63 && lower_alnum(b.front()) && lower_alnum(b.back()) &&
         std::all_of(b.begin(), b.end(), [](char c) { return lower_alnum(c) || c == '-'; }) &&
         b.find("--") == std::string_view::npos;
}

// An object prefix: no empty, "." or ".." segments, no control characters; slashes trimmed.
Result<std::string> clean_prefix(std::string_view url, std::string_view p) {
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  std::string_view rest = p;
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    if (seg.empty() || seg == "." || seg == "..")
      return bad_url(url, "the prefix has an empty, '.' or '..' part");
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  }
  if (std::any_of(p.begin(), p.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return bad_url(url, "the prefix has control characters");
  return std::string(p);
}

net::Settings http_settings(const RemoteOptions& o) {
  net::Settings s;
  s.retry = o.retry;
  s.connect_timeout = o.connect_timeout;
  s.stall_timeout = o.stall_timeout;
  s.max_idle = std::max(1u, o.max_connections);
  if (o.limit_rate) s.limiter = std::make_shared<net::TokenBucket>(o.limit_rate);
  s.on_sent = o.on_sent;
  return s;
}

}  // namespace

// ---- init

Status init() { return net::init(); }

// ---- options

RemoteOptions RemoteOptions::from_env() {
  RemoteOptions o;
  o.aws_access_key_id = env("AWS_ACCESS_KEY_ID");
  o.aws_secret_access_key = SecretString(env("AWS_SECRET_ACCESS_KEY"));
  o.aws_session_token = SecretString(env("AWS_SESSION_TOKEN"));
  if (o.aws_access_key_id.empty() || o.aws_secret_access_key.empty()) {
    // As the AWS CLI: the environment's keys first, then the shared credentials file.
    const std::string named = env("AWS_SHARED_CREDENTIALS_FILE");
    const std::string profile = env("AWS_PROFILE");
    const std::string home = env("HOME");
    std::filesystem::path file = named;
    if (file.empty() && !home.empty()) file = std::filesystem::path(home) / ".aws" / "credentials";
    if (!file.empty()) {
      auto p = read_aws_profile(file, profile.empty() ? "default" : profile);
      if (p) {
        o.aws_access_key_id = std::move(p->access_key_id);
        o.aws_secret_access_key = std::move(p->secret_access_key);
        o.aws_session_token = std::move(p->session_token);
      } else if (p.error().code != Errc::not_found || !named.empty() || !profile.empty()) {
        o.aws_credentials_error = p.error().message;  // said when an s3:// URL is opened
      }
    }
  }
  if (auto r = env("AWS_REGION"); !r.empty())
    o.aws_region = r;
  else if (auto d = env("AWS_DEFAULT_REGION"); !d.empty())
    o.aws_region = d;
  o.s3_endpoint = env("CAIRN_S3_ENDPOINT");
  o.azure_account = env("AZURE_STORAGE_ACCOUNT");
  o.azure_key = SecretString(env("AZURE_STORAGE_KEY"));
  o.azure_sas_token = SecretString(env("AZURE_STORAGE_SAS_TOKEN"));
  o.azure_connection_string = SecretString(env("AZURE_STORAGE_CONNECTION_STRING"));
  o.azure_endpoint = env("CAIRN_AZURE_ENDPOINT");
  const std::string home = env("HOME");
  if (auto k = env("CAIRN_SSH_KEY"); !k.empty())
    o.ssh_key = k;
  else if (!home.empty())
    o.ssh_key = std::filesystem::path(home) / ".ssh" / "id_ed25519";
  if (auto kh = env("CAIRN_SSH_KNOWN_HOSTS"); !kh.empty())
    o.ssh_known_hosts = kh;
  else if (!home.empty())
    o.ssh_known_hosts = std::filesystem::path(home) / ".ssh" / "known_hosts";
  o.ssh_host_sha256 = env("CAIRN_SSH_HOST_SHA256");
  if (auto size = parse_size(env("CAIRN_PART_SIZE")); size && *size > 0)  // else the default
    o.multipart_threshold = o.part_size = *size;
  return o;
}

// ---- URLs

std::optional<std::string> redact_password(std::string_view url) {
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;  // a path: ':' and '@' are just bytes
  const std::string_view rest = url.substr(sep + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view userinfo = authority.substr(0, at);
  const std::string_view tail = url.substr(sep + 3 + at);  // "@host/path..."
  if (const std::size_t colon = userinfo.find(':'); colon != std::string_view::npos)
    return fmt::format("{}{}:***{}", url.substr(0, sep + 3), userinfo.substr(0, colon), tail);
  std::string lower(userinfo);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower.find("%3a") != std::string::npos)
    return fmt::format("{}***{}", url.substr(0, sep + 3), tail);
  return std::nullopt;
}

Result<Url> parse_url(std::string_view url) {
  if (auto shown = redact_password(url)) {
    const std::string_view scheme = url.substr(0, url.find("://"));
    const char* where = scheme == "s3"      ? "AWS_SECRET_ACCESS_KEY (with AWS_ACCESS_KEY_ID)"
                        : scheme == "azure" ? "AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN"
                        : scheme == "sftp"  ? "a key file (--ssh-key or CAIRN_SSH_KEY)"
                                            : "the environment (see cairn-push(1))";
    return Error{Errc::usage,
                 fmt::format("destination URL carries a password: put it in {} instead ('{}')",
                             where, *shown)};
  }
  Url u;
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    if (url.empty()) return bad_url(url, "it is empty");
    u.scheme = Url::Scheme::file;
    u.path = std::string(url);
    return u;
  }
  const std::string_view scheme = url.substr(0, sep);
  const std::string_view rest = url.substr(sep + 3);
  if (scheme == "file") {
    std::string_view p = rest;
    if (p.starts_with("localhost/")) p.remove_prefix(9);
    if (!p.starts_with('/'))
      return bad_url(url, "a file:// URL names an absolute path (file:///dir)");
    auto decoded = net::uri_decode(p);
    if (!decoded) return bad_url(url, "malformed percent-escape");
    u.scheme = Url::Scheme::file;
    u.path = std::move(*decoded);
    return u;
  }
  if (scheme == "s3") {
    const std::size_t slash = rest.find('/');
    u.scheme = Url::Scheme::s3;
    u.bucket = std::string(rest.substr(0, slash));
    if (!valid_bucket(u.bucket))
      return bad_url(url, fmt::format("'{}' is not a valid bucket name", u.bucket));
    if (slash != std::string_view::npos) {
      CAIRN_TRY_ASSIGN(u.path, clean_prefix(url, rest.substr(slash + 1)));
    }
    return u;
  }
  if (scheme == "azure") {
    u.scheme = Url::Scheme::azure;
    const std::size_t s1 = rest.find('/');
    u.account = std::string(rest.substr(0, s1));
    if (u.account.size() < 3 || u.account.size() > 24 ||
        !std::all_of(u.account.begin(), u.account.end(), lower_alnum))
      return bad_url(url, fmt::format("'{}' is not a valid storage account name", u.account));
    if (s1 == std::string_view::npos)
      return bad_url(url, "expected azure://account/container[/prefix]");
    const std::string_view after = rest.substr(s1 + 1);
    const std::size_t s2 = after.find('/');
    u.bucket = std::string(after.substr(0, s2));
    if (!valid_container(u.bucket))
      return bad_url(url, fmt::format("'{}' is not a valid container name", u.bucket));
    if (s2 != std::string_view::npos) {
      CAIRN_TRY_ASSIGN(u.path, clean_prefix(url, after.substr(s2 + 1)));
    }
    return u;
  }
  if (scheme == "sftp") {
    u.scheme = Url::Scheme::sftp;
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos)
      return bad_url(url, "expected sftp://[user@]host[:port]/path");
    std::string_view auth = rest.substr(0, slash);
    if (const std::size_t at = auth.rfind('@'); at != std::string_view::npos) {
      auto user = net::uri_decode(auth.substr(0, at));
      if (!user || user->empty() || user->find_first_of(":/\n") != std::string::npos)
        return bad_url(url, "a bad user name (a password in the URL is not accepted)");
      u.user = std::move(*user);
      auth = auth.substr(at + 1);
    }
    std::string_view port;
    if (auth.starts_with('[')) {
      const std::size_t close = auth.find(']');
      if (close == std::string_view::npos) return bad_url(url, "an unclosed '[' in the host");
      u.host = std::string(auth.substr(1, close - 1));
      const std::string_view after = auth.substr(close + 1);
      if (!after.empty()) {
        if (after[0] != ':') return bad_url(url, "unexpected text after the host");
        port = after.substr(1);
      }
    } else {
      const std::size_t colon = auth.find(':');
      u.host = std::string(auth.substr(0, colon));
      if (colon != std::string_view::npos) port = auth.substr(colon + 1);
    }
    if (u.host.empty()) return bad_url(url, "no host");
    if (std::any_of(u.host.begin(), u.host.end(), [](char c) {
          return !(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                   c == ':' || c == '_');
        }))
      return bad_url(url, fmt::format("'{}' is not a host name", u.host));
    if (!port.empty()) {
      unsigned v = 0;
      auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
      if (ec != std::errc{} || p != port.data() + port.size() || v == 0 || v > 65535)
        return bad_url(url, fmt::format("'{}' is not a port", port));
      u.port = static_cast<std::uint16_t>(v);
    }
    auto path = net::uri_decode(rest.substr(slash));
    if (!path) return bad_url(url, "malformed percent-escape");
    if (path->find('\0') != std::string::npos || path->find('\n') != std::string::npos)
      return bad_url(url, "the path has control characters");
    if (*path == "/~") *path = "/~/";
    u.path = std::move(*path);
    return u;
  }
  return bad_url(url, fmt::format("unsupported scheme '{}' (file, s3, sftp, azure)", scheme));
}

std::string canonical_name(std::string_view url) {
  auto u = parse_url(url);
  if (!u || u->scheme != Url::Scheme::file) return std::string(url);
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(u->path, ec);
  if (ec) return std::string(url);
  p = p.lexically_normal();
  std::string s = p.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return "file://" + s;
}

Capabilities capabilities(std::string_view url) {
  auto u = parse_url(url);
  Capabilities c;
  c.object_lock = u && u->scheme == Url::Scheme::s3;
  return c;
}

Result<std::unique_ptr<Backend>> open_url(std::string_view url, const RemoteOptions& opts) {
  CAIRN_TRY_ASSIGN(Url u, parse_url(url));
  switch (u.scheme) {
    case Url::Scheme::file: return open_local(u.path, opts.create, opts.limit_rate);
    case Url::Scheme::s3: {
      if (!opts.aws_credentials_error.empty())
        return Error{Errc::auth,
                     fmt::format("no credentials for '{}': {}", url, opts.aws_credentials_error)};
      s3::Config c;
      c.bucket = u.bucket;
      c.prefix = u.path;
      c.endpoint = opts.s3_endpoint;
      c.region = opts.aws_region;
      c.access_key = opts.aws_access_key_id;
      c.secret_key = opts.aws_secret_access_key;
      c.session_token = opts.aws_session_token;
      c.multipart_threshold = opts.multipart_threshold;
      c.part_size = opts.part_size;
      c.list_page_size = opts.list_page_size;
      c.storage_class = opts.s3_storage_class;
      c.object_lock_mode = opts.s3_object_lock_mode;
      c.retain_until = opts.s3_retain_until;
      c.http = http_settings(opts);
      return s3::open(std::move(c));
    }
    case Url::Scheme::azure: {
      azure::Config c;
      c.account = u.account;
      c.container = u.bucket;
      c.prefix = u.path;
      c.multipart_threshold = opts.multipart_threshold;
      c.block_size = opts.part_size;
      c.list_page_size = opts.list_page_size;
      c.http = http_settings(opts);
      CAIRN_TRY(azure::resolve_credentials(opts, c));
      return azure::open(std::move(c));
    }
    case Url::Scheme::sftp: {
      sftp::Config c;
      c.host = u.host;
      c.port = u.port;
      c.path = u.path;
      c.http = http_settings(opts);
      CAIRN_TRY(sftp::resolve_credentials(opts, u.user, c));
      return sftp::open(std::move(c));
    }
  }
  return Error{Errc::internal, "unknown url scheme"};
}

}  // namespace cairn::backend
