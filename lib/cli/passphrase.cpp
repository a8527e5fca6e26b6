#include "cli/passphrase.hpp"

#include <fcntl.h>
#include <string.h>  // explicit_bzero
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>

#include <fmt/format.h>

#include "io/file.hpp"

namespace cairn::cli {

namespace {

// Reads everything into a fixed buffer (no reallocation leaves copies of the secret in freed
// memory), then copies it once into the result and wipes the buffer.
Result<SecretText> read_all(int fd, std::string_view what) {
  std::array<char, kMaxPassphraseSize + 1> buf;
  std::size_t n = 0;
  struct Wipe {
    std::array<char, kMaxPassphraseSize + 1>& b;
    ~Wipe() { explicit_bzero(b.data(), b.size()); }
  } wipe_buf{buf};
  while (n < buf.size()) {
    const ssize_t got = ::read(fd, buf.data() + n, buf.size() - n);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, fmt::format("cannot read the passphrase from {}", what));
    }
    n += static_cast<std::size_t>(got);
  }
  if (n > kMaxPassphraseSize)
    return Error{Errc::usage, fmt::format("the passphrase from {} is longer than {} bytes", what,
                                          kMaxPassphraseSize)};
  if (n > 0 && buf[n - 1] == '\n') --n;  // exactly one trailing newline
  if (n == 0) return Error{Errc::usage, fmt::format("the passphrase from {} is empty", what)};
  return SecretText(std::string_view(buf.data(), n));
}

}  // namespace

Result<SecretText> read_passphrase_fd(int fd, std::string_view what) { return read_all(fd, what); }

namespace {

std::string file_binding(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {};
  return fmt::format("file:{:x}:{}:{}:{}.{:09}:{}.{:09}", st.st_dev, st.st_ino, st.st_size,
                     st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}

}  // namespace

Result<SecretText> read_passphrase_file(const std::filesystem::path& file, std::string* binding) {
  const std::string what = fmt::format("'{}'", file.string());
  auto fd = io::open_file(file, O_RDONLY);
  if (!fd && fd.error().code == Errc::not_found)  // a missing passphrase is a usage error
    return Error{Errc::usage,
                 fmt::format("the passphrase file {} does not exist: give an existing file with "
                             "--passphrase-file or CAIRN_PASSPHRASE_FILE",
                             what)};
  if (!fd) return std::move(fd).error();
  if (binding == nullptr) return read_all(fd->get(), what);
  const std::string before = file_binding(fd->get());
  auto text = read_all(fd->get(), what);
  *binding = text && before == file_binding(fd->get()) ? before : std::string();
  return text;
}

Result<SecretText> load_passphrase(const std::filesystem::path& file, const char* fd_env,
                                   std::string* binding) {
  if (!file.empty()) return read_passphrase_file(file, binding);
  if (fd_env == nullptr || *fd_env == '\0')
    return Error{Errc::usage,
                 "no passphrase given: use --passphrase-file, CAIRN_PASSPHRASE_FILE or "
                 "CAIRN_PASSPHRASE_FD"};
  const std::string_view text{fd_env};
  int fd = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
  if (ec != std::errc{} || end != text.data() + text.size() || fd < 0)
    return Error{Errc::usage,
                 fmt::format("CAIRN_PASSPHRASE_FD is not a file descriptor number: '{}'", text)};
  return read_passphrase_fd(fd, fmt::format("file descriptor {} (CAIRN_PASSPHRASE_FD)", fd));
}

}  // namespace cairn::cli
