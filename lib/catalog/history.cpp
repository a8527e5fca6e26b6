// lib/catalog/history.cpp: runs, verifies/drills, placements and the append-only audit log.
#include <fmt/format.h>

#include "catalog/catalog.hpp"
#include "catalog/sqlite.hpp"

namespace cairn::catalog {
namespace {

std::optional<std::string> opt_hex(const std::optional<hash::SetId>& id) {
  if (!id) return std::nullopt;
  return id->hex();
}
std::optional<std::int64_t> opt_int(const Stmt& s, int col) {
  if (s.is_null(col)) return std::nullopt;
  return s.int64(col);
}

Result<std::int64_t> inserted_id(Connection& c) { return sqlite3_last_insert_rowid(c.db.get()); }

std::optional<std::int64_t> opt_u64(const std::optional<std::uint64_t>& v) {
  if (!v) return std::nullopt;
  return static_cast<std::int64_t>(*v);
}
std::optional<std::uint64_t> opt_u64_column(const Stmt& s, int col) {
  if (s.is_null(col)) return std::nullopt;
  return static_cast<std::uint64_t>(s.int64(col));
}

// Binds m to parameters `at`..`at + 4`.
void bind_metrics(Stmt& s, int at, const RunMetrics& m) {
  s.bind_opt_int(at, opt_u64(m.duration_ms));
  s.bind_opt_int(at + 1, opt_u64(m.files));
  s.bind_opt_int(at + 2, opt_u64(m.bytes));
  s.bind_opt_int(at + 3, opt_u64(m.bytes_new));
  s.bind_opt_int(at + 4, opt_u64(m.bytes_stored));
}

Status insert_transfers(Connection& c, std::int64_t run_id,
                        const std::vector<TransferRecord>& transfers) {
  for (const auto& t : transfers) {
    CAIRN_TRY_ASSIGN(Stmt s, c.prepare("INSERT INTO run_transfer(run_id, destination, direction, "
                                       "bytes, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5)"));
    s.bind_int(1, run_id);
    s.bind_text(2, t.destination);
    s.bind_text(3, to_string(t.direction));
    s.bind_int(4, static_cast<std::int64_t>(t.bytes));
    s.bind_int(5, static_cast<std::int64_t>(t.duration_ms));
    CAIRN_TRY(s.run(fmt::format("cannot record what run {} moved to '{}'", run_id, t.destination)));
  }
  return {};
}

// The transfers of run `run_id`, by destination then direction.
Result<std::vector<TransferRecord>> run_transfers(Connection& c, std::int64_t run_id) {
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT destination, direction, bytes, duration_ms "
                                     "FROM run_transfer WHERE run_id = ?1 "
                                     "ORDER BY destination, direction"));
  s.bind_int(1, run_id);
  std::vector<TransferRecord> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step("cannot list what a run moved"));
    if (!row) break;
    CAIRN_TRY_ASSIGN(auto t, transfer_columns(s, 0, c.file));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Result<RunRecord> run_columns(const Stmt& s, int at, const std::filesystem::path& file) {
  RunRecord r;
  r.id = s.int64(at);
  r.tool = s.text(at + 1);
  r.started_ns = s.int64(at + 2);
  r.ended_ns = opt_int(s, at + 3);
  if (auto e = opt_int(s, at + 4)) r.exit_code = static_cast<int>(*e);
  CAIRN_TRY_ASSIGN(r.set_id, opt_id_column<hash::SetTag>(s, at + 5, file));
  r.message = s.text(at + 6);
  r.source = s.text(at + 7);
  r.retention_class = s.text(at + 8);
  r.metrics =
      RunMetrics{opt_u64_column(s, at + 9), opt_u64_column(s, at + 10), opt_u64_column(s, at + 11),
                 opt_u64_column(s, at + 12), opt_u64_column(s, at + 13)};
  return r;
}

Result<std::vector<RunRecord>> read_runs(Connection& c, Stmt& s, std::string_view what) {
  std::vector<RunRecord> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step(what));
    if (!row) break;
    CAIRN_TRY_ASSIGN(auto r, run_columns(s, 0, c.file));
    out.push_back(std::move(r));
  }
  s.reset();  // done with it before the next query
  for (auto& r : out) {
    CAIRN_TRY_ASSIGN(r.transfers, run_transfers(c, r.id));
  }
  return out;
}

