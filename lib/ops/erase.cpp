// cairn erase and cairn-verify --absent (see erase.hpp).
#include "ops/erase.hpp"

#include <fnmatch.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <unordered_set>

#include <fmt/format.h>

#include "base/env.hpp"
#include "base/time.hpp"
#include "crypto/crypto.hpp"
#include "manifest/manifest.hpp"
#include "ops/browse.hpp"
#include "ops/files_cache.hpp"
#include "ops/hold.hpp"
#include "ops/prune.hpp"
#include "ops/tag.hpp"
#include "repo/gc.hpp"
#include "repo/ingest.hpp"
#include "repo/objects.hpp"
#include "repo/stored.hpp"
#include "verify/report.hpp"

namespace cairn::ops {

namespace gc = repo::gc;

Result<PathPatterns> PathPatterns::parse(const std::vector<std::string>& patterns) {
  if (patterns.empty())
    return Error{Errc::usage, "no PATTERN given: e.g. 'home/alice' or '*.alice.pdf'"};
  PathPatterns p;
  for (std::string glob : patterns) {
    while (!glob.empty() && glob.front() == '/') glob.erase(0, 1);
    while (glob.size() > 1 && glob.back() == '/') glob.pop_back();
    if (glob.empty() || glob == "." || glob == "*")
      return Error{Errc::usage,
                   fmt::format("PATTERN '{}' would match every path of a set: name the files "
                               "or directories to erase",
                               glob.empty() ? "/" : glob)};
    const bool whole = glob.find('/') != std::string::npos;
    p.patterns_.push_back(Pattern{std::move(glob), whole});
  }
  return p;
}

std::optional<std::size_t> PathPatterns::match(std::string_view path) const {
  const std::string full(path);
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    const Pattern& p = patterns_[i];
    // Every directory above the entry, then the entry: "a", "a/b", "a/b/c" (whole paths) or
    // "a", "b", "c" (names).
    for (std::size_t start = 0;;) {
      const std::size_t slash = full.find('/', start);
      const std::size_t end = slash == std::string::npos ? full.size() : slash;
      const std::string cand = p.whole ? full.substr(0, end) : full.substr(start, end - start);
      if (::fnmatch(p.glob.c_str(), cand.c_str(), 0) == 0) return i;
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
  }
  return std::nullopt;
}

namespace {

// One line for a matching entry, as cairn find prints one.
std::string match_line(const hash::SetId& id, const model::SetSummary& s, const std::string& path) {
  return fmt::format("{} {:<16} {} {}\n", id.hex().substr(0, 12), s.source,
                     format_time(s.started_ns), verify::printable_path(path));
}

// A set opened and checked against its catalog row; a set that cannot be read is damage here
// (Errc::corrupt): nothing can be said, or erased, for it.
Result<repo::StoredSet> open_checked(Context& ctx, const catalog::SetRecord& rec) {
  auto set = repo::open_stored_set(*ctx.repo, rec.id);
  if (set) {
    if (Status st = check_catalog_row(rec, set->obj, ctx.cat->file()); !st)
      return std::move(st).error();
    return set;
  }
  Error e = std::move(set).error();
  if (e.code == Errc::auth) return e;
  if (e.code == Errc::not_found) e.code = Errc::corrupt;
  return std::move(e).wrap(fmt::format("set {}", rec.id.hex()));
}

// What erasing does to one set: the entries it keeps, as a manifest stream for ingest, and
// the paths it drops (matches, and hard links to a dropped file, which share its content).
struct Rewrite {
  catalog::SetRecord rec;
  repo::SetBody body;  // the old set's
  std::string stream;  // the kept entries (files marked unchanged, their chunks reused)
  std::size_t kept = 0;
  std::vector<std::string> dropped;
};

Result<std::optional<Rewrite>> plan_set(Context& ctx, const catalog::SetRecord& rec,
                                        const PathPatterns& pats, const CancelToken& cancel) {
  CAIRN_TRY_ASSIGN(repo::StoredSet set, open_checked(ctx, rec));
  Rewrite rw{rec, set.body(), {}, 0, {}};
  manifest::SetInfo info;
  info.source = rw.body.source;
  info.host = rw.body.host;
  info.retention_class = rw.body.retention_class;
  info.started_ns = rw.body.started_ns;
  io::StringWriter stream;
  manifest::Writer w(stream);
  CAIRN_TRY(w.header(info));
  std::unordered_set<std::string> dropped;
  manifest::Entry e;
  for (;;) {
    if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
    auto more = set.next(e);
    if (!more)
      return std::move(more).error().wrap(fmt::format("set {}: its manifest", rec.id.hex()));
    if (!*more) break;
    const bool drop = pats.match(e.path).has_value() ||
                      (e.type == manifest::Type::hardlink && dropped.contains(e.link));
    if (drop) {
      dropped.insert(e.path);
      rw.dropped.push_back(e.path);
      continue;
    }
    if (e.type == manifest::Type::file) e.status = manifest::Change::unchanged;
    CAIRN_TRY(w.entry(e));
    ++rw.kept;
  }
  if (rw.dropped.empty()) return std::optional<Rewrite>{};
  CAIRN_TRY(w.finish());
  rw.stream = std::move(stream.out);
  return std::optional<Rewrite>{std::move(rw)};
}

// Writes the rewritten set: its kept entries' chunks referenced (nothing but its manifest is
// stored), the old set's summary, tags and hold, `parent` in place of the old parent.
Result<repo::WrittenSet> write_set(Context& ctx, const Rewrite& rw,
                                   const std::optional<hash::SetId>& parent, io::Writer& out,
                                   Observer& obs, const CancelToken& cancel) {
  const std::string id = rw.rec.id.hex();
  io::MemReader in(as_bytes(rw.stream));
  manifest::Reader reader(in, fmt::format("set {}", id.substr(0, 12)));
  CAIRN_TRY(reader.open());
  CAIRN_TRY_ASSIGN(auto session, ctx.repo->begin_write(repo::WriteSession::Scope::any));
  CAIRN_TRY_ASSIGN(auto got, repo::ingest(*ctx.repo, *session, reader,
                                          repo::IngestOptions{0, true, nullptr}, obs, cancel));
  // Every kept entry must be carried over: a file whose chunks are in no index would be read
  // from a source that is not there (warned about above) and left out.
  if (got.files != rw.kept)
    return Error{Errc::corrupt,
                 fmt::format("set {}: {} of its {} other entries could not be carried over (named "
                             "above; cairn-verify names the damage); nothing was erased from it",
                             id, rw.kept - std::min<std::uint64_t>(got.files, rw.kept), rw.kept)};
  repo::SetBody body;
  static_cast<model::SetSummary&>(body) = static_cast<const model::SetSummary&>(rw.body);
  body.parent = parent;
  body.copied_from = rw.body.copied_from;
  body.copy_mark = rw.body.copy_mark;
  // The hold and tags the catalog gives the set now (its hold and tag records applied).
  body.legal_hold = rw.rec.legal_hold;
  body.hold_reason = rw.rec.hold_reason;
  body.tags = rw.rec.tags;
  // bytes_read and ended_ns stay the backup's; files and what was stored are the rewrite's.
  body.files = got.files;
  repo::take_stored(body, std::move(got));  // leaves got.objects
  CAIRN_TRY_ASSIGN(auto written, repo::commit(*ctx.repo, *session, body, got.objects));
  for (const auto& p : got.objects) CAIRN_TRY(out.write(as_bytes("+" + p + "\n")));
  CAIRN_TRY(out.write(as_bytes("+" + written.path + "\n")));
  CAIRN_TRY(out.flush());
  // The catalog: the new set in, the old one pruned (its object goes next), in one step.
  CAIRN_TRY(gc::record_set_removals(prune_state_file(ctx.cat->file()), *ctx.repo, {rw.rec.id}));
  CAIRN_TRY_ASSIGN(auto tx, ctx.cat->begin());
  Status recorded =
      ctx.cat->insert_set(set_record(written.id, written.header.seq, body), body.packs);
  if (!recorded && recorded.error().code != Errc::exists) return std::move(recorded).error();
  CAIRN_TRY(ctx.cat->set_status(rw.rec.id, catalog::SetStatus::pruned));
  CAIRN_TRY(tx.commit());
  return written;
}

// CAIRN_TEST_HOOKS builds only: CAIRN_TEST_KILL_AT=erase-set-written kills the process once
// the first set is rewritten (the catalog updated), before any old set object is removed
// (tests/cli/erase/killed).
void kill_point(std::string_view name) {
  const char* at = crypto::test_hooks() ? std::getenv("CAIRN_TEST_KILL_AT") : nullptr;
  if (at != nullptr && name == at) ::raise(SIGKILL);
}

// What an erase or prune that was killed left undone: its printed lines again (cairn-push
// must hear every deletion), and the set objects whose removal it had begun and whose rows
// the catalog marks pruned, removed now (else they would still hold erased files).
Status finish_pending(Context& ctx, const gc::Report& report, Observer& obs,
                      const CancelToken& cancel) {
  const auto state = prune_state_file(ctx.cat->file());
  CAIRN_TRY_ASSIGN(const auto pending, gc::replay_pending(state, *ctx.repo, report, obs));
  std::vector<hash::SetId> left;
  for (const auto& id : pending) {
    CAIRN_TRY_ASSIGN(const auto rec, ctx.cat->get_set(id));
    if (!rec || rec->status != catalog::SetStatus::pruned) continue;
    CAIRN_TRY_ASSIGN(const bool there, ctx.repo->has_set(id));
    if (there) left.push_back(id);
  }
  return gc::remove_sets(state, *ctx.repo, left, report, cancel, [](const hash::SetId&) {});
}

// The parent a rewritten set gets: its parent's rewritten set, when this run rewrote it or an
// earlier (killed) one did: the catalog marks that parent pruned, and its rewrite is the
// committed set of the same source and snapshot time. Else the old parent.
Result<std::optional<hash::SetId>> new_parent(catalog::Catalog& cat,
                                              const std::optional<hash::SetId>& parent,
                                              const std::map<hash::SetId, hash::SetId>& renamed) {
  if (!parent) return parent;
  if (auto it = renamed.find(*parent); it != renamed.end()) return std::optional{it->second};
  CAIRN_TRY_ASSIGN(const auto rec, cat.get_set(*parent));
  if (!rec || rec->status != catalog::SetStatus::pruned) return parent;
  CAIRN_TRY_ASSIGN(const auto same, cat.list_sets(rec->source));
  for (const auto& s : same)
    if (s.status == catalog::SetStatus::committed && s.started_ns == rec->started_ns &&
        s.id != rec->id)
      return std::optional{s.id};
  return parent;
}

// The keyed hash of a pattern for the audit log: the repository's chunk-id key, so that
// someone with a key (any: write-only keys hold chunk_id_key too) can check which pattern a
// row records, and someone who only reads the catalog cannot test guesses (names are
// guessable).
std::string pattern_hash(repo::Repository& r, const std::string& pattern) {
  return r.id_of(as_bytes(pattern)).hex().substr(0, 16);
}

}  // namespace

Result<Outcome> erase(const EraseOptions& o, io::Writer& out, Observer& obs,
                      const CancelToken& cancel) {
  CAIRN_TRY_ASSIGN(const PathPatterns pats, PathPatterns::parse(o.patterns));
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo, &obs));
  if (!ctx.repo->keys().can_admin())
    return Error{Errc::auth,
                 "erasing needs a full key (it reads every set and deletes set objects): this "
                 "key is write-only"};
  // Sets are removed through the prune state file, as cairn-prune removes them: one at a time.
  const gc::Report report = [&](char op, const std::string& path) {
    return out.write(as_bytes(op + path + "\n"));
  };
  std::optional<io::Fd> lock;
  if (!o.dry_run) {
    CAIRN_TRY_ASSIGN(lock, take_prune_lock(ctx.cat->file()));
    CAIRN_TRY(finish_pending(ctx, report, obs, cancel));
  }
  CAIRN_TRY_ASSIGN(auto sets, sets_to_search(*ctx.cat, o.source, o.since));
  // A parent before its children: the rewritten parent's id goes into the child.
  std::sort(sets.begin(), sets.end(), [](const auto& a, const auto& b) {
    return std::tie(a.started_ns, a.seq, a.id) < std::tie(b.started_ns, b.seq, b.id);
  });

  // Plan everything before changing anything: a set that cannot be read, or is held, stops
  // the whole erasure.
  int hold_warnings = 0;
  CAIRN_TRY_ASSIGN(const auto hold_records, readable_holds(*ctx.repo, obs, &hold_warnings));
  const auto holds = hold_states(hold_records);
  std::vector<Rewrite> plan;
  std::vector<std::string> held;
  for (const auto& rec : sets) {
    CAIRN_TRY_ASSIGN(auto rw, plan_set(ctx, rec, pats, cancel));
    if (!rw) continue;
    auto h = holds.find(rec.id);
    if (!rw->rec.legal_hold && h != holds.end() && h->second.held) {
      rw->rec.legal_hold = true;
      rw->rec.hold_reason = h->second.reason;
    }
    if (rw->rec.legal_hold && !o.force_hold)
      held.push_back(fmt::format("{} ({} {}, held: {})", rec.id.hex(), rec.source,
                                 format_time(rec.started_ns), rw->rec.hold_reason));
    plan.push_back(std::move(*rw));
  }
  std::size_t entries = 0;
  for (const auto& rw : plan) entries += rw.dropped.size();
  if (!held.empty())
    return Error{Errc::exists,
                 fmt::format("{} of the {} sets holding a match {} under legal hold: {}; nothing "
                             "was erased (release the hold, or give --force-hold to rewrite "
                             "held sets, which keep their hold)",
                             held.size(), plan.size(), held.size() == 1 ? "is" : "are",
                             fmt::join(held, ", "))};
  if (o.dry_run) {
    for (const auto& rw : plan)
      for (const auto& p : rw.dropped)
        CAIRN_TRY(out.write(as_bytes(match_line(rw.rec.id, rw.rec, p))));
    CAIRN_TRY(out.flush());
    obs.info(fmt::format("erase --dry-run: would remove {} entries from {} sets; nothing changed",
                         entries, plan.size()));
    return Outcome{};
  }
  std::vector<std::string> hashes;
  for (const auto& p : o.patterns) hashes.push_back(pattern_hash(*ctx.repo, p));
  const std::string command = fmt::format(
      "cairn erase: {} patterns (keyed hashes {}){}{}", o.patterns.size(), fmt::join(hashes, " "),
      o.source ? " --source " + *o.source : "", o.since ? " --since " + *o.since : "");
  if (plan.empty()) {
    obs.info("no set holds a path matching the patterns: nothing to erase");
    CAIRN_TRY(audit(*ctx.cat, command, "ok: no set held a match"));
    return Outcome{};
  }

  // Rewrite, oldest first; then remove the old set objects as cairn-prune removes sets.
  std::map<hash::SetId, hash::SetId> renamed;
  std::vector<hash::SetId> old_ids;
  std::vector<std::string> pairs;
  std::set<std::string> sources;
  Status wrote;  // every set rewritten, or why not
  for (const auto& rw : plan) {
    if (cancel.cancelled()) {
      wrote = Error{Errc::cancelled, "interrupted"};
      break;
    }
    CAIRN_TRY_ASSIGN(const auto parent, new_parent(*ctx.cat, rw.body.parent, renamed));
    auto written = write_set(ctx, rw, parent, out, obs, cancel);
    if (!written) {
      wrote = std::move(written).error();
      break;
    }
    kill_point("erase-set-written");
    renamed.emplace(rw.rec.id, written->id);
    old_ids.push_back(rw.rec.id);
    pairs.push_back(rw.rec.id.hex() + " -> " + written->id.hex());
    sources.insert(rw.body.source);
    obs.info(fmt::format("set {} ({} {}): {} entries erased, now set {}",
                         rw.rec.id.hex().substr(0, 12), rw.rec.source,
                         format_time(rw.rec.started_ns), rw.dropped.size(),
                         written->id.hex().substr(0, 12)));
  }
  std::size_t done_entries = 0;
  for (std::size_t i = 0; i < old_ids.size(); ++i) done_entries += plan[i].dropped.size();
  // The admin-signed record of what was done, before the old sets go (a rebuilt catalog's
  // audit log shows it again; cairn-push carries it).
  Status recorded;
  if (!old_ids.empty()) {
    repo::ErasureRecord rec;
    for (std::size_t i = 0; i < old_ids.size(); ++i)
      rec.sets.emplace_back(old_ids[i], renamed.at(old_ids[i]));
    rec.patterns = hashes;
    rec.entries = done_entries;
    rec.user = current_user();
    rec.host = host_name();
    auto path = repo::write_erasure_record(*ctx.repo, std::move(rec));
    if (path)
      recorded = out.write(as_bytes("+" + *path + "\n"));
    else
      recorded = std::move(path).error();
  }
  // The files cache of cairn-diff is a copy of a set's manifest: it may name erased paths.
  for (const auto& s : sources) {
    std::error_code ec;
    std::filesystem::remove(files_cache_path(ctx.cat->file(), s), ec);
  }
  Status removed = gc::remove_sets(prune_state_file(ctx.cat->file()), *ctx.repo, old_ids, report,
                                   cancel, [](const hash::SetId&) {});
  if (removed) removed = out.flush();
  const std::string outcome =
      fmt::format("{}: {} entries erased from {} of {} sets{}{}",
                  wrote && removed && recorded ? "ok" : "failed", done_entries, old_ids.size(),
                  plan.size(), pairs.empty() ? "" : ": ", fmt::join(pairs, ", "));
  CAIRN_TRY(audit(*ctx.cat, command, outcome));
  if (!wrote) return std::move(wrote).error();
  if (!removed) return std::move(removed).error();
  if (!recorded)
    return std::move(recorded).error().wrap(
        "the sets are rewritten but the erasure record was not written");
  obs.info(fmt::format(
      "{} entries erased from {} sets; their bytes stay in the packs until "
      "'cairn-prune --max-unused 0%' compacts them (then cairn-push carries that to destinations)",
      done_entries, old_ids.size()));
  return Outcome{};
}

