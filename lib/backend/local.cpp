// The local directory backend: every object is a file under the repository directory.
// Writes go to tmp/<random>, are fsync'd, renamed into place and the directory is fsync'd, so
// a crash leaves either the whole object or nothing under its final name (plus junk in tmp/).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "backend/backend.hpp"
#include "base/chandle.hpp"
#include "net/rate.hpp"

namespace cairn::backend {

namespace {

namespace fs = std::filesystem;

using Dir = CHandle<DIR, &closedir>;
constexpr mode_t kDirMode = 0700;
constexpr mode_t kFileMode = 0600;
constexpr std::array<std::string_view, 5> kSubdirs{"keys", "packs", "index", "sets", "tmp"};

bool is_pack_folder(std::string_view s) {  // "00".."ff"
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  return s.size() == 2 && hex(s[0]) && hex(s[1]);
}

// mkdir that treats "already there" as success; reports whether it created the directory.
Result<bool> make_dir(const fs::path& p) {
  if (::mkdir(p.c_str(), kDirMode) == 0) return true;
  if (errno == EEXIST) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return false;
    return Error{Errc::io,
                 fmt::format("cannot create directory '{}': a file is in the way", p.string())};
  }
  return errno_error(errno, fmt::format("cannot create directory '{}'", p.string()));
}

class LocalBackend final : public Backend {
 public:
  LocalBackend(fs::path root, std::uint64_t limit_rate)
      : root_(std::move(root)),
        limiter_(limit_rate ? std::make_unique<net::TokenBucket>(limit_rate) : nullptr) {}

  Properties properties() const override { return Properties{8, true}; }
  std::string location() const override { return root_.string(); }
  Result<std::optional<SpaceFigures>> space() override { return fs_space(root_); }

  Status put(const Key& k, ByteView body, bool no_replace) override {
    CAIRN_TRY(check(k));
    forget_open(root_ / k.path());
    CAIRN_TRY_ASSIGN(auto tmp, make_temp());
    CAIRN_TRY(io::write_full(tmp.fd.get(), body, tmp.path.string()));
    CAIRN_TRY(finish_temp(tmp));
    return place(tmp, k, no_replace);
  }

  Status put_file(const Key& k, const fs::path& src) override {
    CAIRN_TRY(check(k));
    forget_open(root_ / k.path());
    {  // the object must be durable before its name is
      CAIRN_TRY_ASSIGN(io::Fd fd, io::open_file(src, O_RDONLY));
      if (::fsync(fd.get()) != 0)
        return errno_error(errno, fmt::format("cannot fsync '{}'", src.string()));
    }
    CAIRN_TRY(parent_dir(k));
    const bool keep_existing = content_addressed(k.kind);
    const fs::path dst = root_ / k.path();
    if (!limiter_) {
      const int err = rename_file(src, dst, keep_existing);
      if (err == 0 || (keep_existing && err == EEXIST)) return io::fsync_dir(dst.parent_path());
      if (err != EXDEV)
        return errno_error(err,
                           fmt::format("cannot rename '{}' into '{}'", src.string(), dst.string()));
    } else if (keep_existing) {  // nothing to send
      struct stat st {};
      if (::stat(dst.c_str(), &st) == 0) return {};
    }
    // Another filesystem, or a rate limit: copy into tmp/ first, then rename within ours.
    CAIRN_TRY_ASSIGN(auto tmp, make_temp());
    CAIRN_TRY_ASSIGN(io::Fd in, io::open_file(src, O_RDONLY));
    Bytes buf(limiter_ ? std::size_t{64} << 10 : std::size_t{1} << 20);
    for (;;) {
      CAIRN_TRY_ASSIGN(std::size_t n, io::read_full(in.get(), buf, src.string()));
      if (n == 0) break;
      if (limiter_) limiter_->take(n);
      CAIRN_TRY(io::write_full(tmp.fd.get(), ByteView(buf).first(n), tmp.path.string()));
    }
    CAIRN_TRY(finish_temp(tmp));
    auto st = place(tmp, k, keep_existing);
    if (!st && keep_existing && st.error().code == Errc::exists) return {};
    return st;
  }

