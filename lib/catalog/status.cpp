// lib/catalog/status.cpp: the aggregate queries behind `cairn status`: runs counted by
// outcome, the newest verification and drill per source and class, and the newest drill at
// each destination.
#include "catalog/catalog.hpp"
#include "catalog/sqlite.hpp"

namespace cairn::catalog {
namespace {

std::uint64_t count(const Stmt& s, int col) {
  return s.is_null(col) ? 0 : static_cast<std::uint64_t>(s.int64(col));
}

// Columns `at`..`at + 8` of a verify row: id, set_id, target, kind, started_ns, duration_ms,
// ok, detail, restore_ms. A NULL id means no row (an outer join that found none).
Result<std::optional<VerifyRecord>> verify_columns(const Stmt& s, int at,
                                                   const std::filesystem::path& file) {
  if (s.is_null(at)) return std::optional<VerifyRecord>{};
  VerifyRecord v;
  v.id = s.int64(at);
  CAIRN_TRY_ASSIGN(v.set_id, opt_id_column<hash::SetTag>(s, at + 1, file));
  v.target = s.text(at + 2);
  const std::string kind = s.text(at + 3);
  auto k = parse_verify_kind(kind);
  if (!k) return bad_value(file, "verify kind", kind);
  v.kind = *k;
  v.started_ns = s.int64(at + 4);
  v.duration_ms = static_cast<std::uint64_t>(s.int64(at + 5));
  v.ok = s.int64(at + 6) != 0;
  v.detail = s.text(at + 7);
  if (!s.is_null(at + 8)) v.restore_ms = static_cast<std::uint64_t>(s.int64(at + 8));
  return std::optional<VerifyRecord>{std::move(v)};
}

}  // namespace

Result<std::vector<RunTally>> Catalog::run_tallies(std::int64_t since_ns,
                                                   std::int64_t abandoned_before_ns) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT tool, source, retention_class, "
                                     "sum(exit_code = 0), sum(exit_code = 3), "
                                     "sum(exit_code IS NOT NULL AND exit_code NOT IN (0, 3)), "
                                     "sum(exit_code IS NULL AND started_ns < ?2), "
                                     "sum(exit_code IS NULL AND started_ns >= ?2) "
                                     "FROM run WHERE started_ns >= ?1 "
                                     "GROUP BY tool, source, retention_class "
                                     "ORDER BY tool, source, retention_class"));
  s.bind_int(1, since_ns);
  s.bind_int(2, abandoned_before_ns);
  std::vector<RunTally> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step("cannot count runs"));
    if (!row) break;
    out.push_back(RunTally{s.text(0), s.text(1), s.text(2), count(s, 3), count(s, 4), count(s, 5),
                           count(s, 6), count(s, 7)});
  }
  return out;
}

Result<std::vector<VerifySummary>> Catalog::verify_summaries() {
  Connection& c = *conn_;
  // The newest row per (source, class) of each kind, by started_ns then id (window
  // functions: SQLite >= 3.25). One pass over verify joined to backup_set.
  CAIRN_TRY_ASSIGN(
      Stmt s,
      c.prepare(
          "WITH v AS ("
          "  SELECT b.source AS source, b.retention_class AS class, v.id, v.set_id, v.target, "
          "v.kind,"
          "    v.started_ns, v.duration_ms, v.ok, v.detail, v.restore_ms,"
          "    row_number() OVER (PARTITION BY b.source, b.retention_class, v.ok = 1"
          "                       ORDER BY v.started_ns DESC, v.id DESC) AS by_ok,"
          "    row_number() OVER (PARTITION BY b.source, b.retention_class,"
          "                       v.kind = 'drill' AND v.target = ''"
          "                       ORDER BY v.started_ns DESC, v.id DESC) AS by_drill"
          "  FROM verify v JOIN backup_set b ON b.id = v.set_id),"
          " g AS (SELECT DISTINCT source, class FROM v)"
          " SELECT g.source, g.class,"
          "   o.id, o.set_id, o.target, o.kind, o.started_ns, o.duration_ms, o.ok, o.detail, "
          "o.restore_ms,"
          "   d.id, d.set_id, d.target, d.kind, d.started_ns, d.duration_ms, d.ok, d.detail, "
          "d.restore_ms"
          " FROM g"
          " LEFT JOIN v o ON o.source = g.source AND o.class = g.class AND o.ok = 1 AND o.by_ok = 1"
          " LEFT JOIN v d ON d.source = g.source AND d.class = g.class AND d.kind = 'drill'"
          "   AND d.target = '' AND d.by_drill = 1"
          " ORDER BY g.source, g.class"));
  std::vector<VerifySummary> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step("cannot summarize verifications"));
    if (!row) break;
    VerifySummary v;
    v.source = s.text(0);
    v.retention_class = s.text(1);
    CAIRN_TRY_ASSIGN(v.last_ok, verify_columns(s, 2, c.file));
    CAIRN_TRY_ASSIGN(v.last_drill, verify_columns(s, 11, c.file));
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<VerifyRecord>> Catalog::destination_drills() {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s,
                   c.prepare("SELECT id, set_id, target, kind, started_ns, duration_ms, ok, "
                             "detail, restore_ms FROM ("
                             "  SELECT *, row_number() OVER (PARTITION BY target"
                             "    ORDER BY started_ns DESC, id DESC) AS n"
                             "  FROM verify WHERE kind = 'drill' AND target <> '')"
                             " WHERE n = 1 ORDER BY target"));
  std::vector<VerifyRecord> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step("cannot list the drills at destinations"));
    if (!row) break;
    CAIRN_TRY_ASSIGN(auto v, verify_columns(s, 0, c.file));
    out.push_back(std::move(*v));
  }
  return out;
}

Result<std::vector<RunRecord>> Catalog::last_runs(std::string_view tool, int per_group) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT " CAIRN_RUN_COLUMNS " FROM ("
                                     "  SELECT *, row_number() OVER (PARTITION BY source,"
                                     "    retention_class ORDER BY started_ns DESC, id DESC) AS n"
                                     "  FROM run WHERE tool = ?1 AND ended_ns IS NOT NULL"
                                     "    AND duration_ms IS NOT NULL)"
                                     " WHERE n <= ?2 ORDER BY source, retention_class, n"));
  s.bind_text(1, tool);
  s.bind_int(2, per_group);
  return read_runs(c, s, "cannot list the last runs");
}

Result<std::vector<LastTransfer>> Catalog::last_transfers() {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT destination, direction, bytes, duration_ms, run_id,"
                                     " tool, started_ns, exit_code FROM ("
                                     "  SELECT t.*, r.tool, r.started_ns, r.exit_code,"
                                     "    row_number() OVER (PARTITION BY t.destination,"
                                     "      t.direction ORDER BY r.started_ns DESC, r.id DESC) AS n"
                                     "  FROM run_transfer t JOIN run r ON r.id = t.run_id)"
                                     " WHERE n = 1 ORDER BY destination, direction"));
  std::vector<LastTransfer> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step("cannot list the last transfers"));
    if (!row) break;
    LastTransfer t;
    CAIRN_TRY_ASSIGN(t.transfer, transfer_columns(s, 0, c.file));
    t.run_id = s.int64(4);
    t.tool = s.text(5);
    t.started_ns = s.int64(6);
    if (!s.is_null(7)) t.exit_code = static_cast<int>(s.int64(7));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace cairn::catalog