catalog::AuditRecord erasure_audit(const repo::ErasureRecord& r) {
  std::vector<std::string> pairs;
  for (const auto& [from, to] : r.sets) pairs.push_back(from.hex() + " -> " + to.hex());
  catalog::AuditRecord a;
  a.at_ns = r.time_ns;
  a.user = r.user;
  a.host = r.host;
  a.command = fmt::format("cairn erase: {} patterns (keyed hashes {})", r.patterns.size(),
                          fmt::join(r.patterns, " "));
  a.outcome = fmt::format("ok: {} entries erased from {} sets: {} (from its erasure record)",
                          r.entries, r.sets.size(), fmt::join(pairs, ", "));
  return a;
}

Result<Outcome> verify_absent(const AbsentOptions& o, io::Writer& out, Observer& obs,
                              const CancelToken& cancel) {
  CAIRN_TRY_ASSIGN(const PathPatterns pats, PathPatterns::parse(o.patterns));
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo, &obs));
  if (!ctx.repo->keys().can_read())
    return Error{Errc::auth, "this key is write-only: searching sets needs a full key"};
  // Every set object the repository holds, whatever the catalog says of it (a set an
  // interrupted erase or prune has yet to remove still holds its files).
  CAIRN_TRY_ASSIGN(const auto ids, ctx.repo->list_sets());
  std::size_t found = 0, holding = 0;
  manifest::Entry e;
  for (const auto& id : ids) {
    auto set = repo::open_stored_set(*ctx.repo, id);
    if (!set) {
      Error err = std::move(set).error();
      if (err.code == Errc::auth) return err;
      if (err.code != Errc::not_found) err.code = Errc::corrupt;
      return std::move(err).wrap(fmt::format("set {}: nothing can be said of it", id.hex()));
    }
    bool here = false;
    for (;;) {
      if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
      auto more = set->next(e);
      if (!more) return std::move(more).error().wrap(fmt::format("set {}: its manifest", id.hex()));
      if (!*more) break;
      if (!pats.match(e.path)) continue;
      CAIRN_TRY(out.write(as_bytes(match_line(id, set->body(), e.path))));
      ++found;
      here = true;
    }
    if (here) ++holding;
  }
  CAIRN_TRY(out.flush());
  if (found > 0)
    return Error{Errc::exists, fmt::format("{} of the {} sets hold {} paths matching (listed on "
                                           "stdout): they are not erased",
                                           holding, ids.size(), found)};
  obs.info(fmt::format("none of the {} sets holds a path matching", ids.size()));
  return Outcome{};
}

}  // namespace cairn::ops
