// lib/tar/writer.cpp: manifest entries + content -> a pax tar stream (pax headers keep
// nanosecond mtimes, xattrs and ACLs).
#include <archive.h>
#include <archive_entry.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/chandle.hpp"
#include "tar/tar.hpp"

namespace cairn::tar {

using ArchiveOut = CHandle<archive, &archive_write_free>;
using ArchiveEntry = CHandle<archive_entry, &archive_entry_free>;

struct Writer::Impl {
  io::Writer& out;
  ArchiveOut a;
  std::optional<Error> write_error;
  std::uint64_t remaining = 0;  // content bytes still owed for the current file
  std::string current;
  bool finished = false;
  bool abandoned = false;    // cut off: nothing more reaches `out`
  std::uint64_t offset = 0;  // bytes handed to `out` so far

  explicit Impl(io::Writer& w) : out(w) {}

  static la_ssize_t write_cb(struct archive* ar, void* self, const void* buf, size_t n) {
    auto* me = static_cast<Impl*>(self);
    if (me->abandoned) {
      archive_set_error(ar, EIO, "the tar stream was cut off");
      return -1;
    }
    auto st = me->out.write(ByteView(static_cast<const std::uint8_t*>(buf), n));
    if (!st) {
      me->write_error = std::move(st).error();
      archive_set_error(ar, EIO, "%s", me->write_error->message.c_str());
      return -1;
    }
    me->offset += n;
    return static_cast<la_ssize_t>(n);
  }

