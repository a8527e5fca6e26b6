// lib/catalog/sets.cpp: backup_set and set_pack: insert, lookups, status and legal hold;
// resolve_set.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "catalog/catalog.hpp"
#include "catalog/sqlite.hpp"

namespace cairn::catalog {
namespace {

#define CAIRN_SET_COLUMNS                                                                       \
  "id, seq, source, host, kind, parent, retention_class, legal_hold, hold_reason, started_ns, " \
  "ended_ns, status, files, bytes_read, bytes_new, bytes_stored, duration_ms, first_seen_ns, tags"

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

std::vector<std::string> split_tags(std::string_view joined) {
  std::vector<std::string> out;
  while (!joined.empty()) {
    const auto comma = joined.find(',');
    if (comma != 0) out.emplace_back(joined.substr(0, comma));
    if (comma == std::string_view::npos) break;
    joined.remove_prefix(comma + 1);
  }
  return out;
}

std::string join_tags(std::vector<std::string> tags) {
  model::normalize_tags(tags);
  return fmt::format("{}", fmt::join(tags, ","));
}

Result<SetRecord> read_set(const Stmt& s, const std::filesystem::path& file) {
  SetRecord r;
  CAIRN_TRY_ASSIGN(r.id, id_column<hash::SetTag>(s, 0, file));
  r.seq = u64(s.int64(1));
  r.source = s.text(2);
  r.host = s.text(3);
  const std::string kind = s.text(4);
  auto k = model::parse_set_kind(kind);
  if (!k) return bad_value(file, "set kind", kind);  // CHECK() prevents this short of tampering
  r.kind = *k;
  CAIRN_TRY_ASSIGN(r.parent, opt_id_column<hash::SetTag>(s, 5, file));
  r.retention_class = s.text(6);
  r.legal_hold = s.int64(7) != 0;
  r.hold_reason = s.text(8);
  r.started_ns = s.int64(9);
  r.ended_ns = s.int64(10);
  const std::string status = s.text(11);
  auto st = parse_set_status(status);
  if (!st) return bad_value(file, "set status", status);
  r.status = *st;
  r.files = u64(s.int64(12));
  r.bytes_read = u64(s.int64(13));
  r.bytes_new = u64(s.int64(14));
  r.bytes_stored = u64(s.int64(15));
  r.duration_ms = u64(s.int64(16));
  if (!s.is_null(17)) r.first_seen_ns = s.int64(17);
  r.tags = split_tags(s.text(18));
  return r;
}

Result<std::vector<SetRecord>> read_sets(Stmt& s, const std::filesystem::path& file,
                                         std::string_view what) {
  std::vector<SetRecord> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step(what));
    if (!row) break;
    CAIRN_TRY_ASSIGN(auto r, read_set(s, file));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<SetRecord>> read_one(Stmt& s, const std::filesystem::path& file,
                                          std::string_view what) {
  CAIRN_TRY_ASSIGN(bool row, s.step(what));
  if (!row) return std::optional<SetRecord>{};
  CAIRN_TRY_ASSIGN(auto r, read_set(s, file));
  return std::optional<SetRecord>{std::move(r)};
}

// The ids in column 0 of every row `s` gives.
template <typename Tag>
Result<std::vector<hash::Id<Tag>>> read_ids(Stmt& s, const std::filesystem::path& file,
                                            std::string_view what) {
  std::vector<hash::Id<Tag>> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step(what));
    if (!row) break;
    CAIRN_TRY_ASSIGN(auto id, id_column<Tag>(s, 0, file));
    out.push_back(id);
  }
  return out;
}

Status must_touch_one(Connection& c, const hash::SetId& id) {
  if (sqlite3_changes(c.db.get()) == 0)
    return Error{Errc::not_found,
                 fmt::format("set '{}' is not in catalog '{}'", id.hex(), c.file.string())};
  return {};
}

}  // namespace

