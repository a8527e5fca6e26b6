// lib/catalog/sqlite.hpp: internal to catalog: owning sqlite3 handles, a cached-statement
// wrapper with index binding, and the one place SQLite result codes become Errc.
// Depends on: base, sqlite3. Threads: thread-compatible, like Catalog.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "base/chandle.hpp"
#include "base/result.hpp"
#include "catalog/catalog.hpp"

namespace cairn::catalog {

using SqlDb = CHandle<sqlite3, &sqlite3_close>;
using SqlStmt = CHandle<sqlite3_stmt, &sqlite3_finalize>;

class Stmt;

// The connection behind a Catalog. `db` is declared first so that it is destroyed last,
// after every cached statement has been finalized (sqlite3_close refuses otherwise).
struct Connection {
  SqlDb db;
  std::unordered_map<const char*, SqlStmt> cache;  // keyed by the address of a literal
  std::filesystem::path file;
  bool in_transaction = false;  // a Transaction object is open
  int last_rc = SQLITE_OK;      // extended code of the last failure, for callers that care
  std::string read_only;        // why the catalog was opened read-only; "" when writable

  // Prepares (once; then reuses) `sql`, which must be a string literal.
  Result<Stmt> prepare(const char* sql);
  // Runs one or more statements that return no rows we need.
  Status exec(const char* sql, std::string_view what);
  // Turns a failing result code into an Error naming the catalog file and `what`.
  Error error(int rc, std::string_view what);
};

// A borrowed cached statement: bind by 1-based index, step, read columns by 0-based index.
// The destructor resets it and clears its bindings, ready for the next use.
class Stmt {
 public:
  Stmt(Connection& c, sqlite3_stmt* s) : c_(&c), s_(s) {}
  Stmt(Stmt&& o) noexcept : c_(o.c_), s_(std::exchange(o.s_, nullptr)), bind_rc_(o.bind_rc_) {}
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  ~Stmt() { reset(); }
  // Ready for the next execution (same statement, new bindings).
  void reset() {
    if (!s_) return;
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    bind_rc_ = SQLITE_OK;
  }

  void bind_int(int i, std::int64_t v) { note(sqlite3_bind_int64(s_, i, v)); }
  void bind_text(int i, std::string_view v) {  // a null data() would bind SQL NULL, not ''
    note(sqlite3_bind_text64(s_, i, v.data() ? v.data() : "", v.size(), SQLITE_TRANSIENT,
                             SQLITE_UTF8));
  }
  void bind_null(int i) { note(sqlite3_bind_null(s_, i)); }
  void bind_opt_int(int i, const std::optional<std::int64_t>& v) {
    v ? bind_int(i, *v) : bind_null(i);
  }
  void bind_opt_text(int i, const std::optional<std::string>& v) {
    v ? bind_text(i, *v) : bind_null(i);
  }

  // true when a row is ready; false when done. `what` names the operation in errors.
  Result<bool> step(std::string_view what);
  // Steps to completion, expecting no row.
  Status run(std::string_view what);

  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  std::string text(int col) const;

 private:
  void note(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  Connection* c_;
  sqlite3_stmt* s_;
  int bind_rc_ = SQLITE_OK;
};

// Makes a multi-statement change atomic: its own BEGIN IMMEDIATE outside a Transaction, a
// savepoint inside one (so a failure undoes only this change, not the caller's others).
class Atomic {
 public:
  static Result<Atomic> start(Connection& c) {
    const bool nested = c.in_transaction;
    CAIRN_TRY(c.exec(nested ? "SAVEPOINT cairn_op" : "BEGIN IMMEDIATE", "cannot start a change"));
    return Atomic{c, nested};
  }
  Atomic(Atomic&& o) noexcept
      : c_(o.c_), nested_(o.nested_), open_(std::exchange(o.open_, false)) {}
  Atomic& operator=(Atomic&&) = delete;
  ~Atomic() {
    if (!open_) return;
    if (nested_) {
      sqlite3_exec(c_.db.get(), "ROLLBACK TO cairn_op; RELEASE cairn_op", nullptr, nullptr,
                   nullptr);
    } else {
      sqlite3_exec(c_.db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  Status finish() {
    CAIRN_TRY(c_.exec(nested_ ? "RELEASE cairn_op" : "COMMIT", "cannot commit a change"));
    open_ = false;
    return {};
  }

 private:
  Atomic(Connection& c, bool nested) : c_(c), nested_(nested) {}
  Connection& c_;
  bool nested_;
  bool open_ = true;
};

// Parses 64 hex digits (any case). Catalog parses its own text so it needs only the
// header part of hash.
std::optional<hash::Digest> digest_from_hex(std::string_view s);
// "catalog 'f' is corrupt: malformed <what> '<text>'; ..."
Error bad_value(const std::filesystem::path& file, std::string_view what, std::string_view text);

// Reads an id column; a malformed stored id is Errc::corrupt.
template <typename Tag>
Result<hash::Id<Tag>> id_column(const Stmt& s, int col, const std::filesystem::path& file) {
  const std::string t = s.text(col);
  auto d = digest_from_hex(t);
  if (!d) return bad_value(file, "id", t);
  return hash::Id<Tag>{*d};
}
template <typename Tag>
Result<std::optional<hash::Id<Tag>>> opt_id_column(const Stmt& s, int col,
                                                   const std::filesystem::path& file) {
  if (s.is_null(col)) return std::optional<hash::Id<Tag>>{};
  CAIRN_TRY_ASSIGN(auto id, id_column<Tag>(s, col, file));
  return std::optional<hash::Id<Tag>>{id};
}

// The columns of a run row, from `at` on: id, tool, started_ns, ended_ns, exit_code, set_id,
// message, source, retention_class, duration_ms, files, bytes, bytes_new, bytes_stored
// (CAIRN_RUN_COLUMNS, a macro so that queries stay string literals for prepare()). Its
// transfers are not read (run_transfers).
#define CAIRN_RUN_COLUMNS                                                                 \
  "id, tool, started_ns, ended_ns, exit_code, set_id, message, source, retention_class, " \
  "duration_ms, files, bytes, bytes_new, bytes_stored"
Result<RunRecord> run_columns(const Stmt& s, int at, const std::filesystem::path& file);
// The columns destination, direction, bytes, duration_ms of a run_transfer row, from `at` on.
Result<TransferRecord> transfer_columns(const Stmt& s, int at, const std::filesystem::path& file);
// Every run `s` gives (CAIRN_RUN_COLUMNS from column 0), each with its transfers.
Result<std::vector<RunRecord>> read_runs(Connection& c, Stmt& s, std::string_view what);

}  // namespace cairn::catalog