  Result<Bytes> get(const Key& k, std::uint64_t offset, std::uint64_t length) override {
    CAIRN_TRY(check(k));
    const fs::path p = root_ / k.path();
    CAIRN_TRY_ASSIGN(std::shared_ptr<const OpenObject> obj, open_object(k, p));
    const std::uint64_t size = obj->size;
    if (offset >= size) return Bytes{};
    std::uint64_t n = size - offset;
    if (length != 0 && length < n) n = length;
    Bytes out(static_cast<std::size_t>(n));
    std::size_t got = 0;
    while (got < out.size()) {
      ssize_t r = ::pread(obj->fd.get(), out.data() + got, out.size() - got,
                          static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return errno_error(errno, fmt::format("cannot read '{}'", p.string()));
      }
      if (r == 0) break;  // shrank under us
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
  }

  Result<std::optional<ObjectInfo>> stat(const Key& k) override {
    CAIRN_TRY(check(k));
    const fs::path p = root_ / k.path();
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return std::optional<ObjectInfo>{};
      return errno_error(errno, fmt::format("cannot stat '{}'", p.string()));
    }
    return std::optional<ObjectInfo>{ObjectInfo{k, static_cast<std::uint64_t>(st.st_size)}};
  }

  Status list(Kind kind, const std::function<Status(const ObjectInfo&)>& each) override {
    if (kind == Kind::config) {
      CAIRN_TRY_ASSIGN(auto info, stat(Key::config()));
      if (info) CAIRN_TRY(each(*info));
      return {};
    }
    const fs::path dir = root_ / kind_dir(kind);
    if (kind != Kind::pack) return list_dir(dir, kind, "", each);
    return walk_dir(dir, [&](const char* name, int) -> Status {
      std::string_view sub(name);
      if (!is_pack_folder(sub)) return {};
      return list_dir(dir / sub, kind, sub, each);
    });
  }

  Status remove(const Key& k) override {
    return remove_many({k}, [](const Key&) -> Status { return {}; });
  }

  // Unlinks each (absent is fine), then fsyncs each directory changed once, then reports the
  // ones removed; the caller chooses how many to pass at a time (cairn-prune: 256).
  Status remove_many(const std::vector<Key>& keys,
                     const std::function<Status(const Key&)>& removed) override {
    std::set<fs::path> dirs;
    std::size_t done = 0;
    Status failed;
    for (; done < keys.size(); ++done) {
      const Key& k = keys[done];
      failed = check(k);
      if (!failed) break;
      const fs::path p = root_ / k.path();
      forget_open(p);  // its space is freed now, not when the cache would have dropped it
      if (::unlink(p.c_str()) == 0) {
        dirs.insert(p.parent_path());  // only a directory that changed needs a sync (and exists)
      } else if (errno != ENOENT && errno != ENOTDIR) {
        failed = errno_error(errno, fmt::format("cannot remove '{}'", p.string()));
        break;
      }
    }
    for (const auto& d : dirs) CAIRN_TRY(io::fsync_dir(d));
    for (std::size_t i = 0; i < done; ++i) CAIRN_TRY(removed(keys[i]));
    return failed;
  }

 private:
  // ---- open descriptors of packs
  // A restore reads thousands of chunks from a few packs; an open, fstat and close around each
  // pread cost more than the read (strace of a 11,720-file restore: 25,000 openat). Packs are
  // content-addressed and never rewritten in place, so a descriptor kept open reads exactly
  // the bytes its name promises, and one whose file was deleted meanwhile still reads them.
  // Other kinds (config, sets, index files, keys) are read once or replaced by name: not kept.
  struct OpenObject {
    io::Fd fd;
    std::uint64_t size = 0;
  };
  struct CachedObject {
    std::string path;
    std::shared_ptr<const OpenObject> obj;
    std::uint64_t used = 0;
  };
  static constexpr std::size_t kOpenPacks = 32;

