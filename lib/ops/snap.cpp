// lib/ops/snap.cpp: cairn-snap's use case (directories, --stdin, --tar) -> manifest stream.
#include "ops/snap.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "base/env.hpp"
#include "base/time.hpp"
#include "io/process.hpp"
#include "manifest/manifest.hpp"
#include "model/set.hpp"
#include "rdb/rdb.hpp"
#include "tar/tar.hpp"
#include "tree/tree.hpp"

namespace cairn::ops {
namespace {

constexpr std::size_t kFrame = 1u << 20;  // content is framed in 1 MiB pieces

// Forwards to the caller's observer and counts warnings.
struct Counting final : Observer {
  explicit Counting(Observer& o) : inner(o) {}
  void started(std::string_view p) override { inner.started(p); }
  void advanced(std::uint64_t b, std::uint64_t i) override { inner.advanced(b, i); }
  void expect(std::uint64_t b, std::uint64_t i) override { inner.expect(b, i); }
  void warning(std::string_view p, const Error& e) override {
    ++warnings;
    inner.warning(p, e);
  }
  void info(std::string_view l) override { inner.info(l); }
  Observer& inner;
  std::atomic<int> warnings{0};
};

// Starts /bin/sh -c `cmd` with stdin /dev/null and stdout to `out_fd` (our stderr when -1).
Result<pid_t> spawn_command(const std::string& cmd, int out_fd, const std::string& what) {
  io::Command c = io::Command::shell(cmd);
  c.in = io::kDevNull;
  c.out = out_fd >= 0 ? out_fd : 2;
  return io::spawn(c, what);
}

// Runs `cmd` with /bin/sh -c; its stdout goes to our stderr (stdout carries the stream) and its
// stdin is /dev/null.
Status run_hook(const std::string& cmd, std::string_view when) {
  const std::string what = fmt::format("{} command '{}'", when, cmd);
  CAIRN_TRY_ASSIGN(pid_t pid, spawn_command(cmd, -1, what));
  return io::wait_success(pid, what);
}

// --from-command: the producer whose stdout is the input. Killed and reaped if the snapshot
// stops before reading it to the end.
class Producer {
 public:
  static Result<Producer> start(const std::string& cmd) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return errno_error(errno, "cannot create a pipe");
    io::Fd rd(p[0]), wr(p[1]);
    Producer pr;
    pr.what_ = fmt::format("input command '{}'", cmd);
    CAIRN_TRY_ASSIGN(pr.pid_, spawn_command(cmd, wr.get(), pr.what_));
    pr.out_ = std::move(rd);
    return pr;
  }
  Producer() = default;
  Producer(Producer&& o) noexcept
      : pid_(std::exchange(o.pid_, -1)), out_(std::move(o.out_)), what_(std::move(o.what_)) {}
  Producer& operator=(Producer&&) = delete;
  ~Producer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    out_ = io::Fd();  // a producer blocked on a full pipe gets EPIPE
    (void)io::wait_status(pid_, what_);
  }
  int fd() const { return out_.get(); }
  const std::string& what() const { return what_; }
  // After the input was read to its end: Errc::io unless the command exited 0. What the
  // command still writes (a tar's end-of-archive padding after the reader stopped at the
  // end marker, a compressor's trailer) is drained first, so that it does not die of
  // SIGPIPE with a good dump; past kMaxTrailing bytes that is not padding any more, and the
  // pipe is closed (a producer that never stops cannot hang the snapshot).
  Status finish() {
    constexpr std::size_t kMaxTrailing = 16u << 20;
    std::uint8_t sink[65536];
    std::size_t drained = 0;
    while (drained < kMaxTrailing) {
      const ssize_t n = ::read(out_.get(), sink, sizeof sink);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      drained += static_cast<std::size_t>(n);
    }
    out_ = io::Fd();
    const pid_t pid = std::exchange(pid_, -1);
    return io::wait_success(pid, what_);
  }

 private:
  pid_t pid_ = -1;
  io::Fd out_;
  std::string what_;
};

manifest::Type type_of(tree::Kind k) {
  switch (k) {
    case tree::Kind::file: return manifest::Type::file;
    case tree::Kind::dir: return manifest::Type::dir;
    case tree::Kind::symlink: return manifest::Type::symlink;
    case tree::Kind::fifo: return manifest::Type::fifo;
    case tree::Kind::socket: return manifest::Type::socket;
    case tree::Kind::chardev: return manifest::Type::chardev;
    case tree::Kind::blockdev: return manifest::Type::blockdev;
  }
  return manifest::Type::file;
}

