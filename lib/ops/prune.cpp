// cairn-prune: the plan (retention over every set), forgetting the dropped sets, and the
// output; the garbage collection is repo/gc (see prune.hpp for the whole protocol).
#include "ops/prune.hpp"
#include "model/set.hpp"
#include "ops/compact.hpp"
#include "ops/hold.hpp"
#include "ops/parity.hpp"
#include "ops/tag.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "base/env.hpp"
#include "base/time.hpp"
#include "base/units.hpp"
#include "monitor/capacity.hpp"
#include "policy/policy.hpp"
#include "repo/gc.hpp"
#include "retention/retention.hpp"

namespace cairn::ops {

std::filesystem::path prune_state_file(const std::filesystem::path& catalog_file) {
  return std::filesystem::path(catalog_file.string() + ".prune");
}

std::filesystem::path prune_lock_file(const std::filesystem::path& catalog_file) {
  return std::filesystem::path(catalog_file.string() + ".prune.lock");
}

Result<io::Fd> take_prune_lock(const std::filesystem::path& catalog_file) {
  const auto file = prune_lock_file(catalog_file);
  CAIRN_TRY_ASSIGN(io::Fd fd, io::open_file(file, O_RDWR | O_CREAT, 0600));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return Error{Errc::locked, fmt::format("another cairn-prune (or cairn erase) is working on "
                                             "this repository (lock '{}')",
                                             file.string())};
    return errno_error(errno, fmt::format("cannot lock '{}'", file.string()));
  }
  return fd;
}

namespace {

using namespace repo::gc;

constexpr std::string_view kSchema = "cairn.prune/1";

// Writes object lines ("-packs/ab/ID") or their JSON form to the product stream.
class ObjectLines {
 public:
  ObjectLines(io::Writer& out, bool json) : out_(out), json_(json) {}
  Status emit(char op, const std::string& path);
  std::size_t count() const { return count_; }
  // As a repo::gc::Report.
  Report report() {
    return [this](char op, const std::string& path) { return emit(op, path); };
  }

