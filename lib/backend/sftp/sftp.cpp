#include "backend/sftp/sftp.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "backend/object_store.hpp"

namespace cairn::backend::sftp {

namespace {

bool is_pack_folder(std::string_view s) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  return s.size() == 2 && hex(s[0]) && hex(s[1]);
}

enum class Mode { replace, no_replace, keep_existing };

class SftpBackend final : public RemoteBackend {
 public:
  explicit SftpBackend(Config c)
      : RemoteBackend(c.http.max_idle), c_(std::move(c)), http_(net::make_client(c_.http)) {
    std::string host = c_.host.find(':') != std::string::npos ? "[" + c_.host + "]" : c_.host;
    if (c_.port != 0) host += fmt::format(":{}", c_.port);
    origin_ = "sftp://" + host;
    while (c_.path.size() > 1 && c_.path.back() == '/') c_.path.pop_back();
    root_ = c_.path == "/" ? "" : c_.path;
  }

  std::string location() const override {
    return fmt::format("sftp://{}@{}{}{}", c_.http.ssh_user, c_.host,
                       c_.port ? fmt::format(":{}", c_.port) : "", c_.path);
  }

  Status put(const Key& k, ByteView body, bool no_replace) override {
    CAIRN_TRY(check(k));
    return write(k, net::Body::memory(body), no_replace ? Mode::no_replace : Mode::replace);
  }

  Status put_file(const Key& k, const std::filesystem::path& src) override {
    CAIRN_TRY(check(k));
    CAIRN_TRY_ASSIGN(const bool stored, stored_already(k));
    if (stored) return {};
    const Mode mode = content_addressed(k.kind) ? Mode::keep_existing : Mode::replace;
    return with_file_body(src, [&](net::Body body) { return write(k, body, mode); });
  }

  Result<Bytes> get(const Key& k, std::uint64_t offset, std::uint64_t length) override {
    CAIRN_TRY(check(k));
    const std::string what = fmt::format("cannot get '{}'", display(k));
    net::Request req;
    req.url = url(remote(k));
    if (auto range = net::range_value(offset, length)) {
      req.range =
          range->substr(std::string_view("bytes=").size());  // SFTP: "first-last" or "first-"
      req.expect_size = static_cast<std::size_t>(std::min<std::uint64_t>(length, 64ull << 20));
    }
    CAIRN_TRY_ASSIGN(auto r, http_->perform(req, what));
    if (r.curl_code == 0) return std::move(r.body);
    if (r.curl_code == net::kPastTheEnd) return Bytes{};  // the offset is past the end
    return result_error(r, what);
  }

  Result<std::optional<ObjectInfo>> stat(const Key& k) override {
    CAIRN_TRY(check(k));
    const std::string what = fmt::format("cannot stat '{}'", display(k));
    net::Request req;
    req.method = "HEAD";
    req.url = url(remote(k));
    CAIRN_TRY_ASSIGN(auto r, http_->perform(req, what));
    if (r.curl_code == net::kRemoteNotFound) return std::optional<ObjectInfo>{};
    if (r.curl_code != 0) return result_error(r, what);
    // libcurl reports no length for an empty file.
    const std::uint64_t size =
        r.content_length > 0 ? static_cast<std::uint64_t>(r.content_length) : 0;
    return std::optional<ObjectInfo>{ObjectInfo{k, size}};
  }

  Status list_kind(Kind kind, const std::function<Status(const ObjectInfo&)>& each) override {
    const std::string dir = root_ + "/" + std::string(kind_dir(kind));
    CAIRN_TRY_ASSIGN(auto entries, read_dir(dir));
    if (kind != Kind::pack) return emit(entries, kind, "", each);
    for (const Entry& sub : entries) {
      if (sub.type != 'd' || !is_pack_folder(sub.name)) continue;
      CAIRN_TRY_ASSIGN(auto files, read_dir(dir + "/" + sub.name));
      CAIRN_TRY(emit(files, kind, sub.name, each));
    }
    return {};
  }