// Streams `fd` as frames of at most kFrame bytes. A read error here is fatal: the entry line is
// already out, and a shorter content must not pass for the file.
Status copy_frames(int fd, const std::string& what, manifest::Writer& w, Bytes& buf, Observer& obs,
                   const CancelToken& cancel) {
  buf.resize(kFrame);
  for (;;) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    CAIRN_TRY_ASSIGN(std::size_t n, io::read_full(fd, buf, what));
    if (n == 0) break;
    CAIRN_TRY(w.frame(ByteView(buf.data(), n)));
    obs.advanced(n, 0);
    if (n < buf.size()) break;
  }
  return w.end_frames();
}

class DirSnap {
 public:
  DirSnap(const SnapOptions& opt, manifest::Writer& w, Counting& obs, const CancelToken& cancel)
      : opt_(opt), w_(w), obs_(obs), cancel_(cancel) {}

  Status visit(const tree::Node& n) {
    manifest::Entry e;
    e.path = n.path;
    e.type = type_of(n.kind);
    e.mode = n.mode;
    e.uid = n.uid;
    e.gid = n.gid;
    if (n.user && is_utf8(*n.user)) e.user = n.user;
    if (n.group && is_utf8(*n.group)) e.group = n.group;
    e.size = n.size;
    e.mtime_ns = n.mtime_ns;
    e.ctime_ns = n.ctime_ns;
    e.ino = n.ino;
    e.dev = n.dev;
    e.nlink = n.nlink;
    e.rdev_major = n.rdev_major;
    e.rdev_minor = n.rdev_minor;
    e.target = n.target;
    for (const auto& x : n.xattrs) {
      if (!is_utf8(x.name)) {
        obs_.warning(n.path, Error{Errc::unimplemented,
                                   fmt::format("xattr of '{}' with a name that is not UTF-8 "
                                               "not recorded",
                                               n.abs.string())});
        continue;
      }
      e.xattrs.push_back(manifest::Xattr{x.name, x.value});
    }
    e.acl_access = n.acl_access;
    e.acl_default = n.acl_default;
    e.sparse = n.sparse;
    io::Fd fd;
    if (n.kind == tree::Kind::file) {
      // Hard links: grouped over the entries actually written (a skipped first member does not
      // leave the others pointing at nothing).
      if (n.nlink > 1) {
        auto it = first_.find({n.dev, n.ino});
        if (it != first_.end()) {
          e.type = manifest::Type::hardlink;
          e.link = it->second;
        }
      }
      if (e.type == manifest::Type::file) {
        CAIRN_TRY_ASSIGN(bool ok, check_readable(n, fd));
        if (!ok) return {};
        e.inline_content = opt_.inline_content;
        if (n.nlink > 1) first_.emplace(std::make_pair(n.dev, n.ino), n.path);
      }
    }
    obs_.started(n.path);
    CAIRN_TRY(w_.entry(e));
    obs_.advanced(0, 1);
    if (e.inline_content) CAIRN_TRY(copy_frames(fd.get(), n.abs.string(), w_, buf_, obs_, cancel_));
    return {};
  }

 private:
  // With --inline, opens the file (fd set); otherwise checks read access. false = skipped.
  Result<bool> check_readable(const tree::Node& n, io::Fd& fd) {
    if (!opt_.inline_content) {
      Status st = tree::check_walked_readable(n);
      if (!st) obs_.warning(n.path, st.error());
      return st.has_value();
    }
    auto f = tree::open_walked(n);
    if (!f) {
      obs_.warning(n.path, f.error());
      return false;
    }
    fd = std::move(*f);
    return true;
  }

  const SnapOptions& opt_;
  manifest::Writer& w_;
  Counting& obs_;
  const CancelToken& cancel_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> first_;
  Bytes buf_;
};