 private:
  io::Writer& out_;
  bool json_;
  std::size_t count_ = 0;
};

Status ObjectLines::emit(char op, const std::string& path) {
  ++count_;
  std::string line;
  if (json_)
    line = nlohmann::json{{"schema", "cairn.prune/1"},
                          {"type", "object"},
                          {"op", std::string(1, op)},
                          {"path", path}}
               .dump() +
           "\n";
  else
    line = fmt::format("{}{}\n", op, path);
  CAIRN_TRY(out_.write(as_bytes(line)));
  return out_.flush();  // each line as soon as its change is durable: a kill loses none
}

// One line of the plan.
struct Row {
  hash::SetId id;
  std::int64_t time_ns = 0;
  std::string source, klass, kind;
  bool keep = true;
  std::string reason;
  const catalog::SetRecord* rec = nullptr;  // the catalog's row, if any
};

// What the sweep would free once the dropped sets are gone: packs that only dropped sets
// need, and packs no set needs at all.
struct Freed {
  std::size_t dropped_packs = 0, unreferenced_packs = 0;
  std::uint64_t bytes = 0;
};

// What the bytes the sweep frees cost a month (cairn-prune --dry-run, with a price in the
// policy): at the repository's price, and at the price of each destination a dropped set
// was pushed to (where cairn-push deletes the same packs).
struct FreedCost {
  bool priced = false;  // the policy sets a price: print the line
  double monthly = 0;
  std::string line;  // "cost: frees N bytes, C a month (repository C1, DEST C2)"
};

Result<FreedCost> freed_cost(const policy::Policy& pol, catalog::Catalog& cat,
                             const std::vector<Row>& rows, std::uint64_t bytes) {
  FreedCost c;
  if (!monitor::has_prices(pol)) return c;
  c.priced = true;
  std::set<std::string> places{""};
  for (const auto& row : rows) {
    if (row.keep) continue;
    CAIRN_TRY_ASSIGN(const auto placed, cat.placements_of(row.id));
    for (const auto& p : placed)
      if (p.pushed_at_ns) places.insert(p.destination);
  }
  std::string parts;
  for (const auto& place : places) {
    const auto price = monitor::price_of(pol, place);
    if (!price) continue;
    const double m = monitor::monthly_cost(bytes, *price);
    c.monthly += m;
    parts += fmt::format("{}{} {:.2f}", parts.empty() ? "" : ", ",
                         place.empty() ? "repository" : place, m);
  }
  c.line = fmt::format("cost: frees {} bytes, {:.2f} a month ({})", bytes, c.monthly,
                       parts.empty() ? "no price for where they are" : parts);
  return c;
}

Result<Freed> freed_by(repo::Repository& r, const Sets& sets, const std::vector<Row>& rows) {
  PackSet kept, dropped;
  for (const auto& row : rows) {
    auto it = sets.readable.find(row.id);
    if (it == sets.readable.end()) continue;
    for (const auto& p : sets.moves.resolve(row.id, it->second.body->packs))
      (row.keep ? kept : dropped).insert(p);
  }
  Freed f;
  CAIRN_TRY_ASSIGN(const auto stored, stored_packs(r));
  for (const auto& [id, size] : stored) {
    if (kept.contains(id)) continue;
    ++(dropped.contains(id) ? f.dropped_packs : f.unreferenced_packs);
    f.bytes += size;
  }
  return f;
}

std::string plan_line(const Row& r) {
  return fmt::format("{} {} {} {} {} {}", r.keep ? "keep" : "drop", r.id.hex().substr(0, 12),
                     format_time(r.time_ns), r.source.empty() ? "-" : r.source,
                     r.klass.empty() ? "-" : r.klass, r.reason);
}

nlohmann::json plan_json(const Row& r) {
  return {{"schema", kSchema},  {"type", "set"},
          {"id", r.id.hex()},   {"time", format_time(r.time_ns)},
          {"source", r.source}, {"class", r.klass},
          {"kind", r.kind},     {"keep", r.keep},
          {"reason", r.reason}};
}

// The decisions, oldest set first, for every set object and every catalog row that has one.
Result<std::vector<Row>> plan(
    const policy::Policy& pol, const Sets& sets, const std::vector<catalog::SetRecord>& recs,
    const std::unordered_map<hash::SetId, HoldState, hash::DigestHasher>& holds,
    const std::vector<repo::TagRecord>& tag_records, std::int64_t now) {
  // Each set's tags: its object's with the tag records applied, and the catalog's (either
  // keeps: a tag record skipped as damaged never lets a keep-tagged set go).
  std::unordered_map<hash::SetId, std::vector<std::string>, hash::DigestHasher> tags;
  for (const auto& [id, obj] : sets.readable) tags[id] = obj.body->tags;
  apply_tag_records(tag_records, tags);
  for (const auto& r : recs) {
    auto& t = tags[r.id];
    t.insert(t.end(), r.tags.begin(), r.tags.end());
    model::normalize_tags(t);
  }
  std::unordered_map<hash::SetId, const catalog::SetRecord*, hash::DigestHasher> rec_of;
  for (const auto& r : recs) rec_of.emplace(r.id, &r);
  std::vector<retention::SetInfo> input;
  std::vector<Row> rows;
  std::vector<Row> forgotten;  // pruned before: never back in the retention input
  std::vector<std::uint64_t> seqs;
  for (const auto& [id, obj] : sets.readable) seqs.push_back(obj.header.seq);
  // Newest is by seq; a forged seq beyond the plausible ceiling counts for nothing (0).
  const std::uint64_t ceiling = repo::plausible_seq_ceiling(std::move(seqs));
  for (const auto& [id, obj] : sets.readable) {
    const repo::SetBody& b = *obj.body;
    auto it = rec_of.find(id);
    Row row{id,
            b.started_ns,
            b.source,
            b.retention_class,
            std::string(model::to_string(b.kind)),
            true,
            {},
            it == rec_of.end() ? nullptr : it->second};
    if (row.rec && row.rec->status == catalog::SetStatus::pruned) {
      // The catalog remembers that this set was pruned: its object is back (uploaded again,
      // or a prune stopped before removing it). It never counts again, is never committed
      // again, and its object is removed again.
      row.keep = false;
      row.reason = "pruned before; its set object is back in the repository";
      forgotten.push_back(std::move(row));
      continue;
    }
    retention::SetInfo si{id,
                          b.source,
                          b.retention_class,
                          b.started_ns,
                          b.kind,
                          b.parent,
                          false,
                          {},
                          {},
                          obj.header.seq <= ceiling ? obj.header.seq : 0};
    if (row.rec) {  // the catalog's hold, or the repository's hold records (either keeps)
      si.legal_hold = row.rec->legal_hold;
      si.hold_reason = row.rec->hold_reason;
    } else {  // unknown hold: never drop on a guess
      si.pinned = "not in the catalog (run 'cairn catalog rebuild')";
    }
    if (auto h = holds.find(id); h != holds.end() && h->second.held && !si.legal_hold) {
      si.legal_hold = true;
      si.hold_reason = h->second.reason;
    }
    si.tags = tags[id];
    input.push_back(std::move(si));
    rows.push_back(std::move(row));
  }
  const auto decisions = retention::apply(input, pol, now);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].keep = decisions[i].keep;
    rows[i].reason = decisions[i].reason;
  }
  for (auto& row : forgotten) rows.push_back(std::move(row));
  for (const auto& [id, why] : sets.unreadable) {
    auto it = rec_of.find(id);
    Row row{
        id, 0, {}, {}, {}, true, "unreadable: " + why, it == rec_of.end() ? nullptr : it->second};
    if (row.rec) {
      row.time_ns = row.rec->started_ns;
      row.source = row.rec->source;
      row.klass = row.rec->retention_class;
      row.kind = std::string(model::to_string(row.rec->kind));
    }
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.time_ns, a.id) < std::tie(b.time_ns, b.id);
  });
  return rows;
}

