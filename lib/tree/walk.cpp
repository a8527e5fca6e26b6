// lib/tree/walk.cpp: the sorted, lstat-only filesystem walk.
#include <acl/libacl.h>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "base/chandle.hpp"
#include "io/file.hpp"
#include "tree/tree.hpp"

namespace cairn::tree {
namespace {

using AclHandle = std::unique_ptr<void, decltype([](void* p) {
                                    if (p) acl_free(p);
                                  })>;
using DirHandle = CHandle<DIR, &closedir>;

std::int64_t ns(const struct timespec& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + static_cast<std::int64_t>(t.tv_nsec);
}

std::optional<Kind> kind_of(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFREG: return Kind::file;
    case S_IFDIR: return Kind::dir;
    case S_IFLNK: return Kind::symlink;
    case S_IFIFO: return Kind::fifo;
    case S_IFSOCK: return Kind::socket;
    case S_IFCHR: return Kind::chardev;
    case S_IFBLK: return Kind::blockdev;
    default: return std::nullopt;
  }
}

class NameCache {
 public:
  const std::optional<std::string>& user(std::uint32_t uid) {
    auto it = users_.find(uid);
    if (it != users_.end()) return it->second;
    std::optional<std::string> name;
    struct passwd pw, *res = nullptr;
    std::vector<char> buf(4096);
    int rc;
    while ((rc = getpwuid_r(uid, &pw, buf.data(), buf.size(), &res)) == ERANGE &&
           buf.size() < (1u << 20))
      buf.resize(buf.size() * 2);
    if (rc == 0 && res) name = std::string(res->pw_name);
    return users_.emplace(uid, std::move(name)).first->second;
  }
  const std::optional<std::string>& group(std::uint32_t gid) {
    auto it = groups_.find(gid);
    if (it != groups_.end()) return it->second;
    std::optional<std::string> name;
    struct group gr, *res = nullptr;
    std::vector<char> buf(4096);
    int rc;
    while ((rc = getgrgid_r(gid, &gr, buf.data(), buf.size(), &res)) == ERANGE &&
           buf.size() < (1u << 20))
      buf.resize(buf.size() * 2);
    if (rc == 0 && res) name = std::string(res->gr_name);
    return groups_.emplace(gid, std::move(name)).first->second;
  }

