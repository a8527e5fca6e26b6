// lib/cli/passphrase.hpp: where a passphrase comes from. Never argv: an inherited descriptor
// (CAIRN_PASSPHRASE_FD), a file (--passphrase-file, CAIRN_PASSPHRASE_FILE), a command's output
// (CAIRN_PASSPHRASE_COMMAND) or a prompt on the terminal.
// One trailing newline is stripped; an empty passphrase is refused. The result is a
// SecretText (base/secret.hpp): wiped when released, never in a core file.
// Depends on: base, io. Threads: plain functions.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/secret.hpp"
#include "cli/log.hpp"

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

// Where a tool looks for its passphrase, first found wins (cairn(7) PASSPHRASES AND KEYS):
// CAIRN_PASSPHRASE_FD, the file (--passphrase-file / CAIRN_PASSPHRASE_FILE),
// CAIRN_PASSPHRASE_COMMAND, and last a prompt on /dev/tty when standard input is a terminal.
struct PassphraseSources {
  std::filesystem::path file;            // the flag or CAIRN_PASSPHRASE_FILE; empty: none
  const char* fd = nullptr;              // CAIRN_PASSPHRASE_FD's value; nullptr or "": none
  const char* command = nullptr;         // CAIRN_PASSPHRASE_COMMAND's value; nullptr or "": none
  const char* timeout = nullptr;         // CAIRN_PASSPHRASE_TIMEOUT's value (seconds, default 120)
  bool prompt = true;                    // may prompt (only when stdin and /dev/tty are terminals)
  bool confirm = false;                  // a new passphrase: the prompt asks twice and compares
  std::string_view what = "passphrase";  // in the prompt and errors: "new passphrase"
};

// The passphrase from the first source given. Errc::usage when none is (naming them all),
// when fd is not a descriptor number, when the passphrase is empty, or when the two entries
// of a confirmed prompt differ; Errc::auth when the command fails, prints nothing or does not
// finish within the timeout; Errc::cancelled on Ctrl-C at the prompt (the terminal's echo is
// restored). `binding` as for read_passphrase_file, for a file only: a descriptor, a command
// and a prompt have none (it is left empty and keys from them are not cached).
Result<SecretText> find_passphrase(const PassphraseSources& src, std::string* binding = nullptr);

// find_passphrase with the descriptor and the file only (no command, no prompt).
Result<SecretText> load_passphrase(const std::filesystem::path& file, const char* fd_env,
                                   std::string* binding = nullptr);

// The passphrase from `command` run by /bin/sh -c: the first line of its standard output
// (its standard input and error are ours). Errc::auth on a non-zero exit, a signal, no
// output, or after `timeout_s` seconds (the command's process group is killed).
Result<SecretText> run_passphrase_command(const std::string& command, unsigned timeout_s);

// Asks `prompt` on the terminal `tty` (read and write) with echo off and reads one line.
// Errc::usage on an empty line, Errc::cancelled on SIGINT/SIGTERM/SIGHUP.
Result<SecretText> prompt_passphrase(int tty, std::string_view prompt);

// A file holding a secret (a passphrase or key file) that its group or others may read: the
// one-line warning to print ("...: warning: ..."), or nullopt.
std::optional<std::string> readable_by_others(const std::filesystem::path& file,
                                              std::string_view what);
// That warning as a log record (event "readable_by_others", level warning, field "path"):
// its text "<tool>: warning: <warning>", or `warning` alone when !prefixed.
LogRecord readable_record(std::string_view tool, const std::filesystem::path& file,
                          std::string_view warning, bool prefixed);

}  // namespace cairn::cli