  // "statvfs ROOT" as a quote command: a server without the extension refuses it (nullopt).
  Result<std::optional<SpaceFigures>> space() override {
    const std::string what = fmt::format("cannot read the free space of '{}'", location());
    CAIRN_TRY_ASSIGN(auto r,
                     run_quote({"statvfs " + quote_path(root_.empty() ? "/" : root_)}, what));
    if (r.curl_code == net::kQuoteFailed) return std::optional<SpaceFigures>{};
    if (r.curl_code != 0) return result_error(r, what);
    return parse_statvfs(r.sftp_text);
  }

  Status remove(const Key& k) override {
    CAIRN_TRY(check(k));
    const std::string what = fmt::format("cannot remove '{}'", display(k));
    CAIRN_TRY_ASSIGN(auto r, run_quote({"rm " + quote_path(remote(k))}, what));
    if (r.curl_code == 0) return {};
    CAIRN_TRY_ASSIGN(auto info, stat(k));  // "rm" failed: fine when there was nothing to remove
    if (!info) return {};
    return result_error(r, what);
  }

 private:
  std::string remote(const Key& k) const { return root_ + "/" + k.path(); }
  std::string url(std::string_view path) const { return origin_ + net::uri_encode(path, true); }

  Error result_error(const net::Response& r, std::string_view what) const {
    const Errc code = r.curl_code == net::kRemoteNotFound ? Errc::not_found : Errc::io;
    return Error{code, fmt::format("{}: {}", what, r.curl_error)};
  }

  // Runs quote commands on their own (a NOBODY request on the root directory).
  Result<net::Response> run_quote(std::vector<std::string> cmds, std::string_view what) {
    net::Request req;
    req.method = "HEAD";
    req.url = url(root_ + "/");
    req.quote = std::move(cmds);
    return http_->perform(req, what);
  }

  void drop_temp(const std::string& tmp, std::string_view what) {
    (void)run_quote({"*rm " + quote_path(tmp)}, what);  // best effort; '*': ignore a failure
  }

  Status write(const Key& k, const net::Body& body, Mode mode) {
    const std::string what = fmt::format("cannot put '{}'", display(k));
    const std::string dst = remote(k);
    const std::string tmp = dst.substr(0, dst.rfind('/') + 1) + ".cairn-tmp-" + net::random_hex(16);
    net::Request req;
    req.method = "PUT";
    req.url = url(tmp);
    req.body = body;
    req.create_dirs = true;
    req.postquote = {"rename " + quote_path(tmp) + " " + quote_path(dst)};
    auto r = http_->perform(req, what);
    if (!r) {
      drop_temp(tmp, what);
      return std::move(r).error();
    }
    if (r->curl_code == 0) return {};
    if (r->curl_code != net::kQuoteFailed) {  // the upload itself failed
      drop_temp(tmp, what);
      return result_error(*r, what);
    }
    // Uploaded, but the rename was refused: SFTP v3 rename does not replace an existing file.
    if (mode != Mode::replace) {
      drop_temp(tmp, what);
      CAIRN_TRY_ASSIGN(auto info, stat(k));
      if (!info) return result_error(*r, what);  // refused for another reason
      if (mode == Mode::keep_existing) return {};
      return exists_error(k);
    }
    // Replace: move the old object aside, move the new one in, drop the old one; if the
    // second step fails, put the old one back.
    const std::string old = dst.substr(0, dst.rfind('/') + 1) + ".cairn-old-" + net::random_hex(16);
    CAIRN_TRY_ASSIGN(auto aside,
                     run_quote({"rename " + quote_path(dst) + " " + quote_path(old)}, what));
    CAIRN_TRY_ASSIGN(auto in,
                     run_quote({"rename " + quote_path(tmp) + " " + quote_path(dst)}, what));
    if (in.curl_code == 0) {
      if (aside.curl_code == 0) (void)run_quote({"*rm " + quote_path(old)}, what);
      return {};
    }
    if (aside.curl_code == 0)
      (void)run_quote({"rename " + quote_path(old) + " " + quote_path(dst)}, what);
    drop_temp(tmp, what);
    return result_error(in, what);
  }

