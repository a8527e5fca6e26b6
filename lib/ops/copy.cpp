// cairn copy. Each set is read from the source as restore reads it (the stored manifest and
// every chunk authenticated against the set's possession proofs) and turned into a manifest
// stream with the content inline, which the target ingests as cairn-pack does a `cairn-snap
// --tar` stream: cut by the target's chunker, deduplicated against what the target holds,
// compressed and sealed under its keys. The two sides meet in a bounded in-memory pipe, so
// neither a whole file nor a whole manifest is ever held in memory.
#include "ops/copy.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "base/time.hpp"
#include "catalog/catalog.hpp"
#include "manifest/manifest.hpp"
#include "ops/tag.hpp"
#include "repo/ingest.hpp"
#include "repo/rewrite.hpp"
#include "repo/stored.hpp"

namespace cairn::ops {
namespace {

// A bounded byte pipe between two threads: write() blocks while kLimit bytes wait, read()
// while none do. Either side may close it: a writer whose reader went away gets
// Errc::cancelled, a reader whose writer closed reads what is left, then the end.
class BytePipe {
 public:
  static constexpr std::size_t kLimit = 4u << 20;

  Status write(ByteView b) {
    std::unique_lock l(mu_);
    while (!b.empty()) {
      cv_.wait(l, [&] { return reader_gone_ || buf_.size() < kLimit; });
      if (reader_gone_) return Error{Errc::cancelled, "the target stopped reading"};
      const std::size_t n = std::min(b.size(), kLimit - buf_.size());
      buf_.insert(buf_.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
      b = b.subspan(n);
      cv_.notify_all();
    }
    return {};
  }
  Result<std::size_t> read(MutByteView out) {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return writer_done_ || !buf_.empty(); });
    const std::size_t n = std::min(out.size(), buf_.size());
    std::copy_n(buf_.begin(), n, out.begin());
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
    cv_.notify_all();
    return n;
  }
  void close_write() {
    std::lock_guard l(mu_);
    writer_done_ = true;
    cv_.notify_all();
  }
  void close_read() {
    std::lock_guard l(mu_);
    reader_gone_ = true;
    buf_.clear();
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::uint8_t> buf_;
  bool writer_done_ = false, reader_gone_ = false;
};

// Gathers the stream's many small writes (an entry line, a frame header) into pieces of
// kPiece bytes, so the two threads meet once a piece rather than once a write.
struct PipeWriter final : io::Writer {
  static constexpr std::size_t kPiece = 256u << 10;
  explicit PipeWriter(BytePipe& p) : p(p) { buf.reserve(kPiece); }
  Status write(ByteView b) override {
    if (buf.size() + b.size() > kPiece) CAIRN_TRY(flush());
    if (b.size() >= kPiece) return p.write(b);
    append(buf, b);
    return {};
  }
  Status flush() override {
    Status st = p.write(buf);
    buf.clear();
    return st;
  }
  BytePipe& p;
  Bytes buf;
};
struct PipeReader final : io::Reader {
  explicit PipeReader(BytePipe& p) : p(p) {}
  Result<std::size_t> read(MutByteView b) override { return p.read(b); }
  BytePipe& p;
};

// The mark a copy of source set `id` carries in its signed header: the target's keyed hash
// of the id (any key of the target, a write-only one too, computes and reads it; the storage
// cannot link it to the source set).
hash::Digest copy_mark(const repo::Repository& target, const hash::SetId& id) {
  return target.id_of(as_bytes("cairn copy of set " + id.hex())).d;
}

// A chunk the set needs that no index lists is damage (exit 4), as in a restore.
Error missing_is_damage(Error e, const hash::SetId& id) {
  if (e.code == Errc::not_found)
    return Error{Errc::corrupt,
                 fmt::format("set {}: {}: no index file lists it; run 'cairn-verify' on the source",
                             id.hex().substr(0, 12), e.message)};
  return e;
}

// Writes source set `set` as a manifest stream with every file's content inline.
Status write_stream(repo::Repository& src, repo::StoredSet& set, io::Writer& out,
                    const CancelToken& cancel) {
  manifest::Writer w(out);
  manifest::SetInfo info = set.manifest->set();
  CAIRN_TRY(w.header(info));
  manifest::Entry e;
  for (;;) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    CAIRN_TRY_ASSIGN(bool more, set.next(e));
    if (!more) break;
    const bool content = e.type == manifest::Type::file;
    const auto chunks = content ? e.chunks.size() : 0;
    manifest::Entry copy = e;
    copy.chunks.clear();
    copy.proofs.clear();
    copy.status = manifest::Change::none;
    copy.inline_content = content;
    CAIRN_TRY(w.entry(copy));
    if (!content) continue;
    for (std::size_t i = 0; i < chunks; ++i) {
      auto b = repo::read_entry_chunk(src, e, i);
      if (!b) return missing_is_damage(std::move(b).error(), set.obj.id);
      CAIRN_TRY(w.frame(*b));
    }
    CAIRN_TRY(w.end_frames());
  }
  return w.finish();
}

// What the target already holds: the copy mark of each of its sets, and the set carrying it.
Result<std::map<hash::Digest, hash::SetId>> copies_in(repo::Repository& target) {
  std::map<hash::Digest, hash::SetId> marks;
  CAIRN_TRY_ASSIGN(auto ids, target.list_sets());
  for (const auto& id : ids) {
    auto s = target.read_set(id);
    if (!s) continue;  // damaged: verify's business; a copy it was is copied again
    if (s->header.copy_mark) marks.emplace(*s->header.copy_mark, id);
  }
  return marks;
}

struct Copier {
  Context& src;
  Context& dst;
  const CopyOptions& o;
  Observer& obs;
  const CancelToken& cancel;
  std::map<hash::Digest, hash::SetId> copies;

