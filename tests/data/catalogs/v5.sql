-- tests/data/catalogs/v5.sql: a frozen catalog of schema version 5 (cairn-catalog(5)),
-- as version 5 wrote it: v4.sql (v3.sql, migration 4 and a listing), then migration 5 (tags)
-- with one tagged set and one more finished run of a source. Never edit it:
-- the unit tests (tests/unit/catalog/status_test.cpp) load it and check that opening migrates
-- it forward with nothing lost. The repository id is 64 'a's.
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

INSERT INTO meta(key, value) VALUES ('repository_id', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
INSERT INTO backup_set(id, seq, source, host, kind, parent, retention_class, legal_hold, hold_reason,
  started_ns, ended_ns, status, files, bytes_read, bytes_new, bytes_stored, duration_ms)
  VALUES ('0111111111111111111111111111111111111111111111111111111111111111', 1, 'app', 'db1', 'full', NULL, 'daily', 0, '', 1700000000000000000,
          1700000005000000000, 'committed', 3, 1000, 400, 200, 5000);
INSERT INTO backup_set(id, seq, source, host, kind, parent, retention_class, legal_hold, hold_reason,
  started_ns, ended_ns, status, files, bytes_read, bytes_new, bytes_stored, duration_ms)
  VALUES ('0211111111111111111111111111111111111111111111111111111111111111', 2, 'app', 'db1', 'incremental', '0111111111111111111111111111111111111111111111111111111111111111', 'daily', 1, 'case 42',
          1700086400000000000, 1700086402000000000, 'committed', 3, 1100, 50, 30, 2000);
INSERT INTO set_pack(set_id, pack_id) VALUES ('0111111111111111111111111111111111111111111111111111111111111111', '3333333333333333333333333333333333333333333333333333333333333333');
INSERT INTO set_pack(set_id, pack_id) VALUES ('0211111111111111111111111111111111111111111111111111111111111111', '3333333333333333333333333333333333333333333333333333333333333333');
INSERT INTO placement(set_id, destination, pushed_at_ns, verified_at_ns)
  VALUES ('0211111111111111111111111111111111111111111111111111111111111111', 's3://dr-east/app', 1700086500000000000, NULL);
INSERT INTO run(id, tool, started_ns, ended_ns, exit_code, set_id, message)
  VALUES (1, 'cairn-pack', 1700086400000000000, 1700086402000000000, 0, '0211111111111111111111111111111111111111111111111111111111111111', 'ok');
INSERT INTO run(id, tool, started_ns, ended_ns, exit_code, set_id, message)
  VALUES (2, 'cairn-pack', 1700090000000000000, NULL, NULL, NULL, '');
INSERT INTO verify(id, set_id, target, kind, started_ns, duration_ms, ok, detail, restore_ms)
  VALUES (1, '0211111111111111111111111111111111111111111111111111111111111111', '', 'drill', 1700087000000000000, 1500, 1, '3 files, 1100 bytes', 1200);
INSERT INTO audit(at_ns, user, host, command, outcome)
  VALUES (1700086400000000000, 'root', 'db1', 'cairn hold 021111111111 --reason case 42', 'ok');
ALTER TABLE run ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE run ADD COLUMN retention_class TEXT NOT NULL DEFAULT '';
CREATE INDEX run_source ON run(source, retention_class, started_ns);
INSERT INTO backup_set(id, seq, source, host, kind, parent, retention_class, legal_hold, hold_reason,
  started_ns, ended_ns, status, files, bytes_read, bytes_new, bytes_stored, duration_ms)
  VALUES ('0311111111111111111111111111111111111111111111111111111111111111', 3, 'app', 'db1', 'incremental', '0211111111111111111111111111111111111111111111111111111111111111', 'daily', 0, '',
          4000000000000000000, 4000000000000000001, 'committed', 3, 1100, 50, 30, 0);
ALTER TABLE backup_set ADD COLUMN first_seen_ns INTEGER;
UPDATE backup_set SET first_seen_ns = 1700090000000000000;
INSERT INTO backup_set(id, seq, source, host, kind, parent, retention_class, legal_hold, hold_reason,
  started_ns, ended_ns, status, files, bytes_read, bytes_new, bytes_stored, duration_ms, first_seen_ns)
  VALUES ('0411111111111111111111111111111111111111111111111111111111111111', 4, 'db', 'db1', 'full', NULL, 'daily', 0, '',
          1700000000000000000, 1700000001000000000, 'pruned', 1, 10, 10, 10, 1000, 1700000002000000000);
CREATE TABLE set_seen(
  target  TEXT NOT NULL,
  set_id  TEXT NOT NULL CHECK(length(set_id) = 64 AND set_id NOT GLOB '*[^0-9a-f]*'),
  seen_ns INTEGER NOT NULL,
  PRIMARY KEY(target, set_id)
) WITHOUT ROWID;
INSERT INTO set_seen(target, set_id, seen_ns)
  VALUES ('/srv/repo', '0211111111111111111111111111111111111111111111111111111111111111', 1700090000000000000);
ALTER TABLE backup_set ADD COLUMN tags TEXT NOT NULL DEFAULT '';
UPDATE backup_set SET tags = 'gold,monthly' WHERE id = '0211111111111111111111111111111111111111111111111111111111111111';
INSERT INTO run(id, tool, started_ns, ended_ns, exit_code, set_id, message, source, retention_class)
  VALUES (3, 'cairn-pack', 1700095000000000000, 1700095004000000000, 0, '0311111111111111111111111111111111111111111111111111111111111111', 'ok', 'app', 'daily');
PRAGMA user_version = 5;
