#include "crypto/key_cache.hpp"

#include <fcntl.h>
#include <linux/keyctl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace cairn::crypto {

namespace {

// view, read and search for the possessor; nothing for the user, group or others (the
// KEY_POS_* bits of keyutils.h, which linux/keyctl.h does not define).
constexpr unsigned long kPosView = 0x01000000, kPosRead = 0x02000000, kPosSearch = 0x08000000;
constexpr unsigned long kPossessorOnly = kPosView | kPosRead | kPosSearch;
constexpr std::string_view kPrefix = "cairn:";

long keyctl(int op, unsigned long a = 0, unsigned long b = 0, unsigned long c = 0,
            unsigned long d = 0) {
  return ::syscall(SYS_keyctl, op, a, b, c, d);
}

template <typename T>
unsigned long arg(T* p) {
  return reinterpret_cast<unsigned long>(p);
}

bool refused(int e) { return e == ENOSYS || e == EPERM || e == EACCES; }

// The session keyring's id (the user-session keyring, installed as the session keyring, when
// the process has none; without KEY_LOOKUP_CREATE the kernel never makes a new, per-process
// one, which would be lost at exit), or -1 with errno set.
long session_keyring() {
#ifdef CAIRN_TEST_HOOKS
  if (const char* off = std::getenv("CAIRN_TEST_NO_KEYRING"); off && std::string_view(off) == "1") {
    errno = ENOSYS;  // as under a seccomp filter that refuses the keyring syscalls
    return -1;
  }
#endif
  return keyctl(KEYCTL_GET_KEYRING_ID, static_cast<unsigned long>(KEY_SPEC_SESSION_KEYRING), 0);
}

// A repository id for a file name and a description: hex digits only.
std::string clean_scope(std::string s) {
  const bool hex = !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  return hex ? s : std::string("unknown");
}

// The directory for the lock files: $XDG_RUNTIME_DIR when it is ours and private, else
// $TMPDIR/cairn-UID (or /tmp/cairn-UID), created 0700 and checked to be a directory (not a
// symlink) owned by this uid that no one else may enter.
std::optional<std::string> lock_dir() {
  const uid_t uid = ::getuid();
  auto private_dir = [&](const std::string& d) {
    struct stat st {};
    return ::lstat(d.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid &&
           (st.st_mode & 077) == 0;
  };
  if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x && *x == '/' && private_dir(x))
    return std::string(x);
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir =
      fmt::format("{}/cairn-{}", tmp && *tmp == '/' ? std::string_view(tmp) : "/tmp", uid);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return std::nullopt;
  if (!private_dir(dir)) return std::nullopt;
  return dir;
}

// Every key in `ring` (one level) whose description starts with `prefix`, as ids.
std::vector<long> entries(long ring, std::string_view prefix) {
  std::vector<std::int32_t> ids(256);
  for (;;) {
    const long n = keyctl(KEYCTL_READ, static_cast<unsigned long>(ring), arg(ids.data()),
                          ids.size() * sizeof(std::int32_t));
    if (n < 0) return {};
    const auto count = static_cast<std::size_t>(n) / sizeof(std::int32_t);
    if (count <= ids.size()) {
      ids.resize(count);
      break;
    }
    ids.resize(count);
  }
  std::vector<long> out;
  std::array<char, 4096> desc{};
  for (const std::int32_t id : ids) {
    const long n =
        keyctl(KEYCTL_DESCRIBE, static_cast<unsigned long>(id), arg(desc.data()), desc.size());
    if (n <= 0 || static_cast<std::size_t>(n) > desc.size()) continue;
    // "type;uid;gid;perm;description"
    std::string_view d(desc.data(), static_cast<std::size_t>(n) - 1);
    if (!d.starts_with("user;")) continue;
    for (int i = 0; i < 4; ++i) d.remove_prefix(std::min(d.size(), d.find(';') + 1));
    if (d.starts_with(prefix)) out.push_back(id);
  }
  return out;
}

}  // namespace

KeyCache::KeyCache(std::string scope, std::string binding, unsigned seconds, Observer* note)
    : scope_(clean_scope(std::move(scope))),
      binding_(std::move(binding)),
      seconds_(seconds),
      note_(note) {}

KeyCache::~KeyCache() { unlock(); }

void KeyCache::note(std::string_view line) const {
  if (note_ != nullptr) note_->info(line);
}

