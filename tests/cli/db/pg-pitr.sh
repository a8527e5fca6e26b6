#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Point-in-time recovery with the files of examples/postgres, as an operator installs them, on
# clusters of its own (WAL archiving needs a restart, so not the shared server):
# - postgres.env, archive.conf and recovery.conf, with their paths pointed at scratch space
#   (the destination s3://dr-east/pg becomes a directory); every cairn process runs as the user
#   postgres, as archive_command does
# - the crontab's jobs, run as cron would: the nightly dump, the weekly base backup, the WAL
#   heartbeat, the freshness check and both monthly drills (with their application checks)
# - transactions A commit, the time is noted, transactions B commit, the WAL is switched and
#   archived; a fresh instance restored from the base backup recovers with cairn-wal-restore
#   to the noted time: A is there, B is not
# - archive_command failing (no passphrase) exits non-zero and PostgreSQL retries once the
#   repository works again; restore_command exits 1 for a file never archived and writes
#   nothing; a WAL file reads back from the destination alone; a write-only key archives
# Prints the restore and recovery times.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_pg.sh
. "$CAIRN_CASE_DIR/_pg.sh"
# shellcheck source=_cron.sh
. "$CAIRN_CASE_DIR/_cron.sh"
need_pg
examples=$CAIRN_SOURCE_DIR/examples/postgres

shared_dir
as_pg mkdir -p "$shared/offsite" "$shared/drills"
(umask 077 && printf 'pitr passphrase %s\n' "$RANDOM" >"$shared/passphrase")
is_root && chown postgres: "$shared/passphrase"
envf=$shared/postgres.env
sed -e "s|/var/backups/cairn-pg|$shared/repo|" -e "s|/var/lib/cairn/postgres.db|$shared/catalog.db|" \
    -e "s|/etc/cairn/pg-passphrase|$shared/passphrase|" -e "s|s3://dr-east/pg|$shared/offsite|" \
    -e "/AWS_SHARED_CREDENTIALS_FILE/d" -e "s|^PATH=/usr/local/bin:|PATH=$examples:${CAIRN_BIN:-/usr/local/bin}:/usr/local/bin:|" \
    "$examples/postgres.env" >"$envf"
grep -q "^CAIRN_REPO=$shared/repo$" "$envf" || die "postgres.env has no CAIRN_REPO line to point at scratch space"
# pgenv CMD...: CMD as the user postgres with the environment of postgres.env
pgenv() { as_pg env CAIRN_ENV_FILE="$envf" bash -c 'set -a && . "$CAIRN_ENV_FILE" && set +a && exec "$@"' pgenv "$@"; }
pgenv env CAIRN_TEST_FAST_KDF=1 cairn init --repo "$shared/repo" --passphrase-file "$shared/passphrase" >/dev/null 2>&1 \
  || die "cairn init as the user postgres failed"

# --- the primary, with archive.conf
port=$(free_port)
primary=$shared/primary
cluster_init "$primary"
sed "s|/usr/local/bin/cairn-wal-archive|CAIRN_ENV_FILE=$envf $examples/cairn-wal-archive|" "$examples/archive.conf" \
  >>"$primary/postgresql.conf"
grep -q "^archive_command = 'CAIRN_ENV_FILE=" "$primary/postgresql.conf" || die "archive.conf has no archive_command"
cluster_start "$primary" "$port"
export PGPORT=$port PGDATABASE=postgres
db=$(unique_name shop)
make_shop "$db" 20000
psql -qX -v ON_ERROR_STOP=1 -c "CREATE TABLE ledger(id serial PRIMARY KEY, phase text NOT NULL, at timestamptz DEFAULT clock_timestamp())"

# --- the crontab's jobs, as cron runs them: its environment lines, SHELL, the user field
cron_load "$examples/crontab" -e "s|/etc/cairn/postgres.env|$envf|g" -e "s|/usr/local/bin/|$examples/|g" \
  -e "s|PATH=/usr/local/bin:|PATH=$examples:${CAIRN_BIN:-/usr/local/bin}:/usr/local/bin:|" \
  -e "s|PGHOST=/var/run/postgresql|PGHOST=$shared|" -e "s|/var/tmp/cairn-drills|$shared/drills|g" -e "s/\bshop\b/$db/g"