Result<TransferRecord> transfer_columns(const Stmt& s, int at, const std::filesystem::path& file) {
  const std::string dir = s.text(at + 1);
  auto d = parse_direction(dir);
  if (!d) return bad_value(file, "transfer direction", dir);
  return TransferRecord{s.text(at), *d, static_cast<std::uint64_t>(s.int64(at + 2)),
                        static_cast<std::uint64_t>(s.int64(at + 3))};
}

Result<std::int64_t> Catalog::record_run(const RunRecord& r) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("INSERT INTO run(tool, started_ns, ended_ns, exit_code, "
                                     "set_id, message, source, retention_class, duration_ms, "
                                     "files, bytes, bytes_new, bytes_stored) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                                     "?13)"));
  s.bind_text(1, r.tool);
  s.bind_int(2, r.started_ns);
  s.bind_opt_int(3, r.ended_ns);
  s.bind_opt_int(4, r.exit_code ? std::optional<std::int64_t>(*r.exit_code) : std::nullopt);
  s.bind_opt_text(5, opt_hex(r.set_id));
  s.bind_text(6, r.message);
  s.bind_text(7, r.source);
  s.bind_text(8, r.retention_class);
  bind_metrics(s, 9, r.metrics);
  CAIRN_TRY_ASSIGN(Atomic change, Atomic::start(c));  // the run with its transfers, or nothing
  CAIRN_TRY(s.run(fmt::format("cannot record a run of {}", r.tool)));
  CAIRN_TRY_ASSIGN(const std::int64_t id, inserted_id(c));
  CAIRN_TRY(insert_transfers(c, id, r.transfers));
  CAIRN_TRY(change.finish());
  return id;
}

Status Catalog::finish_run(std::int64_t id, std::int64_t ended_ns, int exit_code,
                           std::optional<hash::SetId> set_id, std::string_view message,
                           const RunMetrics& metrics,
                           const std::vector<TransferRecord>& transfers) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("UPDATE run SET ended_ns = ?2, exit_code = ?3, "
                                     "set_id = coalesce(?4, set_id), message = ?5, "
                                     "duration_ms = ?6, files = ?7, bytes = ?8, bytes_new = ?9, "
                                     "bytes_stored = ?10 WHERE id = ?1"));
  s.bind_int(1, id);
  s.bind_int(2, ended_ns);
  s.bind_int(3, exit_code);
  s.bind_opt_text(4, opt_hex(set_id));
  s.bind_text(5, message);
  bind_metrics(s, 6, metrics);
  CAIRN_TRY_ASSIGN(Atomic change, Atomic::start(c));  // the end with its transfers, or nothing
  CAIRN_TRY(s.run(fmt::format("cannot finish run {}", id)));
  if (sqlite3_changes(c.db.get()) == 0)
    return Error{Errc::not_found,
                 fmt::format("run {} is not in catalog '{}'", id, c.file.string())};
  CAIRN_TRY(insert_transfers(c, id, transfers));
  return change.finish();
}

Result<std::vector<RunRecord>> Catalog::runs_since(std::int64_t since_ns) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT " CAIRN_RUN_COLUMNS " FROM run "
                                     "WHERE started_ns >= ?1 ORDER BY started_ns, id"));
  s.bind_int(1, since_ns);
  return read_runs(c, s, "cannot list runs");
}

Result<std::int64_t> Catalog::record_verify(const VerifyRecord& v) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("INSERT INTO verify(set_id, target, kind, started_ns, "
                                     "duration_ms, ok, detail, restore_ms) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  s.bind_opt_text(1, opt_hex(v.set_id));
  s.bind_text(2, v.target);
  s.bind_text(3, to_string(v.kind));
  s.bind_int(4, v.started_ns);
  s.bind_int(5, static_cast<std::int64_t>(v.duration_ms));
  s.bind_int(6, v.ok ? 1 : 0);
  s.bind_text(7, v.detail);
  s.bind_opt_int(8, v.restore_ms
                        ? std::optional<std::int64_t>(static_cast<std::int64_t>(*v.restore_ms))
                        : std::nullopt);
  CAIRN_TRY(s.run("cannot record a verification"));
  return inserted_id(c);
}

