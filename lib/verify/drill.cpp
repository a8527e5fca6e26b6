// cairn-verify --drill: restore a set into scratch space with Options::restore (the use case
// passes ops::restore, which authenticates every chunk and checks every file's size), time it,
// then read every restored file back, cut it with the repository's chunker and compare its
// chunk ids with the set's: the restored bytes are exactly the stored ones. With --check, an
// application check then runs in the restored tree (e.g. pg_restore --list, redis-check-rdb,
// starting PostgreSQL on a restored data directory). The scratch directory is removed and the drill
// recorded in the catalog with its measured restore time.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "base/tempdir.hpp"
#include "base/time.hpp"
#include "base/work_queue.hpp"
#include "io/process.hpp"
#include "repo/stored.hpp"
#include "verify/engine.hpp"

extern char** environ;

namespace cairn::verify {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::uint64_t ms_since(Clock::time_point t0) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

// Keeps what restore reports per item; progress goes through to the caller's observer.
class DrillObserver final : public Observer {
 public:
  explicit DrillObserver(Observer& up) : up_(up) {}
  void started(std::string_view p) override { up_.started(p); }
  void advanced(std::uint64_t b, std::uint64_t i) override { up_.advanced(b, i); }
  void expect(std::uint64_t b, std::uint64_t i) override { up_.expect(b, i); }
  void info(std::string_view line) override { up_.info(line); }
  void warning(std::string_view path, const Error& e) override {
    std::lock_guard l(mu_);
    problems.emplace_back(std::string(path), e);
  }
  std::vector<std::pair<std::string, Error>> problems;

 private:
  Observer& up_;
  std::mutex mu_;
};

std::string files(std::size_t n) { return fmt::format("{} {}", n, n == 1 ? "file" : "files"); }

struct Mismatch {
  std::string path, reason;
};

// ---- scratch space

Result<TempDir> make_scratch(const std::optional<fs::path>& parent) {
  fs::path base = "/tmp";
  if (parent) {
    base = *parent;
    std::error_code ec;
    fs::create_directories(base, ec);
    if (ec)
      return Error{Errc::io, fmt::format("cannot create '{}': {}", base.string(), ec.message())};
  } else if (const char* t = std::getenv("TMPDIR"); t != nullptr && *t != '\0') {
    base = t;
  }
  return TempDir::create("cairn-drill-", base, "a directory");
}

// Restored directories may deny their owner write or search permission: grant it before removal.
void open_up(const fs::path& dir) {
  std::error_code ec;
  ::chmod(dir.c_str(), 0700);
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->symlink_status(ec).type() == fs::file_type::directory) open_up(it->path());
}

Status remove_scratch(const fs::path& dir) {
  open_up(dir);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec)
    return Error{Errc::io, fmt::format("cannot remove the drill directory '{}': {}", dir.string(),
                                       ec.message())};
  return {};
}

// ---- reading the restored tree back

// The directory holding `path` below `root`, reached one component at a time without
// following a symlink.
Result<io::Fd> open_parent(int root, std::string_view path) {
  io::Fd cur(::dup(root));
  if (!cur.valid()) return errno_error(errno, "dup");
  for (std::size_t start = 0;;) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) return cur;
    std::string comp(path.substr(start, slash - start));
    int fd = ::openat(cur.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return errno_error(
          errno, fmt::format("cannot open directory '{}'", std::string(path.substr(0, slash))));
    cur = io::Fd(fd);
    start = slash + 1;
  }
}