# The test's stand-ins: the scripts' default env file (/etc/cairn/postgres.env) is $envf; the
# cluster listens on $port rather than 5432.
cron_env+=(CAIRN_ENV_FILE="$envf" PGPORT="$port")
cron_job cairn-pg-dump
cron_job cairn-pg-basebackup
cron_job cairn-heartbeat
echo "crontab: nightly dump, weekly base backup, WAL heartbeat"

# wait_archived SEGMENT: until pg_stat_archiver reports SEGMENT (or a later one) archived
wait_archived() {
  local i last
  for ((i = 0; i < 600; i++)); do
    last=$(psql -XAt -c "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
    [[ "$last" > "$1" || "$last" == "$1" ]] && return 0
    sleep 0.1
  done
  die "segment $1 was not archived in 60 s (last archived: '$last'); server log: $(tail -n 5 "$primary.log")"
}

psql -qX -v ON_ERROR_STOP=1 -c "INSERT INTO ledger(phase) SELECT 'A' FROM generate_series(1, 1000)"
target=$(psql -XAt -c "SELECT clock_timestamp()")
sleep 0.2
psql -qX -v ON_ERROR_STOP=1 -c "INSERT INTO ledger(phase) SELECT 'B' FROM generate_series(1, 1000)"
seg=$(psql -XAt -c "SELECT pg_walfile_name(pg_switch_wal())")
wait_archived "$seg"
echo "A committed, time noted, B committed, WAL switched and archived"

cron_job "max-age"
cron_job "drill pg-base"
grep -q "pg_verifybackup: every file and the WAL match" cron.err || die "the base backup drill did not run its check"
cron_job "drill pg-$db"
echo "crontab: WAL freshness check, base backup drill (started), dump drill (pg_restore --list)"

# --- archive_command failing: PostgreSQL keeps the segment and retries
mv "$shared/passphrase" "$shared/passphrase.away"
psql -qX -c "INSERT INTO ledger(phase) VALUES ('C')"
seg2=$(psql -XAt -c "SELECT pg_walfile_name(pg_switch_wal())")
for ((i = 0; i < 300; i++)); do
  [ "$(psql -XAt -c "SELECT failed_count FROM pg_stat_archiver")" -gt 0 ] && break
  sleep 0.1
done
assert_eq "$seg" "$(psql -XAt -c "SELECT last_archived_wal FROM pg_stat_archiver")" "last archived while failing"
[ -f "$primary/pg_wal/archive_status/$seg2.ready" ] || die "PostgreSQL did not keep $seg2 for a retry"
mv "$shared/passphrase.away" "$shared/passphrase"
seg3=$(psql -XAt -c "SELECT pg_walfile_name(pg_switch_wal())")   # wakes the archiver up
wait_archived "$seg3"
echo "archive_command failing: exit non-zero, segment kept, archived after the repair"
cluster_stop "$primary"

# the stored WAL: one set per file; a switched segment is 16 MiB of mostly zeros
pgenv cairn ls --json >ls.json
"$CAIRN_PY" - ls.json <<'PY' >wal.txt
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
wal = [r for r in rows if r["source"] == "pg-wal"]
print("wal sets:", len(wal) >= 3 and all(r["files"] == 1 for r in wal))
full = [r for r in wal if r["bytes_read"] == 16 * 1024 * 1024]
print("segment sets: %d, stored %s bytes" % (len(full), "/".join(str(r["bytes_stored"]) for r in full[:4])))
PY
grep -q "wal sets: True" wal.txt || die "expected three or more one-file pg-wal sets: $(cat ls.json)"
sed -n 's/^segment sets: .*, stored \(.*\) bytes$/WAL segment sets stored (bytes, of 16 MiB read): \1/p' wal.txt

# --- restore_command: a file never archived; a file from the destination alone
expect_exit 1 pgenv "$examples/cairn-wal-restore" 00000009000000000000FFFF "$shared/never"
[ ! -e "$shared/never" ] && [ ! -e "$shared/never.cairn-partial" ] || die "restore_command left a file behind"
grep -q "is not in the archive" last.stderr || die "unexpected message: $(cat last.stderr)"
echo "restore_command for a file never archived: exit 1, no file"
pgenv env CAIRN_RESTORE_FROM="$shared/offsite" "$examples/cairn-wal-restore" "$seg" "$shared/from-offsite" \
  || die "restore_command could not read $seg from the destination"
pgenv "$examples/cairn-wal-restore" "$seg" "$shared/from-local"
cmp -s "$shared/from-offsite" "$shared/from-local" || die "$seg differs between the destination and the repository"
echo "restore_command with CAIRN_RESTORE_FROM: the segment reads back from the destination alone"

# --- recovery into a fresh instance, with recovery.conf, to the noted time
recovered=$shared/recovered
t0=$(date +%s%N)
pgenv cairn-restore -q pg-base@latest --to "$recovered"
base_ms=$(ms_since "$t0")
touch "$recovered/recovery.signal"
sed -e "s|/usr/local/bin/cairn-wal-restore|CAIRN_ENV_FILE=$envf $examples/cairn-wal-restore|" \
    -e "s|^recovery_target_time = .*|recovery_target_time = '$target'|" \
    "$examples/recovery.conf" >>"$recovered/postgresql.auto.conf"
grep -q "^recovery_target_time = '$target'$" "$recovered/postgresql.auto.conf" || die "recovery.conf has no recovery_target_time"
port2=$(free_port)
t1=$(date +%s%N)
cluster_start "$recovered" "$port2" -c archive_mode=off
export PGPORT=$port2
for ((i = 0; i < 1200; i++)); do
  [ "$(psql -XAt -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ] && break
  sleep 0.1
done
assert_eq f "$(psql -XAt -c "SELECT pg_is_in_recovery()")" "in recovery after 120 s"
replay_ms=$(ms_since "$t1")
fetched=$(grep -c 'restored log file ".*" from archive' "$recovered.log" || true)
[ "$fetched" -ge 1 ] || die "recovery fetched no WAL file through restore_command"
echo "restore time: base backup $base_ms ms, WAL replay to the target and promotion $replay_ms ms ($fetched WAL files fetched by restore_command)"
grep -q "recovery stopping before commit of transaction" "$recovered.log" \
  || die "the server log does not show recovery stopping at the target: $(grep -i recovery "$recovered.log" | tail -n 5)"
assert_eq 1000 "$(psql -XAt -c "SELECT count(*) FROM ledger WHERE phase = 'A'")" "rows of A"
assert_eq 0 "$(psql -XAt -c "SELECT count(*) FROM ledger WHERE phase <> 'A'")" "rows of B and C"
echo "recovered to the noted time: A present (1000 rows), B absent"
cluster_stop "$recovered"

# --- a database host with a write-only key archives; the full key restores what it archived
(umask 077 && printf 'write-only %s\n' "$RANDOM" >"$shared/wo.pass")
is_root && chown postgres: "$shared/wo.pass"
pgenv cairn key export --write-only --new-passphrase-file "$shared/wo.pass" "$shared/wo.key" 2>/dev/null
wo_env=$shared/wo.env
{ cat "$envf"; echo "CAIRN_KEY_FILE=$shared/wo.key"; echo "CAIRN_PASSPHRASE_FILE=$shared/wo.pass"; echo "CAIRN_DESTINATIONS="; } >"$wo_env"
cp "$shared/from-local" "$shared/000000010000000000000099"
is_root && chown postgres: "$shared/000000010000000000000099"
as_pg env CAIRN_ENV_FILE="$wo_env" "$examples/cairn-wal-archive" "$shared/000000010000000000000099" 000000010000000000000099 \
  || die "cairn-wal-archive with a write-only key failed"
expect_exit 12 as_pg env CAIRN_ENV_FILE="$wo_env" "$examples/cairn-wal-restore" 000000010000000000000099 "$shared/wo.out"
expect_stderr 'this key is write-only'
pgenv "$examples/cairn-wal-restore" 000000010000000000000099 "$shared/full.out"
cmp -s "$shared/full.out" "$shared/from-local" || die "the file archived with the write-only key reads back different"
echo "write-only key: archives (and cannot restore); the full key restores what it archived"