  Result<std::vector<Entry>> read_dir(const std::string& dir) {
    const std::string what = fmt::format("cannot list '{}'", location() + dir.substr(root_.size()));
    net::Request req;
    req.url = url(dir + "/");
    req.max_response = 256u << 20;
    CAIRN_TRY_ASSIGN(auto r, http_->perform(req, what));
    if (r.curl_code == net::kRemoteNotFound)
      return std::vector<Entry>{};  // nothing stored of that kind yet
    if (r.curl_code != 0) return result_error(r, what);
    return parse_listing(as_chars(r.body));
  }

  static Status emit(const std::vector<Entry>& entries, Kind kind, std::string_view prefix,
                     const std::function<Status(const ObjectInfo&)>& each) {
    for (const Entry& e : entries) {
      if (e.type != '-') continue;
      Key k{kind, e.name};
      if (!k.valid() || !k.name.starts_with(prefix)) continue;  // junk or a writer's temp
      CAIRN_TRY(each(ObjectInfo{std::move(k), e.size}));
    }
    return {};
  }

  Config c_;
  std::unique_ptr<net::Transport> http_;
  std::string origin_;  // sftp://host[:port]
  std::string root_;    // the root path without a trailing '/' ("" for "/")
};

bool readable_file(const std::filesystem::path& p) {
  struct stat st {};
  return !p.empty() && ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(p.c_str(), R_OK) == 0;
}

std::string login_name() {
  if (const char* u = std::getenv("USER"); u && *u) return u;
  struct passwd pw {};
  struct passwd* out = nullptr;
  char buf[1024];
  if (::getpwuid_r(::geteuid(), &pw, buf, sizeof buf, &out) == 0 && out) return out->pw_name;
  return "root";
}

}  // namespace

std::vector<Entry> parse_listing(std::string_view text) {
  std::vector<Entry> out;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // perms links owner group size month day time-or-year name
    std::vector<std::string_view> f;
    std::size_t pos = 0;
    while (f.size() < 8 && pos < line.size()) {
      while (pos < line.size() && line[pos] == ' ') ++pos;
      const std::size_t end = line.find(' ', pos);
      if (pos >= line.size()) break;
      f.push_back(line.substr(pos, end - pos));
      pos = end == std::string_view::npos ? line.size() : end;
    }
    while (pos < line.size() && line[pos] == ' ') ++pos;
    if (f.size() < 8 || pos >= line.size() || f[0].size() < 10) continue;
    std::string_view name = line.substr(pos);
    if (f[0][0] == 'l') name = name.substr(0, name.find(" -> "));
    if (name == "." || name == "..") continue;
    Entry e;
    e.type = f[0][0];
    auto [p, ec] = std::from_chars(f[4].data(), f[4].data() + f[4].size(), e.size);
    if (ec != std::errc{} || p != f[4].data() + f[4].size()) continue;
    e.name = std::string(name);
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<SpaceFigures> parse_statvfs(std::string_view text) {
  std::map<std::string, std::uint64_t, std::less<>> f;
  bool started = false;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!started) {
      started = line == "statvfs:";
      continue;
    }
    if (line.empty()) break;  // the end of the answer
    const std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos || !line.starts_with("f_")) return std::nullopt;
    const std::string_view name = line.substr(0, colon), value = line.substr(colon + 2);
    if (!std::all_of(name.begin() + 2, name.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
      return std::nullopt;
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || ec != std::errc{} || p != value.data() + value.size()) return std::nullopt;
    if (!f.emplace(std::string(name), v).second) return std::nullopt;  // given twice
  }
  const auto get = [&](std::string_view n) -> std::optional<std::uint64_t> {
    const auto it = f.find(n);
    return it == f.end() ? std::nullopt : std::optional<std::uint64_t>(it->second);
  };
  std::optional<std::uint64_t> unit = get("f_frsize");
  if (!unit || *unit == 0) unit = get("f_bsize");
  const auto blocks = get("f_blocks"), bfree = get("f_bfree"), bavail = get("f_bavail");
  if (!unit || *unit == 0 || !blocks || !bfree || !bavail || *bfree > *blocks || *bavail > *blocks)
    return std::nullopt;
  if (*blocks > std::numeric_limits<std::uint64_t>::max() / *unit) return std::nullopt;
  return SpaceFigures{*blocks * *unit, (*blocks - *bfree) * *unit, *bavail * *unit};
}