std::string KeyCache::description(ByteView salt) const {
  return fmt::format("{}{}:{}:{}", kPrefix, scope_, to_hex(salt), binding_);
}

long KeyCache::keyring() {
  if (ring_ == 0) {
    ring_ = session_keyring();
    if (ring_ < 0) {
      ring_ = -1;
      if (refused(errno)) {
        unavailable_ = true;
        note(fmt::format("the kernel keyring is unavailable ({}): the key is derived by each tool",
                         std::strerror(errno)));
      }
    }
  }
  return ring_;
}

std::optional<SecretBytes> KeyCache::find(ByteView salt) {
  if (!enabled()) return std::nullopt;
  const long ring = keyring();
  if (ring < 0) return std::nullopt;
  const std::string desc = description(salt);
  const long id =
      keyctl(KEYCTL_SEARCH, static_cast<unsigned long>(ring), arg("user"), arg(desc.c_str()), 0);
  if (id < 0) return std::nullopt;  // ENOKEY, EKEYEXPIRED, EKEYREVOKED, ...
  SecretBytes buf(2 * kDerivedKeySize);
  const long n = keyctl(KEYCTL_READ, static_cast<unsigned long>(id), arg(buf.data()), buf.size());
  if (n != static_cast<long>(kDerivedKeySize)) {
    keyctl(KEYCTL_INVALIDATE, static_cast<unsigned long>(id));
    return std::nullopt;
  }
  return SecretBytes::copy_of(buf.view().first(kDerivedKeySize));
}

void KeyCache::store(ByteView salt, ByteView kek) {
  if (!enabled()) return;
  const long ring = keyring();
  if (ring < 0) return;
  const std::string desc = description(salt);
  const long id = ::syscall(SYS_add_key, "user", desc.c_str(), kek.data(), kek.size(), ring);
  if (id < 0) {
    note(fmt::format("could not keep the key in the kernel keyring: {}", std::strerror(errno)));
    return;
  }
  // The timeout first: the possessor-only permissions below take away the right to set it.
  if (keyctl(KEYCTL_SET_TIMEOUT, static_cast<unsigned long>(id), seconds_) != 0 ||
      keyctl(KEYCTL_SETPERM, static_cast<unsigned long>(id), kPossessorOnly) != 0) {
    const int e = errno;
    keyctl(KEYCTL_INVALIDATE, static_cast<unsigned long>(id));
    note(fmt::format("could not keep the key in the kernel keyring: {}", std::strerror(e)));
    return;
  }
  note(fmt::format("key kept in the kernel keyring for {} s", seconds_));
}

void KeyCache::drop(ByteView salt) {
  const long ring = keyring();
  if (ring < 0) return;
  const std::string desc = description(salt);
  const long id =
      keyctl(KEYCTL_SEARCH, static_cast<unsigned long>(ring), arg("user"), arg(desc.c_str()), 0);
  if (id >= 0) keyctl(KEYCTL_INVALIDATE, static_cast<unsigned long>(id));
}

void KeyCache::lock() {
  if (!enabled() || lock_fd_ >= 0) return;
  const auto dir = lock_dir();
  if (!dir) return;
  const std::string file = fmt::format("{}/cairn-key-{}.lock", *dir, scope_);
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const auto deadline = std::chrono::steady_clock::now() + kKeyCacheLockWait;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if ((errno != EWOULDBLOCK && errno != EINTR) || std::chrono::steady_clock::now() >= deadline) {
      if (errno == EWOULDBLOCK)
        note(fmt::format("waited {} s for another tool to derive the key: deriving it here",
                         kKeyCacheLockWait.count()));
      ::close(fd);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  lock_fd_ = fd;
}

void KeyCache::unlock() {
  if (lock_fd_ < 0) return;
  ::close(lock_fd_);  // releases the flock
  lock_fd_ = -1;
}

std::size_t forget_cached_keys(std::string_view scope, std::optional<ByteView> salt) {
  const long ring = session_keyring();
  if (ring < 0) return 0;
  std::string prefix(kPrefix);
  if (!scope.empty()) {
    prefix += clean_scope(std::string(scope)) + ":";
    if (salt) prefix += to_hex(*salt) + ":";
  }
  std::size_t n = 0;
  for (const long id : entries(ring, prefix)) {
    if (keyctl(KEYCTL_INVALIDATE, static_cast<unsigned long>(id)) == 0) ++n;
  }
  return n;
}

}  // namespace cairn::crypto
