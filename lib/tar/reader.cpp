// lib/tar/reader.cpp: tar/pax (any libarchive format and compression) -> manifest entries.
#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <unordered_map>

#include <fmt/format.h>

#include "base/chandle.hpp"
#include "tar/tar.hpp"

namespace cairn::tar {

using ArchiveIn = CHandle<archive, &archive_read_free>;

Result<std::string> normalize_path(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  std::size_t pos = 0;
  while (pos <= name.size()) {
    std::size_t end = name.find('/', pos);
    if (end == std::string_view::npos) end = name.size();
    auto comp = name.substr(pos, end - pos);
    pos = end + 1;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") return Error{Errc::bad_input, "path has a '..' component"};
    if (!out.empty()) out.push_back('/');
    out.append(comp);
  }
  if (out.empty()) out.push_back('.');
  return out;
}

struct Reader::Impl {
  io::Reader& in;
  std::string name;
  ArchiveIn a;
  Bytes buf = Bytes(1u << 16);
  std::optional<Error> read_error;  // the io::Reader's own error, reported instead of libarchive's
  std::unordered_map<std::string, bool> seen;  // path -> is a regular file with content
  bool has_data = false;
  std::uint64_t total = 0;  // bytes read from `in`

  Impl(io::Reader& r, std::string n) : in(r), name(std::move(n)) {}

  static la_ssize_t read_cb(struct archive* ar, void* self, const void** out) {
    auto* me = static_cast<Impl*>(self);
    auto n = me->in.read(me->buf);
    if (!n) {
      me->read_error = std::move(n).error();
      archive_set_error(ar, EIO, "%s", me->read_error->message.c_str());
      return -1;
    }
    *out = me->buf.data();
    me->total += *n;
    return static_cast<la_ssize_t>(*n);
  }