Status snap_dirs(const SnapOptions& opt, manifest::Writer& w, Counting& obs,
                 const CancelToken& cancel) {
  tree::WalkOptions wo;
  wo.one_file_system = opt.one_file_system;
  wo.excludes = opt.excludes;
  wo.exclude_caches = opt.exclude_caches;
  for (const auto& name : opt.exclude_if_present)
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
      return Error{Errc::usage, fmt::format("--exclude-if-present '{}' is not a file name: give "
                                            "a name without '/', such as .nobackup",
                                            name)};
  wo.exclude_if_present = opt.exclude_if_present;
  if (opt.exclude_file) {
    CAIRN_TRY_ASSIGN(auto more, tree::read_exclude_file(*opt.exclude_file));
    wo.excludes.insert(wo.excludes.end(), more.begin(), more.end());
  }
  DirSnap ds(opt, w, obs, cancel);
  return tree::walk(opt.roots, wo, obs, cancel, [&](const tree::Node& n) { return ds.visit(n); });
}

Status snap_stdin(const SnapOptions& opt, io::Reader& raw, manifest::Writer& w, Observer& obs,
                  const CancelToken& cancel) {
  std::optional<rdb::RdbReader> rdb;
  if (opt.stdin_rdb) rdb.emplace(raw, "standard input");
  io::Reader& in = rdb ? static_cast<io::Reader&>(*rdb) : raw;
  manifest::Entry e;
  e.path = *opt.stdin_name;
  e.type = manifest::Type::file;
  e.mode = 0600;
  e.uid = static_cast<std::uint32_t>(::geteuid());
  e.gid = static_cast<std::uint32_t>(::getegid());
  e.mtime_ns = e.ctime_ns = now_ns();
  e.nlink = 1;
  e.inline_content = true;
  obs.started(e.path);
  CAIRN_TRY(w.entry(e));
  Bytes buf(kFrame);
  std::size_t fill = 0;
  for (;;) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    CAIRN_TRY_ASSIGN(std::size_t n, in.read(MutByteView(buf.data() + fill, buf.size() - fill)));
    fill += n;
    if (fill == buf.size() || (n == 0 && fill > 0)) {
      CAIRN_TRY(w.frame(ByteView(buf.data(), fill)));
      obs.advanced(fill, 0);
      fill = 0;
    }
    if (n == 0) break;
  }
  CAIRN_TRY(w.end_frames());
  obs.advanced(0, 1);
  if (rdb && rdb->dropped() > 0)
    obs.info(fmt::format("dropped {} bytes after the end of the RDB (redis-cli's end marker)",
                         rdb->dropped()));
  return {};
}

Status snap_tar(const SnapOptions& opt, io::Reader& in, manifest::Writer& w, Observer& obs,
                const CancelToken& cancel) {
  io::Fd file;
  std::optional<io::FdReader> file_reader;
  io::Reader* src = &in;
  std::string name = "stdin";
  if (*opt.tar_input != "-") {
    CAIRN_TRY_ASSIGN(file, io::open_file(*opt.tar_input, O_RDONLY));
    name = fmt::format("'{}'", *opt.tar_input);
    file_reader.emplace(file.get(), *opt.tar_input);
    src = &*file_reader;
  }
  CAIRN_TRY_ASSIGN(auto reader, tar::Reader::open(*src, name));
  manifest::Entry e;
  Bytes buf(kFrame);
  for (;;) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    CAIRN_TRY_ASSIGN(bool more, reader->next(e, obs));
    if (!more) break;
    obs.started(e.path);
    CAIRN_TRY(w.entry(e));
    if (e.inline_content) {
      std::size_t fill = 0;
      for (;;) {
        CAIRN_TRY_ASSIGN(std::size_t n,
                         reader->read(MutByteView(buf.data() + fill, buf.size() - fill)));
        fill += n;
        if (fill == buf.size() || (n == 0 && fill > 0)) {
          CAIRN_TRY(w.frame(ByteView(buf.data(), fill)));
          obs.advanced(fill, 0);
          fill = 0;
        }
        if (n == 0) break;
        if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
      }
      CAIRN_TRY(w.end_frames());
    }
    obs.advanced(0, 1);
  }
  return {};
}

