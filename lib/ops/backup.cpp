#include "ops/backup.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "base/time.hpp"
#include "compress/zstd.hpp"
#include "ops/diff.hpp"
#include "ops/pack.hpp"
#include "ops/push.hpp"
#include "policy/policy.hpp"

namespace cairn::ops {

namespace {

struct Pipe {
  io::Fd read, write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error(errno, "cannot create a pipe");
  return Pipe{io::Fd(fds[0]), io::Fd(fds[1])};
}

// A stage writing into a pipe whose reader failed gets EPIPE, as a pipeline stage would get
// SIGPIPE, instead of the whole process being killed.
void block_sigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// What cairn-snap and cairn-diff tell: their warnings and -v lines, not their progress (the
// files cairn-pack reads are the one status line, as the last stage of a pipeline draws it).
struct NoProgress final : Observer {
  explicit NoProgress(Observer& o) : to(o) {}
  void warning(std::string_view path, const Error& e) override { to.warning(path, e); }
  void info(std::string_view line) override { to.info(line); }
  Observer& to;
};

// The destinations: --push DEST..., then the policy's for the set's class (push_policy).
Result<std::vector<std::string>> destinations(const BackupOptions& o) {
  std::vector<std::string> dests = o.push;
  if (o.push_policy) {
    const auto file = policy::locate(o.policy);
    CAIRN_TRY_ASSIGN(policy::Policy pol, policy::load(file));
    const std::string cls = o.snap.retention_class.empty() ? "daily" : o.snap.retention_class;
    const policy::Class* c = pol.find(cls);
    if (c == nullptr || c->destinations.empty())
      return Error{Errc::usage,
                   fmt::format("policy '{}' gives class '{}' no destinations: add "
                               "'destinations = [...]' to [class.{}], or use --push DEST",
                               file.string(), cls, cls)};
    for (const auto& d : c->destinations)
      if (std::find(dests.begin(), dests.end(), d) == dests.end()) dests.push_back(d);
  }
  for (const auto& d : dests) CAIRN_TRY(backend::parse_url(d));
  return dests;
}

int run_exit_code(const Result<Outcome>& r) {
  if (!r) return static_cast<int>(exit_for(r.error().code));
  return r->warnings > 0 ? static_cast<int>(Exit::partial) : 0;
}

}  // namespace

Result<Outcome> backup(const BackupOptions& o, io::Writer& out, Observer& obs,
                       const CancelToken& cancel) {
  if (o.snap.roots.empty()) return Error{Errc::usage, "give at least one PATH to back up"};
  if (o.compression) CAIRN_TRY(compress::parse_setting(*o.compression));  // before any work
  CAIRN_TRY_ASSIGN(const std::vector<std::string> dests, destinations(o));
  const auto t0 = std::chrono::steady_clock::now();
  if (o.repo.run) {  // the run cairn-pack records, counted by `cairn status`
    o.repo.run->source = snap_source(o.snap);
    o.repo.run->retention_class = o.snap.retention_class.empty() ? "daily" : o.snap.retention_class;
  }
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo));  // the one key derivation
  CAIRN_TRY_ASSIGN(Pipe to_diff, make_pipe());
  CAIRN_TRY_ASSIGN(Pipe to_pack, make_pipe());

  // Each stage's result, and the order in which the stages failed (0: did not).
  std::array<Result<Outcome>, 3> res{Outcome{}, Outcome{}, Outcome{}};
  std::array<int, 3> failed_as{0, 0, 0};
  std::atomic<int> failures{0};
  // A stage that succeeded has written its whole stream only once `out` is flushed.
  const auto done = [&](int stage, Result<Outcome> r, io::Writer* out = nullptr) {
    if (r && out) {
      if (Status st = out->flush(); !st) r = std::move(st).error();
    }
    if (!r) failed_as[static_cast<std::size_t>(stage)] = ++failures;
    res[static_cast<std::size_t>(stage)] = std::move(r);
  };
  NoProgress upstream(obs);
  io::StringWriter objects;  // cairn-pack's output: the set id, then +PATH lines
  {
    std::thread snap_t([&] {
      block_sigpipe();
      io::Fd w = std::move(to_diff.write);
      io::FdWriter out_w(w.get(), "the stream to cairn-diff");
      io::MemReader none(ByteView{});
      done(0, snap(o.snap, none, out_w, upstream, cancel), &out_w);
    });
    std::thread diff_t([&] {
      block_sigpipe();
      io::Fd in = std::move(to_diff.read);
      io::Fd w = std::move(to_pack.write);
      io::FdReader in_r(in.get(), "the stream from cairn-snap");
      io::FdWriter out_w(w.get(), "the stream to cairn-pack");
      DiffOptions d;
      d.against = o.against;
      d.shared = &ctx;
      done(1, diff(d, in_r, out_w, upstream, cancel), &out_w);
    });
    std::thread pack_t([&] {
      block_sigpipe();
      io::Fd in = std::move(to_pack.read);
      io::FdReader in_r(in.get(), "the stream from cairn-diff");
      PackOptions p;
      p.kind = o.kind;
      p.jobs = o.jobs;
      p.compression = o.compression;
      p.policy = o.policy;
      p.shared = &ctx;
      p.repo.run = o.repo.run;
      done(2, pack(p, in_r, objects, obs, cancel));
    });
    snap_t.join();
    diff_t.join();
    pack_t.join();
  }
  const std::string set_id = objects.out.substr(0, objects.out.find('\n'));
  Outcome outcome;
  outcome.result = set_id;
  if (res[2]) outcome.tally = res[2]->tally;  // cairn-pack's: the set written
  for (const auto& r : res)
    if (r) outcome.warnings += r->warnings;
  // The cause is the stage that failed first; those after it saw its truncated stream.
  int first = -1;
  for (int i = 0; i < 3; ++i)
    if (failed_as[static_cast<std::size_t>(i)] != 0 &&
        (first < 0 ||
         failed_as[static_cast<std::size_t>(i)] < failed_as[static_cast<std::size_t>(first)]))
      first = i;
  const bool committed = set_id.size() == 64;
  if (first >= 0 && !committed) return std::move(res[static_cast<std::size_t>(first)]).error();
  if (committed && !dests.empty()) {
    const auto t1 = std::chrono::steady_clock::now();  // the pack run ends; the push run begins
    outcome.run_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
    std::optional<RunLog> run;
    if (o.record_push_run) {
      run.emplace("cairn-push", now_ns());
      if (Status st = run->begin(ctx.cat); !st) obs.warning("catalog", st.error());
    }
    PushOptions po;
    po.dests = dests;
    po.policy = o.policy;
    po.remote = o.remote;
    po.shared = &ctx;
    io::MemReader in(as_bytes(objects.out));
    io::StringWriter lines;  // "+PATH DEST": cairn-push's product, not this command's
    auto pushed = push(po, in, lines, obs, cancel);
    if (run) {  // as cairn-push records it: its duration, the bytes sent, each destination's
      const int code = run_exit_code(pushed);
      catalog::RunMetrics m;
      m.duration_ms =
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - t1)
                                         .count());
      std::vector<catalog::TransferRecord> moved;
      if (pushed) {
        moved = pushed->transfers;
        m.bytes = 0;
        for (const auto& t : moved) *m.bytes += t.bytes;
      }
      (void)run->finish(now_ns(), code, pushed ? "ok" : pushed.error().message, m, moved);
    }
    if (!pushed) {
      if (first < 0) return std::move(pushed).error();
      obs.warning("push", pushed.error());
    } else {
      outcome.warnings += pushed->warnings;
      if (pushed->warnings == 0)
        for (const auto& d : dests) obs.info(fmt::format("set {} copied to {}", set_id, d));
    }
  }
  if (first >= 0) {  // committed, then a failure (the catalog not updated): say so, as pack does
    if (Status st = out.write(as_bytes(set_id + "\n")); !st)
      obs.warning("standard output", st.error());
    (void)out.flush();
    return std::move(res[static_cast<std::size_t>(first)]).error();
  }
  return outcome;
}

}  // namespace cairn::ops