 private:
  std::unordered_map<std::uint32_t, std::optional<std::string>> users_, groups_;
};

bool unsupported(int err) { return err == ENOTSUP || err == ENODATA || err == ENOSYS; }

Status list_error(int err, const std::string& path) {
  if (unsupported(err)) return {};
  return errno_error(err, fmt::format("cannot list xattrs of '{}'", path));
}

struct AclNames {
  bool access = false, dflt = false;
};

// listxattrat(2) (Linux 6.13; one number on every architecture since 5.1): the names of
// `name` in the open directory `dir_fd`, without resolving the whole path again per file.
#ifndef __NR_listxattrat
#define __NR_listxattrat 465
#endif
std::atomic<bool> no_listxattrat{false};  // ENOSYS once: older kernel, llistxattr from then on

// The xattr names of the walked object (`dir_fd` and `name`, or `path` when dir_fd < 0), not
// following a final symlink: llistxattr(2)'s result and errno.
ssize_t list_names(int dir_fd, const std::string& name, const std::string& path, char* buf,
                   std::size_t size) {
  if (dir_fd >= 0 && !no_listxattrat.load(std::memory_order_relaxed)) {
    const long n =
        ::syscall(__NR_listxattrat, dir_fd, name.c_str(), AT_SYMLINK_NOFOLLOW, buf, size);
    if (n >= 0 || errno != ENOSYS) return static_cast<ssize_t>(n);
    no_listxattrat.store(true, std::memory_order_relaxed);
  }
  return ::llistxattr(path.c_str(), buf, size);
}

// Reads all xattrs of `path` (not following a final symlink), without the POSIX ACL ones;
// notes which ACL xattrs exist (so ACLs are only read where there are some). The names are
// listed at `dir_fd`/`name` when dir_fd >= 0; `names` is a buffer reused between calls.
Status read_xattrs(int dir_fd, const std::string& name_in_dir, const std::string& path,
                   std::vector<Xattr>& out, AclNames& acls, std::vector<char>& names) {
  names.resize(std::max<std::size_t>(names.capacity(), 1024));
  ssize_t n = list_names(dir_fd, name_in_dir, path, names.data(), names.size());
  for (int attempt = 0; attempt < 8 && n < 0 && errno == ERANGE; ++attempt) {
    n = list_names(dir_fd, name_in_dir, path, nullptr, 0);  // grew meanwhile: ask the size
    if (n < 0) break;
    names.resize(static_cast<std::size_t>(n));
    n = list_names(dir_fd, name_in_dir, path, names.data(), names.size());
  }
  if (n < 0) return list_error(errno, path);
  names.resize(static_cast<std::size_t>(n));
  std::size_t pos = 0;
  while (pos < names.size()) {
    std::string name(names.data() + pos);
    pos += name.size() + 1;
    if (name == "system.posix_acl_access") acls.access = true;
    if (name == "system.posix_acl_default") acls.dflt = true;
    if (name.empty() || name.starts_with("system.posix_acl_")) continue;
    Bytes value;
    bool ok = false;
    for (int attempt = 0; attempt < 8 && !ok; ++attempt) {
      ssize_t got = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
      if (got < 0 && errno == ENODATA) break;  // removed meanwhile
      if (got < 0)
        return errno_error(errno, fmt::format("cannot read xattr '{}' of '{}'", name, path));
      value.resize(static_cast<std::size_t>(got));
      got = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
      if (got < 0 && errno == ERANGE) continue;
      if (got < 0 && errno == ENODATA) break;
      if (got < 0)
        return errno_error(errno, fmt::format("cannot read xattr '{}' of '{}'", name, path));
      value.resize(static_cast<std::size_t>(got));
      ok = true;
    }
    if (ok) out.push_back(Xattr{std::move(name), std::move(value)});
  }
  std::sort(out.begin(), out.end(), [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
  return {};
}

// The ACL of `type` as text with numeric ids, or nullopt when absent or equal to the mode.
Result<std::optional<std::string>> read_acl(const std::string& path, acl_type_t type) {
  AclHandle acl(acl_get_file(path.c_str(), type));
  if (!acl) {
    if (unsupported(errno)) return std::optional<std::string>();
    return errno_error(errno, fmt::format("cannot read the ACL of '{}'", path));
  }
  acl_t a = static_cast<acl_t>(acl.get());
  if (type == ACL_TYPE_ACCESS) {
    if (acl_equiv_mode(a, nullptr) == 0) return std::optional<std::string>();
  } else {
    acl_entry_t e;
    if (acl_get_entry(a, ACL_FIRST_ENTRY, &e) != 1)
      return std::optional<std::string>();  // empty default ACL
  }
  char* text = acl_to_any_text(a, nullptr, ',', TEXT_NUMERIC_IDS);
  if (!text) return errno_error(errno, fmt::format("cannot format the ACL of '{}'", path));
  std::string s(text);
  acl_free(text);
  return std::optional<std::string>(std::move(s));
}

std::string join(const std::string& a, const std::string& b) {
  if (a.empty() || a == ".") return b;
  std::string out;
  out.reserve(a.size() + 1 + b.size());
  out.append(a).push_back('/');
  out.append(b);
  return out;
}

struct Walker {
  const WalkOptions& opt;
  Observer& obs;
  const CancelToken& cancel;
  const Visit& visit;
  NameCache names;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> links;  // (dev, ino) -> first path
  std::vector<char> xattr_names;  // read_xattrs' buffer, reused

  void warn(const std::string& path, Error e) { obs.warning(path, e); }

  // Fills `n` from `st` and the extra reads; returns false (after a warning) to skip the entry.
  bool fill(Node& n, const struct stat& st) {
    auto k = kind_of(st.st_mode);
    if (!k) {
      warn(n.path,
           Error{Errc::io, fmt::format("'{}' has an unknown file type, skipped", n.abs.string())});
      return false;
    }
    n.kind = *k;
    n.mode = st.st_mode & 07777;
    n.uid = st.st_uid;
    n.gid = st.st_gid;
    n.user = names.user(n.uid);
    n.group = names.group(n.gid);
    n.size = static_cast<std::uint64_t>(st.st_size);
    n.blocks = static_cast<std::uint64_t>(st.st_blocks);
    n.mtime_ns = ns(st.st_mtim);
    n.ctime_ns = ns(st.st_ctim);
    n.atime_ns = ns(st.st_atim);
    n.ino = st.st_ino;
    n.dev = st.st_dev;
    n.nlink = st.st_nlink;
    if (n.kind == Kind::chardev || n.kind == Kind::blockdev) {
      n.rdev_major = major(st.st_rdev);
      n.rdev_minor = minor(st.st_rdev);
    }
    n.sparse = n.kind == Kind::file && n.blocks * 512 < n.size;
    if (n.kind == Kind::symlink) {
      const std::string abs = n.abs.string();
      std::string buf(static_cast<std::size_t>(std::max<off_t>(st.st_size, 0)) + 1, '\0');
      for (;;) {
        ssize_t len = n.dir_fd >= 0 ? ::readlinkat(n.dir_fd, n.name.c_str(), buf.data(), buf.size())
                                    : ::readlink(abs.c_str(), buf.data(), buf.size());
        if (len < 0) {
          warn(n.path, errno_error(errno, fmt::format("cannot read symlink '{}'", abs)));
          return false;
        }
        if (static_cast<std::size_t>(len) < buf.size()) {
          buf.resize(static_cast<std::size_t>(len));
          break;
        }
        buf.resize(buf.size() * 2);
      }
      n.target = std::move(buf);
    }
    // A path longer than PATH_MAX is reached through the fd of its directory (the name is
    // at most NAME_MAX), for the calls that take a path.
    // (The list of xattr names is asked at the directory's fd, without a path.)
    std::string meta = n.abs.string();
    if (meta.size() >= PATH_MAX && n.dir_fd >= 0)
      meta = fmt::format("/proc/self/fd/{}/{}", n.dir_fd, n.name);
    // The xattr list tells whether there are ACLs at all; without it, ask libacl.
    AclNames acls{true, true};
    if (opt.xattrs || opt.acls) {
      std::vector<Xattr> xs;
      AclNames seen;
      auto st2 = read_xattrs(n.dir_fd, n.name, meta, xs, seen, xattr_names);
      if (!st2) {
        warn(n.path, st2.error());
      } else {
        acls = seen;
        if (opt.xattrs) n.xattrs = std::move(xs);
      }
    }
    if (opt.acls && n.kind != Kind::symlink) {
      if (acls.access) {
        auto a = read_acl(meta, ACL_TYPE_ACCESS);
        if (a)
          n.acl_access = std::move(*a);
        else
          warn(n.path, a.error());
      }
      if (n.kind == Kind::dir && acls.dflt) {
        auto d = read_acl(meta, ACL_TYPE_DEFAULT);
        if (d)
          n.acl_default = std::move(*d);
        else
          warn(n.path, d.error());
      }
    }
    if (n.kind == Kind::file && n.nlink > 1) {
      auto [it, fresh] = links.emplace(std::make_pair(n.dev, n.ino), n.path);
      if (!fresh) n.hardlink_of = it->second;
    }
    return true;
  }

  // Visits the directory `n` (already emitted) below `fd`; `rel` is the path below the root.
  Status descend(int dir_fd, const Node& parent, const std::string& rel, std::uint64_t root_dev) {
    int fd = dir_fd >= 0 ? ::openat(dir_fd, parent.name.c_str(),
                                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                         : ::open(parent.abs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      warn(parent.path,
           errno_error(errno, fmt::format("cannot open directory '{}'", parent.abs.string())));
      return {};
    }
    DirHandle dir(::fdopendir(fd));
    if (!dir) {
      int err = errno;
      ::close(fd);
      warn(parent.path,
           errno_error(err, fmt::format("cannot read directory '{}'", parent.abs.string())));
      return {};
    }
    std::vector<std::string> children;
    if (auto markers = tagged(fd); !markers.empty()) {
      children = std::move(markers);  // the directory and its markers only
    } else {
      read_names(dir.get(), parent, children);
    }
    std::sort(children.begin(), children.end());
    const int dfd = ::dirfd(dir.get());
    for (auto& name : children) {
      if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
      std::string child_rel = join(rel, name);
      if (excluded(child_rel, opt.excludes)) continue;
      Node n;
      n.path = join(parent.path, name);
      n.abs = parent.abs / name;
      n.dir_fd = dfd;
      n.name = name;
      struct stat st;
      if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        int err = errno;
        if (err == ENOENT)
          warn(n.path, Error{Errc::not_found,
                             fmt::format("'{}' vanished during the scan", n.abs.string())});
        else
          warn(n.path, errno_error(err, fmt::format("cannot stat '{}'", n.abs.string())));
        continue;
      }
      if (!fill(n, st)) continue;
      CAIRN_TRY(visit(n));
      if (n.kind == Kind::dir && !(opt.one_file_system && n.dev != root_dev))
        CAIRN_TRY(descend(dfd, n, child_rel, root_dev));
    }
    return {};
  }

  // Reads the names in `dir` (not "." and "..") into `out`; a failure is a warning.
  void read_names(DIR* dir, const Node& parent, std::vector<std::string>& out) {
    for (;;) {
      errno = 0;
      struct dirent* d = ::readdir(dir);
      if (!d) {
        if (errno != 0)
          warn(parent.path,
               errno_error(errno, fmt::format("cannot read directory '{}'", parent.abs.string())));
        break;
      }
      std::string_view nm(d->d_name);
      if (nm == "." || nm == "..") continue;
      out.emplace_back(nm);
    }
  }

  // The marker files (CACHEDIR.TAG, --exclude-if-present names) that tag the open directory
  // `fd` for exclusion; empty when it is not tagged. Costs one syscall per marker, relative to
  // `fd`, and none at all without those options.
  std::vector<std::string> tagged(int fd) const {
    std::vector<std::string> found;
    if (opt.exclude_caches) {
      io::Fd tag(::openat(fd, "CACHEDIR.TAG", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      char buf[cachedir_tag_signature.size()];
      if (tag.get() >= 0 &&
          ::pread(tag.get(), buf, sizeof buf, 0) == static_cast<ssize_t>(sizeof buf) &&
          std::string_view(buf, sizeof buf) == cachedir_tag_signature)
        found.emplace_back("CACHEDIR.TAG");
    }
    for (const auto& name : opt.exclude_if_present) {
      struct stat st;
      if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          std::find(found.begin(), found.end(), name) == found.end())
        found.push_back(name);
    }
    return found;
  }
};

}  // namespace

bool excluded(std::string_view rel, const std::vector<std::string>& globs) {
  if (globs.empty()) return false;
  std::string path(rel);
  auto slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  for (const auto& g : globs) {
    if (::fnmatch(g.c_str(), path.c_str(), 0) == 0) return true;
    if (::fnmatch(g.c_str(), base.c_str(), 0) == 0) return true;
  }
  return false;
}

Result<std::vector<std::string>> read_exclude_file(const std::filesystem::path& file) {
  CAIRN_TRY_ASSIGN(Bytes data, io::read_file(file));
  std::vector<std::string> out;
  std::string_view text = as_chars(data);
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    out.emplace_back(line);
  }
  return out;
}

Status walk(const std::vector<std::filesystem::path>& roots, const WalkOptions& opt, Observer& obs,
            const CancelToken& cancel, const Visit& visit) {
  if (roots.empty()) return Error{Errc::usage, "nothing to walk: no paths given"};
  struct Root {
    std::filesystem::path path;
    std::string base;
    struct stat st;
  };
  std::vector<Root> rs;
  for (const auto& p : roots) {
    Root r{p, {}, {}};
    // Command-line roots are followed when they are symlinks (like find -H); nothing below is.
    if (::lstat(p.c_str(), &r.st) != 0)
      return errno_error(errno, fmt::format("cannot stat '{}'", p.string()));
    if (S_ISLNK(r.st.st_mode)) {
      char buf[PATH_MAX];
      if (!::realpath(p.c_str(), buf) || ::lstat(buf, &r.st) != 0)
        return errno_error(errno, fmt::format("cannot follow '{}'", p.string()));
      r.path = buf;
    }
    auto norm = p.lexically_normal();
    std::string s = norm.string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    if (S_ISDIR(r.st.st_mode) && roots.size() == 1) {
      r.base.assign(1, '.');
    } else {
      auto base = std::filesystem::path(s).filename().string();
      if (base.empty() || base == "." || base == ".." || base == "/") {
        char buf[PATH_MAX];
        if (!::realpath(p.c_str(), buf))
          return errno_error(errno, fmt::format("cannot resolve '{}'", p.string()));
        base = std::filesystem::path(buf).filename().string();
        if (base.empty())
          return Error{
              Errc::usage,
              fmt::format("'{}' has no name to store it under (give it with a single root)",
                          p.string())};
      }
      r.base = base;
    }
    rs.push_back(std::move(r));
  }
  std::sort(rs.begin(), rs.end(), [](const Root& a, const Root& b) { return a.base < b.base; });
  for (std::size_t i = 1; i < rs.size(); ++i)
    if (rs[i].base == rs[i - 1].base)
      return Error{Errc::usage,
                   fmt::format("roots '{}' and '{}' have the same name '{}'",
                               rs[i - 1].path.string(), rs[i].path.string(), rs[i].base)};
  Walker w{opt, obs, cancel, visit, {}, {}, {}};
  for (const auto& r : rs) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    Node n;
    n.path = r.base;
    n.abs = r.path;
    n.dir_fd = -1;
    if (!w.fill(n, r.st)) continue;
    CAIRN_TRY(visit(n));
    if (n.kind == Kind::dir) CAIRN_TRY(w.descend(-1, n, "", n.dev));
  }
  return {};
}

namespace {

// Where a visit reaches `n`: its open directory and name, or (a root) its path.
int walked_dir(const Node& n) { return n.dir_fd >= 0 ? n.dir_fd : AT_FDCWD; }
std::string walked_name(const Node& n) { return n.dir_fd >= 0 ? n.name : n.abs.string(); }

}  // namespace

Result<io::Fd> open_walked(const Node& n) {
  int raw = ::openat(walked_dir(n), walked_name(n).c_str(),
                     O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (raw < 0) return errno_error(errno, fmt::format("cannot open '{}', skipped", n.abs.string()));
  io::Fd fd(raw);
  struct stat st;
  if (::fstat(raw, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != n.ino || st.st_dev != n.dev)
    return Error{Errc::io,
                 fmt::format("'{}' was replaced during the scan, skipped", n.abs.string())};
  return fd;
}

Status check_walked_readable(const Node& n) {
  // The owner's read bit decides for the owner (an ACL's named entries and the group and other
  // bits are not consulted then; see acl(5)): no system call per file in the common case of
  // backing up one's own files. Anything else asks the kernel.
  static const uid_t euid = ::geteuid();
  if (n.uid == euid && (n.mode & S_IRUSR) != 0) return {};
  if (::faccessat(walked_dir(n), walked_name(n).c_str(), R_OK, AT_EACCESS) == 0) return {};
  return errno_error(errno, fmt::format("cannot read '{}', skipped", n.abs.string()));
}

}  // namespace cairn::tree