// Phase 1: the catalog first (one transaction), then the set objects.
// `unfinished`: sets whose removal a run that died had begun (replay_pending).
Status forget(Context& ctx, Sets& sets, const std::vector<Row>& rows,
              const std::vector<catalog::SetRecord>& recs, const std::set<hash::SetId>& unfinished,
              ObjectLines& lines, Observer& obs, const CancelToken& cancel) {
  catalog::Catalog& cat = *ctx.cat;
  std::vector<hash::SetId> drop;
  for (const auto& row : rows)
    if (!row.keep) drop.push_back(row.id);
  // Pending before the catalog says pruned: a run killed after the commit and before the
  // unlinks leaves work the next run finishes (and prints), not a set "back in the repository".
  const auto state_file = prune_state_file(cat.file());
  CAIRN_TRY(record_set_removals(state_file, *ctx.repo, drop));
  {
    CAIRN_TRY_ASSIGN(auto tx, cat.begin());
    for (const auto& row : rows) {
      if (!row.rec) continue;
      if (!row.keep && row.rec->status != catalog::SetStatus::pruned)
        CAIRN_TRY(cat.set_status(row.id, catalog::SetStatus::pruned));
      if (!row.keep && row.rec->status == catalog::SetStatus::pruned &&
          !unfinished.contains(row.id))  // see plan(): never committed again
        obs.warning(fmt::format("set {}", row.id.hex()),
                    Error{Errc::corrupt,
                          "it was pruned before but its set object is back in the repository "
                          "(uploaded again?): it stays pruned and its object is removed again"});
    }
    // Rows whose set object is gone (read before the repository was listed, so a set being
    // committed right now cannot be taken for one).
    for (const auto& rec : recs) {
      if (rec.status == catalog::SetStatus::pruned || sets.readable.contains(rec.id) ||
          sets.unreadable.contains(rec.id))
        continue;
      CAIRN_TRY_ASSIGN(const bool there, ctx.repo->has_set(rec.id));
      if (there) continue;
      CAIRN_TRY(cat.set_status(rec.id, catalog::SetStatus::pruned));
      obs.info(fmt::format("set {} is not in the repository: status pruned",
                           rec.id.hex().substr(0, 12)));
    }
    if (!drop.empty()) {
      std::vector<std::string> ids;
      for (const auto& id : drop) ids.push_back(id.hex());
      CAIRN_TRY(audit(cat, fmt::format("cairn-prune removes {}", fmt::join(ids, " ")), "ok"));
    }
    CAIRN_TRY(tx.commit());
  }
  return remove_sets(state_file, *ctx.repo, drop, lines.report(), cancel,
                     [&](const hash::SetId& id) { sets.readable.erase(id); });
}