  Result<std::shared_ptr<const OpenObject>> open_object(const Key& k, const fs::path& p) {
    const bool cacheable = k.kind == Kind::pack;
    if (cacheable) {
      std::lock_guard l(open_mu_);
      for (auto& c : open_)
        if (c.path == p.native()) {
          c.used = ++open_tick_;
          return c.obj;
        }
    }
    CAIRN_TRY_ASSIGN(io::Fd fd, io::open_file(p, O_RDONLY));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
      return errno_error(errno, fmt::format("cannot stat '{}'", p.string()));
    auto obj = std::make_shared<OpenObject>(
        OpenObject{std::move(fd), static_cast<std::uint64_t>(st.st_size)});
    if (cacheable) {
      std::lock_guard l(open_mu_);
      if (open_.size() >= kOpenPacks) {
        auto oldest =
            std::min_element(open_.begin(), open_.end(),
                             [](const auto& a, const auto& b) { return a.used < b.used; });
        open_.erase(oldest);  // a reader still holding it keeps it open until it is done
      }
      open_.push_back(CachedObject{p.native(), obj, ++open_tick_});
    }
    return std::shared_ptr<const OpenObject>(std::move(obj));
  }

  void forget_open(const fs::path& p) {
    std::lock_guard l(open_mu_);
    std::erase_if(open_, [&](const CachedObject& c) { return c.path == p.native(); });
  }

  struct Temp {
    io::Fd fd;
    fs::path path;
    bool placed = false;
    Temp() = default;
    Temp(Temp&& o) noexcept : fd(std::move(o.fd)), path(std::move(o.path)), placed(o.placed) {
      o.placed = true;
    }
    Temp& operator=(Temp&&) = delete;
    ~Temp() {
      if (!placed && !path.empty()) ::unlink(path.c_str());
    }
  };

  Status check(const Key& k) const {
    if (!k.valid())
      return Error{Errc::bad_input,
                   fmt::format("invalid object name '{}' in '{}'", k.path(), root_.string())};
    return {};
  }

  Result<Temp> make_temp() {
    const fs::path dir = root_ / "tmp";
    for (int attempt = 0; attempt < 16; ++attempt) {
      std::random_device rd;
      const std::uint64_t r = (std::uint64_t{rd()} << 32) ^ rd() ^ (counter_.fetch_add(1) << 20);
      Temp t;
      t.path = dir / fmt::format("{:016x}.tmp", r);
      int fd = ::open(t.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode);
      if (fd >= 0) {
        t.fd = io::Fd{fd};
        return t;
      }
      t.path.clear();
      if (errno == ENOENT && attempt == 0) {  // tmp/ is missing (a copied repository): recreate it
        CAIRN_TRY(make_dir(dir));
        continue;
      }
      if (errno != EEXIST)
        return errno_error(errno, fmt::format("cannot create a file in '{}'", dir.string()));
    }
    return Error{Errc::io, fmt::format("cannot create a temporary file in '{}'", dir.string())};
  }

  static Status finish_temp(Temp& t) {
    if (::fsync(t.fd.get()) != 0)
      return errno_error(errno, fmt::format("cannot fsync '{}'", t.path.string()));
    return t.fd.close();
  }

  // Creates the object's directory (and packs/xx) when missing, fsyncing the parent of any
  // directory created so the new entry survives a crash.
  Status parent_dir(const Key& k) {
    if (k.kind == Kind::config) return {};
    const fs::path top = root_ / kind_dir(k.kind);
    CAIRN_TRY_ASSIGN(bool made, make_dir(top));
    if (made) CAIRN_TRY(io::fsync_dir(root_));
    if (k.kind == Kind::pack) {
      CAIRN_TRY_ASSIGN(bool made_sub, make_dir(top / k.name.substr(0, 2)));
      if (made_sub) CAIRN_TRY(io::fsync_dir(top));
    }
    return {};
  }

  // rename(2), or renameat2(RENAME_NOREPLACE) with `no_replace`; 0 or the errno.
  static int rename_file(const fs::path& src, const fs::path& dst, bool no_replace) {
    const int rc = no_replace
                       ? ::renameat2(AT_FDCWD, src.c_str(), AT_FDCWD, dst.c_str(), RENAME_NOREPLACE)
                       : ::rename(src.c_str(), dst.c_str());
    return rc == 0 ? 0 : errno;
  }

