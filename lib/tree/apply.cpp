// lib/tree/apply.cpp: metadata apply for restore (owner, xattrs, mode, ACLs, times).
#include <acl/libacl.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "io/file.hpp"
#include "tree/tree.hpp"

namespace cairn::tree {
namespace {

std::optional<std::uint32_t> local_uid(const std::string& name) {
  struct passwd pw, *res = nullptr;
  std::vector<char> buf(4096);
  int rc;
  while ((rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res)) == ERANGE &&
         buf.size() < (1u << 20))
    buf.resize(buf.size() * 2);
  if (rc == 0 && res) return res->pw_uid;
  return std::nullopt;
}

std::optional<std::uint32_t> local_gid(const std::string& name) {
  struct group gr, *res = nullptr;
  std::vector<char> buf(4096);
  int rc;
  while ((rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &res)) == ERANGE &&
         buf.size() < (1u << 20))
    buf.resize(buf.size() * 2);
  if (rc == 0 && res) return res->gr_gid;
  return std::nullopt;
}

std::pair<std::uint32_t, std::uint32_t> owner_of(const Meta& m, const ApplyOptions& opt) {
  std::uint32_t uid = m.uid, gid = m.gid;
  if (!opt.numeric_owner) {
    if (m.user)
      if (auto u = opt.owners ? opt.owners->uid(*m.user) : local_uid(*m.user)) uid = *u;
    if (m.group)
      if (auto g = opt.owners ? opt.owners->gid(*m.group) : local_gid(*m.group)) gid = *g;
  }
  return {uid, gid};
}

struct First {
  Status st;
  void note(Status s) {
    if (st && !s) st = std::move(s);
  }
};

timespec to_ts(std::int64_t ns) {
  timespec t{};
  std::int64_t sec = ns / 1000000000, rem = ns % 1000000000;
  if (rem < 0) {
    rem += 1000000000;
    --sec;
  }
  t.tv_sec = static_cast<time_t>(sec);
  t.tv_nsec = static_cast<long>(rem);
  return t;
}

Status set_acl_path(const std::string& path, acl_type_t type, const std::string& text,
                    std::string_view what) {
  acl_t acl = acl_from_text(text.c_str());
  if (!acl) return Error{Errc::bad_input, fmt::format("invalid ACL '{}' for '{}'", text, what)};
  int rc = acl_set_file(path.c_str(), type, acl);
  int err = errno;
  acl_free(acl);
  if (rc != 0) return errno_error(err, fmt::format("cannot set the ACL of '{}'", what));
  return {};
}

}  // namespace

std::optional<std::uint32_t> OwnerCache::uid(const std::string& name) {
  std::lock_guard l(mu_);
  auto it = users_.find(name);
  if (it == users_.end()) it = users_.emplace(name, local_uid(name)).first;
  return it->second;
}

std::optional<std::uint32_t> OwnerCache::gid(const std::string& name) {
  std::lock_guard l(mu_);
  auto it = groups_.find(name);
  if (it == groups_.end()) it = groups_.emplace(name, local_gid(name)).first;
  return it->second;
}

namespace {

bool kind_matches(Kind k, mode_t mode) {
  switch (k) {
    case Kind::file: return S_ISREG(mode);
    case Kind::dir: return S_ISDIR(mode);
    case Kind::symlink: return S_ISLNK(mode);
    case Kind::fifo: return S_ISFIFO(mode);
    case Kind::socket: return S_ISSOCK(mode);
    case Kind::chardev: return S_ISCHR(mode);
    case Kind::blockdev: return S_ISBLK(mode);
  }
  return false;
}

}  // namespace