std::string quote_path(std::string_view path) {
  // Unquoted when possible: libcurl expands a leading "/~/" only in unquoted paths.
  if (!path.empty() && path.find_first_of(" \t\"'\\") == std::string_view::npos)
    return std::string(path);
  std::string out = "\"";
  for (char c : path) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

Status resolve_credentials(const RemoteOptions& opts, std::string_view user, Config& c) {
  auto& s = c.http;
  s.sftp = true;
  s.ssh_user = user.empty() ? login_name() : std::string(user);
  if (!readable_file(opts.ssh_key))
    return Error{Errc::auth,
                 fmt::format("cannot read the ssh key '{}' for '{}' (set CAIRN_SSH_KEY)",
                             opts.ssh_key.string(), c.host)};
  s.ssh_key = opts.ssh_key.string();
  const std::filesystem::path pub = opts.ssh_key.string() + ".pub";
  s.ssh_pubkey = readable_file(pub) ? pub.string() : "";
  std::string pin = opts.ssh_host_sha256;
  if (pin.starts_with("SHA256:")) pin.erase(0, 7);
  while (!pin.empty() && pin.back() == '=') pin.pop_back();
  if (!pin.empty()) {
    const bool b64 =
        pin.size() == 43 && std::all_of(pin.begin(), pin.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '+' || ch == '/';
        });
    if (!b64)
      return Error{Errc::usage,
                   fmt::format("CAIRN_SSH_HOST_SHA256 is not a SHA-256 fingerprint: '{}'", pin)};
    s.ssh_host_sha256 = pin;
    return {};
  }
  if (readable_file(opts.ssh_known_hosts)) {
    s.ssh_known_hosts = opts.ssh_known_hosts.string();
    return {};
  }
  return Error{Errc::auth,
               fmt::format("refusing to connect to '{}' without a pinned host key: set "
                           "CAIRN_SSH_HOST_SHA256, or CAIRN_SSH_KNOWN_HOSTS to a known_hosts file "
                           "listing it ('{}' cannot be read)",
                           c.host, opts.ssh_known_hosts.string())};
}

Result<std::unique_ptr<Backend>> open(Config c) {
  if (c.host.empty()) return Error{Errc::usage, "an sftp:// location needs a host"};
  if (c.path.empty() || c.path[0] != '/')
    return Error{Errc::usage,
                 fmt::format("the sftp path '{}' must be absolute (or start with /~/)", c.path)};
  if (c.http.ssh_host_sha256.empty() && c.http.ssh_known_hosts.empty())
    return Error{Errc::auth,
                 fmt::format("refusing to connect to '{}' without a pinned host key", c.host)};
  if (c.path.starts_with("/~/") && c.path.find_first_of(" \t\"'\\") != std::string::npos)
    return Error{
        Errc::usage,
        fmt::format("a home-relative sftp path cannot hold spaces or quotes: '{}'", c.path)};
  c.http.sftp = true;
  return std::unique_ptr<Backend>(std::make_unique<SftpBackend>(std::move(c)));
}

}  // namespace cairn::backend::sftp
