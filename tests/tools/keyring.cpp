// cairn-test-keyring: the kernel keyring as the key cache's CLI tests need it (keyctl(1) is
// in keyutils, which the test machines need not have).
//   cairn-test-keyring session CMD ARGS...  run CMD in a new, empty session keyring (exit 77
//                                           when the keyring syscalls are refused)
//   cairn-test-keyring list                 "PERM DESCRIPTION" per cairn entry (PERM in hex)
//   cairn-test-keyring corrupt              replace each cairn entry's key by a wrong one
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

long keyctl(int op, unsigned long a = 0, unsigned long b = 0, unsigned long c = 0) {
  return ::syscall(SYS_keyctl, op, a, b, c, 0);
}

struct Entry {
  long id;
  unsigned long perm;
  std::string desc;
};

std::vector<Entry> cairn_entries() {
  std::vector<Entry> out;
  std::array<std::int32_t, 1024> ids{};
  const long n = keyctl(KEYCTL_READ, static_cast<unsigned long>(KEY_SPEC_SESSION_KEYRING),
                        reinterpret_cast<unsigned long>(ids.data()), sizeof ids);
  if (n < 0) return out;
  for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof(std::int32_t) && i < ids.size();
       ++i) {
    std::array<char, 4096> d{};
    const long m = keyctl(KEYCTL_DESCRIBE, static_cast<unsigned long>(ids[i]),
                          reinterpret_cast<unsigned long>(d.data()), d.size());
    if (m <= 0) continue;
    std::string_view s(d.data(), static_cast<std::size_t>(m) - 1);  // type;uid;gid;perm;desc
    if (!s.starts_with("user;")) continue;
    std::string_view f = s;
    std::array<std::string_view, 5> field;
    for (int k = 0; k < 4; ++k) {
      field[k] = f.substr(0, f.find(';'));
      f.remove_prefix(f.find(';') + 1);
    }
    if (!f.starts_with("cairn:")) continue;
    out.push_back({ids[i], std::stoul(std::string(field[3]), nullptr, 16), std::string(f)});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view cmd = argc > 1 ? argv[1] : "";
  if (cmd == "session" && argc > 2) {
    if (keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0) < 0) {
      std::fprintf(stderr, "cairn-test-keyring: the kernel keyring is unavailable: %s\n",
                   std::strerror(errno));
      return 77;
    }
    ::execvp(argv[2], argv + 2);
    std::fprintf(stderr, "cairn-test-keyring: %s: %s\n", argv[2], std::strerror(errno));
    return 127;
  }
  if (cmd == "list") {
    for (const auto& e : cairn_entries()) std::printf("%08lx %s\n", e.perm, e.desc.c_str());
    return 0;
  }
  if (cmd == "corrupt") {
    int n = 0;
    for (const auto& e : cairn_entries()) {
      keyctl(KEYCTL_INVALIDATE, static_cast<unsigned long>(e.id));
      std::array<unsigned char, 32> wrong;
      wrong.fill(0x5a);
      const long id = ::syscall(SYS_add_key, "user", e.desc.c_str(), wrong.data(), wrong.size(),
                                KEY_SPEC_SESSION_KEYRING);
      if (id < 0) {
        std::fprintf(stderr, "cairn-test-keyring: add_key: %s\n", std::strerror(errno));
        return 1;
      }
      keyctl(KEYCTL_SETPERM, static_cast<unsigned long>(id), e.perm);
      ++n;
    }
    std::printf("%d\n", n);
    return 0;
  }
  std::fprintf(stderr, "usage: cairn-test-keyring session CMD ARGS... | list | corrupt\n");
  return 2;
}
