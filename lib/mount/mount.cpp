#define FUSE_USE_VERSION 31
#include "mount/mount.hpp"

#include <fcntl.h>
#include <fuse.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "base/time.hpp"
#include "manifest/manifest.hpp"
#include "repo/stored.hpp"

namespace cairn::mount {

namespace {

// A chunk the manifest names that no index file lists is damage (as cairn-restore says).
Error as_damage(Error e) {
  if (e.code == Errc::not_found)
    return Error{Errc::corrupt, fmt::format("{}: no index file lists it (an index or pack file is "
                                            "missing); run 'cairn-verify' to see what is damaged",
                                            e.message)};
  return e;
}

std::string_view parent_of(std::string_view p) {
  const auto slash = p.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : p.substr(0, slash);
}

std::string_view base_of(std::string_view p) {
  const auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

// What the mount keeps of a manifest entry (no xattrs, ACLs, user names or digest): with its
// node and path key about 500 bytes a file (a full manifest::Entry cost 900), + 64 a chunk.
struct Item {
  std::string name;    // the last path component ("" for the set's root)
  std::string target;  // a symlink's target, a hardlink's group file (its path)
  std::vector<hash::ChunkId> chunks;
  std::vector<hash::Digest> proofs;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0;
  std::uint32_t mode = 0, uid = 0, gid = 0, rdev_major = 0, rdev_minor = 0;
  manifest::Type type = manifest::Type::dir;
};

// Takes what the mount keeps from `e` (its path stays).
Item compact(manifest::Entry& e) {
  Item i;
  i.name = std::string(base_of(e.path));
  i.target = e.type == manifest::Type::hardlink ? std::move(e.link) : std::move(e.target);
  i.chunks = std::move(e.chunks);
  i.proofs = std::move(e.proofs);
  i.size = e.size;
  i.mtime_ns = e.mtime_ns;
  i.ctime_ns = e.ctime_ns;
  i.mode = e.mode;
  i.uid = e.uid;
  i.gid = e.gid;
  i.rdev_major = e.rdev_major;
  i.rdev_minor = e.rdev_minor;
  i.type = e.type;
  return i;
}

struct Node {
  Item e;
  std::vector<std::uint32_t> children;  // of a directory, in manifest order
};

// One set's tree, from its manifest: nodes[0] is the set's root ("." or made up).
struct Tree {
  std::vector<Node> nodes;
  std::unordered_map<std::string, std::uint32_t> by_path;  // "" is the root
};

struct OpenFile {
  manifest::Entry e;                // a file (a hardlink's group file): its chunks and proofs
  std::vector<std::uint64_t> ends;  // where each chunk ends in the file
  std::string name;                 // the path under DIR, for messages
};

void set_times(struct stat* st, std::int64_t mtime_ns, std::int64_t ctime_ns) {
  st->st_mtim = {static_cast<time_t>(mtime_ns / kNsPerSecond), mtime_ns % kNsPerSecond};
  st->st_atim = st->st_mtim;
  st->st_ctim = {static_cast<time_t>(ctime_ns / kNsPerSecond), ctime_ns % kNsPerSecond};
}

void stat_entry(const Item& e, struct stat* st) {
  using manifest::Type;
  mode_t type = S_IFREG;
  switch (e.type) {
    case Type::file:
    case Type::hardlink: type = S_IFREG; break;
    case Type::dir: type = S_IFDIR; break;
    case Type::symlink: type = S_IFLNK; break;
    case Type::fifo: type = S_IFIFO; break;
    case Type::socket: type = S_IFSOCK; break;
    case Type::chardev: type = S_IFCHR; break;
    case Type::blockdev: type = S_IFBLK; break;
  }
  st->st_mode = type | (e.mode & 07777);
  st->st_nlink = e.type == Type::dir ? 2 : 1;
  st->st_uid = e.uid;
  st->st_gid = e.gid;
  st->st_size = static_cast<off_t>(e.type == Type::symlink ? e.target.size() : e.size);
  if (e.type == Type::dir) st->st_size = 0;
  st->st_blocks = static_cast<blkcnt_t>((st->st_size + 511) / 512);
  st->st_rdev = makedev(e.rdev_major, e.rdev_minor);
  set_times(st, e.mtime_ns, e.ctime_ns ? e.ctime_ns : e.mtime_ns);
}

class Fs {
 public:
  Fs(repo::Repository& r, const Options& o, Observer& obs) : r_(r), o_(o), obs_(obs) {
    for (std::size_t i = 0; i < o.sets.size(); ++i) {
      const SetRef& s = o.sets[i];
      by_id_.emplace(s.id.hex(), i);
      auto& names = sources_[s.source];
      std::string name = format_time(s.started_ns);
      if (names.count(name)) name += "_" + s.id.hex().substr(0, 12);
      names.emplace(name, i);
      auto& newest = latest_[s.source];
      if (!newest || o.sets[newest->second].started_ns <= s.started_ns) newest = {name, i};
    }
  }

  int getattr(const char* path, struct stat* st) {
    std::memset(st, 0, sizeof *st);
    auto w = where(path);
    if (!w) return -ENOENT;
    if (w->kind == Kind::latest) {
      const auto& [name, set] = *latest_.at(w->source);
      stat_dir(st, o_.sets[set].started_ns);
      st->st_mode = S_IFLNK | 0777;
      st->st_nlink = 1;
      st->st_size = static_cast<off_t>(name.size());
      return 0;
    }
    if (w->kind != Kind::set || w->rest.empty()) {  // made up: no manifest read for `ls ids/`
      stat_dir(st, w->kind == Kind::set ? o_.sets[w->set].started_ns : 0);
      return 0;
    }
    const Item* e = nullptr;
    if (int rc = entry(*w, path, e); rc != 0) return rc;
    stat_entry(*e, st);
    return 0;
  }

  int readlink(const char* path, char* buf, std::size_t size) {
    auto w = where(path);
    if (!w || size == 0) return -ENOENT;
    std::string target;
    if (w->kind == Kind::latest) {
      target = latest_.at(w->source)->first;
    } else {
      const Item* e = nullptr;
      if (w->kind != Kind::set || w->rest.empty()) return -EINVAL;
      if (int rc = entry(*w, path, e); rc != 0) return rc;
      if (e->type != manifest::Type::symlink) return -EINVAL;
      target = e->target;
    }
    const std::size_t n = std::min(size - 1, target.size());
    std::memcpy(buf, target.data(), n);
    buf[n] = '\0';
    return 0;
  }

  int readdir(const char* path, void* buf, fuse_fill_dir_t fill) {
    auto w = where(path);
    if (!w) return -ENOENT;
    const auto add = [&](std::string_view name) {
      fill(buf, std::string(name).c_str(), nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
    };
    add(".");
    add("..");
    switch (w->kind) {
      case Kind::root:
        add("ids");
        for (const auto& [source, names] : sources_)
          if (source != "ids") add(source);
        return 0;
      case Kind::ids:
        for (const auto& [id, i] : by_id_) add(id);
        return 0;
      case Kind::source:
        for (const auto& [name, i] : sources_.at(w->source)) add(name);
        add("latest");
        return 0;
      case Kind::latest: return -ENOTDIR;
      case Kind::set: break;
    }
    auto tree = load(w->set);
    if (!tree) return -EIO;
    auto it = (*tree)->by_path.find(w->rest);
    if (it == (*tree)->by_path.end()) return -ENOENT;
    const Node& n = (*tree)->nodes[it->second];
    if (n.e.type != manifest::Type::dir) return -ENOTDIR;
    for (std::uint32_t c : n.children) add((*tree)->nodes[c].e.name);
    return 0;
  }

  int open(const char* path, fuse_file_info* fi) {
    if ((fi->flags & O_ACCMODE) != O_RDONLY) return -EROFS;
    auto w = where(path);
    if (!w) return -ENOENT;
    if (w->kind != Kind::set || w->rest.empty()) return -EISDIR;
    const Item* e = nullptr;
    if (int rc = entry(*w, path, e); rc != 0) return rc;
    if (e->type == manifest::Type::dir) return -EISDIR;
    if (e->type != manifest::Type::file) return -EACCES;  // a fifo or device is not opened
    OpenFile f{{}, {}, std::string(path + 1)};
    f.e.chunks = e->chunks;
    f.e.proofs = e->proofs;
    f.e.size = e->size;
    std::uint64_t end = 0;
    for (const auto& id : e->chunks) {
      auto loc = r_.locate(id);
      if (!loc) return damaged(f.name, as_damage(Error{Errc::not_found, "chunk " + id.hex()}));
      end += loc->raw_size;
      f.ends.push_back(end);
    }
    if (end != e->size)
      return damaged(
          f.name, Error{Errc::corrupt, fmt::format("its chunks hold {} bytes, the manifest says {}",
                                                   end, e->size)});
    fi->fh = next_fh_++;
    fi->keep_cache = 1;  // a set never changes
    open_.emplace(fi->fh, std::move(f));
    return 0;
  }

  int read(char* buf, std::size_t size, off_t off, fuse_file_info* fi) {
    auto it = open_.find(fi->fh);
    if (it == open_.end()) return -EBADF;
    OpenFile& f = it->second;
    const auto pos = static_cast<std::uint64_t>(off);
    std::size_t k = static_cast<std::size_t>(std::upper_bound(f.ends.begin(), f.ends.end(), pos) -
                                             f.ends.begin());
    std::size_t done = 0;
    for (; done < size && k < f.ends.size(); ++k) {
      const std::uint64_t start = k ? f.ends[k - 1] : 0;
      auto chunk = chunk_of(f, k);
      if (!chunk) return damaged(f.name, std::move(chunk).error());
      if ((*chunk)->size() != f.ends[k] - start)
        return damaged(
            f.name,
            Error{Errc::corrupt, fmt::format("chunk {} has {} bytes, not {}", f.e.chunks[k].hex(),
                                             (*chunk)->size(), f.ends[k] - start)});
      const std::uint64_t from = pos + done - start;
      const std::size_t n = std::min<std::size_t>(size - done, (*chunk)->size() - from);
      std::memcpy(buf + done, (*chunk)->data() + from, n);
      done += n;
    }
    return static_cast<int>(done);
  }

  int release(fuse_file_info* fi) {
    open_.erase(fi->fh);
    return 0;
  }

  std::uint64_t damaged_reads() const { return damaged_; }

 private:
  enum class Kind { root, ids, source, latest, set };
  struct Where {
    Kind kind = Kind::root;
    std::size_t set = 0;
    std::string source;
    std::string rest;  // inside the set: "" (its root) or "a/b"
  };

  // Splits "/first/second/rest..." and finds what it names; nullopt: nothing.
  std::optional<Where> where(std::string_view path) const {
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    if (path.empty()) return Where{};
    const auto cut = [](std::string_view& p) {
      const auto slash = p.find('/');
      std::string_view head = p.substr(0, slash);
      p = slash == std::string_view::npos ? std::string_view{} : p.substr(slash + 1);
      return head;
    };
    const std::string first(cut(path));
    Where w;
    if (first == "ids") {
      w.kind = Kind::ids;
      if (auto second = cut(path); !second.empty()) {
        auto it = by_id_.find(std::string(second));
        if (it == by_id_.end()) return std::nullopt;
        w.kind = Kind::set;
        w.set = it->second;
      }
    } else {
      auto src = sources_.find(first);
      if (src == sources_.end()) return std::nullopt;
      w.kind = Kind::source;
      w.source = first;
      if (auto second = cut(path); !second.empty()) {
        if (second == "latest") {
          if (!path.empty()) return std::nullopt;  // the kernel follows the link itself
          w.kind = Kind::latest;
          return w;
        }
        auto it = src->second.find(std::string(second));
        if (it == src->second.end()) return std::nullopt;
        w.kind = Kind::set;
        w.set = it->second;
      }
    }
    if (w.kind != Kind::set && !path.empty()) return std::nullopt;
    w.rest = std::string(path);
    return w;
  }

  void stat_dir(struct stat* st, std::int64_t time_ns) const {
    st->st_mode = S_IFDIR | 0555;
    st->st_nlink = 2;
    st->st_uid = ::getuid();
    st->st_gid = ::getgid();
    set_times(st, time_ns, time_ns);
  }

  // The entry at w.rest in its set (a hardlink: its group's file); 0 or -errno.
  int entry(const Where& w, const char* path, const Item*& out) {
    auto tree = load(w.set);
    if (!tree) return -EIO;
    auto it = (*tree)->by_path.find(w.rest);
    if (it == (*tree)->by_path.end()) return -ENOENT;
    out = &(*tree)->nodes[it->second].e;
    if (out->type == manifest::Type::hardlink) {
      auto first = (*tree)->by_path.find(out->target);
      if (first == (*tree)->by_path.end())
        return damaged(path + 1, Error{Errc::corrupt, fmt::format("its hardlink group's file "
                                                                  "'{}' is not in the set",
                                                                  out->target)});
      out = &(*tree)->nodes[first->second].e;
    }
    return 0;
  }

  // The tree of set i, read on first use; the kMaxTrees used last are kept. A set whose
  // manifest fails is named once and then answers EIO.
  std::optional<std::shared_ptr<const Tree>> load(std::size_t i) {
    for (auto it = trees_.begin(); it != trees_.end(); ++it) {
      if (it->first != i) continue;
      trees_.splice(trees_.begin(), trees_, it);
      return trees_.front().second;
    }
    if (failed_.count(i)) return std::nullopt;
    auto tree = read_tree(o_.sets[i]);
    if (!tree) {
      failed_.insert(i);
      damaged("ids/" + o_.sets[i].id.hex(), std::move(tree).error());
      return std::nullopt;
    }
    trees_.emplace_front(i, std::move(*tree));
    if (trees_.size() > kMaxTrees) trees_.pop_back();
    return trees_.front().second;
  }

  Result<std::shared_ptr<const Tree>> read_tree(const SetRef& s) {
    auto opened = repo::open_stored_set(r_, s.id);
    if (!opened) return as_damage(std::move(opened).error());
    if (o_.check) CAIRN_TRY(o_.check(s.id, opened->obj));
    auto t = std::make_shared<Tree>();
    Node root;
    root.e.type = manifest::Type::dir;
    root.e.mode = 0555;
    root.e.uid = ::getuid();
    root.e.gid = ::getgid();
    root.e.mtime_ns = root.e.ctime_ns = s.started_ns;
    t->nodes.push_back(std::move(root));
    t->by_path.emplace("", 0);
    manifest::Entry e;
    for (;;) {
      auto more = opened->next(e);
      if (!more) return as_damage(std::move(more).error());
      if (!*more) break;
      Item item = compact(e);
      std::string path = e.path == "." ? std::string() : std::move(e.path);
      add(*t, std::move(path), std::move(item));
      e = manifest::Entry{};
    }
    t->nodes.shrink_to_fit();
    return std::shared_ptr<const Tree>(std::move(t));
  }

  // Adds an entry at `path`, making up the directories above it that the manifest lacks (a
  // tar stream need not list them).
  static std::uint32_t add(Tree& t, std::string path, Item item) {
    if (auto it = t.by_path.find(path); it != t.by_path.end()) {
      t.nodes[it->second].e = std::move(item);  // a later entry for the same path wins
      return it->second;
    }
    std::uint32_t parent = 0;
    if (const std::string_view up = parent_of(path); !up.empty()) {
      auto it = t.by_path.find(std::string(up));
      if (it != t.by_path.end()) {
        parent = it->second;
      } else {
        Item dir = t.nodes[0].e;  // the root's owner and time
        dir.name = std::string(base_of(up));
        dir.mode = 0755;
        parent = add(t, std::string(up), std::move(dir));
      }
    }
    const auto idx = static_cast<std::uint32_t>(t.nodes.size());
    t.by_path.emplace(std::move(path), idx);
    t.nodes.push_back(Node{std::move(item), {}});
    t.nodes[parent].children.push_back(idx);
    return idx;
  }

  // Chunk k of an open file, from the cache or read and authenticated; the cache keeps the
  // chunks used last up to kChunkCacheBytes (at least one).
  Result<std::shared_ptr<const Bytes>> chunk_of(const OpenFile& f, std::size_t k) {
    const hash::ChunkId& id = f.e.chunks[k];
    if (auto it = cached_.find(id); it != cached_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return it->second->second;
    }
    auto b = repo::read_entry_chunk(r_, f.e, k);
    if (!b) return as_damage(std::move(b).error());
    auto shared = std::make_shared<const Bytes>(std::move(*b));
    cache_bytes_ += shared->size();
    lru_.emplace_front(id, shared);
    cached_.emplace(id, lru_.begin());
    while (lru_.size() > 1 && cache_bytes_ > kChunkCacheBytes) {
      cache_bytes_ -= lru_.back().second->size();
      cached_.erase(lru_.back().first);
      lru_.pop_back();
    }
    return shared;
  }

  // The kernel retries a failed read (and reads ahead), so each damage is named once.
  int damaged(const std::string& name, Error e) {
    if (named_.insert(name + '\n' + e.message).second) {
      ++damaged_;
      obs_.warning(name, e);
    }
    return -EIO;
  }

  repo::Repository& r_;
  const Options& o_;
  Observer& obs_;
  std::map<std::string, std::size_t> by_id_;                           // id hex -> set
  std::map<std::string, std::map<std::string, std::size_t>> sources_;  // source -> name -> set
  std::map<std::string, std::optional<std::pair<std::string, std::size_t>>> latest_;
  std::list<std::pair<std::size_t, std::shared_ptr<const Tree>>> trees_;  // used last first
  std::unordered_set<std::size_t> failed_;
  using Cached = std::list<std::pair<hash::ChunkId, std::shared_ptr<const Bytes>>>;
  Cached lru_;
  std::unordered_map<hash::ChunkId, Cached::iterator> cached_;
  std::size_t cache_bytes_ = 0;
  std::unordered_map<std::uint64_t, OpenFile> open_;
  std::uint64_t next_fh_ = 1;
  std::uint64_t damaged_ = 0;
  std::unordered_set<std::string> named_;  // the damage named so far
};

Fs& fs() { return *static_cast<Fs*>(fuse_get_context()->private_data); }

fuse_operations operations() {
  fuse_operations ops{};
  ops.init = [](fuse_conn_info*, fuse_config* cfg) -> void* {
    cfg->kernel_cache = 1;  // sets are immutable: what the kernel cached stays right
    cfg->entry_timeout = cfg->attr_timeout = 60;
    return fuse_get_context()->private_data;
  };
  ops.getattr = [](const char* p, struct stat* st, fuse_file_info*) { return fs().getattr(p, st); };
  ops.readlink = [](const char* p, char* buf, std::size_t n) { return fs().readlink(p, buf, n); };
  ops.readdir = [](const char* p, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*,
                   fuse_readdir_flags) { return fs().readdir(p, buf, fill); };
  ops.open = [](const char* p, fuse_file_info* fi) { return fs().open(p, fi); };
  ops.read = [](const char*, char* buf, std::size_t n, off_t off, fuse_file_info* fi) {
    return fs().read(buf, n, off, fi);
  };
  ops.release = [](const char*, fuse_file_info* fi) { return fs().release(fi); };
  return ops;
}

}  // namespace

Result<Served> serve(repo::Repository& r, const Options& o, Observer& obs) {
  struct stat st {};
  if (::stat(o.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error{Errc::usage, fmt::format("mount point '{}' is not a directory: create it first",
                                          o.dir.string())};
  Fs fs(r, o, obs);
  const fuse_operations ops = operations();
  // nosuid,nodev: a set's setuid bits and device nodes are shown, never honoured (libfuse sets
  // them by default too; said here so that no later option drops them).
  std::vector<std::string> words = {"cairn", "-o", "ro,nosuid,nodev,fsname=cairn,subtype=cairn"};
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  fuse* f = fuse_new(&args, &ops, sizeof ops, &fs);
  // fuse_new parses the options and may copy the argument list into memory of its own (it
  // does for "-o"): freed here, whatever the outcome (LeakSanitizer found it under ASan).
  fuse_opt_free_args(&args);
  if (!f) return Error{Errc::io, "cannot start FUSE (libfuse3 refused its options)"};
  if (fuse_mount(f, o.dir.c_str()) != 0) {
    fuse_destroy(f);
    return Error{Errc::io, fmt::format("cannot mount at '{}': FUSE needs /dev/fuse and "
                                       "fusermount3 (Debian package fuse3)",
                                       o.dir.string())};
  }
  // SIGINT, SIGTERM and SIGHUP end the loop (then we unmount and exit 0). libfuse installs its
  // handlers only over SIG_DFL, so the tool's own (which trips the cancel token) are set
  // aside meanwhile and put back after.
  fuse_session* se = fuse_get_session(f);
  constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction saved[3] = {};
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &dfl, &saved[i]);
  (void)fuse_set_signal_handlers(se);
  if (o.ready) o.ready();
  const int rc = fuse_loop(f);
  fuse_remove_signal_handlers(se);
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &saved[i], nullptr);
  fuse_unmount(f);
  fuse_destroy(f);
  if (rc < 0)
    return Error{Errc::io, fmt::format("FUSE session at '{}' failed: {}", o.dir.string(),
                                       std::strerror(-rc))};
  return Served{fs.damaged_reads()};
}

}  // namespace cairn::mount
