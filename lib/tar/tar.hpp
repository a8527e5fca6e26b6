// lib/tar/tar.hpp: the libarchive bridge. Reader turns a tar/pax stream (any compression
// libarchive knows) into manifest entries plus their content; Writer writes a pax stream from
// entries plus content (cairn-restore --tar).
// Depends on: base, io, manifest, libarchive (only this module includes archive.h).
// Threads: Reader and Writer are thread-compatible (one user at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/observer.hpp"
#include "base/result.hpp"
#include "io/file.hpp"
#include "manifest/manifest.hpp"

namespace cairn::tar {

// Normalizes a tar member name to a manifest path: leading "/" and "./" stripped, "." and empty
// components dropped, trailing "/" dropped; "" (the archive's "./") becomes ".". A ".."
// component gives Errc::bad_input.
Result<std::string> normalize_path(std::string_view name);

class Reader {
 public:
  // Reads `in` (not owned; must outlive the Reader). `name` is used in messages ("stdin").
  static Result<std::unique_ptr<Reader>> open(io::Reader& in, std::string name);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // The next member as an entry (ino/dev/nlink 0; regular files have inline_content = true and
  // their content comes from read()). Members that cannot be represented (a ".." path, a
  // hardlink to a member that was skipped, a repeated path) are reported to `obs` and skipped.
  // Returns false at the end of the archive.
  Result<bool> next(manifest::Entry& e, Observer& obs);
  // Content of the current regular file; 0 = end of its content. Holes read as zeros.
  Result<std::size_t> read(MutByteView buf);

 private:
  struct Impl;
  explicit Reader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Writer {
 public:
  // A pax (restricted) stream to `out` (not owned), unblocked: each byte reaches `out` as it is
  // produced.
  static Result<std::unique_ptr<Writer>> open(io::Writer& out);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Where a sparse file holds data: (offset, length), in order, not overlapping; the rest
  // of the file is holes.
  using Extents = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
  // Writes the header of `e`. For a "file", exactly e.size bytes of content must follow via
  // data() before the next add(). Sockets cannot be stored in tar: Errc::unimplemented.
  // With `data` (a file with holes), the member is a sparse one (GNU sparse format 1.0 in
  // pax headers, which GNU tar and bsdtar extract with the holes): data() still gets every
  // byte, holes as zeros, and only the extents' bytes reach the stream.
  Status add(const manifest::Entry& e, const Extents* data = nullptr);
  Status data(ByteView b);
  // Writes the end-of-archive blocks and flushes; reports errors archive_write_free would hide.
  Status finish();
  // Cuts the stream off where it stands, so that no reader takes it for a whole archive: no
  // padding, no end-of-archive. Inside a member's content the stream just ends there; between
  // members one block that is no valid header follows. Then flushes. A Writer destroyed
  // without finish() is abandoned.
  Status abandon();

 private:
  struct Impl;
  explicit Writer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::tar