Result<std::vector<VerifyRecord>> Catalog::verifies(std::optional<hash::SetId> set_id) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT id, set_id, target, kind, started_ns, duration_ms, "
                                     "ok, detail, restore_ms FROM verify "
                                     "WHERE ?1 IS NULL OR set_id = ?1 ORDER BY started_ns, id"));
  s.bind_opt_text(1, opt_hex(set_id));
  std::vector<VerifyRecord> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step("cannot list verifications"));
    if (!row) break;
    VerifyRecord v;
    v.id = s.int64(0);
    CAIRN_TRY_ASSIGN(v.set_id, opt_id_column<hash::SetTag>(s, 1, c.file));
    v.target = s.text(2);
    const std::string kind = s.text(3);
    auto k = parse_verify_kind(kind);
    if (!k) return bad_value(c.file, "verify kind", kind);
    v.kind = *k;
    v.started_ns = s.int64(4);
    v.duration_ms = static_cast<std::uint64_t>(s.int64(5));
    v.ok = s.int64(6) != 0;
    v.detail = s.text(7);
    if (auto r = opt_int(s, 8)) v.restore_ms = static_cast<std::uint64_t>(*r);
    out.push_back(std::move(v));
  }
  return out;
}

Status Catalog::record_placement(const PlacementRecord& p) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s,
                   c.prepare("INSERT INTO placement(set_id, destination, pushed_at_ns, "
                             "verified_at_ns) VALUES (?1, ?2, ?3, ?4) "
                             "ON CONFLICT(set_id, destination) DO UPDATE SET "
                             "pushed_at_ns = coalesce(excluded.pushed_at_ns, pushed_at_ns), "
                             "verified_at_ns = coalesce(excluded.verified_at_ns, verified_at_ns)"));
  s.bind_text(1, p.set_id.hex());
  s.bind_text(2, p.destination);
  s.bind_opt_int(3, p.pushed_at_ns);
  s.bind_opt_int(4, p.verified_at_ns);
  if (auto st = s.run(fmt::format("cannot record where set '{}' lives", p.set_id.hex())); !st) {
    if (c.last_rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      return Error{Errc::not_found,
                   fmt::format("set '{}' is not in catalog '{}'", p.set_id.hex(), c.file.string())};
    return st;
  }
  return {};
}

Result<std::vector<PlacementRecord>> Catalog::placements_of(const hash::SetId& id) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT destination, pushed_at_ns, verified_at_ns "
                                     "FROM placement WHERE set_id = ?1 ORDER BY destination"));
  s.bind_text(1, id.hex());
  std::vector<PlacementRecord> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step("cannot list placements"));
    if (!row) break;
    out.push_back(PlacementRecord{id, s.text(0), opt_int(s, 1), opt_int(s, 2)});
  }
  return out;
}

Result<std::int64_t> Catalog::append_audit(const AuditRecord& a) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("INSERT INTO audit(at_ns, user, host, command, outcome) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5)"));
  s.bind_int(1, a.at_ns);
  s.bind_text(2, a.user);
  s.bind_text(3, a.host);
  s.bind_text(4, a.command);
  s.bind_text(5, a.outcome);
  CAIRN_TRY(s.run("cannot append to the audit log"));
  return inserted_id(c);
}

Result<std::vector<AuditRecord>> Catalog::audit_log(std::int64_t after_id) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("SELECT id, at_ns, user, host, command, outcome FROM audit "
                                     "WHERE id > ?1 ORDER BY id"));
  s.bind_int(1, after_id);
  std::vector<AuditRecord> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step("cannot read the audit log"));
    if (!row) break;
    out.push_back(AuditRecord{s.int64(0), s.int64(1), s.text(2), s.text(3), s.text(4), s.text(5)});
  }
  return out;
}

}  // namespace cairn::catalog
