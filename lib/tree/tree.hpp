// lib/tree/tree.hpp: the sorted filesystem walk behind cairn-snap, and metadata apply for restore.
// Depends on: base, io, libacl (<sys/acl.h>; only this module includes it), <sys/xattr.h>.
// Knows nothing about manifests: it speaks Node; ops::snap converts.
// Threads: walk() and apply_metadata() are reentrant; a walk runs on the calling thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/observer.hpp"
#include "base/result.hpp"
#include "io/file.hpp"

namespace cairn::tree {

enum class Kind : std::uint8_t { file, dir, symlink, fifo, socket, chardev, blockdev };

struct Xattr {
  std::string name;
  Bytes value;
};

// Everything lstat(2) and friends say about one filesystem object.
struct Node {
  std::string path;           // relative, '/'-separated: "." for the root of a single-root walk,
                              // otherwise "<root basename>/..."
  std::filesystem::path abs;  // the filesystem path (root as given + relative part)
  Kind kind = Kind::file;
  std::uint32_t mode = 0;  // st_mode & 07777
  std::uint32_t uid = 0, gid = 0;
  std::optional<std::string> user, group;  // names, when the system knows them
  std::uint64_t size = 0, blocks = 0;      // st_size, st_blocks (512-byte units)
  std::int64_t mtime_ns = 0, ctime_ns = 0, atime_ns = 0;
  std::uint64_t ino = 0, dev = 0, nlink = 0;
  std::uint32_t rdev_major = 0, rdev_minor = 0;
  std::string target;  // symlink target bytes
  // A regular file already seen under this path (same dev+ino).
  std::optional<std::string> hardlink_of;
  std::vector<Xattr> xattrs;  // sorted by name; POSIX ACL xattrs excluded (see acl_*)
  // "user::rw-,user:1000:r--,..." (numeric ids); absent when equivalent to the mode.
  std::optional<std::string> acl_access, acl_default;
  bool sparse = false;  // regular file with st_blocks*512 < st_size

  // During the callback only: the open parent directory and the name in it, so a consumer can
  // openat(dir_fd, name.c_str(), O_RDONLY|O_NOFOLLOW) without a path race. dir_fd is -1 for a
  // root (use abs).
  int dir_fd = -1;
  std::string name;
};

struct WalkOptions {
  bool one_file_system = false;       // do not descend into directories on other devices
  std::vector<std::string> excludes;  // fnmatch(3) globs (no flags) against the relative path
                                      // (without the root prefix) and against the basename
  // A directory holding a valid CACHEDIR.TAG (its first 43 bytes the signature, see
  // cachedir_tag_signature) or a file named in exclude_if_present (any kind, not followed) is
  // kept with those marker files only: the rest of its content is skipped, as tar's
  // --exclude-caches and --exclude-tag do. One openat/fstatat per directory and marker.
  bool exclude_caches = false;
  std::vector<std::string> exclude_if_present;  // plain names, no '/'
  bool xattrs = true;
  bool acls = true;
};

// The 43 bytes a valid CACHEDIR.TAG starts with (https://bford.info/cachedir/).
inline constexpr std::string_view cachedir_tag_signature =
    "Signature: 8a477f597d28d172789f06886806bc55";

// Called for every node in order; an error stops the walk and is returned by walk().
using Visit = std::function<Status(const Node&)>;

// Walks `roots` depth-first, children sorted byte-wise by name, never following symlinks and
// never opening anything but directories. A single root that is a directory is ".", otherwise
// each root is "<basename>" (distinct basenames required, else Errc::usage), in basename order.
// A missing root is an error; problems with individual entries below (vanished, EACCES) go to
// obs.warning() and the walk goes on. Polls `cancel` (Errc::cancelled).
Status walk(const std::vector<std::filesystem::path>& roots, const WalkOptions& opt, Observer& obs,
            const CancelToken& cancel, const Visit& visit);

// Reads an exclude file: one glob per line; blank lines and lines starting with '#' skipped.
Result<std::vector<std::string>> read_exclude_file(const std::filesystem::path& file);

// True when `rel` (a path relative to its root, no leading '/') or its basename matches a glob.
bool excluded(std::string_view rel, const std::vector<std::string>& globs);

// During a visit: the regular file `n` opened for reading at its directory (O_NOFOLLOW,
// O_NONBLOCK), and checked to be the file the walk saw (not replaced since). The error names
// n.abs and ends in ", skipped": the consumer warns and goes on.
Result<io::Fd> open_walked(const Node& n);
// During a visit: whether the file `n` can be read now (effective ids: the owner's read bit
// when the caller owns it, else faccessat(2)); the error as open_walked's.
Status check_walked_readable(const Node& n);

// ---- restore side -------------------------------------------------------------------------

struct Meta {
  Kind kind = Kind::file;
  std::uint32_t mode = 0;  // & 07777
  std::uint32_t uid = 0, gid = 0;
  std::optional<std::string> user, group;
  std::int64_t mtime_ns = 0;
  std::vector<Xattr> xattrs;
  std::optional<std::string> acl_access, acl_default;
};

// Remembers user/group name -> id lookups for one restore (NSS reads /etc/passwd on every
// getpwnam_r call: two file opens per restored file otherwise). Thread-safe.
class OwnerCache {
 public:
  std::optional<std::uint32_t> uid(const std::string& name);
  std::optional<std::uint32_t> gid(const std::string& name);

 private:
  std::mutex mu_;
  std::map<std::string, std::optional<std::uint32_t>> users_, groups_;
};

struct ApplyOptions {
  OwnerCache* owners = nullptr;  // optional: cache name lookups across calls
  bool owner = false;            // chown (needs root); callers set it when geteuid() == 0
  bool numeric_owner = false;    // ignore user/group names, use uid/gid as recorded
  bool xattrs = true;
  bool acls = true;
  bool times = true;
};

// Which inode a restore made (fstat's st_dev and st_ino), to recognise it later.
struct Identity {
  std::uint64_t dev = 0, ino = 0;
};

// Applies metadata to `name` in the open directory `dir_fd`, in this order: owner, xattrs,
// mode (not for symlinks), ACLs (not for symlinks), mtime with nanoseconds (atime left as is).
// `name` is opened first with O_PATH|O_NOFOLLOW and checked to be of kind m.kind (and the inode
// `expect`, when given): a symlink or anything else swapped in its place gets nothing
// (Errc::bad_input) and no step ever follows a symlink. Every step is tried; the first
// failure is returned.
Status apply_metadata(int dir_fd, const std::string& name, const Meta& m, const ApplyOptions& opt,
                      std::optional<Identity> expect = std::nullopt);
// What the caller already made right on a descriptor it just created, so that
// apply_metadata_fd does not do it again: the mode (the file was created with exactly m.mode:
// no setuid/setgid/sticky bit, nothing masked by the umask or a default ACL); the owner
// (uid, gid) it has, when known: no chown when that is the one to apply.
using Owner = std::pair<std::uint32_t, std::uint32_t>;
struct Applied {
  bool mode = false;
  std::optional<Owner> owner;
};

// Same, on an open file or directory descriptor (not a symlink).
Status apply_metadata_fd(int fd, const Meta& m, const ApplyOptions& opt, std::string_view what,
                         Applied done = {});

// Creates a FIFO, socket placeholder or device node `name` in `dir_fd` (mknodat). Sockets are
// restored as nothing (skipped): returns Errc::unimplemented for them so the caller can warn.
Status make_special(int dir_fd, const std::string& name, Kind kind, std::uint32_t mode,
                    std::uint32_t rdev_major, std::uint32_t rdev_minor);

}  // namespace cairn::tree