Status Catalog::insert_set(const SetRecord& r, const std::vector<hash::PackId>& packs) {
  Connection& c = *conn_;
  const std::string id = r.id.hex();
  const std::string what = fmt::format("cannot insert set '{}'", id);
  if (r.seq > kMaxSeq)
    return Error{
        Errc::corrupt,
        fmt::format(
            "set '{}' has sequence number {}, above the bound {} (2^48): a forged or damaged set "
            "object; it is not recorded in catalog '{}'",
            id, r.seq, kMaxSeq, c.file.string())};
  CAIRN_TRY_ASSIGN(Atomic a, Atomic::start(c));
  {
    CAIRN_TRY_ASSIGN(Stmt s, c.prepare("INSERT INTO backup_set(" CAIRN_SET_COLUMNS ") VALUES "
                                       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                                       "?14, ?15, ?16, ?17, ?18, ?19)"));
    s.bind_text(1, id);
    s.bind_int(2, i64(r.seq));
    s.bind_text(3, r.source);
    s.bind_text(4, r.host);
    s.bind_text(5, model::to_string(r.kind));
    if (r.parent)
      s.bind_text(6, r.parent->hex());
    else
      s.bind_null(6);
    s.bind_text(7, r.retention_class);
    s.bind_int(8, r.legal_hold ? 1 : 0);
    s.bind_text(9, r.hold_reason);
    s.bind_int(10, r.started_ns);
    s.bind_int(11, r.ended_ns);
    s.bind_text(12, to_string(r.status));
    s.bind_int(13, i64(r.files));
    s.bind_int(14, i64(r.bytes_read));
    s.bind_int(15, i64(r.bytes_new));
    s.bind_int(16, i64(r.bytes_stored));
    s.bind_int(17, i64(r.duration_ms));
    s.bind_int(18, r.first_seen_ns.value_or(now_ns()));
    s.bind_text(19, join_tags(r.tags));
    if (auto st = s.run(what); !st) {
      if (c.last_rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return Error{Errc::exists,
                     fmt::format("set '{}' is already in catalog '{}'", id, c.file.string())};
      return st;
    }
  }
  {
    CAIRN_TRY_ASSIGN(Stmt s,
                     c.prepare("INSERT OR IGNORE INTO set_pack(set_id, pack_id) VALUES (?1, ?2)"));
    for (const auto& p : packs) {
      s.bind_text(1, id);
      s.bind_text(2, p.hex());
      CAIRN_TRY(s.run(what));
      s.reset();
    }
  }
  return a.finish();
}

Result<std::vector<SetRecord>> Catalog::list_sets(std::optional<std::string> source) {
  Connection& c = *conn_;
  if (source) {
    CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT " CAIRN_SET_COLUMNS " FROM backup_set "
                                       "WHERE source = ?1 ORDER BY started_ns, seq, id"));
    s.bind_text(1, *source);
    return read_sets(s, c.file, "cannot list sets");
  }
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT " CAIRN_SET_COLUMNS " FROM backup_set "
                                     "ORDER BY started_ns, seq, id"));
  return read_sets(s, c.file, "cannot list sets");
}

Result<std::optional<SetRecord>> Catalog::get_set(const hash::SetId& id) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT " CAIRN_SET_COLUMNS " FROM backup_set WHERE id = ?1"));
  s.bind_text(1, id.hex());
  return read_one(s, c.file, "cannot read a set");
}

Result<std::vector<SetRecord>> Catalog::find_by_prefix(std::string_view prefix) {
  Connection& c = *conn_;
  std::string low;
  low.reserve(prefix.size());
  for (char ch : prefix) {
    if (!std::isxdigit(static_cast<unsigned char>(ch)))
      return Error{Errc::usage, fmt::format("'{}' is not a set id or id prefix", prefix)};
    low.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  }
  if (low.empty() || low.size() > 2 * hash::kDigestSize)
    return Error{Errc::usage, fmt::format("'{}' is not a set id or id prefix", prefix)};
  // A range scan of the primary key: every id starting with `low` sorts in [low, low + "g").
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT " CAIRN_SET_COLUMNS " FROM backup_set "
                                     "WHERE id >= ?1 AND id < ?2 ORDER BY started_ns, seq, id"));
  s.bind_text(1, low);
  s.bind_text(2, low + "g");
  return read_sets(s, c.file, "cannot look up a set");
}

namespace {

// The latest snapshot time a reader accepts at `now` (kFutureSkewNs ahead), without overflow.
std::int64_t future_limit(std::optional<std::int64_t> now) {
  const std::int64_t t = now.value_or(now_ns());
  return t > INT64_MAX - kFutureSkewNs ? INT64_MAX : t + kFutureSkewNs;
}

}  // namespace