  Error error(std::string_view what) {
    if (write_error) return *write_error;
    const char* msg = archive_error_string(a.get());
    return Error{Errc::io, fmt::format("{}: {}", what, msg ? msg : "unknown libarchive error")};
  }
};

Writer::Writer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
// A writer dropped before finish() (an error, an interrupt) is abandoned: archive_write_free
// would otherwise close the archive, padding the current member with zeros and adding a
// valid end, and a reader would take the stream for whole.
Writer::~Writer() {
  if (impl_ && !impl_->finished) (void)abandon();
}

Result<std::unique_ptr<Writer>> Writer::open(io::Writer& out) {
  auto impl = std::make_unique<Impl>(out);
  impl->a.reset(archive_write_new());
  if (!impl->a) return Error{Errc::internal, "cannot allocate a libarchive writer"};
  archive* a = impl->a.get();
  // No blocking: every byte libarchive produces reaches `out` at once, so a stream cut off
  // by abandon() ends exactly where the last authenticated byte went (no buffered block is
  // completed with padding, and no end-of-archive follows).
  if (archive_write_set_format_pax(a) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK)
    return impl->error("cannot set up the tar writer");
  if (archive_write_open(a, impl.get(), nullptr, &Impl::write_cb, nullptr) != ARCHIVE_OK)
    return impl->error("cannot start the tar stream");
  return std::unique_ptr<Writer>(new Writer(std::move(impl)));
}

Status Writer::add(const manifest::Entry& e, const Extents* data) {
  Impl& m = *impl_;
  if (m.finished || m.abandoned)
    return Error{Errc::internal, "tar writer used after finish() or abandon()"};
  if (m.remaining != 0)
    return Error{Errc::internal, fmt::format("tar member '{}' is missing {} bytes of content",
                                             m.current, m.remaining)};
  CAIRN_TRY(manifest::check_path(e.path));
  ArchiveEntry ae(archive_entry_new());
  if (!ae) return Error{Errc::internal, "cannot allocate a tar entry"};
  std::string name = e.path == "." ? std::string("./") : e.path;
  if (e.type == manifest::Type::dir && e.path != ".") name.push_back('/');
  archive_entry_copy_pathname(ae.get(), name.c_str());
  archive_entry_set_perm(ae.get(), static_cast<mode_t>(e.mode & 07777));
  archive_entry_set_uid(ae.get(), e.uid);
  archive_entry_set_gid(ae.get(), e.gid);
  if (e.user) archive_entry_copy_uname(ae.get(), e.user->c_str());
  if (e.group) archive_entry_copy_gname(ae.get(), e.group->c_str());
  std::int64_t sec = e.mtime_ns / 1000000000, nsec = e.mtime_ns % 1000000000;
  if (nsec < 0) {
    nsec += 1000000000;
    --sec;
  }
  archive_entry_set_mtime(ae.get(), static_cast<time_t>(sec), static_cast<long>(nsec));
  archive_entry_set_size(ae.get(), 0);
  switch (e.type) {
    case manifest::Type::file:
      archive_entry_set_filetype(ae.get(), AE_IFREG);
      archive_entry_set_size(ae.get(), static_cast<la_int64_t>(e.size));
      if (data) {
        std::uint64_t end = 0;
        for (const auto& [off, len] : *data) {
          if (off < end || len > e.size || off > e.size - len)
            return Error{Errc::internal, fmt::format("bad sparse map for '{}'", e.path)};
          archive_entry_sparse_add_entry(ae.get(), static_cast<la_int64_t>(off),
                                         static_cast<la_int64_t>(len));
          end = off + len;
        }
        // A trailing hole: the map ends with an empty extent at the end of the file.
        if (end < e.size)
          archive_entry_sparse_add_entry(ae.get(), static_cast<la_int64_t>(e.size), 0);
      }
      break;
    case manifest::Type::dir: archive_entry_set_filetype(ae.get(), AE_IFDIR); break;
    case manifest::Type::symlink:
      archive_entry_set_filetype(ae.get(), AE_IFLNK);
      archive_entry_copy_symlink(ae.get(), e.target.c_str());
      break;
    case manifest::Type::hardlink:
      CAIRN_TRY(manifest::check_path(e.link));
      archive_entry_set_filetype(ae.get(), AE_IFREG);
      archive_entry_copy_hardlink(ae.get(), e.link.c_str());
      break;
    case manifest::Type::fifo: archive_entry_set_filetype(ae.get(), AE_IFIFO); break;
    case manifest::Type::chardev:
    case manifest::Type::blockdev:
      archive_entry_set_filetype(ae.get(), e.type == manifest::Type::chardev ? AE_IFCHR : AE_IFBLK);
      archive_entry_set_rdevmajor(ae.get(), e.rdev_major);
      archive_entry_set_rdevminor(ae.get(), e.rdev_minor);
      break;
    case manifest::Type::socket:
      return Error{Errc::unimplemented,
                   fmt::format("socket '{}' cannot be stored in a tar stream", e.path)};
  }
  for (const auto& x : e.xattrs)
    archive_entry_xattr_add_entry(ae.get(), x.name.c_str(), x.value.data(), x.value.size());
  // POSIX ACLs travel as pax SCHILY.acl.* records, which GNU tar --acls reads back.
  if (e.acl_access && archive_entry_acl_from_text(ae.get(), e.acl_access->c_str(),
                                                  ARCHIVE_ENTRY_ACL_TYPE_ACCESS) != ARCHIVE_OK)
    return Error{Errc::bad_input,
                 fmt::format("cannot store the ACL of '{}' in a tar stream", e.path)};
  if (e.acl_default && archive_entry_acl_from_text(ae.get(), e.acl_default->c_str(),
                                                   ARCHIVE_ENTRY_ACL_TYPE_DEFAULT) != ARCHIVE_OK)
    return Error{Errc::bad_input,
                 fmt::format("cannot store the default ACL of '{}' in a tar stream", e.path)};
  int rc = archive_write_header(m.a.get(), ae.get());
  if (rc == ARCHIVE_FATAL || rc == ARCHIVE_FAILED)
    return m.error(fmt::format("cannot write the tar header of '{}'", e.path));
  m.current = e.path;
  m.remaining = e.type == manifest::Type::file ? e.size : 0;
  return {};
}

Status Writer::data(ByteView b) {
  Impl& m = *impl_;
  if (m.abandoned) return Error{Errc::internal, "tar writer used after abandon()"};
  if (b.size() > m.remaining)
    return Error{Errc::internal,
                 fmt::format("tar member '{}' gets more content than its size", m.current)};
  while (!b.empty()) {
    la_ssize_t n = archive_write_data(m.a.get(), b.data(), b.size());
    if (n <= 0) return m.error(fmt::format("cannot write the content of '{}'", m.current));
    b = b.subspan(static_cast<std::size_t>(n));
    m.remaining -= static_cast<std::uint64_t>(n);
  }
  return {};
}

Status Writer::abandon() {
  Impl& m = *impl_;
  if (m.finished || m.abandoned) return {};
  m.abandoned = true;  // from here on libarchive's writes fail: archive_write_free adds nothing
  if (m.remaining != 0) return m.out.flush();  // cut inside a member: no reader takes it whole
  // Cut between members: a reader could take that for a complete archive (GNU tar accepts an
  // archive without its end blocks). Skip the padding the last member is owed and add one block
  // that is no header (its checksum fails, and it is not the zero block that ends an archive).
  static constexpr std::string_view kMark =
      "cairn-restore: this tar stream was cut off here because the set's data is damaged\n";
  std::string tail((512 - m.offset % 512) % 512 + 512, '\0');
  for (std::size_t i = 0; i < tail.size(); ++i) tail[i] = kMark[i % kMark.size()];
  CAIRN_TRY(m.out.write(ByteView(reinterpret_cast<const std::uint8_t*>(tail.data()), tail.size())));
  m.offset += tail.size();
  return m.out.flush();
}

Status Writer::finish() {
  Impl& m = *impl_;
  if (m.abandoned) return Error{Errc::internal, "tar writer finished after it was abandoned"};
  if (m.finished) return Error{Errc::internal, "tar writer finished twice"};
  m.finished = true;
  if (m.remaining != 0)
    return Error{Errc::internal, fmt::format("tar member '{}' is missing {} bytes of content",
                                             m.current, m.remaining)};
  if (archive_write_close(m.a.get()) != ARCHIVE_OK) return m.error("cannot finish the tar stream");
  return m.out.flush();
}

}  // namespace cairn::tar
