// lib/ops/admin.hpp: the `cairn` front command's own verbs: init, key management, ls.
// Depends on: repo, catalog, crypto. Threads: plain functions.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

// Creates the repository and its catalog; prints the repository id and where both live.
Result<Outcome> init(const RepoOptions& o, const repo::InitOptions& init, io::Writer& out);

enum class KeyVerb { add, passwd, remove, list, export_key, writers, revoke, rotate, generations };
struct KeyOptions {
  RepoOptions repo;
  KeyVerb verb = KeyVerb::list;
  SecretText new_passphrase;                  // add, passwd, export
  std::string slot;                           // remove; revoke: the writer id (32 hex digits)
  std::string reason;                         // revoke
  std::optional<std::filesystem::path> file;  // export
  bool write_only = false;                    // export
};
Result<Outcome> key(const KeyOptions& o, io::Writer& out);
// cairn key forget: drops the keys kept in the kernel keyring (crypto/key_cache.hpp) for
// every repository, now; needs no passphrase. Tells `obs` (-v) how many went.
Result<Outcome> forget_keys(Observer& obs);

struct LsOptions {
  RepoOptions repo;
  std::optional<std::string> source;  // a source, or a set reference (then: its files)
  std::optional<std::string> path;    // with a set: only this file or subtree
  std::optional<std::string> tag;     // only sets carrying this tag
  bool json = false;
  bool bytes = false;  // exact byte counts instead of human sizes
};
// One line per set, oldest first: id, time, source, host, kind, class, status, entries, read,
// new, stored, hold. When `source` is no source the catalog knows but a set reference
// (ops/browse.hpp names_a_set), that set's files instead (ls_files).
Result<Outcome> ls(const LsOptions& o, io::Writer& out);

}  // namespace cairn::ops