Result<std::optional<SetRecord>> Catalog::latest(const std::string& source,
                                                 std::optional<model::SetKind> kind,
                                                 std::optional<std::int64_t> now_ns) {
  return latest_tagged(source, "", kind, now_ns);
}

Result<std::optional<SetRecord>> Catalog::latest_tagged(const std::string& source,
                                                        std::string_view tag,
                                                        std::optional<model::SetKind> kind,
                                                        std::optional<std::int64_t> now_ns) {
  Connection& c = *conn_;
  // A seq no chain of real sets reaches (a forged claim) never makes a set the newest.
  CAIRN_TRY_ASSIGN(Stmt q, c.prepare("SELECT seq FROM backup_set"));
  std::vector<std::uint64_t> seqs;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, q.step("cannot find the latest set"));
    if (!row) break;
    seqs.push_back(u64(q.int64(0)));
  }
  const std::uint64_t ceiling = model::plausible_seq_ceiling(std::move(seqs));
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT " CAIRN_SET_COLUMNS " FROM backup_set "
                                     "WHERE (?1 = '' OR source = ?1) AND status = 'committed' "
                                     "AND (?2 IS NULL OR kind = ?2) AND started_ns <= ?3 "
                                     "AND seq <= ?4 AND (?5 = '' OR "
                                     "instr(',' || tags || ',', ',' || ?5 || ',') > 0) "
                                     "ORDER BY seq DESC, started_ns DESC, id DESC LIMIT 1"));
  s.bind_text(1, source);
  if (kind)
    s.bind_text(2, model::to_string(*kind));
  else
    s.bind_null(2);
  s.bind_int(3, future_limit(now_ns));
  s.bind_int(4, i64(ceiling));
  s.bind_text(5, tag);
  return read_one(s, c.file, "cannot find the latest set");
}

Result<std::optional<SetRecord>> Catalog::at_or_before(std::optional<std::string> source,
                                                       std::int64_t time_ns,
                                                       std::optional<std::int64_t> now_ns) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT " CAIRN_SET_COLUMNS " FROM backup_set "
                                     "WHERE status = 'committed' AND started_ns <= ?2 "
                                     "AND (?1 IS NULL OR source = ?1) "
                                     "ORDER BY started_ns DESC, seq DESC, id DESC LIMIT 1"));
  s.bind_opt_text(1, source);
  s.bind_int(2, std::min(time_ns, future_limit(now_ns)));
  return read_one(s, c.file, "cannot find a set by time");
}

Status Catalog::set_status(const hash::SetId& id, SetStatus st) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("UPDATE backup_set SET status = ?2 WHERE id = ?1"));
  s.bind_text(1, id.hex());
  s.bind_text(2, to_string(st));
  CAIRN_TRY(s.run(fmt::format("cannot change the status of set '{}'", id.hex())));
  return must_touch_one(c, id);
}

Status Catalog::set_hold(const hash::SetId& id, bool hold, std::string_view reason) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("UPDATE backup_set SET legal_hold = ?2, hold_reason = ?3 "
                                     "WHERE id = ?1"));
  s.bind_text(1, id.hex());
  s.bind_int(2, hold ? 1 : 0);
  s.bind_text(3, hold ? reason : std::string_view{});
  CAIRN_TRY(s.run(fmt::format("cannot change the legal hold of set '{}'", id.hex())));
  return must_touch_one(c, id);
}

Status Catalog::set_tags(const hash::SetId& id, const std::vector<std::string>& tags) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("UPDATE backup_set SET tags = ?2 WHERE id = ?1"));
  s.bind_text(1, id.hex());
  s.bind_text(2, join_tags(tags));
  CAIRN_TRY(s.run(fmt::format("cannot change the tags of set '{}'", id.hex())));
  return must_touch_one(c, id);
}

Result<std::vector<hash::PackId>> Catalog::packs_of(const hash::SetId& id) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT pack_id FROM set_pack WHERE set_id = ?1 "
                                     "ORDER BY pack_id"));
  s.bind_text(1, id.hex());
  return read_ids<hash::PackTag>(s, c.file, "cannot list the packs of a set");
}

Result<std::vector<hash::SetId>> Catalog::sets_using_pack(const hash::PackId& pack) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT set_id FROM set_pack WHERE pack_id = ?1 "
                                     "ORDER BY set_id"));
  s.bind_text(1, pack.hex());
  return read_ids<hash::SetTag>(s, c.file, "cannot list the sets using a pack");
}

