// lib/catalog/catalog.cpp: opening, integrity check, migrations, transactions and locations.
#include "catalog/catalog.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <system_error>

#include <fmt/format.h>

#include "base/bytes.hpp"
#include "catalog/sqlite.hpp"

namespace cairn::catalog {
namespace {

// index + 1 == PRAGMA user_version. Never edit a shipped entry: append a new one, and
// document it in cairn-catalog(5) with a frozen fixture under tests/data/catalogs/.
constexpr std::array<const char*, 8> kMigrations = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE meta(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE backup_set(
  id              TEXT PRIMARY KEY CHECK(length(id) = 64 AND id NOT GLOB '*[^0-9a-f]*'),
  seq             INTEGER NOT NULL CHECK(seq >= 0),
  source          TEXT NOT NULL,
  host            TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK(kind IN ('full', 'differential', 'incremental')),
  parent          TEXT CHECK(parent IS NULL OR (length(parent) = 64 AND parent NOT GLOB '*[^0-9a-f]*')),
  retention_class TEXT NOT NULL,
  legal_hold      INTEGER NOT NULL DEFAULT 0 CHECK(legal_hold IN (0, 1)),
  hold_reason     TEXT NOT NULL DEFAULT '',
  started_ns      INTEGER NOT NULL,
  ended_ns        INTEGER NOT NULL,
  status          TEXT NOT NULL DEFAULT 'committed'
                  CHECK(status IN ('committed', 'pruned', 'damaged')),
  files           INTEGER NOT NULL DEFAULT 0,
  bytes_read      INTEGER NOT NULL DEFAULT 0,
  bytes_new       INTEGER NOT NULL DEFAULT 0,
  bytes_stored    INTEGER NOT NULL DEFAULT 0,
  duration_ms     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX backup_set_source_time ON backup_set(source, started_ns, seq);
CREATE INDEX backup_set_time ON backup_set(started_ns, seq);

CREATE TABLE set_pack(
  set_id  TEXT NOT NULL REFERENCES backup_set(id) ON DELETE CASCADE,
  pack_id TEXT NOT NULL CHECK(length(pack_id) = 64 AND pack_id NOT GLOB '*[^0-9a-f]*'),
  PRIMARY KEY(set_id, pack_id)
) WITHOUT ROWID;
CREATE INDEX set_pack_pack ON set_pack(pack_id);

CREATE TABLE placement(
  set_id         TEXT NOT NULL REFERENCES backup_set(id) ON DELETE CASCADE,
  destination    TEXT NOT NULL,
  pushed_at_ns   INTEGER,
  verified_at_ns INTEGER,
  PRIMARY KEY(set_id, destination)
) WITHOUT ROWID;

CREATE TABLE run(
  id         INTEGER PRIMARY KEY,
  tool       TEXT NOT NULL,
  started_ns INTEGER NOT NULL,
  ended_ns   INTEGER,
  exit_code  INTEGER,
  set_id     TEXT,
  message    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX run_started ON run(started_ns);

CREATE TABLE verify(
  id          INTEGER PRIMARY KEY,
  set_id      TEXT,
  target      TEXT NOT NULL DEFAULT '',
  kind        TEXT NOT NULL CHECK(kind IN ('structure', 'read-data', 'drill')),
  started_ns  INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  ok          INTEGER NOT NULL CHECK(ok IN (0, 1)),
  detail      TEXT NOT NULL DEFAULT '',
  restore_ms  INTEGER
);
CREATE INDEX verify_set ON verify(set_id, started_ns);

CREATE TABLE audit(
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ns   INTEGER NOT NULL,
  user    TEXT NOT NULL,
  host    TEXT NOT NULL,
  command TEXT NOT NULL,
  outcome TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql",
    // 2: runs name the source and class they backed up (cairn status: success rate per
    // source and class). Older runs get ''.
    R"sql(
ALTER TABLE run ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE run ADD COLUMN retention_class TEXT NOT NULL DEFAULT '';
CREATE INDEX run_source ON run(source, retention_class, started_ns);
)sql",
    // 3: when the catalog first recorded each set (freshness is judged from the earlier of
    // that and the time the set claims). Rows already there get the time of the migration.
    R"sql(
ALTER TABLE backup_set ADD COLUMN first_seen_ns INTEGER;
UPDATE backup_set SET first_seen_ns = CAST(strftime('%s', 'now') AS INTEGER) * 1000000000;
)sql",
    // 4: which set objects each place held when a tool last listed it: the repository's own
    // location or a destination URL (the catalog follows the repository; a replica and its
    // origin never mix). Older catalogs start with none: the next open lists them.
    R"sql(
CREATE TABLE set_seen(
  target  TEXT NOT NULL,
  set_id  TEXT NOT NULL CHECK(length(set_id) = 64 AND set_id NOT GLOB '*[^0-9a-f]*'),
  seen_ns INTEGER NOT NULL,
  PRIMARY KEY(target, set_id)
) WITHOUT ROWID;
)sql",
    // 5: the tags of each set (the set object's, with the tag records applied), sorted and
    // joined by ','. Older rows get none: 'cairn catalog rebuild' reads them from the repository.
    R"sql(
ALTER TABLE backup_set ADD COLUMN tags TEXT NOT NULL DEFAULT '';
)sql",
    // 6: what alerting remembers between runs (cairn(7) NOTIFICATIONS): per alert key (a
    // source's runs of a tool, or one objective) the failures in a row, since when, whether
    // the routed targets were told and when the escalation targets were, so that a cron job
    // pages once per incident and sends one "resolved".
    R"sql(
CREATE TABLE alert_state(
  key          TEXT PRIMARY KEY,
  failures     INTEGER NOT NULL CHECK(failures >= 0),
  since_ns     INTEGER NOT NULL,
  escalated_ns INTEGER,
  severity     TEXT NOT NULL CHECK(severity IN ('critical', 'warning', 'info')),
  alerted      INTEGER NOT NULL CHECK(alerted IN (0, 1)),
  updated_ns   INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 7: what each finished run measured (its closing summary: duration by the steady clock,
    // items, bytes, and a set's new and stored bytes), and what it moved to or from each
    // destination (cairn-push, cairn-restore --from). Older runs have none (NULL).
    R"sql(
ALTER TABLE run ADD COLUMN duration_ms INTEGER CHECK(duration_ms >= 0);
ALTER TABLE run ADD COLUMN files INTEGER CHECK(files >= 0);
ALTER TABLE run ADD COLUMN bytes INTEGER CHECK(bytes >= 0);
ALTER TABLE run ADD COLUMN bytes_new INTEGER CHECK(bytes_new >= 0);
ALTER TABLE run ADD COLUMN bytes_stored INTEGER CHECK(bytes_stored >= 0);
CREATE TABLE run_transfer(
  run_id      INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
  destination TEXT NOT NULL,
  direction   TEXT NOT NULL CHECK(direction IN ('push', 'restore')),
  bytes       INTEGER NOT NULL CHECK(bytes >= 0),
  duration_ms INTEGER NOT NULL CHECK(duration_ms >= 0),
  PRIMARY KEY(run_id, destination, direction)
) WITHOUT ROWID;
CREATE INDEX run_transfer_destination ON run_transfer(destination, direction);
)sql",
    // 8: the free space each destination's storage reported at the end of the newest push
    // that could measure it (a local directory's or an SFTP server's file system), for the
    // capacity of `cairn status`, which reads no remote storage. One row a destination.
    R"sql(
CREATE TABLE destination_space(
  destination TEXT PRIMARY KEY,
  size        INTEGER NOT NULL CHECK(size >= 0),
  used        INTEGER NOT NULL CHECK(used >= 0),
  avail       INTEGER NOT NULL CHECK(avail >= 0),
  measured_ns INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
};

std::string corrupt_message(const std::filesystem::path& file, std::string_view detail) {
  return fmt::format("catalog '{}' is corrupt: {}; move it aside and run 'cairn catalog rebuild'",
                     file.string(), detail);
}

// The OS said there is no room on the catalog's file system (or it cannot be written at all).
bool no_room(sqlite3* db) {
  if (!db) return false;
  const int e = sqlite3_system_errno(db);
  return e == ENOSPC || e == EDQUOT || e == EROFS || (sqlite3_errcode(db) & 0xff) == SQLITE_FULL;
}

// An SQLite URI naming `file` (RFC 3986 escapes for what a URI would read otherwise).
std::string file_uri(const std::filesystem::path& file, std::string_view query) {
  std::string out = "file:";
  for (const char ch : file.string()) {
    if (ch == '%' || ch == '?' || ch == '#')
      out += fmt::format("%{:02X}", static_cast<unsigned char>(ch));
    else
      out.push_back(ch);
  }
  out += "?";
  out += query;
  return out;
}

bool is_damage(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

// mkdir -p with mode 0700 for the directories it creates.
Status make_parents(const std::filesystem::path& dir) {
  if (dir.empty()) return {};
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return {};
  CAIRN_TRY(make_parents(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return errno_error(errno, fmt::format("cannot create directory '{}'", dir.string()));
  return {};
}

// Creates the file with mode 0600 before SQLite sees it: SQLite would use 0644, and its
// -wal and -shm files copy the mode of the database file.
Status create_private(const std::filesystem::path& file) {
  CAIRN_TRY(make_parents(file.parent_path()));
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return {};  // another process won the race; fine
    return errno_error(errno, fmt::format("cannot create catalog '{}'", file.string()));
  }
  ::close(fd);
  return {};
}

// A single-value query (PRAGMA or SELECT), as text.
Result<std::optional<std::string>> query_text(Connection& c, const char* sql,
                                              std::string_view what) {
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare(sql));
  CAIRN_TRY_ASSIGN(bool row, s.step(what));
  if (!row || s.is_null(0)) return std::optional<std::string>{};
  return std::optional<std::string>{s.text(0)};
}

Result<std::int64_t> query_int(Connection& c, const char* sql, std::string_view what) {
  CAIRN_TRY_ASSIGN(Stmt s, c.prepare(sql));
  CAIRN_TRY_ASSIGN(bool row, s.step(what));
  return row ? s.int64(0) : 0;
}

// PRAGMA quick_check: b-tree structure, record formats, NOT NULL/CHECK constraints; O(size).
Status integrity(Connection& c) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(c.db.get(), "PRAGMA quick_check(5)", -1, &raw, nullptr);
  SqlStmt st{raw};
  if (rc != SQLITE_OK) return c.error(rc, "cannot check integrity");
  std::string detail;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
    const std::string line = t ? t : "";
    if (line == "ok") continue;
    if (!detail.empty()) detail += "; ";
    detail += line;
  }
  if (rc != SQLITE_DONE) return c.error(rc, "cannot check integrity");
  if (!detail.empty()) return Error{Errc::corrupt, corrupt_message(c.file, detail)};
  return {};
}

Status migrate(Connection& c, const std::string& repo_id_hex) {
  const int known = static_cast<int>(kMigrations.size());
  CAIRN_TRY_ASSIGN(std::int64_t have,
                   query_int(c, "PRAGMA user_version", "cannot read schema version"));
  if (have > known)
    return Error{
        Errc::unsupported_format,
        fmt::format("catalog '{}' has schema version {}, this cairn knows versions up to {}; "
                    "upgrade cairn, or use --catalog to choose another catalog",
                    c.file.string(), have, known)};
  if (have < known) {
    CAIRN_TRY(c.exec("BEGIN IMMEDIATE", "cannot start migration"));
    struct Rollback {
      Connection& c;
      bool armed = true;
      ~Rollback() {
        if (armed) sqlite3_exec(c.db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      }
    } guard{c};
    // Re-read under the write lock: another process may have migrated meanwhile.
    CAIRN_TRY_ASSIGN(have, query_int(c, "PRAGMA user_version", "cannot read schema version"));
    if (have == 0) {
      CAIRN_TRY_ASSIGN(std::int64_t objects,
                       query_int(c, "SELECT count(*) FROM sqlite_schema", "cannot read schema"));
      if (objects != 0)
        return Error{Errc::bad_input,
                     fmt::format("'{}' is an SQLite database but not a cairn catalog; "
                                 "use --catalog to choose another file",
                                 c.file.string())};
    }
    const std::int64_t from = have;
    for (std::int64_t v = have; v < known; ++v)
      CAIRN_TRY(c.exec(kMigrations[static_cast<std::size_t>(v)],
                       fmt::format("cannot migrate to schema version {}", v + 1)));
    if (from == 0) {
      CAIRN_TRY_ASSIGN(Stmt s,
                       c.prepare("INSERT INTO meta(key, value) VALUES ('repository_id', ?1)"));
      s.bind_text(1, repo_id_hex);
      CAIRN_TRY(s.run("cannot record the repository id"));
    }
    // PRAGMA takes no parameters; the value is our own integer.
    const std::string set_version = fmt::format("PRAGMA user_version = {}", known);
    if (const int rc = sqlite3_exec(c.db.get(), set_version.c_str(), nullptr, nullptr, nullptr);
        rc != SQLITE_OK)
      return c.error(rc, "cannot set schema version");
    CAIRN_TRY(c.exec("COMMIT", "cannot commit migration"));
    guard.armed = false;
  }
  CAIRN_TRY_ASSIGN(auto owner, query_text(c, "SELECT value FROM meta WHERE key = 'repository_id'",
                                          "cannot read the repository id"));
  if (!owner)
    return Error{Errc::corrupt, corrupt_message(c.file, "no repository id in table meta")};
  if (*owner != repo_id_hex)
    return Error{Errc::bad_input, fmt::format("catalog '{}' belongs to repository {}, not {}; "
                                              "use --catalog to choose another",
                                              c.file.string(), *owner, repo_id_hex)};
  return {};
}

}  // namespace

int schema_version() { return static_cast<int>(kMigrations.size()); }

// --- text forms ---------------------------------------------------------------------------

std::string_view to_string(SetStatus s) {
  switch (s) {
    case SetStatus::committed: return "committed";
    case SetStatus::pruned: return "pruned";
    case SetStatus::damaged: return "damaged";
  }
  return "committed";
}
std::string_view to_string(VerifyKind k) {
  switch (k) {
    case VerifyKind::structure: return "structure";
    case VerifyKind::read_data: return "read-data";
    case VerifyKind::drill: return "drill";
  }
  return "structure";
}
std::string_view to_string(Direction d) { return d == Direction::restore ? "restore" : "push"; }
std::optional<Direction> parse_direction(std::string_view s) {
  for (auto d : {Direction::push, Direction::restore})
    if (to_string(d) == s) return d;
  return std::nullopt;
}
std::optional<SetStatus> parse_set_status(std::string_view s) {
  for (auto k : {SetStatus::committed, SetStatus::pruned, SetStatus::damaged})
    if (to_string(k) == s) return k;
  return std::nullopt;
}
std::optional<VerifyKind> parse_verify_kind(std::string_view s) {
  for (auto k : {VerifyKind::structure, VerifyKind::read_data, VerifyKind::drill})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

// --- location -----------------------------------------------------------------------------

Result<std::filesystem::path> locate(const std::optional<std::filesystem::path>& flag,
                                     std::string_view repo_id_hex, const GetEnv& getenv) {
  if (flag && !flag->empty()) return *flag;
  if (auto v = getenv("CAIRN_CATALOG"); v && !v->empty()) return std::filesystem::path(*v);
  if (repo_id_hex.empty())
    return Error{Errc::usage, "cannot name the default catalog without a repository id"};
  std::filesystem::path state;
  if (auto x = getenv("XDG_STATE_HOME"); x && !x->empty() && (*x)[0] == '/') {
    state = *x;  // the XDG spec says relative values are invalid and must be ignored
  } else if (auto home = getenv("HOME"); home && !home->empty()) {
    state = std::filesystem::path(*home) / ".local" / "state";
  } else {
    return Error{Errc::usage,
                 "cannot find the catalog: HOME is not set; use --catalog or CAIRN_CATALOG"};
  }
  return state / "cairn" / (std::string(repo_id_hex) + ".db");
}

// --- Connection and Stmt ------------------------------------------------------------------

Result<Stmt> Connection::prepare(const char* sql) {
  auto it = cache.find(sql);
  if (it == cache.end()) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    SqlStmt owned{raw};
    if (rc != SQLITE_OK) return error(rc, "cannot prepare a query");
    it = cache.emplace(sql, std::move(owned)).first;
  }
  return Stmt{*this, it->second.get()};
}

Status Connection::exec(const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(rc, what);
  return {};
}

Error Connection::error(int rc, std::string_view what) {
  last_rc = rc;
  const std::string detail = db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error{Errc::locked,
                   fmt::format("catalog '{}' is busy: another process holds it ({}): {}",
                               file.string(), what, detail)};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Error{Errc::corrupt, corrupt_message(file, detail)};
    case SQLITE_FULL:
    case SQLITE_IOERR:
      if (no_room(db.get()))
        return Error{Errc::io,
                     fmt::format("catalog '{}': {}: the disk is full (no room on its file "
                                 "system): free some space there",
                                 file.string(), what)};
      return Error{Errc::io, fmt::format("catalog '{}': {}: {}", file.string(), what, detail)};
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
      return Error{Errc::io, fmt::format("catalog '{}': {}: {}", file.string(), what, detail)};
    case SQLITE_CONSTRAINT:
      return Error{Errc::bad_input,
                   fmt::format("catalog '{}': {}: {}", file.string(), what, detail)};
    default:
      return Error{Errc::internal,
                   fmt::format("catalog '{}': {}: {}", file.string(), what, detail)};
  }
}

Result<bool> Stmt::step(std::string_view what) {
  if (bind_rc_ != SQLITE_OK) return c_->error(bind_rc_, what);
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return c_->error(rc, what);
}

Status Stmt::run(std::string_view what) {
  for (;;) {
    CAIRN_TRY_ASSIGN(bool row, step(what));
    if (!row) return {};
  }
}

std::string Stmt::text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  const int n = sqlite3_column_bytes(s_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

std::optional<hash::Digest> digest_from_hex(std::string_view s) {
  if (s.size() != 2 * hash::kDigestSize) return std::nullopt;
  auto b = from_hex(s);
  if (!b) return std::nullopt;
  hash::Digest d;
  std::copy(b->begin(), b->end(), d.b.begin());
  return d;
}

Error bad_value(const std::filesystem::path& file, std::string_view what, std::string_view text) {
  return Error{Errc::corrupt, corrupt_message(file, fmt::format("malformed {} '{}'", what, text))};
}

namespace {

// An SQLite connection to `file` (opened by `name`: the path, or a URI with `flags`).
Result<std::unique_ptr<Connection>> connect(const std::filesystem::path& file, const OpenOptions& o,
                                            const std::string& name, int flags) {
  auto conn = std::make_unique<Connection>();
  conn->file = file;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  conn->db.reset(raw);  // owned before rc is inspected: open allocates even when it fails
  if (rc != SQLITE_OK) {
    if (is_damage(rc)) return conn->error(rc, "cannot open");
    return Error{Errc::io, fmt::format("cannot open catalog '{}': {}", file.string(),
                                       raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc))};
  }
  Connection& c = *conn;
  sqlite3_extended_result_codes(c.db.get(), 1);
  sqlite3_busy_timeout(c.db.get(), static_cast<int>(o.busy_timeout.count()));
  // No writable sqlite_schema, no shadow-table tricks, no functions in schema that a crafted
  // file could use against us.
  sqlite3_db_config(c.db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(c.db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  return conn;
}

// The checks and settings of every open: integrity, WAL, durability, migrations, owner. A
// read-only connection changes nothing: no journal mode (an immutable file reports none).
Status prepare(Connection& c, const std::string& repo_id_hex, bool read_only = false) {
  CAIRN_TRY(integrity(c));
  if (read_only) return migrate(c, repo_id_hex);
  CAIRN_TRY_ASSIGN(auto mode, query_text(c, "PRAGMA journal_mode = WAL", "cannot enable WAL"));
  if (!mode || *mode != "wal")
    return Error{Errc::io, fmt::format("catalog '{}' cannot use WAL mode (journal mode is '{}'); "
                                       "is it on a network file system?",
                                       c.file.string(), mode.value_or(""))};
  CAIRN_TRY(c.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                   "cannot set durability options"));
  return migrate(c, repo_id_hex);
}

}  // namespace

// --- Catalog ------------------------------------------------------------------------------

Catalog::Catalog(std::unique_ptr<Connection> c) : conn_(std::move(c)) {}
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;
Catalog::~Catalog() = default;

const std::filesystem::path& Catalog::file() const { return conn_->file; }
const std::string& Catalog::read_only() const { return conn_->read_only; }

Result<Catalog> Catalog::open(const std::filesystem::path& file, const std::string& repo_id_hex,
                              const OpenOptions& o) {
  if (repo_id_hex.empty()) return Error{Errc::usage, "opening a catalog needs a repository id"};
  std::error_code ec;
  const bool exists = std::filesystem::exists(file, ec);
  if (!exists) {
    if (!o.create)
      return Error{Errc::not_found,
                   fmt::format("catalog '{}' does not exist; run 'cairn catalog rebuild' to "
                               "recreate it from the repository",
                               file.string())};
    // A leftover WAL would be replayed into the new, empty file.
    const std::filesystem::path wal = file.string() + "-wal";
    if (std::filesystem::exists(wal, ec))
      return Error{Errc::exists,
                   fmt::format("catalog '{}' is missing but '{}' is still there; move it aside "
                               "(it belongs to the old catalog) and run 'cairn catalog rebuild'",
                               file.string(), wal.string())};
    CAIRN_TRY(create_private(file));
  }

  auto conn = connect(file, o, file.string(), SQLITE_OPEN_READWRITE);
  if (!conn) return std::move(conn).error();
  if (Status st = prepare(**conn, repo_id_hex); !st) {
    if (st.error().code != Errc::io || !no_room((*conn)->db.get())) return std::move(st).error();
    // A full file system: read what is there. SQLite reads a WAL catalog read-only when its
    // -shm and -wal files exist, else only as immutable, which is exact when no -wal is left.
    std::error_code wal_ec;
    const auto wal_size = std::filesystem::file_size(file.string() + "-wal", wal_ec);
    const bool wal_empty = wal_ec || wal_size == 0;
    auto ro = connect(file, o, file_uri(file, "mode=ro"), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
    if (ro && !prepare(**ro, repo_id_hex, true)) ro = Error{Errc::io, ""};
    if (!ro && wal_empty) {
      ro = connect(file, o, file_uri(file, "immutable=1"), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
      if (ro && !prepare(**ro, repo_id_hex, true)) ro = Error{Errc::io, ""};
    }
    if (!ro) return std::move(st).error();
    conn = std::move(ro);
    (*conn)->read_only = "the disk is full (no room on its file system)";
  }
  return Catalog{std::move(*conn)};
}

Result<Transaction> Catalog::begin() {
  if (conn_->in_transaction)
    return Error{Errc::internal,
                 fmt::format("catalog '{}': a transaction is already open", conn_->file.string())};
  CAIRN_TRY(conn_->exec("BEGIN IMMEDIATE", "cannot start a transaction"));
  conn_->in_transaction = true;
  return Transaction{conn_.get()};
}

// --- Transaction --------------------------------------------------------------------------

Transaction::Transaction(Transaction&& o) noexcept : conn_(std::exchange(o.conn_, nullptr)) {}

Transaction::~Transaction() {
  if (!conn_) return;
  // Cleanup after an error or early return: nothing here may make a change durable.
  sqlite3_exec(conn_->db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  conn_->in_transaction = false;
}

Status Transaction::commit() {
  if (!conn_) return Error{Errc::internal, "catalog transaction already finished"};
  Connection* c = conn_;
  const int rc = sqlite3_exec(c->db.get(), "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    // BUSY on COMMIT leaves the transaction open; the destructor rolls it back.
    return c->error(rc, "cannot commit");
  }
  conn_ = nullptr;
  c->in_transaction = false;
  return {};
}

}  // namespace cairn::catalog