Result<manifest::SetInfo> set_info(const SnapOptions& opt) {
  manifest::SetInfo set;
  set.host = opt.host.empty() ? host_name() : opt.host;
  set.retention_class = opt.retention_class.empty() ? "daily" : opt.retention_class;
  set.started_ns = now_ns();
  if (opt.stdin_name) {
    set.source = *opt.stdin_name;
  } else if (opt.tar_input) {
    set.source =
        *opt.tar_input == "-" ? "stdin" : std::filesystem::path(*opt.tar_input).filename().string();
    if (*opt.tar_input != "-")
      set.roots.push_back(std::filesystem::absolute(*opt.tar_input).lexically_normal());
  } else {
    for (const auto& r : opt.roots) {
      auto abs = std::filesystem::absolute(r).lexically_normal().string();
      while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
      set.roots.push_back(abs);
    }
    auto base = std::filesystem::path(set.roots.front()).filename().string();
    set.source = base.empty() ? "root" : base;
  }
  if (!opt.source.empty()) set.source = opt.source;
  set.tags = opt.tags;
  model::normalize_tags(set.tags);
  return set;
}

Status check_options(const SnapOptions& opt) {
  for (const auto& t : opt.tags) CAIRN_TRY(model::check_tag(t));
  int inputs = (!opt.roots.empty() ? 1 : 0) + (opt.stdin_name ? 1 : 0) + (opt.tar_input ? 1 : 0);
  if (inputs != 1)
    return Error{Errc::usage, "give exactly one input: directories, --stdin NAME or --tar FILE"};
  if (opt.stdin_name) {
    if (*opt.stdin_name == ".") return Error{Errc::usage, "--stdin needs a file name, not '.'"};
    auto st = manifest::check_path(*opt.stdin_name);
    if (!st) return Error{Errc::usage, fmt::format("--stdin name: {}", st.error().message)};
  }
  if (opt.tar_input && opt.tar_input->empty())
    return Error{Errc::usage, "--tar needs a file name or '-'"};
  if (opt.stdin_rdb && !opt.stdin_name) return Error{Errc::usage, "--rdb needs --stdin NAME"};
  if (opt.from_command && !opt.stdin_name && opt.tar_input != "-")
    return Error{Errc::usage, "--from-command needs --stdin NAME or --tar -"};
  if (opt.roots.size() == 1) {
    struct stat st;
    if (::stat(opt.roots[0].c_str(), &st) != 0)
      return errno_error(errno, fmt::format("cannot stat '{}'", opt.roots[0].string()));
    if (!S_ISDIR(st.st_mode))
      return Error{Errc::usage,
                   fmt::format("'{}' is not a directory (for one file, use --stdin NAME < FILE)",
                               opt.roots[0].string())};
  }
  return {};
}

}  // namespace

Result<Outcome> snap(const SnapOptions& opt, io::Reader& in, io::Writer& out, Observer& obs,
                     const CancelToken& cancel) {
  CAIRN_TRY(check_options(opt));
  CAIRN_TRY_ASSIGN(auto set, set_info(opt));
  Counting counting(obs);
  for (const auto& cmd : opt.pre) CAIRN_TRY(run_hook(cmd, "pre"));
  auto body = [&]() -> Status {
    std::optional<Producer> producer;
    std::optional<io::FdReader> produced;
    if (opt.from_command) {
      CAIRN_TRY_ASSIGN(Producer p, Producer::start(*opt.from_command));
      producer.emplace(std::move(p));
      produced.emplace(producer->fd(), producer->what());
    }
    io::Reader& src = produced ? static_cast<io::Reader&>(*produced) : in;
    manifest::Writer w(out);
    CAIRN_TRY(w.header(set));
    if (opt.stdin_name)
      CAIRN_TRY(snap_stdin(opt, src, w, counting, cancel));
    else if (opt.tar_input)
      CAIRN_TRY(snap_tar(opt, src, w, counting, cancel));
    else
      CAIRN_TRY(snap_dirs(opt, w, counting, cancel));
    // The producer's verdict before the trailer: a failed dump must not become a set.
    if (producer) CAIRN_TRY(producer->finish());
    return w.finish();
  };
  Status st = body();
  for (const auto& cmd : opt.post) {
    auto p = run_hook(cmd, "post");
    if (!p) counting.warning("", p.error());
  }
  if (!st) return std::move(st).error();
  Outcome o;
  o.warnings = counting.warnings.load();
  return o;
}

std::string snap_source(const SnapOptions& opt) {
  auto info = set_info(opt);
  return info ? info->source : opt.source;
}

}  // namespace cairn::ops
