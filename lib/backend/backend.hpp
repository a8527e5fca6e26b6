// lib/backend/backend.hpp: where repository files live. A backend knows only opaque files
// named by Key{kind, name}; it knows nothing of chunks, packs or encryption (restic Handle).
// Depends on: base, io, hash. Threads: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "hash/hash.hpp"
#include "io/file.hpp"

namespace cairn::backend {

// Layout (see cairn-repository(5)):
//   config, keys/<name>, packs/<name[0:2]>/<name>, index/<name>, sets/<name>, holds/<name>,
//   parity/<name>, tmp/
enum class Kind : std::uint8_t { config, key, pack, index, set, hold, parity };
// "", "keys", "packs", "index", "sets", "holds", "parity"
std::string_view kind_dir(Kind k);
// Named by the hash of their bytes (pack, index, set, hold, parity): an existing object of that
// name already has the same content, so a put of it is a no-op.
bool content_addressed(Kind k);

struct Key {
  Kind kind;
  std::string name;  // hex id, or "config"
  // Named constructors, one per kind: build keys with these rather than Key{Kind::..., name}.
  static Key config() { return {Kind::config, "config"}; }
  static Key slot(std::string name) { return {Kind::key, std::move(name)}; }  // keys/<name>
  static Key pack(std::string name) { return {Kind::pack, std::move(name)}; }
  static Key pack(const hash::PackId& id) { return pack(id.hex()); }
  static Key index(std::string name) { return {Kind::index, std::move(name)}; }
  static Key set(std::string name) { return {Kind::set, std::move(name)}; }
  static Key set(const hash::SetId& id) { return set(id.hex()); }
  static Key hold(std::string name) { return {Kind::hold, std::move(name)}; }
  static Key parity(std::string name) { return {Kind::parity, std::move(name)}; }
  std::string path() const;  // relative path, e.g. "packs/ab/ab12..."
  static std::optional<Key> from_path(std::string_view rel);  // inverse of path()
  // A well-formed name for its kind: "config"; 32 lower-case hex digits for a key slot; 64
  // for a pack, index or set. Backends refuse other names (no path tricks reach the storage).
  bool valid() const;
  bool operator==(const Key&) const = default;
};

struct ObjectInfo {
  Key key;
  std::uint64_t size = 0;
};

// How large the file system holding a place is, as `df -B1 --output=size,used,avail` says:
// size = f_blocks, used = f_blocks - f_bfree, avail = f_bavail (times f_frsize).
struct SpaceFigures {
  std::uint64_t size = 0, used = 0, avail = 0;
  bool operator==(const SpaceFigures&) const = default;
};
// statvfs of the file system holding `p`, or of its nearest existing parent (a directory not
// made yet); nullopt when it cannot be read.
std::optional<SpaceFigures> fs_space(const std::filesystem::path& p);

struct Properties {
  unsigned max_connections = 4;
  bool local = false;  // a directory on this host (fs paths usable for direct reads)
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Properties properties() const = 0;
  virtual std::string location() const = 0;  // for messages
  // Atomic and idempotent: readers see the whole object or nothing. `no_replace` refuses
  // (Errc::exists) to replace an existing object.
  virtual Status put(const Key& k, ByteView body, bool no_replace = false) = 0;
  // Streams a local file in (packs are tens of MiB). The file may be moved (consumed) rather
  // than copied; the caller must not use `src` afterwards. For content-addressed kinds (pack,
  // index, set) an existing object of that name is left alone and counts as success.
  virtual Status put_file(const Key& k, const std::filesystem::path& src) = 0;
  // Reads [offset, offset+length); length 0 = to the end. Absent = Errc::not_found. A range
  // that runs past the end returns the bytes that exist (fewer, possibly none): the caller
  // compares the length with what it expected.
  virtual Result<Bytes> get(const Key& k, std::uint64_t offset = 0, std::uint64_t length = 0) = 0;
  virtual Result<std::optional<ObjectInfo>> stat(const Key& k) = 0;
  virtual Status list(Kind kind, const std::function<Status(const ObjectInfo&)>& each) = 0;
  virtual Status remove(const Key& k) = 0;  // absent is not an error
  // Removes `keys` in order, calling `removed(k)` for each once its removal is durable; stops
  // at the first error (of a removal or of `removed`). Absent keys count as removed. This
  // default removes one by one; the directory backend syncs each directory once per call
  // instead of once per object (a prune that forgets thousands of sets).
  // A hint: these objects will be read whole, roughly in this order (a restore of a whole
  // set from a remote copy). A read cache fetches them ahead; others ignore it.
  virtual void will_read(const std::vector<Key>& keys) { (void)keys; }
  // The free space where the objects live, when the storage can tell: a local directory's
  // file system (statvfs), an SFTP server's (the statvfs@openssh.com extension). nullopt:
  // it cannot (buckets have no free space; the policy's quota applies). Errors: the storage
  // could not be reached (Errc::network, Errc::auth).
  virtual Result<std::optional<SpaceFigures>> space() { return std::optional<SpaceFigures>{}; }
  virtual Status remove_many(const std::vector<Key>& keys,
                             const std::function<Status(const Key&)>& removed) {
    for (const auto& k : keys) {
      CAIRN_TRY(remove(k));
      CAIRN_TRY(removed(k));
    }
    return {};
  }
};

// A directory on a local filesystem. put = temp file in tmp/, fsync, rename, fsync dir.
Result<std::unique_ptr<Backend>> open_local(const std::filesystem::path& dir, bool create);
// The same, writing at most `limit_rate` bytes a second (0 = no limit): put_file then copies
// the object in through a token bucket instead of moving it.
Result<std::unique_ptr<Backend>> open_local(const std::filesystem::path& dir, bool create,
                                            std::uint64_t limit_rate);

}  // namespace cairn::backend
