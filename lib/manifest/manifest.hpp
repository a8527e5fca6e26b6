// lib/manifest/manifest.hpp: manifest entries and the manifest stream (cairn-manifest(5)).
// Depends on: base, io, hash, stream. Threads: Writer and Reader are thread-compatible.
//
// A manifest stream (format 1.0) is a stream::kManifest stream:
//   line 1   {"cairn":"manifest","version":[1,0],"set":{"source":..,"host":..,"class":..,
//             "started_ns":..,"roots":[..],"tags":[..]}} ("tags" only when there are some)
//   entries  one JSON object a line (see Entry), in path_less() order for directory snapshots,
//            archive order for --tar; an entry with "inline":true is followed by content frames
//            (<decimal length>\n<bytes>, at most 16 MiB each, ended by "0\n")
//   last     {"end":true,"entries":N,"digest":"<hex BLAKE2b-256 of every byte before this line>"}
// Paths are relative and '/'-separated with no empty, "." or ".." components; the root of a
// single-root snapshot is ".". Paths, symlink targets and hardlink links that are not valid
// UTF-8 travel base64-encoded as "path_b64", "target_b64", "link_b64".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "hash/hash.hpp"
#include "io/file.hpp"
#include "stream/stream.hpp"

namespace cairn::manifest {

enum class Type : std::uint8_t { file, dir, symlink, hardlink, fifo, socket, chardev, blockdev };
std::string_view type_name(Type t);  // "file", "dir", ...
std::optional<Type> type_from_name(std::string_view s);

// Filled in by cairn-diff; `none` is not written.
enum class Change : std::uint8_t { none, added, modified, unchanged, deleted };
std::string_view change_name(Change c);  // "" for none
std::optional<Change> change_from_name(std::string_view s);

struct Xattr {
  std::string name;  // valid UTF-8 (others are skipped by the producer)
  Bytes value;
  bool operator==(const Xattr&) const = default;
};

struct Entry {
  std::string path;  // raw bytes, relative, '/'-separated; "." = root of a single-root snapshot
  Type type = Type::file;
  std::uint32_t mode = 0;  // st_mode & 07777 (permissions plus setuid/setgid/sticky)
  std::uint32_t uid = 0, gid = 0;
  std::optional<std::string> user, group;  // absent when unknown or not valid UTF-8
  std::uint64_t size = 0;  // file size; 0 for --stdin entries (the frames carry the length)
  std::int64_t mtime_ns = 0, ctime_ns = 0;
  std::uint64_t ino = 0, dev = 0, nlink = 0;     // 0 = unknown (tar/stdin input)
  std::uint32_t rdev_major = 0, rdev_minor = 0;  // chardev/blockdev only
  std::string target;                            // symlink: target bytes exactly
  std::string link;           // hardlink: path of the first entry of the group (a "file")
  std::vector<Xattr> xattrs;  // sorted by name
  std::optional<std::string> acl_access, acl_default;  // acl_to_any_text, numeric ids, ','
  bool sparse = false;                                 // st_blocks*512 < size
  bool inline_content = false;  // "inline": content frames follow the entry line
  Change status = Change::none;
  std::vector<hash::ChunkId> chunks;  // written when non-empty or when digest is set
  // One possession proof per chunk (cairn-repository(5) CHUNKS), written when non-empty:
  // cairn-pack fills them for the stored manifest and checks that an entry it reuses
  // unchanged carries one per chunk; readers check each against the chunk's plaintext.
  std::vector<hash::Digest> proofs;
  std::optional<hash::Digest> digest;  // BLAKE2b-256 of the whole content

  bool operator==(const Entry&) const = default;
};

// Header "set" object.
struct SetInfo {
  std::string source, host, retention_class;  // "class" in the stream
  std::int64_t started_ns = 0;
  std::vector<std::string> roots;  // as given on the command line (informational)
  std::vector<std::string> tags;   // --tag, for the set object ("tags", written when not empty)
};

// Checks the path rules above (Errc::bad_input naming the path).
Status check_path(std::string_view path);
// The stream order: "." first, then component by component, byte-wise (so "a/b" < "a-b":
// a directory's subtree directly follows it, parents before children).
bool path_less(std::string_view a, std::string_view b);

// One entry as a JSON line (no '\n'), and back. decode_entry checks paths like Reader does.
std::string encode_entry(const Entry& e);
void append_entry(std::string& out, const Entry& e);  // encode_entry, appended to `out`
Result<Entry> decode_entry(std::string_view json_line);

class Writer {
 public:
  explicit Writer(io::Writer& out) : w_(out, stream::kManifest) {}
  Status header(const SetInfo& set);
  // Refuses a bad path (Errc::bad_input). After an entry with inline_content, write its
  // content with frame() (any size: split into frames of at most 16 MiB), then end_frames().
  Status entry(const Entry& e);
  Status frame(ByteView data);
  Status end_frames();
  Status finish();  // writes the trailer and flushes
  std::uint64_t entries() const { return w_.records(); }

 private:
  stream::Writer w_;
  std::string line_;  // reused for every entry
  bool in_frames_ = false;
};

class Reader {
 public:
  explicit Reader(io::Reader& in, std::string source = "stdin")
      : r_(in, stream::kManifest, std::move(source)) {}
  // Reads and checks the header; call once before next().
  Status open();
  const SetInfo& set() const { return set_; }
  stream::Version version() const { return r_.version(); }
  // Reads the next entry. false = the trailer was read and verified: the stream is complete.
  // Frames of the previous entry that were not read are skipped (and still digested).
  Result<bool> next(Entry& e);
  // Content of the current entry (when e.inline_content): fills `buf` with the next frame and
  // returns its size; 0 = end of this entry's content (also for entries without content).
  Result<std::size_t> read_frame(Bytes& buf);
  std::uint64_t entries() const { return r_.records(); }
  // See stream::Reader::skip_digest (for bytes a MAC already authenticated).
  void skip_digest() { r_.skip_digest(); }

 private:
  stream::Reader r_;
  SetInfo set_;
  bool frames_ = false;
};

}  // namespace cairn::manifest