Status apply_metadata(int dir_fd, const std::string& name, const Meta& m, const ApplyOptions& opt,
                      std::optional<Identity> expect) {
  // Pin the entry first: an O_PATH descriptor of `name` itself (never what it points to), checked
  // to be of the kind (and, when given, the very inode) the restore made. Every later step works
  // on that descriptor, so swapping `name` for a symlink (or anything else) in the meantime
  // cannot redirect a chmod, chown, xattr or ACL to another file.
  int pfd = ::openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (pfd < 0)
    return errno_error(errno, fmt::format("cannot open '{}' to apply its metadata", name));
  io::Fd pin(pfd);
  struct stat st;
  if (::fstat(pfd, &st) != 0) return errno_error(errno, fmt::format("cannot stat '{}'", name));
  if (!kind_matches(m.kind, st.st_mode) ||
      (expect && (static_cast<std::uint64_t>(st.st_dev) != expect->dev ||
                  static_cast<std::uint64_t>(st.st_ino) != expect->ino)))
    return Error{
        Errc::bad_input,
        fmt::format("'{}' was replaced by something else while the restore ran; its metadata "
                    "is not applied (check who can write its directory)",
                    name)};
  First f;
  const bool link = m.kind == Kind::symlink;
  // For anything but a symlink, /proc/self/fd/N names the pinned inode itself (the kernel
  // resolves it to the open file, not to a path): chmod, setxattr, ACLs and times go through
  // it. A symlink cannot be reached that way (the magic link would be the object), so its
  // xattrs and times use the parent descriptor and the name, without following it; it was
  // just checked to be a symlink, and a symlink carries no mode and no ACL.
  const std::string via = link ? fmt::format("/proc/self/fd/{}/{}", dir_fd, name)
                               : fmt::format("/proc/self/fd/{}", pfd);
  if (opt.owner) {
    auto [uid, gid] = owner_of(m, opt);
    if (::fchownat(pfd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
      f.note(errno_error(errno, fmt::format("cannot change the owner of '{}'", name)));
  }
  if (opt.xattrs)
    for (const auto& x : m.xattrs) {
      int rc = link ? ::lsetxattr(via.c_str(), x.name.c_str(), x.value.data(), x.value.size(), 0)
                    : ::setxattr(via.c_str(), x.name.c_str(), x.value.data(), x.value.size(), 0);
      if (rc != 0)
        f.note(errno_error(errno, fmt::format("cannot set xattr '{}' on '{}'", x.name, name)));
    }
  if (!link && ::chmod(via.c_str(), m.mode & 07777) != 0)
    f.note(errno_error(errno, fmt::format("cannot change the mode of '{}'", name)));
  if (opt.acls && !link) {
    if (m.acl_access) f.note(set_acl_path(via, ACL_TYPE_ACCESS, *m.acl_access, name));
    if (m.acl_default && m.kind == Kind::dir)
      f.note(set_acl_path(via, ACL_TYPE_DEFAULT, *m.acl_default, name));
  }
  if (opt.times) {
    timespec ts[2] = {{0, UTIME_OMIT}, to_ts(m.mtime_ns)};
    int rc = link ? ::utimensat(dir_fd, name.c_str(), ts, AT_SYMLINK_NOFOLLOW)
                  : ::utimensat(AT_FDCWD, via.c_str(), ts, 0);
    if (rc != 0) f.note(errno_error(errno, fmt::format("cannot set the times of '{}'", name)));
  }
  return std::move(f.st);
}

Status apply_metadata_fd(int fd, const Meta& m, const ApplyOptions& opt, std::string_view what,
                         Applied done) {
  First f;
  if (opt.owner) {
    const auto want = owner_of(m, opt);
    if (done.owner != want && ::fchown(fd, want.first, want.second) != 0)
      f.note(errno_error(errno, fmt::format("cannot change the owner of '{}'", what)));
  }
  if (opt.xattrs)
    for (const auto& x : m.xattrs)
      if (::fsetxattr(fd, x.name.c_str(), x.value.data(), x.value.size(), 0) != 0)
        f.note(errno_error(errno, fmt::format("cannot set xattr '{}' on '{}'", x.name, what)));
  if (!done.mode && ::fchmod(fd, m.mode & 07777) != 0)
    f.note(errno_error(errno, fmt::format("cannot change the mode of '{}'", what)));
  if (opt.acls) {
    if (m.acl_access) {
      acl_t acl = acl_from_text(m.acl_access->c_str());
      if (!acl) {
        f.note(
            Error{Errc::bad_input, fmt::format("invalid ACL '{}' for '{}'", *m.acl_access, what)});
      } else {
        if (acl_set_fd(fd, acl) != 0)
          f.note(errno_error(errno, fmt::format("cannot set the ACL of '{}'", what)));
        acl_free(acl);
      }
    }
    if (m.acl_default && m.kind == Kind::dir)
      f.note(set_acl_path(fmt::format("/proc/self/fd/{}", fd), ACL_TYPE_DEFAULT, *m.acl_default,
                          what));
  }
  if (opt.times) {
    timespec ts[2] = {{0, UTIME_OMIT}, to_ts(m.mtime_ns)};
    if (::futimens(fd, ts) != 0)
      f.note(errno_error(errno, fmt::format("cannot set the times of '{}'", what)));
  }
  return std::move(f.st);
}

Status make_special(int dir_fd, const std::string& name, Kind kind, std::uint32_t mode,
                    std::uint32_t rdev_major, std::uint32_t rdev_minor) {
  mode_t type = 0;
  switch (kind) {
    case Kind::fifo: type = S_IFIFO; break;
    case Kind::chardev: type = S_IFCHR; break;
    case Kind::blockdev: type = S_IFBLK; break;
    case Kind::socket:
      return Error{Errc::unimplemented, fmt::format("socket '{}' is not restored", name)};
    default: return Error{Errc::internal, fmt::format("'{}' is not a special file", name)};
  }
  if (::mknodat(dir_fd, name.c_str(), type | (mode & 0777), makedev(rdev_major, rdev_minor)) != 0)
    return errno_error(errno, fmt::format("cannot create '{}'", name));
  return {};
}

}  // namespace cairn::tree