Result<std::uint64_t> Catalog::max_seq() {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s,
                   c.prepare("SELECT coalesce(max(seq), 0) FROM backup_set WHERE seq <= ?1"));
  s.bind_int(1, i64(kMaxSeq));
  CAIRN_TRY_ASSIGN(bool row, s.step("cannot read the highest sequence number"));
  return row ? u64(s.int64(0)) : std::uint64_t{0};
}

Result<std::vector<hash::SetId>> Catalog::seen_at(std::string_view target) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s,
                   c.prepare("SELECT set_id FROM set_seen WHERE target = ?1 ORDER BY set_id"));
  s.bind_text(1, target);
  return read_ids<hash::SetTag>(s, c.file, "cannot list the sets seen");
}

Status Catalog::set_seen(std::string_view target, const std::vector<hash::SetId>& ids) {
  Connection& c = *conn_;
  const std::string what = fmt::format("cannot record the sets of '{}'", target);
  CAIRN_TRY_ASSIGN(Atomic a, Atomic::start(c));
  {
    CAIRN_TRY_ASSIGN(Stmt s, c.prepare("DELETE FROM set_seen WHERE target = ?1"));
    s.bind_text(1, target);
    CAIRN_TRY(s.run(what));
  }
  {
    CAIRN_TRY_ASSIGN(Stmt s, c.prepare("INSERT OR IGNORE INTO set_seen(target, set_id, seen_ns) "
                                       "VALUES (?1, ?2, ?3)"));
    const std::int64_t now = now_ns();
    for (const auto& id : ids) {
      s.bind_text(1, target);
      s.bind_text(2, id.hex());
      s.bind_int(3, now);
      CAIRN_TRY(s.run(what));
      s.reset();
    }
  }
  return a.finish();
}

Result<std::vector<std::string>> Catalog::sources() {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT DISTINCT source FROM backup_set ORDER BY source"));
  std::vector<std::string> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step("cannot list the sources"));
    if (!row) break;
    out.push_back(s.text(0));
  }
  return out;
}

namespace {

constexpr std::string_view kSetForms =
    "a set is ID (4 or more hex digits of it), SOURCE@latest, SOURCE@TIME, @TIME or latest "
    "(see 'cairn ls')";

// Edit distance (insert, delete, substitute one byte), for "did you mean".
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// not_found for a source no set has: the closest known source when one is near, else the list.
Status known_source(Catalog& cat, const std::string& source) {
  CAIRN_TRY_ASSIGN(auto known, cat.sources());
  if (std::find(known.begin(), known.end(), source) != known.end()) return {};
  if (known.empty())
    return Error{Errc::not_found,
                 fmt::format("no source '{}': the catalog has no sets yet", source)};
  const std::string* best = nullptr;
  std::size_t best_d = SIZE_MAX;
  for (const auto& k : known) {
    const std::size_t d = distance(source, k);
    if (d < best_d) best_d = d, best = &k;
  }
  if (best_d <= std::max<std::size_t>(1, std::min(source.size(), best->size()) / 3))
    return Error{Errc::not_found,
                 fmt::format("no source '{}' in the catalog: did you mean '{}'?", source, *best)};
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  return Error{Errc::not_found,
               fmt::format("no source '{}' in the catalog; the sources are: {}", source, list)};
}

bool all_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)) != 0; });
}

// What a reference that is no set form is, when it is a directory (a path typed where a set
// belongs) or a source name without '@'; nullopt otherwise.
Result<std::optional<Error>> not_a_set(Catalog& cat, std::string_view ref) {
  std::error_code ec;
  if (std::filesystem::is_directory(std::filesystem::path(ref), ec))
    return std::optional<Error>(
        Error{Errc::usage, fmt::format("'{}' is a directory; {}", ref, kSetForms)});
  CAIRN_TRY_ASSIGN(auto known, cat.sources());
  if (std::find(known.begin(), known.end(), ref) != known.end())
    return std::optional<Error>(Error{
        Errc::usage, fmt::format("'{}' is a source, not a set: its newest set is '{}@latest'; {}",
                                 ref, ref, kSetForms)});
  return std::optional<Error>();
}