std::string base_name(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

Result<struct stat> stat_entry(int root, std::string_view path) {
  CAIRN_TRY_ASSIGN(io::Fd dir, open_parent(root, path));
  struct stat st;
  if (::fstatat(dir.get(), base_name(path).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno_error(errno, "missing after the restore");
  return st;
}

// Re-cuts a restored file and compares every chunk id and the size with the set.
Status check_content(int fd, const manifest::Entry& e, const chunker::Chunker& ch,
                     const hash::KeyedHasher& h) {
  const std::size_t max = ch.params().max_size;
  Bytes buf(std::clamp<std::size_t>(
      static_cast<std::size_t>(std::min<std::uint64_t>(e.size, 2 * max)) + 1, 64u << 10, 2 * max));
  std::size_t have = 0, pos = 0, k = 0;
  std::uint64_t total = 0, offset = 0;
  for (;;) {
    if (pos > 0) {
      std::memmove(buf.data(), buf.data() + pos, have - pos);
      have -= pos;
      pos = 0;
    }
    if (have == buf.size()) buf.resize(std::min(buf.size() * 2, 2 * max));
    CAIRN_TRY_ASSIGN(
        std::size_t n,
        io::read_full(fd, MutByteView(buf.data() + have, buf.size() - have), "restored file"));
    have += n;
    total += n;
    const bool eof = n == 0;
    while (have - pos >= max || (eof && pos < have)) {
      const ByteView rest(buf.data() + pos, have - pos);
      const std::size_t cut = ch.next_cut(rest, eof);
      if (cut == 0) break;
      if (k >= e.chunks.size() || h.hash(rest.first(cut)) != e.chunks[k].d)
        return Error{Errc::corrupt,
                     fmt::format("its content differs from the set from byte {}", offset)};
      ++k;
      pos += cut;
      offset += cut;
    }
    if (eof) break;
  }
  if (k != e.chunks.size() || total != e.size)
    return Error{Errc::corrupt, fmt::format("it has {} bytes, the set records {}", total, e.size)};
  return {};
}

class TreeChecker {
 public:
  TreeChecker(repo::Repository& r, int root, const CancelToken& cancel)
      : r_(r),
        root_(root),
        cancel_(cancel),
        hasher_(r.config().chunk_hash, r.keys().chunk_id_key.view()) {}

  Status run(manifest::Reader& m, unsigned jobs) {
    WorkQueue q(jobs, 64ull << 20);
    manifest::Entry e;
    Status st;
    for (;;) {
      if (cancel_.cancelled()) {
        st = cancelled_error();
        break;
      }
      auto more = m.next(e);
      if (!more) {
        st = std::move(more).error();
        break;
      }
      if (!*more) break;
      if (e.path == ".") continue;
      if (e.type == manifest::Type::file) {
        ++files;
        bytes += e.size;
        st = q.submit(std::min<std::uint64_t>(e.size, 16u << 20) + 4096,
                      [this, entry = std::make_shared<manifest::Entry>(e)]() -> Status {
                        check_file(*entry);
                        return {};
                      });
        if (!st) break;
      } else {
        check_other(e);
      }
    }
    Status w = q.wait();
    if (!st) return st;
    return w;
  }

  std::uint64_t files = 0, bytes = 0;
  std::vector<Mismatch> mismatches;

 private:
  void fail(const std::string& path, std::string reason) {
    std::lock_guard l(mu_);
    mismatches.push_back({path, std::move(reason)});
  }

  void check_file(const manifest::Entry& e) {
    if (cancel_.cancelled()) return;
    auto dir = open_parent(root_, e.path);
    if (!dir) return fail(e.path, dir.error().message);
    int fd = ::openat(dir->get(), base_name(e.path).c_str(),
                      O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return fail(e.path, errno_error(errno, "missing after the restore").message);
    io::Fd f(fd);
    Status st = check_content(fd, e, r_.chunker(), hasher_);
    if (!st) fail(e.path, st.error().message);
  }

  void check_other(const manifest::Entry& e) {
    using manifest::Type;
    if (e.type != Type::dir && e.type != Type::symlink && e.type != Type::hardlink)
      return;  // devices need root
    auto st = stat_entry(root_, e.path);
    if (!st) return fail(e.path, st.error().message);
    if (e.type == Type::dir && !S_ISDIR(st->st_mode))
      return fail(e.path, "is not a directory after the restore");
    if (e.type == Type::hardlink) {
      auto target = stat_entry(root_, e.link);
      if (!target || st->st_ino != target->st_ino || st->st_dev != target->st_dev)
        return fail(e.path, fmt::format("is not a hard link to '{}' after the restore",
                                        printable_path(e.link)));
    }
    if (e.type == Type::symlink) {
      if (!S_ISLNK(st->st_mode)) return fail(e.path, "is not a symlink after the restore");
      auto dir = open_parent(root_, e.path);
      std::string target(static_cast<std::size_t>(st->st_size) + 1, '\0');
      ssize_t n =
          dir ? ::readlinkat(dir->get(), base_name(e.path).c_str(), target.data(), target.size())
              : -1;
      if (n < 0 || static_cast<std::size_t>(n) != e.target.size() ||
          target.compare(0, e.target.size(), e.target) != 0)
        return fail(e.path, "its symlink target differs from the set");
    }
  }

  repo::Repository& r_;
  int root_;
  const CancelToken& cancel_;
  hash::KeyedHasher hasher_;
  std::mutex mu_;
};

// ---- the application check (--check)

// Runs `cmd` with /bin/sh -c in `dir`, stdin /dev/null, stdout to our stderr (stdout carries
// the report), and CAIRN_DRILL_DIR, CAIRN_SET and CAIRN_SOURCE in its environment. An empty
// result means it exited 0; otherwise why it failed, for the drill's detail.
std::string run_check(const std::string& cmd, const fs::path& dir, const catalog::SetRecord& rec) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view v(*e);
    if (v.starts_with("CAIRN_DRILL_DIR=") || v.starts_with("CAIRN_SET=") ||
        v.starts_with("CAIRN_SOURCE="))
      continue;
    env.emplace_back(v);
  }
  env.push_back("CAIRN_DRILL_DIR=" + dir.string());
  env.push_back("CAIRN_SET=" + rec.id.hex());
  env.push_back("CAIRN_SOURCE=" + rec.source);
  io::Command c = io::Command::shell(cmd);
  c.env = std::move(env);
  c.dir = dir;
  c.in = io::kDevNull;
  c.out = 2;
  const std::string what = fmt::format("the check '{}'", cmd);
  auto pid = io::spawn(c, what);
  if (!pid) return pid.error().message;
  auto status = io::wait_status(*pid, what);
  if (!status) return status.error().message;
  if (auto why = io::failure(*status)) return fmt::format("{} {}", what, *why);
  return {};
}

// ---- one drill

struct DrillResult {
  DrillLine line;
  std::vector<Mismatch> mismatches;
  std::optional<Error> failure;  // an operational failure (not damage): stops the run
};

Status restore_and_check(Run& run, const catalog::SetRecord& rec, const fs::path& scratch,
                         DrillResult& res) {
  DrillObserver dobs(run.obs);
  const auto t0 = Clock::now();
  Status restored = run.o.restore(rec.id, scratch, dobs);
  res.line.restore_ms = ms_since(t0);
  for (auto& [path, e] : dobs.problems) {
    if (is_damage(e))
      res.mismatches.push_back({path, e.message});
    else
      run.obs.info(
          fmt::format("drill {}: '{}': {}", set_prefix(rec.id), printable_path(path), e.message));
  }
  if (!restored) {
    if (!is_damage(restored.error())) return std::move(restored).error();
    res.line.detail =
        res.mismatches.empty()
            ? fmt::format("restore failed: {}", restored.error().message)
            : fmt::format("{} could not be restored (named below)", files(res.mismatches.size()));
    return {};
  }
  const auto t1 = Clock::now();
  CAIRN_TRY_ASSIGN(io::Fd root, io::open_file(scratch, O_RDONLY | O_DIRECTORY));
  CAIRN_TRY_ASSIGN(repo::StoredSet set, repo::open_stored_set(run.repo, rec.id));
  TreeChecker checker(run.repo, root.get(), run.cancel);
  CAIRN_TRY(checker.run(*set.manifest, run.o.jobs ? run.o.jobs : default_jobs()));
  res.line.check_ms = ms_since(t1);
  res.line.files = checker.files;
  res.line.bytes = checker.bytes;
  for (auto& m : checker.mismatches) res.mismatches.push_back(std::move(m));
  if (!res.mismatches.empty())
    res.line.detail = fmt::format("{} differ from the set after the restore (named below)",
                                  files(res.mismatches.size()));
  return {};
}

Result<DrillResult> drill_one(Run& run, const catalog::SetRecord& rec) {
  DrillResult res;
  res.line.set = rec.id;
  res.line.source = rec.source;
  res.line.started_ns = rec.started_ns;
  const std::int64_t started = now_ns();
  const auto t0 = Clock::now();
  CAIRN_TRY_ASSIGN(TempDir scratch_dir, make_scratch(run.o.drill_to));
  const fs::path scratch = scratch_dir.path();
  Status st = restore_and_check(run, rec, scratch, res);
  if (st && run.o.drill_check && res.mismatches.empty() && res.line.detail.empty() &&
      !run.cancelled()) {
    run.obs.started(fmt::format("drill {}: check", set_prefix(rec.id)));
    const auto tc = Clock::now();
    res.line.detail = run_check(*run.o.drill_check, scratch, rec);
    if (res.line.detail.empty()) res.line.app_check_ms = ms_since(tc);
  }
  Status removed = remove_scratch(scratch_dir.release());
  if (!removed) run.obs.warning(scratch.string(), removed.error());
  if (!st) {
    if (st.error().code == Errc::cancelled) return std::move(st).error();
    res.failure = st.error();
    res.line.detail = st.error().message;
  }
  res.line.ok = !res.failure && res.line.detail.empty();

  catalog::VerifyRecord v;
  v.set_id = rec.id;
  v.kind = catalog::VerifyKind::drill;
  v.started_ns = started;
  v.duration_ms = ms_since(t0);
  v.ok = res.line.ok;
  v.detail = res.line.ok ? fmt::format("{}, {} bytes", files(res.line.files), res.line.bytes)
                         : res.line.detail;
  if (res.line.ok && run.o.drill_check)
    v.detail += fmt::format("; check '{}' passed", *run.o.drill_check);
  if (res.line.ok) v.restore_ms = res.line.restore_ms;
  auto recorded = run.cat.record_verify(v);
  if (!recorded) run.obs.warning("catalog", recorded.error());
  return res;
}

Result<std::vector<catalog::SetRecord>> drill_sets(Run& run) {
  std::vector<catalog::SetRecord> out;
  if (!run.o.sets.empty() || run.o.all) {
    for (const auto& s : run.sets)
      if (s.selected && s.rec && !s.missing &&
          (!run.o.sets.empty() || s.rec->status == catalog::SetStatus::committed))
        out.push_back(*s.rec);
    return out;
  }
  CAIRN_TRY_ASSIGN(auto all, run.cat.list_sets());
  std::set<std::string> sources;
  for (const auto& r : all)
    if (r.status == catalog::SetStatus::committed) sources.insert(r.source);
  for (const auto& src : sources) {
    CAIRN_TRY_ASSIGN(auto latest, run.cat.latest(src));
    if (latest) out.push_back(*latest);
  }
  return out;
}

}  // namespace

Result<std::uint64_t> run_drills(Run& run) {
  CAIRN_TRY_ASSIGN(auto sets, drill_sets(run));
  if (sets.empty()) CAIRN_TRY(run.report.note("no committed set to drill"));
  std::uint64_t failed = 0;
  for (const auto& rec : sets) {
    if (run.cancelled()) return cancelled_error();
    run.obs.started(fmt::format("drill {}", set_prefix(rec.id)));
    CAIRN_TRY_ASSIGN(DrillResult res, drill_one(run, rec));
    CAIRN_TRY(run.report.drill(res.line));
    for (const auto& m : res.mismatches) CAIRN_TRY(run.report.drill_file(rec.id, m.path, m.reason));
    if (res.failure) return *res.failure;
    if (!res.line.ok) ++failed;
  }
  return failed;
}

}  // namespace cairn::verify