  Error error(std::string_view what) {
    if (read_error) return *read_error;
    const char* msg = archive_error_string(a.get());
    return Error{Errc::bad_input,
                 fmt::format("{} tar stream on {}: {}", what, name, msg ? msg : "unknown error")};
  }
};

Reader::Reader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Reader::~Reader() = default;

Result<std::unique_ptr<Reader>> Reader::open(io::Reader& in, std::string name) {
  auto impl = std::make_unique<Impl>(in, std::move(name));
  impl->a.reset(archive_read_new());
  if (!impl->a) return Error{Errc::internal, "cannot allocate a libarchive reader"};
  archive* a = impl->a.get();
  archive_read_support_filter_all(a);
  archive_read_support_format_all(a);
  if (archive_read_open(a, impl.get(), nullptr, &Impl::read_cb, nullptr) != ARCHIVE_OK)
    return impl->error("cannot open the");
  return std::unique_ptr<Reader>(new Reader(std::move(impl)));
}

Result<bool> Reader::next(manifest::Entry& e, Observer& obs) {
  Impl& m = *impl_;
  for (;;) {
    archive_entry* ae = nullptr;
    m.has_data = false;
    int rc = archive_read_next_header(m.a.get(), &ae);
    if (rc == ARCHIVE_EOF) {
      if (m.total == 0)
        return Error{Errc::bad_input, fmt::format("tar stream on {} is empty", m.name)};
      return false;
    }
    if (rc == ARCHIVE_WARN && ae) {
      const char* msg = archive_error_string(m.a.get());
      const char* p = archive_entry_pathname(ae);
      obs.warning(p ? p : "", Error{Errc::bad_input, msg ? msg : "libarchive warning"});
    } else if (rc != ARCHIVE_OK) {
      return m.error("cannot read the");
    }
    const char* raw = archive_entry_pathname(ae);
    std::string raw_name = raw ? raw : "";
    auto path = normalize_path(raw_name);
    if (!path) {
      obs.warning(raw_name, Error{Errc::bad_input, fmt::format("skipped tar member '{}': {}",
                                                               raw_name, path.error().message)});
      continue;
    }
    manifest::Entry x;
    x.path = std::move(*path);
    x.mode = static_cast<std::uint32_t>(archive_entry_perm(ae)) & 07777;
    x.uid = static_cast<std::uint32_t>(archive_entry_uid(ae));
    x.gid = static_cast<std::uint32_t>(archive_entry_gid(ae));
    if (const char* u = archive_entry_uname(ae); u && *u) x.user = u;
    if (const char* g = archive_entry_gname(ae); g && *g) x.group = g;
    x.mtime_ns = static_cast<std::int64_t>(archive_entry_mtime(ae)) * 1000000000 +
                 archive_entry_mtime_nsec(ae);
    if (archive_entry_ctime_is_set(ae))
      x.ctime_ns = static_cast<std::int64_t>(archive_entry_ctime(ae)) * 1000000000 +
                   archive_entry_ctime_nsec(ae);
    x.size = archive_entry_size_is_set(ae) ? static_cast<std::uint64_t>(archive_entry_size(ae)) : 0;
    if (const char* hl = archive_entry_hardlink(ae)) {
      auto link = normalize_path(hl);
      auto it = link ? m.seen.find(*link) : m.seen.end();
      if (!link || it == m.seen.end() || !it->second) {
        obs.warning(x.path, Error{Errc::bad_input,
                                  fmt::format("skipped tar member '{}': hard link to '{}', which "
                                              "is not a file earlier in the archive",
                                              raw_name, hl)});
        continue;
      }
      x.type = manifest::Type::hardlink;
      x.link = std::move(*link);
      x.size = 0;
    } else {
      switch (archive_entry_filetype(ae)) {
        case AE_IFREG: x.type = manifest::Type::file; break;
        case AE_IFDIR:
          x.type = manifest::Type::dir;
          x.size = 0;
          break;
        case AE_IFLNK: {
          x.type = manifest::Type::symlink;
          const char* t = archive_entry_symlink(ae);
          x.target = t ? t : "";
          x.size = x.target.size();
          if (x.target.empty()) {
            obs.warning(x.path, Error{Errc::bad_input,
                                      fmt::format("skipped tar member '{}': symlink without a "
                                                  "target",
                                                  raw_name)});
            continue;
          }
          break;
        }
        case AE_IFIFO:
          x.type = manifest::Type::fifo;
          x.size = 0;
          break;
        case AE_IFSOCK:
          x.type = manifest::Type::socket;
          x.size = 0;
          break;
        case AE_IFCHR:
        case AE_IFBLK:
          x.type = archive_entry_filetype(ae) == AE_IFCHR ? manifest::Type::chardev
                                                          : manifest::Type::blockdev;
          x.rdev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(ae));
          x.rdev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(ae));
          x.size = 0;
          break;
        default:
          obs.warning(x.path,
                      Error{Errc::bad_input,
                            fmt::format("skipped tar member '{}': unknown type", raw_name)});
          continue;
      }
    }
    if (x.path == "." && x.type != manifest::Type::dir) {
      obs.warning(raw_name,
                  Error{Errc::bad_input, fmt::format("skipped tar member '{}': the root must be a "
                                                     "directory",
                                                     raw_name)});
      continue;
    }
    if (m.seen.count(x.path)) {
      obs.warning(x.path, Error{Errc::bad_input,
                                fmt::format("skipped tar member '{}': its path appears earlier "
                                            "in the archive",
                                            raw_name)});
      continue;
    }
    // Extended attributes (pax SCHILY.xattr / LIBARCHIVE.xattr).
    if (archive_entry_xattr_reset(ae) > 0) {
      const char* xn;
      const void* xv;
      size_t xs;
      while (archive_entry_xattr_next(ae, &xn, &xv, &xs) == ARCHIVE_OK) {
        std::string_view xname(xn ? xn : "");
        if (xname.empty() || xname.starts_with("system.posix_acl_")) continue;
        if (!is_utf8(xname)) {
          obs.warning(x.path, Error{Errc::bad_input, "skipped an xattr whose name is not UTF-8"});
          continue;
        }
        const auto* p = static_cast<const std::uint8_t*>(xv);
        x.xattrs.push_back(manifest::Xattr{std::string(xname), Bytes(p, p + xs)});
      }
      // libarchive's pax writer stores each xattr twice (LIBARCHIVE.xattr and SCHILY.xattr).
      std::stable_sort(
          x.xattrs.begin(), x.xattrs.end(),
          [](const manifest::Xattr& l, const manifest::Xattr& r) { return l.name < r.name; });
      x.xattrs.erase(std::unique(x.xattrs.begin(), x.xattrs.end(),
                                 [](const manifest::Xattr& l, const manifest::Xattr& r) {
                                   return l.name == r.name;
                                 }),
                     x.xattrs.end());
    }
    x.sparse = x.type == manifest::Type::file && archive_entry_sparse_count(ae) > 0;
    x.inline_content = x.type == manifest::Type::file;
    m.has_data = x.inline_content;
    m.seen.emplace(x.path, x.type == manifest::Type::file);
    e = std::move(x);
    return true;
  }
}

Result<std::size_t> Reader::read(MutByteView buf) {
  Impl& m = *impl_;
  if (!m.has_data || buf.empty()) return std::size_t{0};
  la_ssize_t n = archive_read_data(m.a.get(), buf.data(), buf.size());
  if (n < 0) {
    m.has_data = false;
    return m.error("cannot read a member of the");
  }
  if (n == 0) m.has_data = false;
  return static_cast<std::size_t>(n);
}

}  // namespace cairn::tar