std::string short_ids(const std::vector<SetRecord>& sets) {
  std::string out;
  for (std::size_t i = 0; i < sets.size() && i < 5; ++i)
    out += fmt::format("{}{} ({} {})", i ? ", " : "", sets[i].id.hex().substr(0, 12),
                       sets[i].source, format_time(sets[i].started_ns));
  if (sets.size() > 5) out += fmt::format(" and {} more", sets.size() - 5);
  return out;
}

}  // namespace

Result<SetRecord> resolve_set(Catalog& cat, std::string_view ref) {
  auto at = ref.find('@');
  if (ref == "latest" || at != std::string_view::npos) {
    std::string source =
        at == std::string_view::npos ? std::string() : std::string(ref.substr(0, at));
    std::string_view when = at == std::string_view::npos ? ref : ref.substr(at + 1);
    std::optional<SetRecord> found;
    if (when == "latest") {
      if (!source.empty()) CAIRN_TRY(known_source(cat, source));
      CAIRN_TRY_ASSIGN(found, cat.latest(source));  // by seq: newest, whatever its clock said
    } else if (when.starts_with("tag:")) {          // SOURCE@tag:T: the newest set carrying tag T
      CAIRN_TRY(model::check_tag(when.substr(4)));
      CAIRN_TRY_ASSIGN(found, cat.latest_tagged(source, when.substr(4)));
    } else {
      auto t = parse_time_span(when);
      if (!t)
        return Error{Errc::usage, fmt::format("'{}': {}; {}", ref, t.error().message,
                                              "SOURCE@TIME takes a time as 'cairn ls' shows it")};
      std::optional<std::string> src;
      if (!source.empty()) {
        CAIRN_TRY(known_source(cat, source));
        src = source;
      }
      // The END of the second (minute, day) named: `cairn ls` shows whole seconds, and a set
      // started at 05:00:00.4 is the set of "05:00:00".
      CAIRN_TRY_ASSIGN(found, cat.at_or_before(src, t->last_ns));
    }
    if (!found) {
      // Damaged sets are never "latest"; say so rather than suggest there is nothing at all.
      CAIRN_TRY_ASSIGN(
          auto all,
          cat.list_sets(source.empty() ? std::nullopt : std::optional<std::string>(source)));
      const auto damaged = std::count_if(all.begin(), all.end(), [](const SetRecord& r) {
        return r.status == SetStatus::damaged;
      });
      if (damaged > 0)  // what there is is damaged: damage (exit 4), not "nothing"
        return Error{
            Errc::corrupt,
            fmt::format(
                "no good backup set matches '{}': {} damaged set{} (cairn-verify found them); list "
                "them with 'cairn ls{}' and restore one by id to get what is intact",
                ref, damaged, damaged == 1 ? "" : "s", source.empty() ? "" : " " + source)};
      return Error{Errc::not_found, fmt::format("no backup set matches '{}'", ref)};
    }
    return *found;
  }
  if (ref.empty() || !all_hex(ref) || ref.size() > 2 * hash::kDigestSize) {
    CAIRN_TRY_ASSIGN(auto why, not_a_set(cat, ref));
    if (why) return *why;
    return Error{Errc::usage, fmt::format("'{}' is not a set reference: {}", ref, kSetForms)};
  }
  if (ref.size() < kMinIdPrefix) {
    CAIRN_TRY_ASSIGN(auto why, not_a_set(cat, ref));
    if (why) return *why;
    return Error{Errc::usage,
                 fmt::format("set id prefix '{}' is too short: give at least {} hex digits", ref,
                             kMinIdPrefix)};
  }
  CAIRN_TRY_ASSIGN(auto matches, cat.find_by_prefix(ref));
  std::vector<SetRecord> live;
  for (auto& m : matches)
    if (m.status != SetStatus::pruned) live.push_back(m);
  if (live.empty()) {
    CAIRN_TRY_ASSIGN(auto why, not_a_set(cat, ref));  // a directory named "cafe"
    if (why) return *why;
    return Error{Errc::not_found, fmt::format("no backup set matches '{}'", ref)};
  }
  if (live.size() > 1)
    return Error{Errc::usage,
                 fmt::format("set id prefix '{}' is ambiguous: it matches {} sets, {}; give more "
                             "digits",
                             ref, live.size(), short_ids(live))};
  return live.front();
}

}  // namespace cairn::catalog
