#include "restore/restore.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "repo/stored.hpp"
#include "tar/tar.hpp"
#include "tree/tree.hpp"

namespace cairn::restore {

bool selected(std::string_view path, const std::vector<std::string>& patterns,
              std::vector<char>* used) {
  if (patterns.empty()) return true;
  std::string p(path);
  auto slash = p.rfind('/');
  std::string base = slash == std::string::npos ? p : p.substr(slash + 1);
  bool any = false;
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    std::string_view q = patterns[i];
    while (q.size() > 1 && q.back() == '/') q.remove_suffix(1);
    if (q.starts_with("./")) q.remove_prefix(2);
    std::string qs(q);
    bool hit = p == q || q == "." ||
               (p.size() > q.size() && p.compare(0, q.size(), q) == 0 && p[q.size()] == '/') ||
               ::fnmatch(qs.c_str(), p.c_str(), 0) == 0 ||
               ::fnmatch(qs.c_str(), base.c_str(), 0) == 0;
    if (!hit) continue;
    any = true;
    if (!used) break;
    (*used)[i] = 1;
  }
  return any;
}

namespace {

// Errc::not_found naming every pattern that selected nothing.
Status check_patterns_used(const std::vector<std::string>& patterns,
                           const std::vector<char>& used) {
  std::string missing;
  for (std::size_t i = 0; i < patterns.size(); ++i)
    if (!used[i]) missing += (missing.empty() ? "'" : ", '") + patterns[i] + "'";
  if (missing.empty()) return {};
  return Error{Errc::not_found, fmt::format("nothing in the set matches {}", missing)};
}

tree::Kind tree_kind(manifest::Type t) {
  switch (t) {
    case manifest::Type::dir: return tree::Kind::dir;
    case manifest::Type::symlink: return tree::Kind::symlink;
    case manifest::Type::fifo: return tree::Kind::fifo;
    case manifest::Type::socket: return tree::Kind::socket;
    case manifest::Type::chardev: return tree::Kind::chardev;
    case manifest::Type::blockdev: return tree::Kind::blockdev;
    default: return tree::Kind::file;
  }
}

tree::Meta meta_of(const manifest::Entry& e) {
  tree::Meta m;
  m.kind = tree_kind(e.type);
  m.mode = e.mode;
  m.uid = e.uid;
  m.gid = e.gid;
  m.user = e.user;
  m.group = e.group;
  m.mtime_ns = e.mtime_ns;
  for (auto& x : e.xattrs) m.xattrs.push_back(tree::Xattr{x.name, x.value});
  m.acl_access = e.acl_access;
  m.acl_default = e.acl_default;
  return m;
}

std::string temp_name() {
  static std::atomic<std::uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format(".cairn-restore-{:x}-{:x}", rng() & 0xffffffff, counter++);
}

// An entry made under a temporary name in the directory `dir` and renamed to its final name
// only when it is whole: until then (an error, damage, an interrupt) it is removed again, so
// the target never holds a half-restored entry under a name of the set.
// A file created under its final name (in_place) is removed the same way until keep().
class TempEntry {
 public:
  explicit TempEntry(int dir) : dir_(dir), name_(temp_name()) {}
  TempEntry(int dir, std::string final_name) : dir_(dir), name_(std::move(final_name)) {}
  ~TempEntry() {
    if (made_) ::unlinkat(dir_, name_.c_str(), 0);
  }
  TempEntry(const TempEntry&) = delete;
  TempEntry& operator=(const TempEntry&) = delete;

  const std::string& name() const { return name_; }
  // The entry now exists under name(): removed unless renamed.
  void made() { made_ = true; }
  Status rename_to(const std::string& final_name) {
    if (::renameat(dir_, name_.c_str(), dir_, final_name.c_str()) != 0) {
      in_the_way_ = errno == EISDIR;
      return errno_error(errno, "cannot rename into place");
    }
    made_ = false;
    return {};
  }
  // The entry made under name() stays (it was made under its final name).
  void keep() { made_ = false; }
  // The last rename_to() failed because the final name is a directory.
  bool dir_in_the_way() const { return in_the_way_; }

 private:
  int dir_;
  std::string name_;
  bool made_ = false;
  bool in_the_way_ = false;
};

// What --special guards (cairn-restore(1) SPECIAL FILES): device nodes, the setuid and setgid
// bits of anything but a directory, and file capabilities. Without --special they are left
// out, and counted for one line at the end.
struct SpecialCount {
  std::atomic<std::uint64_t> devices{0}, setid{0}, caps{0};
};

constexpr std::string_view kCapabilityXattr = "security.capability";

// False when the entry is not to be restored at all (a device node without --special);
// otherwise takes out of `e` what --special alone restores.
bool tame(manifest::Entry& e, bool special, SpecialCount& n) {
  if (special) return true;
  if (e.type == manifest::Type::chardev || e.type == manifest::Type::blockdev) {
    ++n.devices;
    return false;
  }
  // setgid on a directory only makes new files inherit its group: kept.
  if (e.type != manifest::Type::dir && (e.mode & 06000) != 0) {
    e.mode &= ~06000u;
    ++n.setid;
  }
  auto cap = std::remove_if(e.xattrs.begin(), e.xattrs.end(),
                            [](const auto& x) { return x.name == kCapabilityXattr; });
  if (cap != e.xattrs.end()) {
    e.xattrs.erase(cap, e.xattrs.end());
    ++n.caps;
  }
  return true;
}

void report_special(const SpecialCount& n, Observer& obs) {
  if (n.devices > 0)
    obs.warning("", Error{Errc::unimplemented,
                          fmt::format("{} device node{} not restored; --special restores them",
                                      n.devices.load(), n.devices == 1 ? " was" : "s were")});
  if (n.setid > 0 || n.caps > 0)
    obs.info(fmt::format(
        "{} setuid/setgid bits cleared and {} file capabilities left out; --special restores them",
        n.setid.load(), n.caps.load()));
}

// A file's chunks, as the index sizes them, must add up to the size the set records: checked
// before the first byte of the file is written, so a forged size (2^63) writes nothing, and
// output never holds more than the chunks do. Errc::corrupt (a chunk in no index too).
Status check_size(repo::Repository& r, const manifest::Entry& e) {
  std::uint64_t sum = 0;
  for (const auto& id : e.chunks) {
    auto loc = r.locate(id);
    if (!loc)
      return Error{Errc::corrupt,
                   fmt::format("chunk {} is in no index (missing)", id.hex().substr(0, 12))};
    sum += loc->raw_size;
  }
  if (sum != e.size)
    return Error{Errc::corrupt,
                 fmt::format("the set records {} bytes but its chunks hold {}", e.size, sum)};
  return {};
}

// One rule for what stops a restore: damage (Errc::corrupt) and an entry that cannot be made
// where the set puts it (bad_input, not_found, exists, unimplemented) are that entry's own:
// named, counted, and the others go on. Anything else (a full disk, an I/O error, an
// interrupt, a key that cannot read) stops the restore. Hard links and directory metadata,
// made once every file is written, are always the entry's own: there is nothing left to stop.
bool per_item(const Error& e) {
  switch (e.code) {
    case Errc::corrupt:
    case Errc::bad_input:
    case Errc::not_found:
    case Errc::exists:
    case Errc::unimplemented: return true;
    case Errc::usage:
    case Errc::unsupported_format:
    case Errc::io:
    case Errc::locked:
    case Errc::auth:
    case Errc::network:
    case Errc::cancelled:
    case Errc::no_repo:
    case Errc::objective:
    case Errc::uncataloged:
    case Errc::internal: return false;
  }
  return false;
}

// The chunks of file entry `e`, in order, each authenticated before `sink` gets it, and no
// byte beyond the size the set records: Errc::corrupt when they add up to more or less.
// `named` puts the path in front of the messages (a stream: no warning line names it).
// `fast`, when given, is tried first for each chunk (ChunkRun: a run of blobs read at once);
// when it fails, set.chunk() reads the chunk again and its error is the one reported.
// `sink` gets each chunk's plaintext as a Bytes it may keep (move from).
template <class Sink>
Status for_chunks(Source& set, const manifest::Entry& e, const CancelToken& cancel, bool named,
                  Sink&& sink, const std::function<Result<Bytes>(std::size_t)>& fast = {}) {
  const std::string file = named ? fmt::format("'{}'", e.path) : std::string();
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < e.chunks.size(); ++i) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    Result<Bytes> data = Error{Errc::internal, "unread"};
    if (fast) data = fast(i);
    if (!data) data = set.chunk(e, i);
    if (!data) {
      const std::string id = set.id().hex();
      return std::move(data).error().wrap(named ? fmt::format("set {}: {}", id, file)
                                                : fmt::format("set {}", id));
    }
    total += data->size();
    if (total > e.size) break;
    CAIRN_TRY(sink(std::move(*data)));
  }
  if (total != e.size) {
    Error bad{Errc::corrupt,
              fmt::format("the set records {} bytes but its chunks hold {}", e.size, total)};
    if (named) bad.wrap(file);
    return bad;
  }
  return {};
}

