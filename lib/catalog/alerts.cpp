// lib/catalog/alerts.cpp: the alert_state table (schema version 6), what alerting remembers
// between runs so that repeated cron runs page once per incident.
#include <fmt/format.h>

#include "catalog/catalog.hpp"
#include "catalog/sqlite.hpp"

namespace cairn::catalog {
namespace {

constexpr const char* kColumns =
    "key, failures, since_ns, escalated_ns, severity, alerted, updated_ns FROM alert_state";

AlertRecord alert_row(const Stmt& s) {
  AlertRecord r;
  r.key = s.text(0);
  r.failures = s.int64(1);
  r.since_ns = s.int64(2);
  if (!s.is_null(3)) r.escalated_ns = s.int64(3);
  r.severity = s.text(4);
  r.alerted = s.int64(5) != 0;
  r.updated_ns = s.int64(6);
  return r;
}

}  // namespace

Result<std::optional<AlertRecord>> Catalog::alert_state(std::string_view key) {
  Connection& c = *conn_;
  const std::string sql = fmt::format("SELECT {} WHERE key = ?1", kColumns);
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare(sql.c_str()));
  s.bind_text(1, key);
  CAIRN_TRY_ASSIGN(bool row, s.step("cannot read the alert state"));
  if (!row) return std::optional<AlertRecord>();
  return std::optional<AlertRecord>(alert_row(s));
}

Result<std::vector<AlertRecord>> Catalog::alert_states(std::string_view prefix) {
  Connection& c = *conn_;
  const std::string sql =
      fmt::format("SELECT {} WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key", kColumns);
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare(sql.c_str()));
  s.bind_text(1, prefix);
  std::vector<AlertRecord> out;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, s.step("cannot list the alert state"));
    if (!row) break;
    out.push_back(alert_row(s));
  }
  return out;
}

Status Catalog::put_alert_state(const AlertRecord& r) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("INSERT OR REPLACE INTO alert_state(key, failures, since_ns, "
                                     "escalated_ns, severity, alerted, updated_ns) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  s.bind_text(1, r.key);
  s.bind_int(2, r.failures);
  s.bind_int(3, r.since_ns);
  s.bind_opt_int(4, r.escalated_ns);
  s.bind_text(5, r.severity);
  s.bind_int(6, r.alerted ? 1 : 0);
  s.bind_int(7, r.updated_ns);
  return s.run(fmt::format("cannot record the alert state of '{}'", r.key));
}

Status Catalog::clear_alert_state(std::string_view key) {
  Connection& c = *conn_;
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare("DELETE FROM alert_state WHERE key = ?1"));
  s.bind_text(1, key);
  return s.run(fmt::format("cannot clear the alert state of '{}'", key));
}

}  // namespace cairn::catalog
