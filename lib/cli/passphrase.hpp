// lib/cli/passphrase.hpp: where a passphrase comes from. Never argv: a file
// (--passphrase-file, CAIRN_PASSPHRASE_FILE) or an inherited descriptor (CAIRN_PASSPHRASE_FD).
// One trailing newline is stripped; an empty passphrase is refused. The result is a
// SecretText (base/secret.hpp): wiped when released, never in a core file.
// Depends on: base, io. Threads: plain functions.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/secret.hpp"

namespace cairn::cli {

// Longer input is refused: it is almost certainly the wrong file.
inline constexpr std::size_t kMaxPassphraseSize = 64 * 1024;

// Reads fd to end of file (leaving it open). `what` names the source in errors,
// e.g. "file descriptor 3 (CAIRN_PASSPHRASE_FD)".
Result<SecretText> read_passphrase_fd(int fd, std::string_view what);
// With `binding`: set to the file's identity for the kernel keyring cache (key_cache.hpp):
// "file:DEV:INODE:SIZE:MTIME_NS:CTIME_NS", the same before and after the read (else empty).
// Another file, or new content in the same file, gives another binding; nothing in it is
// computed from the passphrase.
Result<SecretText> read_passphrase_file(const std::filesystem::path& file,
                                        std::string* binding = nullptr);

// The common rule: `file` when not empty (the flag or CAIRN_PASSPHRASE_FILE), else the
// descriptor named by `fd_env` (the value of CAIRN_PASSPHRASE_FD; nullptr when unset).
// Errc::usage when neither is given, when fd_env is not a descriptor number, or when the
// passphrase is empty. `binding` as for read_passphrase_file; a descriptor (a pipe, new each
// time) has none: it is left empty and keys from it are not cached.
Result<SecretText> load_passphrase(const std::filesystem::path& file, const char* fd_env,
                                   std::string* binding = nullptr);

}  // namespace cairn::cli