Status copy_chunks(Source& set, const manifest::Entry& e, const CancelToken& cancel, bool named,
                   const std::function<Status(ByteView)>& sink,
                   const std::function<Result<Bytes>(std::size_t)>& fast = {}) {
  return for_chunks(
      set, e, cancel, named, [&](Bytes&& data) { return sink(data); }, fast);
}

// Open directories of the target, from its root down, reached one component at a time with
// O_NOFOLLOW: a symlink (planted or restored) is never traversed.
class DirWalker {
 public:
  explicit DirWalker(io::Fd root) { push("", std::move(root), true); }
  int root() const { return stack_.front().fd->get(); }
  // The directory parent_of() returned last, shared: a queued file keeps it open (one
  // descriptor per directory, not one per file), and whether a file created in it gets the
  // mode it asks for (no default ACL there: only the umask masks it).
  const std::shared_ptr<io::Fd>& top() const { return stack_.back().fd; }
  bool top_plain() const { return stack_.back().plain; }
  // Whether top() is private (see Level::priv).
  bool top_private() const { return stack_.back().priv; }
  // Enters `dir`, named `name`, which this restore just made in top() (the caller noted it):
  // its entries follow it in the set, and find it open instead of opening it again. Files are
  // created in it only when `for_files` (else top_plain() is false: no ACL check is spent).
  void enter(std::string name, io::Fd dir, bool for_files = true) {
    push(std::move(name), std::move(dir), for_files);
  }
  // Records the directory this restore made (or took over) at `path`: from then on it is
  // only entered while it is that same inode, so a directory swapped for another (by a
  // local user who can write its parent) never receives the restore's files.
  void note(const std::string& path, tree::Identity id) { made_[path] = id; }
  std::optional<tree::Identity> made(const std::string& path) const {
    auto it = made_.find(path);
    if (it == made_.end()) return std::nullopt;
    return it->second;
  }
  // The directory that holds `path`; creates missing directories (0700 until their own
  // metadata is applied) when `create`.
  Result<int> parent_of(std::string_view path, bool create) {
    std::vector<std::string_view> comps;
    std::size_t start = 0;
    for (;;) {
      auto slash = path.find('/', start);
      if (slash == std::string_view::npos) break;
      comps.push_back(path.substr(start, slash - start));
      start = slash + 1;
    }
    std::size_t keep = 1;
    while (keep < stack_.size() && keep - 1 < comps.size() && stack_[keep].name == comps[keep - 1])
      ++keep;
    stack_.resize(keep);
    for (std::size_t i = keep - 1; i < comps.size(); ++i) {
      std::string name(comps[i]);
      // comps[i] points into `path`: its end is where this directory's own path ends.
      std::string sub(path.substr(
          0, static_cast<std::size_t>(comps[i].data() - path.data()) + comps[i].size()));
      int fd = ::openat(stack_.back().fd->get(), name.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && create) {
        if (::mkdirat(stack_.back().fd->get(), name.c_str(), 0700) != 0 && errno != EEXIST)
          return errno_error(errno, fmt::format("cannot create directory '{}'", sub));
        fd = ::openat(stack_.back().fd->get(), name.c_str(),
                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
          struct stat st;
          if (::fstat(fd, &st) == 0)
            note(sub,
                 {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)});
        }
      }
      if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
          return Error{
              Errc::bad_input,
              fmt::format("refusing to restore through '{}': it is not a directory (a symlink?)",
                          sub)};
        return errno_error(errno, fmt::format("cannot open directory '{}'", sub));
      }
      io::Fd dir(fd);
      if (auto want = made(sub)) {
        struct stat st;
        if (::fstat(fd, &st) != 0)
          return errno_error(errno, fmt::format("cannot stat directory '{}'", sub));
        if (static_cast<std::uint64_t>(st.st_dev) != want->dev ||
            static_cast<std::uint64_t>(st.st_ino) != want->ino)
          return Error{
              Errc::bad_input,
              fmt::format("refusing to restore through '{}': it was replaced by another directory "
                          "while the restore ran (check who can write its parent)",
                          sub)};
      }
      enter(name, std::move(dir), create);
    }
    return stack_.back().fd->get();
  }

 private:
  // True unless the directory surely has no default ACL (which would mask new files' modes
  // instead of the umask): an error other than "none" counts as one.
  static bool has_default_acl(int dir) {
    if (::fgetxattr(dir, "system.posix_acl_default", nullptr, 0) >= 0) return true;
    return errno != ENODATA && errno != ENOTSUP;
  }
  struct Level {
    std::string name;
    std::shared_ptr<io::Fd> fd;
    bool plain = false;  // no default ACL
    // The restorer's own with no group or other permission bits (nor, then, an ACL mask that
    // lets a named user in): nobody but the restorer (and root) can create, rename or remove
    // names in it, so a file may be created there under its final name (restore_file).
    bool priv = false;
  };
  void push(std::string name, io::Fd dir, bool for_files) {
    Level l{std::move(name), nullptr, false, false};
    if (for_files) {
      l.plain = !has_default_acl(dir.get());
      struct stat st;
      l.priv = ::fstat(dir.get(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
    }
    l.fd = std::make_shared<io::Fd>(std::move(dir));
    stack_.push_back(std::move(l));
  }
  std::vector<Level> stack_;
  std::unordered_map<std::string, tree::Identity> made_;
};

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

constexpr std::size_t kBlock = 4096;

Status pwrite_all(int fd, ByteView b, std::uint64_t off) {
  std::size_t done = 0;
  while (done < b.size()) {
    ssize_t n = ::pwrite(fd, b.data() + done, b.size() - done, static_cast<off_t>(off + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

bool all_zero(ByteView b) {
  return std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c == 0; });
}

// The process's umask (/proc/self/status; umask(2) cannot read it without setting it, and
// other threads run): nullopt when unknown.
std::optional<mode_t> current_umask() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("Umask:")) {
      try {
        return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  return std::nullopt;
}

// Files are written in batches: up to kBatchFiles files of one directory holding together up
// to kBatchBytes (a larger file goes alone) make one job for the workers, so a tree of small
// files costs one queue hand-over (and its futex calls) per batch, not per file, and a
// batch's blobs, adjacent in their pack, are read in one go (repo::ChunkRun).
constexpr std::size_t kBatchFiles = 64;
constexpr std::uint64_t kBatchBytes = 1u << 20;
// Chunks planned ahead of the one being read: what a region read can reach.
constexpr std::size_t kPlanAhead = 256;
// The largest file restore_file() may create under its final name (all of it held in memory
// first).
constexpr std::uint64_t kInPlaceBytes = 1u << 20;
// A file larger than kSplitBytes is restored in pieces of about kPieceBytes, one job each, so
// that both cores decrypt and decompress it (split()).
constexpr std::uint64_t kSplitBytes = 8u << 20;
constexpr std::uint64_t kPieceBytes = 4u << 20;

class DirRestorer {
 public:
  DirRestorer(repo::Repository& r, Source& set, io::Fd root, const Options& o, Observer& obs,
              const CancelToken& cancel, SpecialCount& special)
      : r_(r),
        set_(set),
        walker_(std::move(root)),
        o_(o),
        obs_(obs),
        cancel_(cancel),
        special_(special) {
    apply_.owner = ::geteuid() == 0;
    apply_.owners = &owners_;
    umask_ = current_umask();
    struct stat st;
    if (::fstat(walker_.root(), &st) == 0) root_dev_ = st.st_dev;
  }

  // Every job it queues on `q` uses this object: the caller waits for `q` before it goes.
  Status run(WorkQueue& q) {
    manifest::Entry e;
    bool whole = false;  // every entry of the set was read (--delete needs all it holds)
    for (;;) {
      if (cancel_.cancelled()) return Error{Errc::cancelled, "interrupted"};
      CAIRN_TRY_ASSIGN(bool more, set_.next(e));
      if (!more) {
        whole = true;
        break;
      }
      CAIRN_TRY(manifest::check_path(e.path));
      if (!selected(e.path, o_.patterns, &used_)) continue;
      if (o_.remove) held_.insert(e.path);
      if (!tame(e, o_.special, special_)) continue;
      Status s = one(e, q);
      if (!s) {
        if (!per_item(s.error())) {
          (void)q.wait();
          return std::move(s).error();
        }
        fail(e.path, s.error());
      }
      if (!o_.keep_going && damaged_ > 0) break;  // damage stops the restore unless --keep-going
    }
    Status flushed = flush(q);
    Status w = q.wait();
    if (!flushed) return flushed;
    if (!w) return w;
    for (auto& [path, link] : hardlinks_) {
      Status s = make_hardlink(path, link);
      if (!s) fail(path, s.error());
    }
    // Before directory metadata: removing entries changes their directories' mtimes.
    if (o_.remove) delete_unheld(whole);
    // Directory metadata last, deepest first, so creating children does not undo mtimes.
    // Each directory is reached again from the target by descriptor and must still be the
    // inode made for it: this is the window in which a local user who can write a parent
    // swaps one for a symlink (see tree::apply_metadata).
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      Status s = dir_meta(it->path, it->meta, it->id);
      if (!s) fail(it->path, s.error());
    }
    if (kept_ > 0)
      obs_.info(
          fmt::format("{} entries already in the target were kept ({} bytes of files not "
                      "read from the repository)",
                      kept_.load(), kept_bytes_.load()));
    if (damaged_ == 0) CAIRN_TRY(check_patterns_used(o_.patterns, used_));
    if (damaged_ > 0)
      return Error{
          Errc::corrupt,
          fmt::format("{} of the files could not be restored because of damaged data (named above)",
                      damaged_.load())};
    return {};
  }
  int failed() const { return failed_; }

 private:
  void fail(const std::string& path, const Error& e) {
    std::lock_guard l(mu_);  // workers fail files too
    ++failed_;
    if (e.code == Errc::corrupt) ++damaged_;
    obs_.warning(path, e);
  }

  Status one(const manifest::Entry& e, WorkQueue& q) {
    if (e.path == ".") {
      if (e.type == manifest::Type::dir) dirs_.push_back({".", meta_of(e), {}});
      return {};
    }
    CAIRN_TRY_ASSIGN(int parent, walker_.parent_of(e.path, true));
    std::string name = base_name(e.path);
    switch (e.type) {
      case manifest::Type::dir: {
        if (::mkdirat(parent, name.c_str(), 0700) != 0 && errno != EEXIST)
          return errno_error(errno, "cannot create directory");
        int dfd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
          CAIRN_TRY(make_room_for_dir(parent, name));
          dfd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (dfd < 0) {
          if (errno == ELOOP || errno == ENOTDIR)
            return Error{Errc::bad_input, "exists in the target and is not a directory"};
          return errno_error(errno, "cannot open directory");
        }
        io::Fd d(dfd);
        struct stat st;
        if (::fstat(dfd, &st) != 0) return errno_error(errno, "cannot stat directory");
        tree::Identity id{static_cast<std::uint64_t>(st.st_dev),
                          static_cast<std::uint64_t>(st.st_ino)};
        walker_.note(e.path, id);
        dirs_.push_back({e.path, meta_of(e), id});
        walker_.enter(name, std::move(d));
        return {};
      }
      case manifest::Type::file: {
        if (e.size > kSplitBytes && o_.overwrite == Overwrite::always) return split(e, q);
        if (batch_.dir != walker_.top()) CAIRN_TRY(flush(q));
        batch_.dir = walker_.top();
        batch_.plain = walker_.top_plain();
        batch_.priv = walker_.top_private();
        batch_.files.push_back(e);
        batch_.bytes += e.size;
        if (batch_.files.size() >= kBatchFiles || batch_.bytes >= kBatchBytes) return flush(q);
        return {};
      }
      case manifest::Type::hardlink: hardlinks_.emplace_back(e.path, e.link); return {};
      case manifest::Type::symlink: {
        if (o_.overwrite == Overwrite::never) {
          CAIRN_TRY_ASSIGN(auto there, in_target(parent, name, e.type));
          if (there.kept) return {};
        }
        TempEntry tmp(parent);
        if (::symlinkat(e.target.c_str(), parent, tmp.name().c_str()) != 0)
          return errno_error(errno, "cannot create symlink");
        tmp.made();
        Status s = tree::apply_metadata(parent, tmp.name(), meta_of(e), apply_,
                                        identity_at(parent, tmp.name()));
        if (!s) obs_.warning(e.path, s.error());
        return place(tmp, parent, name);
      }
      case manifest::Type::socket:
        return {};  // a socket is a live endpoint: nothing to restore (see cairn-restore(1))
      default: {
        if (o_.overwrite == Overwrite::never) {
          CAIRN_TRY_ASSIGN(auto there, in_target(parent, name, e.type));
          if (there.kept) return {};
        }
        TempEntry tmp(parent);
        CAIRN_TRY(tree::make_special(parent, tmp.name(), tree_kind(e.type), e.mode, e.rdev_major,
                                     e.rdev_minor));
        tmp.made();
        Status s = tree::apply_metadata(parent, tmp.name(), meta_of(e), apply_,
                                        identity_at(parent, tmp.name()));
        if (!s) obs_.warning(e.path, s.error());
        return place(tmp, parent, name);
      }
    }
  }

  // Files of one directory, restored by one job.
  struct Batch {
    std::shared_ptr<io::Fd> dir;
    bool plain = false;  // no default ACL in dir
    bool priv = false;   // dir is private (DirWalker::Level::priv)
    std::vector<manifest::Entry> files;
    std::uint64_t bytes = 0;
  };

  // A large file restored by several jobs (split()): one temporary file, each job writing its
  // piece at its offset; the job that ends last applies the metadata and renames it into
  // place, or (a piece failed) names the file and removes it.
  struct Split {
    std::shared_ptr<io::Fd> dir;
    manifest::Entry e;
    std::optional<mode_t> mode;  // created with exactly its mode (exact_mode)
    std::optional<TempEntry> tmp;
    io::Fd fd;
    std::atomic<std::size_t> left{0};  // pieces not yet ended
    std::mutex mu;
    std::optional<Error> err;  // the first piece's error
  };

  // Queues file `e` (more than kSplitBytes) as pieces of consecutive chunks, after the pending
  // batch. Its size is checked against the index first (a file that fails is never made).
  Status split(const manifest::Entry& e, WorkQueue& q) {
    CAIRN_TRY(flush(q));
    CAIRN_TRY(check_size(r_, e));
    if (e.proofs.size() != e.chunks.size())
      return Error{Errc::corrupt, "the set lacks the possession proofs of its chunks"};
    auto s = std::make_shared<Split>();
    s->dir = walker_.top();
    s->e = e;
    s->mode = exact_mode(e, walker_.top_plain());
    s->tmp.emplace(s->dir->get());
    int fd = ::openat(s->dir->get(), s->tmp->name().c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, s->mode.value_or(0600));
    if (fd < 0) return errno_error(errno, "cannot create file");
    s->tmp->made();
    s->fd = io::Fd(fd);
    // Pieces: [first chunk, end chunk) and the offset of the first (check_size found them all).
    std::vector<std::tuple<std::size_t, std::size_t, std::uint64_t>> pieces;
    std::uint64_t off = 0, piece_off = 0;
    std::size_t first = 0;
    for (std::size_t i = 0; i < e.chunks.size(); ++i) {
      off += r_.locate(e.chunks[i])->raw_size;
      if (off - piece_off >= kPieceBytes || i + 1 == e.chunks.size()) {
        pieces.emplace_back(first, i + 1, piece_off);
        first = i + 1;
        piece_off = off;
      }
    }
    s->left = pieces.size();
    for (const auto& [from, to, at] : pieces) {
      Status queued = q.submit(kPieceBytes, [this, s, from = from, to = to, at = at]() -> Status {
        return restore_piece(*s, from, to, at);
      });
      // The queue stopped (a job failed): the file is not finished, and its temporary file
      // goes with the last queued piece.
      if (!queued) return queued;
    }
    return {};
  }

  // On a worker: chunks [from, to) of split file `s` written at `at`; the last piece to end
  // finishes the file.
  Status restore_piece(Split& s, std::size_t from, std::size_t to, std::uint64_t at) {
    const manifest::Entry& e = s.e;
    Status st = [&]() -> Status {
      {
        std::lock_guard l(s.mu);
        if (s.err) return {};  // another piece failed: the file is not made
      }
      if (!o_.keep_going && damaged_ > 0) {  // damage stops the restore: the file is not made
        std::lock_guard l(s.mu);
        if (!s.err) s.err = Error{Errc::cancelled, "the restore stopped at damaged data"};
        return {};
      }
      repo::ChunkRun run(r_);
      for (std::size_t i = from; i < to; ++i) run.plan(e.chunks[i], e.proofs[i]);
      std::uint64_t off = at;
      for (std::size_t i = from; i < to; ++i) {
        if (cancel_.cancelled()) return Error{Errc::cancelled, "interrupted"};
        Result<Bytes> data = run.read(i - from);
        if (!data) data = set_.chunk(e, i);
        if (!data) return std::move(data).error().wrap(fmt::format("set {}", set_.id().hex()));
        if (data->size() != r_.locate(e.chunks[i])->raw_size)
          return Error{Errc::corrupt,
                       fmt::format("chunk {} holds {} bytes, not the {} its index "
                                   "records",
                                   i, data->size(), r_.locate(e.chunks[i])->raw_size)};
        CAIRN_TRY(write_data(s.fd.get(), e, off, *data));
      }
      return {};
    }();
    if (!st) {
      std::lock_guard l(s.mu);
      if (!s.err) s.err = st.error();
    }
    const bool stops = !st && !per_item(st.error());  // else the file's own (finish_split)
    Status mine = stops ? std::move(st) : Status{};
    if (--s.left > 0) return mine;
    Status done = finish_split(s);
    if (!done) {
      if (!per_item(done.error())) return done;
      fail(e.path, done.error());
    }
    return mine;
  }

  // The last piece of split file `s` ended: the file put in place with its metadata, or, when
  // a piece failed, removed (its error, when it is the file's own, is returned).
  Status finish_split(Split& s) {
    const manifest::Entry& e = s.e;
    std::optional<Error> err;
    {
      std::lock_guard l(s.mu);
      err = s.err;
    }
    if (err) {
      s.tmp.reset();  // removes the temporary file
      return per_item(*err) ? Status{std::move(*err)} : Status{};
    }
    if (e.sparse && ::ftruncate(s.fd.get(), static_cast<off_t>(e.size)) != 0)
      return errno_error(errno, "cannot truncate");
    Status m =
        tree::apply_metadata_fd(s.fd.get(), meta_of(e), apply_, e.path, {s.mode.has_value(), {}});
    if (!m) obs_.warning(e.path, m.error());
    obs_.advanced(0, 1);
    return place(*s.tmp, s.dir->get(), base_name(e.path));
  }

  // directory's descriptor until it has run, and that keeps a tree of small files to a few
  // hundred descriptors in flight, under the usual 1024-descriptor limit of a user.
  Status flush(WorkQueue& q) {
    if (batch_.files.empty()) return {};
    auto job = std::make_shared<Batch>(std::move(batch_));
    batch_ = Batch{};
    const std::uint64_t budget =
        std::clamp<std::uint64_t>(job->bytes, 256u << 10, 8u << 20) + 4096 * job->files.size();
    return q.submit(budget, [this, job]() -> Status { return restore_batch(*job); });
  }

  // On a worker: the batch's files in order, their chunks read through one ChunkRun.
  Status restore_batch(const Batch& b) {
    repo::ChunkRun run(r_);
    // Plan numbers: file f's chunk i is chunk start[f] + i of the run; a file that fails
    // check_size is planned with no chunks (it is not read).
    // A file kept as the target has it (--overwrite) is not planned (nothing of it is read).
    std::vector<std::size_t> start(b.files.size() + 1, 0);
    std::vector<Status> sized(b.files.size());
    std::vector<char> kept(b.files.size(), 0);
    for (std::size_t f = 0; f < b.files.size(); ++f) {
      sized[f] = check_size(r_, b.files[f]);
      if (sized[f]) {
        auto k = keep_file(b.dir->get(), b.files[f]);
        if (!k)
          sized[f] = std::move(k).error();
        else
          kept[f] = *k ? 1 : 0;
      }
      const bool plan =
          sized[f] && !kept[f] && b.files[f].proofs.size() == b.files[f].chunks.size();
      start[f + 1] = start[f] + (plan ? b.files[f].chunks.size() : 0);
    }
    std::optional<tree::Owner> owner;  // of the files it creates (created_owner)
    std::size_t pf = 0, pc = 0;        // the next chunk to plan: file pf, chunk pc
    auto plan_to = [&](std::size_t k) {
      while (run.planned() < k && pf < b.files.size()) {
        if (pc >= start[pf + 1] - start[pf]) {
          ++pf;
          pc = 0;
          continue;
        }
        run.plan(b.files[pf].chunks[pc], b.files[pf].proofs[pc]);
        ++pc;
      }
    };
    for (std::size_t f = 0; f < b.files.size(); ++f) {
      if (cancel_.cancelled()) return Error{Errc::cancelled, "interrupted"};
      if (!o_.keep_going && damaged_ > 0) return {};  // damage stops the restore
      const manifest::Entry& e = b.files[f];
      if (kept[f]) {
        obs_.advanced(e.size, 1);
        continue;
      }
      Status s = sized[f];
      if (s) {
        const bool planned = start[f + 1] - start[f] == e.chunks.size();
        s = restore_file(
            b, e,
            [&](std::size_t i) -> Result<Bytes> {
              if (!planned) return Error{Errc::not_found, "not planned"};
              plan_to(start[f] + i + kPlanAhead);
              return run.read(start[f] + i);
            },
            owner);
      }
      if (!s) {
        if (!per_item(s.error())) return s;
        fail(e.path, s.error());
      }
    }
    return {};
  }

  // What `name` in `parent` is right after this restore made it (nullopt if it is gone).
  static std::optional<tree::Identity> identity_at(int parent, const std::string& name) {
    struct stat st;
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
    return tree::Identity{static_cast<std::uint64_t>(st.st_dev),
                          static_cast<std::uint64_t>(st.st_ino)};
  }

  // The mode to create file `e` with in a directory (`plain`: no default ACL there), when
  // that alone gives it its mode (no fchmod needed afterwards); nullopt otherwise, and it is
  // created 0600. Never while it is written (under its temporary name) does the file let
  // anyone do more than its final mode lets them: no write bit for group or others, and, when
  // owners are restored (it is still the restorer's own until then), no group bit beyond the
  // others' bits.
  std::optional<mode_t> exact_mode(const manifest::Entry& e, bool plain) const {
    const mode_t mode = e.mode & 07777;
    if (!plain || !umask_ || e.acl_access || (mode & 07022) != 0 || (mode & *umask_) != 0)
      return std::nullopt;
    if (apply_.owner && (((mode >> 3) & 7) & ~(mode & 7)) != 0) return std::nullopt;
    return mode;
  }

  // Writes the plaintext `data` of file `e` at `off` (advanced past it). A sparse file keeps
  // its holes: zero blocks are skipped (ftruncate sets the size at the end).
  Status write_data(int fd, const manifest::Entry& e, std::uint64_t& off, ByteView data) {
    if (!e.sparse) {
      CAIRN_TRY(pwrite_all(fd, data, off));
      off += data.size();
      obs_.advanced(data.size(), 0);
      return {};
    }
    ByteView rest(data);
    while (!rest.empty()) {
      std::size_t n = std::min<std::size_t>(rest.size(), kBlock);
      ByteView block = rest.first(n);
      bool hole = all_zero(block);
      if (!hole) {
        // Extend the run to the next zero block (or the end) and write it in one go.
        while (n < rest.size()) {
          std::size_t m = std::min<std::size_t>(rest.size() - n, kBlock);
          if (all_zero(rest.subspan(n, m))) break;
          n += m;
        }
        CAIRN_TRY(pwrite_all(fd, rest.first(n), off));
      }
      off += n;
      rest = rest.subspan(n);
    }
    obs_.advanced(data.size(), 0);
    return {};
  }

  // The owner file `fd`, just created in batch `b`'s directory, has, when that directory is
  // private: every file created there gets the same (the restorer's, in the group the
  // directory and its mount give new files, which only the restorer can change), so it is
  // looked up once per batch (`owner`) and no chown is spent on a file whose recorded owner
  // it already is. Elsewhere nullopt (always chowned).
  std::optional<tree::Owner> created_owner(int fd, const Batch& b,
                                           std::optional<tree::Owner>& owner) const {
    if (!apply_.owner || !b.priv) return std::nullopt;
    if (!owner) {
      struct stat st;
      if (::fstat(fd, &st) != 0) return std::nullopt;
      owner = tree::Owner{st.st_uid, st.st_gid};
    }
    return owner;
  }

  // File `e` into the batch's directory. Written under a temporary name and renamed into
  // place once whole, except a file of up to kInPlaceBytes in a private directory (one only
  // the restorer can change): its chunks are all read and authenticated first, and then it
  // is created under its final name (O_EXCL: when the name is taken, the temporary name is
  // used after all) and written in one go, a rename saved; a write that fails removes it.
  Status restore_file(const Batch& b, const manifest::Entry& e,
                      const std::function<Result<Bytes>(std::size_t)>& fast,
                      std::optional<tree::Owner>& owner) {
    const int parent = b.dir->get();
    const std::string name = base_name(e.path);
    const auto mode = exact_mode(e, b.plain);
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    std::vector<Bytes> held;  // in place: the whole content, read before the file is made
    std::optional<TempEntry> tmp;
    int fd = -1;
    const bool read_first = b.priv && e.size <= kInPlaceBytes;
    if (read_first) {
      CAIRN_TRY(for_chunks(
          set_, e, cancel_, false,
          [&](Bytes&& data) -> Status {
            held.push_back(std::move(data));
            return {};
          },
          fast));
      fd = ::openat(parent, name.c_str(), flags, mode.value_or(0600));
      if (fd >= 0) tmp.emplace(parent, name);
      if (fd < 0 && errno != EEXIST) return errno_error(errno, "cannot create file");
    }
    const bool in_place = fd >= 0;
    if (!in_place) {
      tmp.emplace(parent);
      fd = ::openat(parent, tmp->name().c_str(), flags, mode.value_or(0600));
      if (fd < 0) return errno_error(errno, "cannot create file");
    }
    tmp->made();
    io::Fd f(fd);
    std::uint64_t off = 0;
    if (read_first) {
      for (const auto& data : held) CAIRN_TRY(write_data(fd, e, off, data));
    } else {
      CAIRN_TRY(copy_chunks(
          set_, e, cancel_, false, [&](ByteView data) { return write_data(fd, e, off, data); },
          fast));
    }
    // Only a sparse file needs its size set (a trailing hole was skipped, not written); any
    // other file was created empty (O_EXCL) and written from 0 to exactly `off`.
    if (e.sparse && ::ftruncate(fd, static_cast<off_t>(off)) != 0)
      return errno_error(errno, "cannot truncate");
    Status s = tree::apply_metadata_fd(fd, meta_of(e), apply_, e.path,
                                       {mode.has_value(), created_owner(fd, b, owner)});
    if (!s) obs_.warning(e.path, s.error());
    obs_.advanced(0, 1);
    if (in_place) {
      tmp->keep();
      return {};
    }
    return place(*tmp, parent, name);
  }

  Status make_hardlink(const std::string& path, const std::string& link) {
    CAIRN_TRY(manifest::check_path(link));
    CAIRN_TRY_ASSIGN(int src_parent, walker_.parent_of(link, false));
    int sfd = ::dup(src_parent);
    if (sfd < 0) return errno_error(errno, "dup");
    io::Fd src(sfd);
    CAIRN_TRY_ASSIGN(int parent, walker_.parent_of(path, true));
    There there;
    if (o_.overwrite != Overwrite::always) {
      CAIRN_TRY_ASSIGN(there, in_target(parent, base_name(path), manifest::Type::hardlink));
    }
    if (there.kept) return {};
    if (there.found && o_.overwrite == Overwrite::if_changed) {
      auto want = identity_at(src.get(), base_name(link));
      if (want && want->dev == static_cast<std::uint64_t>(there.st.st_dev) &&
          want->ino == static_cast<std::uint64_t>(there.st.st_ino)) {
        ++kept_;
        return {};  // already that link
      }
    }
    TempEntry tmp(parent);
    if (::linkat(src.get(), base_name(link).c_str(), parent, tmp.name().c_str(), 0) != 0)
      return errno_error(errno, fmt::format("cannot link to '{}'", link));
    tmp.made();
    return place(tmp, parent, base_name(path));
  }

  Status dir_meta(const std::string& path, const tree::Meta& m, std::optional<tree::Identity> id) {
    if (path == ".") {
      return tree::apply_metadata_fd(walker_.root(), m, apply_, ".");
    }
    CAIRN_TRY_ASSIGN(int parent, walker_.parent_of(path, false));
    return tree::apply_metadata(parent, base_name(path), m, apply_, id);
  }

  // What the target holds at `name` in `parent`, where the set has an entry of type `type`.
  struct There {
    bool found = false;  // something is there (st says what, as lstat does)
    bool kept = false;   // it stays as it is (--overwrite never): nothing to restore
    struct stat st {};
  };

  // Looks at `name` before an entry of type `type` is restored there. --overwrite never keeps
  // whatever is there, except a symlink where the set has no symlink: that is replaced in every
  // mode (renamed over, never followed). Anything else is replaced by the rename that puts the
  // entry in place once it is whole (place(): a directory in the way only then).
  Result<There> in_target(int parent, const std::string& name, manifest::Type type) {
    There t;
    if (::fstatat(parent, name.c_str(), &t.st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return t;
      return errno_error(errno, "cannot look at what the target holds there");
    }
    t.found = true;
    const bool foreign_link = S_ISLNK(t.st.st_mode) && type != manifest::Type::symlink;
    if (o_.overwrite == Overwrite::never && !foreign_link) {
      ++kept_;
      t.kept = true;
    }
    return t;
  }

  // Renames `tmp` to `name`; a directory in the way is removed (clear_dir) and the rename
  // tried again (looked for only then: a restore into an empty target pays nothing for it).
  Status place(TempEntry& tmp, int parent, const std::string& name) {
    Status s = tmp.rename_to(name);
    if (s || !tmp.dir_in_the_way()) return s;
    struct stat st;
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return errno_error(errno, "cannot look at what the target holds there");
    CAIRN_TRY(clear_dir(parent, name, st));
    return tmp.rename_to(name);
  }

  // A directory of the target where the set has something else: removed when empty, with its
  // whole tree under --delete (it holds nothing of the set), else Errc::exists.
  Status clear_dir(int parent, const std::string& name, const struct stat& st) {
    if (::unlinkat(parent, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) return {};
    if (errno != ENOTEMPTY && errno != EEXIST)
      return errno_error(errno, "cannot remove the directory the target has there");
    if (!o_.remove)
      return Error{Errc::exists,
                   "the target has a non-empty directory there; --delete replaces it"};
    return remove_entry(parent, name, st);
  }

  // A directory of the set where the target has a non-directory: a symlink is removed (never
  // followed) in every mode, anything else unless --overwrite never; then it is made.
  Status make_room_for_dir(int parent, const std::string& name) {
    struct stat st;
    if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return errno_error(errno, "cannot look at what the target holds there");
    if (S_ISDIR(st.st_mode)) return {};
    if (!S_ISLNK(st.st_mode) && o_.overwrite == Overwrite::never)
      return Error{Errc::bad_input,
                   "exists in the target and is not a directory (kept: --overwrite never)"};
    if (::unlinkat(parent, name.c_str(), 0) != 0 && errno != ENOENT)
      return errno_error(errno, "cannot remove what the target has there");
    if (::mkdirat(parent, name.c_str(), 0700) != 0 && errno != EEXIST)
      return errno_error(errno, "cannot create directory");
    return {};
  }

  // On a worker, before file `e` is planned: true when the target's file stays (--overwrite
  // never, or if-changed and its content is the set's: see unchanged()).
  Result<bool> keep_file(int parent, const manifest::Entry& e) {
    if (o_.overwrite == Overwrite::always) return false;  // place() deals with a directory
    CAIRN_TRY_ASSIGN(auto there, in_target(parent, base_name(e.path), e.type));
    if (there.kept) return true;
    if (o_.overwrite != Overwrite::if_changed || !there.found || !S_ISREG(there.st.st_mode) ||
        static_cast<std::uint64_t>(there.st.st_size) != e.size)
      return false;
    return unchanged(parent, e);
  }

  // --overwrite if-changed: true when the target's regular file at e's name holds exactly the
  // set's content: it is read in the set's chunk sizes and each piece hashed with the
  // repository's key must be that chunk's id (and proof). It must also be the restorer's own
  // (or the restorer is root, who makes the owner right) with no other hard link, so that a
  // kept file is as private as a new one. Its metadata is then applied where it differs.
  Result<bool> unchanged(int parent, const manifest::Entry& e) {
    const std::string name = base_name(e.path);
    int fd =
        ::openat(parent, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return false;
    io::Fd f(fd);
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
        static_cast<std::uint64_t>(st.st_size) != e.size ||
        (!apply_.owner && st.st_uid != ::geteuid()))
      return false;
    const bool proofs = e.proofs.size() == e.chunks.size();
    Bytes buf;
    std::uint64_t off = 0;
    for (std::size_t i = 0; i < e.chunks.size(); ++i) {
      if (cancel_.cancelled()) return Error{Errc::cancelled, "interrupted"};
      auto loc = r_.locate(e.chunks[i]);
      if (!loc) return false;
      buf.resize(loc->raw_size);
      std::size_t got = 0;
      while (got < buf.size()) {
        ssize_t n = ::pread(fd, buf.data() + got, buf.size() - got, static_cast<off_t>(off + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        got += static_cast<std::size_t>(n);
      }
      hash::Digest proof;
      if (r_.id_of(buf, proofs ? &proof : nullptr) != e.chunks[i]) return false;
      if (proofs && proof != e.proofs[i]) return false;
      off += buf.size();
    }
    const std::int64_t mtime_ns =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    const bool same_meta = !apply_.owner && e.xattrs.empty() && !e.acl_access &&
                           (st.st_mode & 07777) == (e.mode & 07777) &&
                           mtime_ns == static_cast<std::int64_t>(e.mtime_ns);
    if (!same_meta) {
      Status s = tree::apply_metadata_fd(fd, meta_of(e), apply_, e.path);
      if (!s) obs_.warning(e.path, s.error());
    }
    ++kept_;
    kept_bytes_ += e.size;
    return true;
  }

  // --delete, once every entry is in place: what the target holds under the restored scope
  // (the whole target, or each directory a pattern names) that the set does not. Only when
  // the whole set was read and every pattern selected something (else nothing is deleted).
  void delete_unheld(bool whole) {
    auto refuse = [&](std::string_view why) {
      obs_.warning("", Error{Errc::bad_input, fmt::format("--delete deleted nothing: {}", why)});
    };
    if (!whole || damaged_ > 0) return refuse("the restore did not read the whole set");
    if (std::find(used_.begin(), used_.end(), 0) != used_.end()) return;  // named at the end
    if (held_.empty() || (held_.size() == 1 && held_.contains(".")))
      return refuse("nothing of the set was restored");
    std::vector<std::string> scopes;
    for (const auto& p : o_.patterns) {
      std::string_view q = p;
      while (q.size() > 1 && q.back() == '/') q.remove_suffix(1);
      if (q.starts_with("./")) q.remove_prefix(2);
      scopes.emplace_back(q);
    }
    if (scopes.empty()) scopes.emplace_back(".");
    const std::uint64_t before = deleted_;
    for (const auto& scope : scopes) {
      if (scope != "." && !held_.contains(scope)) continue;
      int dir = walker_.root();
      if (scope != ".") {
        auto parent = walker_.parent_of(scope + "/", false);
        if (!parent) continue;  // not a directory (a file the pattern names): nothing under it
        dir = *parent;
      }
      int fd = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) {
        obs_.warning(scope, errno_error(errno, "--delete cannot open it"));
        continue;
      }
      prune(io::Fd(fd), scope);
    }
    obs_.info(
        fmt::format("--delete: {} entries the set does not hold were deleted", deleted_ - before));
  }

  // The names in the open directory `dir` (read through a descriptor of its own).
  static Result<std::vector<std::string>> names_in(int dir) {
    int fd = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_error(errno, "cannot open directory");
    DIR* d = ::fdopendir(fd);
    if (!d) {
      ::close(fd);
      return errno_error(errno, "cannot read directory");
    }
    std::vector<std::string> names;
    while (dirent* de = ::readdir(d)) {
      std::string_view n = de->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    ::closedir(d);
    return names;
  }

  // Deletes what directory `dir` (the target's `prefix`) holds that the set does not, going
  // down into the directories the set holds (opened without following symlinks).
  void prune(io::Fd dir, const std::string& prefix) {
    auto names = names_in(dir.get());
    if (!names) return obs_.warning(prefix, names.error());
    for (const auto& name : *names) {
      const std::string path = prefix == "." ? name : prefix + "/" + name;
      struct stat st;
      if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (held_.contains(path)) {
        if (!S_ISDIR(st.st_mode)) continue;
        int sub =
            ::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) prune(io::Fd(sub), path);
        continue;
      }
      Status s = remove_entry(dir.get(), name, st);
      if (!s)
        obs_.warning(path, s.error());
      else
        obs_.info(fmt::format("deleted '{}' (not in the set)", path));
    }
  }

  // Removes `name` from `dir` (`st` as lstat saw it): a directory with everything below it,
  // never following a symlink and never crossing into another file system; anything else is
  // unlinked (a symlink itself, not what it points to).
  Status remove_entry(int dir, const std::string& name, const struct stat& st) {
    if (!S_ISDIR(st.st_mode)) {
      if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT)
        return errno_error(errno, "cannot delete");
      ++deleted_;
      return {};
    }
    if (st.st_dev != root_dev_)
      return Error{Errc::exists, "not deleted: another file system is mounted there"};
    int fd = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno_error(errno, "cannot open directory to delete it");
    io::Fd sub(fd);
    struct stat now;
    if (::fstat(fd, &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev)
      return Error{Errc::exists, "not deleted: it was replaced while the restore ran"};
    CAIRN_TRY_ASSIGN(auto names, names_in(fd));
    for (const auto& n : names) {
      struct stat c;
      if (::fstatat(fd, n.c_str(), &c, AT_SYMLINK_NOFOLLOW) != 0) continue;
      Status gone = remove_entry(fd, n, c);
      if (!gone) return std::move(gone).error().wrap(fmt::format("'{}'", n));
    }
    if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      return errno_error(errno, "cannot delete directory");
    ++deleted_;
    return {};
  }

  repo::Repository& r_;
  Source& set_;
  DirWalker walker_;
  const Options& o_;
  Observer& obs_;
  const CancelToken& cancel_;
  SpecialCount& special_;
  tree::OwnerCache owners_;
  tree::ApplyOptions apply_;
  std::mutex mu_;
  std::atomic<int> failed_{0}, damaged_{0};
  struct DirToDo {
    std::string path;
    tree::Meta meta;
    std::optional<tree::Identity> id;  // the inode made for it (none for ".")
  };
  std::vector<DirToDo> dirs_;
  std::vector<std::pair<std::string, std::string>> hardlinks_;
  std::optional<mode_t> umask_;
  Batch batch_;  // files waiting to be queued (flush)
  std::vector<char> used_ = std::vector<char>(o_.patterns.size(), 0);
  std::atomic<std::uint64_t> kept_{0}, kept_bytes_{0}, deleted_{0};
  std::unordered_set<std::string> held_;  // --delete: every selected path of the set
  dev_t root_dev_ = 0;
};

// The proper prefix of `path` ("a", "a/b" for "a/b/c") found in `links`, or nullptr.
const std::string* under_symlink(std::string_view path,
                                 const std::set<std::string, std::less<>>& links) {
  if (links.empty()) return nullptr;
  for (std::size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    auto it = links.find(path.substr(0, slash));
    if (it != links.end()) return &*it;
  }
  return nullptr;
}

// Where the sparse file `e` holds data, for a sparse tar member; nullopt when it has no hole.
// The manifest records only that a file is sparse, not where its holes are, so its holes are
// its chunks that are all zeros (a hole inside a chunk that also holds data is written as
// zeros). Each distinct chunk is read once to tell (`zero` remembers the answer for the whole
// stream); the content is streamed afterwards, the zero chunks without reading them again.
Result<std::optional<tar::Writer::Extents>> sparse_extents(
    repo::Repository& r, Source& set, const manifest::Entry& e, const CancelToken& cancel,
    std::unordered_map<hash::ChunkId, bool>& zero) {
  tar::Writer::Extents data;
  bool holes = false;
  std::uint64_t off = 0;
  for (std::size_t i = 0; i < e.chunks.size(); ++i) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    auto it = zero.find(e.chunks[i]);
    if (it == zero.end()) {
      Result<Bytes> bytes = set.chunk(e, i);
      if (!bytes)
        return std::move(bytes).error().wrap(fmt::format("set {}: '{}'", set.id().hex(), e.path));
      it = zero.emplace(e.chunks[i], all_zero(*bytes)).first;
    }
    const std::uint64_t len = r.locate(e.chunks[i])->raw_size;  // check_size found them all
    // Data extents on 512-byte boundaries (the zeros around them are written as data): GNU
    // tar reads each extent of a sparse member from a block boundary of its own.
    const std::uint64_t start = off & ~std::uint64_t{511};
    const std::uint64_t end = std::min(e.size, (off + len + 511) & ~std::uint64_t{511});
    off += len;
    if (it->second || len == 0) {
      holes = holes || len > 0;
    } else if (!data.empty() && data.back().first + data.back().second >= start) {
      data.back().second = end - data.back().first;
    } else {
      data.emplace_back(start, end - start);
    }
  }
  if (!holes) return std::optional<tar::Writer::Extents>{};
  return std::optional<tar::Writer::Extents>{std::move(data)};
}

// --tar --keep-going: file `e`'s chunks, each read and authenticated before its member is
// written. The first kHeldBytes of them are kept for writing (the rest are read again then);
// a chunk `hole` says is all zeros (sparse_extents read it already) is neither read nor kept.
constexpr std::uint64_t kHeldBytes = 64ull << 20;
Result<std::vector<std::optional<Bytes>>> held_chunks(
    Source& set, const manifest::Entry& e, const CancelToken& cancel,
    const std::function<bool(std::size_t)>& hole) {
  std::vector<std::optional<Bytes>> held(e.chunks.size());
  std::uint64_t kept = 0;
  for (std::size_t i = 0; i < e.chunks.size(); ++i) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    if (hole(i)) continue;
    Result<Bytes> data = set.chunk(e, i);
    if (!data) return std::move(data).error().wrap(fmt::format("set {}", set.id().hex()));
    if (kept + data->size() > kHeldBytes) continue;
    kept += data->size();
    held[i] = std::move(*data);
  }
  return held;
}

// A pax stream of the selected entries. Every member stays inside the stream's root: names
// and hard links' link names are relative without ".." (manifest::check_path), and none goes
// through a symlink member written before it (a symlink's own target may point anywhere; the
// extracting tar deals with that). A member is written only once its content is known to be
// backed by the index (check_size), and its bytes only as they authenticate; on damage the
// stream is cut off (tar::Writer::abandon), never padded or ended as if whole. With
// keep_going, a file's chunks are all read and authenticated before its member starts
// (held_chunks), so a damaged file is left out whole, named, and the stream stays valid.
Status tar_of(repo::Repository& r, Source& set, const Options& o, io::Writer& out, Observer& obs,
              const CancelToken& cancel, SpecialCount& special) {
  CAIRN_TRY_ASSIGN(auto w, tar::Writer::open(out));
  std::vector<char> used(o.patterns.size(), 0);
  std::set<std::string, std::less<>> symlinks;
  std::unordered_map<hash::ChunkId, bool> zero;  // sparse_extents' answers
  std::set<std::string, std::less<>> damaged;    // keep_going: files left out
  // keep_going: damage to this entry is named and the entry left out; anything else stops.
  const auto left_out = [&](const std::string& path, Error err) -> Status {
    if (!o.keep_going || err.code != Errc::corrupt) return err;
    obs.warning(path, err);
    damaged.insert(path);
    return {};
  };
  manifest::Entry e;
  for (;;) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    CAIRN_TRY_ASSIGN(bool more, set.next(e));
    if (!more) break;
    if (!selected(e.path, o.patterns, &used) || e.type == manifest::Type::socket) continue;
    if (!tame(e, o.special, special)) continue;
    CAIRN_TRY(manifest::check_path(e.path));
    if (e.type == manifest::Type::hardlink) CAIRN_TRY(manifest::check_path(e.link));
    const std::string* via = under_symlink(e.path, symlinks);
    if (!via && e.type == manifest::Type::hardlink) {
      via = under_symlink(e.link, symlinks);
      if (!via && symlinks.count(e.link) != 0) via = &*symlinks.find(e.link);
    }
    if (e.type == manifest::Type::hardlink && damaged.count(e.link) != 0) {
      CAIRN_TRY(left_out(e.path,
                         Error{Errc::corrupt, fmt::format("left out of the tar stream: it links to "
                                                          "'{}', which is damaged",
                                                          e.link)}));
      continue;
    }
    if (via) {
      obs.warning(e.path,
                  Error{Errc::bad_input,
                        fmt::format("left out of the tar stream: it {} the symlink '{}'",
                                    e.type == manifest::Type::hardlink ? "links through or to"
                                                                       : "goes through",
                                    *via)});
      continue;
    }
    std::optional<tar::Writer::Extents> sparse;
    std::vector<std::optional<Bytes>> held;
    // A zero chunk of a sparse member is a hole: its zeros, not read again.
    const auto is_hole = [&](std::size_t i) {
      auto z = zero.find(e.chunks[i]);
      return sparse && z != zero.end() && z->second;
    };
    if (e.type == manifest::Type::file) {
      Status ok = check_size(r, e);
      if (!ok) {
        if (o.keep_going) {
          CAIRN_TRY(left_out(e.path, std::move(ok).error()));
          continue;
        }
        return std::move(ok).error().wrap(fmt::format("'{}'", e.path));
      }
      if (e.sparse && e.size > 0) {
        auto ext = sparse_extents(r, set, e, cancel, zero);
        if (!ext) {
          CAIRN_TRY(left_out(e.path, std::move(ext).error()));
          continue;
        }
        sparse = std::move(*ext);
      }
      if (o.keep_going) {
        auto got = held_chunks(set, e, cancel, is_hole);
        if (!got) {
          CAIRN_TRY(left_out(e.path, std::move(got).error()));
          continue;
        }
        held = std::move(*got);
      }
    }
    CAIRN_TRY(w->add(e, sparse ? &*sparse : nullptr));
    if (e.type == manifest::Type::symlink) symlinks.insert(e.path);
    if (e.type != manifest::Type::file) continue;
    const auto fast = [&](std::size_t i) -> Result<Bytes> {
      if (i < held.size() && held[i]) {
        Bytes b = std::move(*held[i]);
        held[i].reset();
        return b;
      }
      if (!is_hole(i)) return Error{Errc::internal, "not held"};
      return Bytes(r.locate(e.chunks[i])->raw_size, 0);
    };
    CAIRN_TRY(copy_chunks(
        set, e, cancel, true, [&](ByteView data) { return w->data(data); },
        sparse || !held.empty() ? std::function<Result<Bytes>(std::size_t)>(fast) : nullptr));
  }
  if (damaged.empty()) CAIRN_TRY(check_patterns_used(o.patterns, used));
  CAIRN_TRY(w->finish());
  if (!damaged.empty())
    return Error{Errc::corrupt,
                 fmt::format("{} of the files were left out of the tar stream because of damaged "
                             "data (named above)",
                             damaged.size())};
  return {};
}

}  // namespace

Status to_dir(repo::Repository& r, Source& set, io::Fd root, const Options& o, WorkQueue& workers,
              Observer& obs, const CancelToken& cancel) {
  SpecialCount special;
  DirRestorer d(r, set, std::move(root), o, obs, cancel, special);
  Status done = d.run(workers);
  (void)workers.wait();  // no job outlives `d`
  report_special(special, obs);
  return done;
}

Status to_tar(repo::Repository& r, Source& set, const Options& o, io::Writer& out, Observer& obs,
              const CancelToken& cancel) {
  SpecialCount special;
  CAIRN_TRY(tar_of(r, set, o, out, obs, cancel, special));
  report_special(special, obs);
  return {};
}

Status file_to(repo::Repository& r, Source& set, const std::string& want, io::Writer& out,
               const CancelToken& cancel) {
  manifest::Entry e;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool more, set.next(e));
    if (!more) break;
    if (e.path != want) continue;
    if (e.type != manifest::Type::file)
      return Error{Errc::usage,
                   fmt::format("'{}' is a {}, not a file", want, manifest::type_name(e.type))};
    Status ok = check_size(r, e);
    if (!ok) return std::move(ok).error().wrap(fmt::format("'{}'", e.path));
    CAIRN_TRY(copy_chunks(set, e, cancel, true, [&](ByteView data) { return out.write(data); }));
    return out.flush();
  }
  return Error{Errc::not_found, fmt::format("the set holds no file '{}'", want)};
}

}  // namespace cairn::restore