// --max-unused: the packs chosen are rewritten and a move record written (ops/prune.hpp).
struct Compacted {
  CompactPlan plan;
  repo::RewriteResult done;
  int warnings = 0;  // parity that could not be written for the new packs
};

Result<Compacted> compact(repo::Repository& r, Sets& sets, const MaxUnused& m, ObjectLines& lines,
                          Observer& obs, const CancelToken& cancel) {
  Compacted c;
  std::vector<hash::SetId> keep;
  for (const auto& [id, obj] : sets.readable) keep.push_back(id);
  CAIRN_TRY_ASSIGN(c.plan, plan_compaction(r, sets, keep, m, obs, cancel));
  if (c.plan.packs.empty()) return c;
  repo::MoveRecord about;
  about.sets = c.plan.sets;
  about.user = current_user();
  about.host = host_name();
  // The new packs get parity as a write session's do (config "parity"); a failure is a
  // warning, as in cairn-pack: cairn parity build covers them later.
  std::vector<std::string> written;
  const auto report = [&](char op, const std::string& path) -> Status {
    if (op == '+' && path.starts_with("packs/")) written.push_back(path);
    return lines.emit(op, path);
  };
  CAIRN_TRY_ASSIGN(c.done,
                   repo::rewrite_packs(r, c.plan.packs, c.plan.live, about, report, obs, cancel));
  if (auto parity = parity_for_session(r, written)) {
    for (const auto& path : *parity) CAIRN_TRY(lines.emit('+', path));
  } else {
    obs.warning("parity", std::move(parity).error().wrap("no parity was written for the new packs "
                                                         "(cairn parity build writes it)"));
    ++c.warnings;
  }
  return c;
}

}  // namespace

