// lib/backend/sftp/sftp.hpp: the SFTP backend (libcurl's sftp:// over libssh2). Objects are
// files under a root directory, laid out as the local backend lays them out. put uploads to a
// hidden temporary name next to the object (".cairn-tmp-<random>", creating directories as
// needed) and renames it into place (POSTQUOTE "rename"), so a reader sees the whole object or
// none. SFTP v3 rename (OpenSSH) refuses to replace: a refused rename means "exists", which
// no_replace reports and content-addressed kinds accept; replacing a key or config object is
// "rm" then "rename", so for a moment it is absent (never partial). SFTP has no fsync in
// libcurl: durability is the server's.
// The host key is always pinned (SHA-256 fingerprint or a known_hosts file): open refuses
// to go on without one.
// Depends on: backend, net. Threads: the backend is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.hpp"
#include "backend/remote.hpp"
#include "net/http.hpp"

namespace cairn::backend::sftp {

struct Config {
  std::string host;
  std::uint16_t port = 0;  // 0 = 22
  std::string path;        // root directory: absolute, or "/~/..." for the login's home
  net::Settings http;      // sftp = true, with ssh_user, ssh_key and a pin filled in
};

Result<std::unique_ptr<Backend>> open(Config c);

// Fills the SSH settings of `c` from the options: user (URL, else the login name), key file,
// host key pin. Errc::auth when no pin is set or the key file cannot be read.
Status resolve_credentials(const RemoteOptions& opts, std::string_view user, Config& c);

// One line of a long directory listing ("-rw-r--r--  1 u g  1000 Nov 26 05:50 name").
struct Entry {
  char type = '?';  // '-' file, 'd' directory, 'l' link...
  std::uint64_t size = 0;
  std::string name;
};
std::vector<Entry> parse_listing(std::string_view text);

// The answer to the quote command "statvfs PATH" (OpenSSH's statvfs@openssh.com), as libcurl
// reports it on the header callback: a "statvfs:" line, then "f_bsize: 4096"-style lines.
// The figures as df shows them (SpaceFigures); nullopt when the text is not that answer: no
// "statvfs:" line, a line after it that is not "f_NAME: DECIMAL", a field given twice, one of
// f_frsize (or f_bsize), f_blocks, f_bfree, f_bavail missing, f_bfree or f_bavail above
// f_blocks, or a product that overflows.
std::optional<SpaceFigures> parse_statvfs(std::string_view text);

// A path as an argument of a quote command: double-quoted, '"' and '\' escaped.
std::string quote_path(std::string_view path);

}  // namespace cairn::backend::sftp