  // Copies one set; returns its copy's id.
  Result<hash::SetId> copy_set(const catalog::SetRecord& rec) {
    auto opened = repo::open_stored_set(*src.repo, rec.id);
    if (!opened) return missing_is_damage(std::move(opened).error(), rec.id);
    repo::StoredSet set = std::move(*opened);
    CAIRN_TRY(check_catalog_row(rec, set.obj, src.cat->file()));
    const repo::SetBody& from = set.body();

    // The kind stays; the parent is the copy of the source's parent when the target has one.
    // A differential set without its full set's copy is stored as a full set (as cairn-pack
    // does for a source without a full set).
    model::SetKind kind = from.kind;
    std::optional<hash::SetId> parent;
    if (from.parent) {
      auto it = copies.find(copy_mark(*dst.repo, *from.parent));
      if (it != copies.end()) parent = it->second;
    }
    std::vector<hash::PackId> allowed;
    if (kind == model::SetKind::differential) {
      if (parent) {
        // The catalog lists the packs the parent's set object names; compaction may have
        // moved its chunks since, so they resolve through the target's move records.
        CAIRN_TRY_ASSIGN(allowed, dst.cat->packs_of(*parent));
        auto moves = repo::load_moves(*dst.repo, [](const std::string&, const Error&) {});
        if (moves) allowed = moves->resolve(*parent, allowed);
      }
      if (allowed.empty()) {
        kind = model::SetKind::full;
        parent.reset();
      }
    }
    if (kind == model::SetKind::full) parent.reset();
    const auto scope = kind == model::SetKind::full           ? repo::WriteSession::Scope::own
                       : kind == model::SetKind::differential ? repo::WriteSession::Scope::packs
                                                              : repo::WriteSession::Scope::any;
    CAIRN_TRY_ASSIGN(auto session, dst.repo->begin_write(scope, allowed));

    BytePipe pipe;
    Status produced;
    std::thread producer([&] {
      PipeWriter w(pipe);
      produced = write_stream(*src.repo, set, w, cancel);
      if (produced) produced = w.flush();
      pipe.close_write();
    });
    PipeReader r(pipe);
    manifest::Reader reader(r, fmt::format("set {}", rec.id.hex().substr(0, 12)));
    Result<repo::Ingested> got = [&]() -> Result<repo::Ingested> {
      CAIRN_TRY(reader.open());
      return repo::ingest(*dst.repo, *session, reader,
                          repo::IngestOptions{o.jobs, scope == repo::WriteSession::Scope::any}, obs,
                          cancel);
    }();
    pipe.close_read();
    producer.join();
    // The cause first: a source that failed cut the stream short (the target's error is then
    // only that); a target that failed stopped the reading (the source's is then only that).
    if (!got && (produced || produced.error().code == Errc::cancelled))
      return std::move(got).error();
    if (!produced) return std::move(produced).error();
    if (!got) return std::move(got).error();

    repo::SetBody body;
    static_cast<model::SetSummary&>(body) = static_cast<const model::SetSummary&>(from);
    body.kind = kind;
    body.parent = parent;
    // The hold and tags the source's catalog gives the set now (its hold and tag records
    // applied), written into the set itself: a write-only target key writes no records.
    body.legal_hold = rec.legal_hold;
    body.hold_reason = rec.hold_reason;
    body.tags = rec.tags;
    // files and bytes_read stay the original backup's; what the target stored is the copy's.
    body.bytes_new = got->bytes_new;
    body.bytes_stored = got->bytes_stored;
    body.manifest = std::move(got->manifest);
    body.manifest_proofs = std::move(got->manifest_proofs);
    body.manifest_size = got->manifest_size;
    body.packs = std::move(got->packs);
    body.copied_from = rec.id;
    body.copy_mark = copy_mark(*dst.repo, rec.id);
    CAIRN_TRY_ASSIGN(auto written, repo::commit(*dst.repo, *session, body, got->objects));
    copies.emplace(*body.copy_mark, written.id);
    Status recorded =
        dst.cat->insert_set(set_record(written.id, written.header.seq, body), body.packs);
    if (!recorded && recorded.error().code != Errc::exists)
      return Error{Errc::uncataloged,
                   fmt::format("set {} (the copy of {}) is committed but the target's catalog was "
                               "not updated ({}); the next cairn command that opens the target "
                               "adds it",
                               written.id.hex(), rec.id.hex(), recorded.error().message)};
    return written.id;
  }
};

// The sets asked for, each once, oldest first (started_ns, then seq: a parent before its child).
Result<std::vector<catalog::SetRecord>> chosen_sets(const CopyOptions& o, catalog::Catalog& cat) {
  std::vector<catalog::SetRecord> sets;
  if (o.all) {
    CAIRN_TRY_ASSIGN(auto all, cat.list_sets());
    for (auto& s : all)
      if (s.status == catalog::SetStatus::committed) sets.push_back(std::move(s));
  }
  for (const auto& ref : o.sets) {
    CAIRN_TRY_ASSIGN(auto s, catalog::resolve_set(cat, ref));
    sets.push_back(std::move(s));
  }
  const auto key = [](const catalog::SetRecord& s) {
    return std::make_tuple(s.started_ns, s.seq, s.id);
  };
  std::sort(sets.begin(), sets.end(),
            [&](const auto& a, const auto& b) { return key(a) < key(b); });
  sets.erase(std::unique(sets.begin(), sets.end(),
                         [](const auto& a, const auto& b) { return a.id == b.id; }),
             sets.end());
  return sets;
}

// The target's catalog: --to-catalog, else CAIRN_TO_CATALOG, else the default place for its
// repository id. Never CAIRN_CATALOG, which names the source's.
Status open_target_catalog(RepoOptions to, Context& c, Observer& obs) {
  if (!to.catalog) {
    const GetEnv env = [](const char* name) -> std::optional<std::string> {
      if (std::strcmp(name, "CAIRN_CATALOG") == 0) return process_env("CAIRN_TO_CATALOG");
      return process_env(name);
    };
    CAIRN_TRY_ASSIGN(to.catalog, catalog::locate(std::nullopt, c.repo_id_hex(), env));
  }
  return open_catalog(to, c, &obs);
}

// Copies `sets` in order, printing "SOURCE-ID TARGET-ID" for each as it is done.
Status copy_all(Copier& c, const std::vector<catalog::SetRecord>& sets, io::Writer& out,
                std::size_t& copied, std::size_t& skipped) {
  repo::Repository& target = *c.dst.repo;
  for (const auto& rec : sets) {
    if (c.cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    hash::SetId made;
    if (auto it = c.copies.find(copy_mark(target, rec.id)); it != c.copies.end()) {
      made = it->second;
      ++skipped;
      c.obs.info(fmt::format("set {} is already in the target as {}: skipped",
                             rec.id.hex().substr(0, 12), made.hex().substr(0, 12)));
    } else {
      c.obs.info(fmt::format("copying set {} ({}, {})", rec.id.hex().substr(0, 12), rec.source,
                             format_time(rec.started_ns)));
      CAIRN_TRY_ASSIGN(made, c.copy_set(rec));
      ++copied;
    }
    CAIRN_TRY(out.write(as_bytes(rec.id.hex() + " " + made.hex() + "\n")));
    CAIRN_TRY(out.flush());
  }
  return {};
}

}  // namespace

Result<Outcome> copy(const CopyOptions& o, io::Writer& out, Observer& obs,
                     const CancelToken& cancel) {
  if (o.sets.empty() && !o.all) return Error{Errc::usage, "name the sets to copy, or give --all"};
  if (o.all && !o.sets.empty()) return Error{Errc::usage, "give SET... or --all, not both"};
  // The target first: a wrong passphrase or a missing repository there stops the copy before
  // anything is read or written.
  Context dst;
  CAIRN_TRY_ASSIGN(dst.repo, open_repo(o.to));
  CAIRN_TRY_ASSIGN(Context src, open_context(o.repo, &obs));
  if (src.repo->config().repo_id == dst.repo->config().repo_id)
    return Error{Errc::usage,
                 "the source and the target are the same repository: give another --to"};
  if (!src.repo->keys().can_read())
    return Error{Errc::auth, "reading the source needs a full key: this key is write-only"};
  CAIRN_TRY(open_target_catalog(o.to, dst, obs));
  CAIRN_TRY_ASSIGN(auto sets, chosen_sets(o, *src.cat));
  CAIRN_TRY_ASSIGN(auto copies, copies_in(*dst.repo));
  Copier c{src, dst, o, obs, cancel, std::move(copies)};
  std::size_t copied = 0, skipped = 0;
  Status done = copy_all(c, sets, out, copied, skipped);
  // Both audit logs say what came in or went out, and how it went.
  const std::string what =
      fmt::format("cairn copy {} sets from {} to {}", sets.size(), src.repo_id_hex().substr(0, 12),
                  dst.repo_id_hex().substr(0, 12));
  const std::string how = done ? fmt::format("ok ({} copied, {} already there)", copied, skipped)
                               : done.error().message;
  Status logged = audit(*src.cat, what, how);
  if (logged) logged = audit(*dst.cat, what, how);
  CAIRN_TRY(done);
  CAIRN_TRY(logged);
  obs.info(fmt::format("{} sets copied, {} already in the target", copied, skipped));
  return Outcome{};
}

}  // namespace cairn::ops
