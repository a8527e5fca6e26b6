// lib/crypto/key_cache.hpp: key-encryption keys kept for a short time in the Linux kernel
// keyring, so that the tools of one pipeline (snap | diff | pack) or of one job run Argon2id
// once instead of once each. What is kept is the 32-byte key derived from the passphrase for
// one key slot (derive_key's result), never the passphrase; a kept key proves itself by
// opening the slot (the AEAD authenticates), and one that does not is dropped.
//
// An entry is a "user" key in the session keyring described
//   cairn:<repository id hex>:<slot's KDF salt hex>:<binding>
// where the binding names the passphrase's source without a fast hash of the passphrase
// (e.g. a passphrase file's device, inode, size, mtime and ctime): another file, or the same
// file with new content, never finds the entry. Its permissions are view/read/search for the
// possessor and nothing for the user, group or others; it expires after `seconds`.
// A process without a session keyring (cron, a daemon) uses its user-session keyring (the
// kernel installs it as the session keyring on first access). Where the keyring syscalls are
// refused (ENOSYS, EPERM, EACCES: seccomp in containers) the cache turns itself off: every
// tool derives, as before. The threat model is in man/cairn-repository.5.scd.
//
// Concurrency: the tools of a pipeline start together. The first to miss takes lock() (an
// flock on a per-user file named by the repository id, in $XDG_RUNTIME_DIR or /tmp/cairn-UID),
// checks again, derives and stores; the others wait there (30 s at most, then derive) and
// find the key.
// Only this module issues the keyring syscalls (no libkeyutils: four system calls).
// Depends on: base, crypto. Threads: one KeyCache per thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/observer.hpp"
#include "crypto/crypto.hpp"

namespace cairn::crypto {

inline constexpr std::chrono::seconds kKeyCacheLockWait{30};

class KeyCache {
 public:
  // scope: the repository id (hex); binding: the passphrase source's identity, empty when it
  // has none (a pipe: CAIRN_PASSPHRASE_FD), which turns caching off; seconds: the entries'
  // lifetime, 0 = off. `note` (may be null) receives the -v lines: "key derived ...",
  // "key from the kernel keyring ...", and why the keyring is not used.
  KeyCache(std::string scope, std::string binding, unsigned seconds, Observer* note);
  KeyCache(const KeyCache&) = delete;
  KeyCache& operator=(const KeyCache&) = delete;
  ~KeyCache();

  bool enabled() const { return seconds_ > 0 && !binding_.empty() && !unavailable_; }
  // The key kept for the slot whose KDF salt is `salt`, in locked memory; nullopt on a miss.
  std::optional<SecretBytes> find(ByteView salt);
  // Keeps `kek` for `salt` (after it opened the slot). Failures are silent (a -v line).
  void store(ByteView salt, ByteView kek);
  // Drops the entry for `salt` (a kept key that did not open its slot).
  void drop(ByteView salt);
  // Takes the per-repository lock (bounded wait; without it on any failure). Released by
  // unlock() or the destructor.
  void lock();
  void unlock();
  // For the -v line of a derivation.
  void note(std::string_view line) const;

 private:
  std::string description(ByteView salt) const;
  long keyring();  // the session keyring's id, or -1 (and unavailable_ set)

  std::string scope_, binding_;
  unsigned seconds_;
  Observer* note_;
  bool unavailable_ = false;
  long ring_ = 0;
  int lock_fd_ = -1;
};

// Drops the entries of repository `scope` (empty: of every repository) reachable from this
// process's session keyring; with `salt` (and a scope) only those of that slot. Returns how
// many went.
std::size_t forget_cached_keys(std::string_view scope, std::optional<ByteView> salt);

}  // namespace cairn::crypto