Result<Outcome> prune(const PruneOptions& opt, io::Writer& out, Observer& obs,
                      const CancelToken& cancel) {
  PruneOptions o = opt;
  if (o.grace_time) {
    if (*o.grace_time == "0") {
      o.grace_ns = 0;
    } else {
      CAIRN_TRY_ASSIGN(o.grace_ns, parse_duration(*o.grace_time));
    }
  }
  if (o.grace_generations < 1) return Error{Errc::usage, "--grace-sets must be at least 1"};
  std::optional<MaxUnused> max_unused;  // the packs to rewrite: compaction and re-encryption
  if (o.max_unused) {
    CAIRN_TRY_ASSIGN(max_unused, parse_max_unused(*o.max_unused));
  }
  if (o.reencrypt) {
    if (!max_unused) max_unused.emplace();
    max_unused->reencrypt = true;
  }
  if (o.max_rewrite) {
    auto size = parse_size(*o.max_rewrite);
    if (!size || *size == 0)
      return Error{Errc::usage, fmt::format("--max-rewrite '{}' is not a size (e.g. 512M, 10G)",
                                            *o.max_rewrite)};
    if (!max_unused) return Error{Errc::usage, "--max-rewrite needs --max-unused or --reencrypt"};
    max_unused->max_rewrite = *size;
  }
  std::int64_t now = o.now_ns.value_or(now_ns());
  const std::filesystem::path policy_file = policy::locate(o.policy);
  CAIRN_TRY_ASSIGN(policy::Policy pol, policy::load(policy_file));
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo));
  // Marks and grace periods go by the storage's clock (a local clock that is wrong would let a
  // sweep come early); when the two disagree by more than kMaxClockSkew nothing is done.
  if (!o.now_ns) {
    CAIRN_TRY_ASSIGN(const auto storage_now, storage_clock(*ctx.repo));
    if (storage_now) {
      const std::int64_t skew = *storage_now > now ? *storage_now - now : now - *storage_now;
      if (skew > kMaxClockSkew)
        return Error{Errc::io,
                     fmt::format("this host's clock ({}) and the repository's storage ({}) "
                                 "disagree by {}, more than {}: nothing was changed; set the "
                                 "clock right (NTP) and run cairn-prune again",
                                 format_time(now), format_time(*storage_now), format_duration(skew),
                                 format_duration(kMaxClockSkew))};
      now = *storage_now;
    }
  }
  if (!ctx.repo->keys().can_read())
    return Error{Errc::auth,
                 "cairn-prune needs a full key: a write-only key cannot read set bodies"};
  std::optional<io::Fd> lock;
  if (!o.dry_run) {
    CAIRN_TRY_ASSIGN(lock, take_prune_lock(ctx.cat->file()));
  }

  // The catalog before the repository: a row always has its object written before it.
  CAIRN_TRY_ASSIGN(const auto recs, ctx.cat->list_sets());
  Sets sets;
  CAIRN_TRY(scan_sets(*ctx.repo, sets, cancel));
  // A committed catalog row whose set object is gone means the two disagree (a set deleted
  // behind cairn's back, or the wrong catalog): delete nothing until a person has looked.
  // (Set objects the catalog lacks are the other direction: those sets are pinned below.)
  std::size_t missing = 0;
  std::string first_missing;
  for (const auto& r : recs) {
    if (r.status != catalog::SetStatus::committed || sets.readable.contains(r.id) ||
        sets.unreadable.contains(r.id))
      continue;
    CAIRN_TRY_ASSIGN(const bool there, ctx.repo->has_set(r.id));
    if (there) continue;
    if (missing++ == 0) first_missing = r.id.hex();
  }
  if (missing > 0)
    return Error{
        Errc::corrupt,
        fmt::format(
            "the catalog lists {} set{} the repository does not hold (first: {}): nothing was "
            "deleted; run 'cairn-verify' to see what is missing, then 'cairn catalog rebuild'",
            missing, missing == 1 ? "" : "s", first_missing)};
  int warnings = 0;
  CAIRN_TRY_ASSIGN(const auto hold_records, readable_holds(*ctx.repo, obs, &warnings));
  CAIRN_TRY_ASSIGN(const auto tag_records, readable_tag_records(*ctx.repo, obs, &warnings));
  // Move records: a damaged one (or one its target packs do not cover) stops every deletion,
  // as an unreadable set does: the packs it names could be the only copy of a set's chunks.
  int bad_moves = 0;
  CAIRN_TRY_ASSIGN(sets.moves, repo::load_moves(*ctx.repo, skip_damaged("move", obs, &bad_moves)));
  warnings += bad_moves;
  CAIRN_TRY_ASSIGN(const auto rows,
                   plan(pol, sets, recs, hold_states(hold_records), tag_records, now));
  CAIRN_TRY_ASSIGN(const Freed freed, freed_by(*ctx.repo, sets, rows));

  std::size_t kept = 0, dropped = 0;
  for (const auto& row : rows) {
    (row.keep ? kept : dropped) += 1;
    if (o.json) {
      CAIRN_TRY(out.write(as_bytes(plan_json(row).dump() + "\n")));
    } else if (o.dry_run) {
      CAIRN_TRY(out.write(as_bytes(plan_line(row) + "\n")));
    } else {
      obs.info(plan_line(row));
    }
  }
  const std::string total = fmt::format(
      "total: {} sets, keep {}, drop {}; frees {} bytes in {} packs once swept ({} only dropped "
      "sets "
      "need, {} unreferenced)",
      rows.size(), kept, dropped, freed.bytes, freed.dropped_packs + freed.unreferenced_packs,
      freed.dropped_packs, freed.unreferenced_packs);
  Compacted compacted;
  FreedCost cost;  // --dry-run with a price in the policy
  const auto summary = [&](bool done, const GcResult& gc) {
    auto j = nlohmann::json{{"schema", kSchema},
                            {"type", "summary"},
                            {"dry_run", !done},
                            {"sets", rows.size()},
                            {"keep", kept},
                            {"drop", dropped},
                            {"free_bytes", freed.bytes},
                            {"free_packs", freed.dropped_packs + freed.unreferenced_packs},
                            {"swept_packs", gc.swept_packs},
                            {"swept_bytes", gc.swept_bytes},
                            {"candidates", gc.candidates}};
    if (cost.priced) j["free_cost_monthly"] = cost.monthly;
    if (max_unused) {
      j["compact_packs"] = compacted.plan.packs.size();
      j["rewrite_bytes"] = done ? compacted.done.bytes_written : compacted.plan.rewrite_bytes;
      j["compact_free_bytes"] = compacted.plan.free_bytes;
      j["reencrypt_packs"] = compacted.plan.reencrypt;
      j["deferred_packs"] = compacted.plan.deferred;
    }
    return j.dump() + "\n";
  };
  // The compaction line: what it did (or, with --dry-run, would do).
  const auto compact_line = [&](bool done) {
    std::string extra;
    if (o.reencrypt)
      extra += fmt::format("; {} of them under an older key", compacted.plan.reencrypt);
    if (compacted.plan.deferred > 0)
      extra += fmt::format("; {} more packs left to the next run (--max-rewrite)",
                           compacted.plan.deferred);
    if (done)
      return fmt::format(
          "compact: rewrote {} packs ({} bytes of live chunks) into {} new packs ({} bytes); {} "
          "bytes to be freed once the old packs are swept{}",
          compacted.done.packs_read, compacted.done.bytes_read, compacted.done.packs_written,
          compacted.done.bytes_written, compacted.plan.free_bytes, extra);
    return fmt::format(
        "compact: would rewrite {} packs ({} bytes of live chunks) and free {} bytes once they "
        "are swept{}",
        compacted.plan.packs.size(), compacted.plan.rewrite_bytes, compacted.plan.free_bytes,
        extra);
  };
  if (o.dry_run) {
    CAIRN_TRY_ASSIGN(cost, freed_cost(pol, *ctx.cat, rows, freed.bytes));
    if (max_unused && sets.unreadable.empty() && bad_moves == 0) {
      std::vector<hash::SetId> keep;
      for (const auto& row : rows)
        if (row.keep && sets.readable.contains(row.id)) keep.push_back(row.id);
      CAIRN_TRY_ASSIGN(compacted.plan,
                       plan_compaction(*ctx.repo, sets, keep, *max_unused, obs, cancel));
      if (!o.json) CAIRN_TRY(out.write(as_bytes(compact_line(false) + "\n")));
    }
    if (cost.priced && !o.json) CAIRN_TRY(out.write(as_bytes(cost.line + "\n")));
    CAIRN_TRY(out.write(as_bytes(o.json ? summary(false, GcResult{}) : total + "\n")));
    CAIRN_TRY(out.flush());
    return Outcome{warnings, {}};
  }
  obs.info(total);

  ObjectLines lines(out, o.json);
  // What a run that died had deleted (or written) without printing it, printed first.
  CAIRN_TRY_ASSIGN(const auto replayed, replay_pending(prune_state_file(ctx.cat->file()), *ctx.repo,
                                                       lines.report(), obs));
  const std::set<hash::SetId> unfinished(replayed.begin(), replayed.end());
  for (const auto& row : rows)
    if (!row.keep && row.rec && row.rec->status == catalog::SetStatus::pruned &&
        !unfinished.contains(row.id))
      ++warnings;  // forget() names them
  CAIRN_TRY(forget(ctx, sets, rows, recs, unfinished, lines, obs, cancel));
  if (!sets.unreadable.empty()) {
    for (const auto& [id, why] : sets.unreadable)
      obs.warning(fmt::format("set {}", id.hex()),
                  Error{Errc::corrupt, why + "; no pack was deleted"});
    return Outcome{warnings + static_cast<int>(sets.unreadable.size()), {}};
  }
  if (bad_moves > 0) {
    obs.info("a move record is damaged (named above): no pack was compacted or deleted");
    return Outcome{warnings, {}};
  }
  if (max_unused) {
    CAIRN_TRY_ASSIGN(compacted, compact(*ctx.repo, sets, *max_unused, lines, obs, cancel));
    warnings += compacted.warnings;
    obs.info(compact_line(true));
    if (!compacted.done.record.empty()) {
      // Rewriting packs (and re-encrypting them under the newest key) is in the audit log too.
      CAIRN_TRY(audit(*ctx.cat,
                      fmt::format("cairn-prune {} rewrites {} packs into {} ({}; {} under an "
                                  "older key)",
                                  o.reencrypt ? "--reencrypt" : "--max-unused",
                                  compacted.done.packs_read, compacted.done.packs_written,
                                  compacted.done.record, compacted.plan.reencrypt),
                      "ok"));
      CAIRN_TRY_ASSIGN(sets.moves,
                       repo::load_moves(*ctx.repo, skip_damaged("move", obs, &bad_moves)));
    }
  }
  const GcOptions gco{prune_state_file(ctx.cat->file()), o.grace_generations, o.grace_ns, now};
  CAIRN_TRY_ASSIGN(const GcResult gc, collect(gco, *ctx.repo, sets, lines.report(), obs, cancel));
  obs.info(fmt::format(
      "swept {} packs ({} bytes); {} packs wait for their grace period ({} set{} and {} after "
      "being marked); {} in use again",
      gc.swept_packs, gc.swept_bytes, gc.candidates, o.grace_generations,
      o.grace_generations == 1 ? "" : "s", format_duration(o.grace_ns), gc.rescued));
  // Partial packs of killed runs: older than the grace time, no running backup writes them.
  CAIRN_TRY_ASSIGN(const auto stale, stale_tmp_files(*ctx.repo, o.grace_ns, now));
  for (const auto& f : stale) {
    if (::unlink(f.path.c_str()) != 0 && errno != ENOENT)
      return errno_error(errno, fmt::format("cannot remove '{}'", f.path.string()));
    obs.info(
        fmt::format("removed '{}' ({} bytes, last written {}): a partial pack of a run that "
                    "was killed",
                    f.path.string(), f.size, format_time(f.mtime_ns)));
  }
  if (o.json) CAIRN_TRY(out.write(as_bytes(summary(true, gc))));
  CAIRN_TRY(out.flush());
  Outcome done{warnings, {}};
  Tally t;  // the closing summary: the packs deleted and the bytes they held
  t.files = gc.swept_packs;
  t.bytes = gc.swept_bytes;
  done.tally = std::make_shared<const Tally>(std::move(t));
  return done;
}

}  // namespace cairn::ops