  // Moves a finished temp file to its final name and fsyncs the directory.
  Status place(Temp& tmp, const Key& k, bool no_replace) {
    CAIRN_TRY(parent_dir(k));
    const fs::path dst = root_ / k.path();
    const int err = rename_file(tmp.path, dst, no_replace);
    if (err == EEXIST && no_replace)
      return Error{Errc::exists, fmt::format("object '{}' already exists", k.path())};
    if (err != 0) return errno_error(err, fmt::format("cannot rename into '{}'", dst.string()));
    tmp.placed = true;
    return io::fsync_dir(dst.parent_path());
  }

  static Status walk_dir(const fs::path& dir, const std::function<Status(const char*, int)>& each) {
    Dir d{::opendir(dir.c_str())};
    if (!d) {
      if (errno == ENOENT) return {};
      return errno_error(errno, fmt::format("cannot list '{}'", dir.string()));
    }
    for (;;) {
      errno = 0;
      const dirent* e = ::readdir(d.get());
      if (!e) {
        if (errno != 0) return errno_error(errno, fmt::format("cannot list '{}'", dir.string()));
        return {};
      }
      if (e->d_name[0] == '.') continue;
      CAIRN_TRY(each(e->d_name, ::dirfd(d.get())));
    }
  }

  static Status list_dir(const fs::path& dir, Kind kind, std::string_view prefix,
                         const std::function<Status(const ObjectInfo&)>& each) {
    return walk_dir(dir, [&](const char* name, int dfd) -> Status {
      Key k{kind, name};
      if (!k.valid() || !k.name.starts_with(prefix)) return {};  // junk or a writer's temp
      struct stat st {};
      if (::fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return {};  // removed while listing
        return errno_error(errno, fmt::format("cannot stat '{}'", (dir / name).string()));
      }
      if (!S_ISREG(st.st_mode)) return {};
      return each(ObjectInfo{std::move(k), static_cast<std::uint64_t>(st.st_size)});
    });
  }

  fs::path root_;
  std::unique_ptr<net::TokenBucket> limiter_;  // --limit-rate, else null
  std::atomic<std::uint64_t> counter_{0};
  std::mutex open_mu_;  // guards open_ and open_tick_
  std::vector<CachedObject> open_;
  std::uint64_t open_tick_ = 0;
};

}  // namespace

std::optional<SpaceFigures> fs_space(const fs::path& p) {
  std::error_code ec;
  fs::path at = fs::absolute(p, ec).lexically_normal();
  if (ec) return std::nullopt;
  for (;;) {
    struct statvfs v {};
    if (::statvfs(at.c_str(), &v) == 0) {
      const std::uint64_t unit = v.f_frsize ? v.f_frsize : v.f_bsize;
      return SpaceFigures{static_cast<std::uint64_t>(v.f_blocks) * unit,
                          static_cast<std::uint64_t>(v.f_blocks - v.f_bfree) * unit,
                          static_cast<std::uint64_t>(v.f_bavail) * unit};
    }
    if (errno != ENOENT || at == at.parent_path()) return std::nullopt;
    at = at.parent_path();
  }
}

Result<std::unique_ptr<Backend>> open_local(const std::filesystem::path& where, bool create) {
  return open_local(where, create, 0);
}

Result<std::unique_ptr<Backend>> open_local(const std::filesystem::path& where, bool create,
                                            std::uint64_t limit_rate) {
  fs::path dir = where.lexically_normal();
  if (!dir.has_filename() && dir.has_parent_path()) dir = dir.parent_path();  // "repo/" -> "repo"
  if (create) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
      if (dir.has_parent_path() && !fs::exists(dir.parent_path(), ec))
        return Error{
            Errc::not_found,
            fmt::format("cannot create '{}': its parent directory does not exist", dir.string())};
      CAIRN_TRY(make_dir(dir));
      if (dir.has_parent_path()) CAIRN_TRY(io::fsync_dir(dir.parent_path()));
    }
    for (auto sub : kSubdirs) CAIRN_TRY(make_dir(dir / sub));
    CAIRN_TRY(io::fsync_dir(dir));
  } else {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
      return errno_error(errno, fmt::format("cannot open '{}'", dir.string()));
    if (!S_ISDIR(st.st_mode))
      return Error{Errc::not_found, fmt::format("cannot open '{}': not a directory", dir.string())};
  }
  return std::unique_ptr<Backend>(std::make_unique<LocalBackend>(dir, limit_rate));
}

}  // namespace cairn::backend
