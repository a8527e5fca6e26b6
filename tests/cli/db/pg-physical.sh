#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Physical PostgreSQL backups with examples/postgres/cairn-pg-basebackup against the real
# server: pg_basebackup -Ft -X fetch -D - streamed through cairn-snap --tar - into the
# repository, restored with cairn-restore --to into a fresh data directory, started on another
# port: the database dumps exactly like the original. A drill restores it again and runs
# examples/postgres/cairn-pg-check-datadir (pg_verifybackup against the backup's manifest, a
# start, a query) as its application check. Prints the restore time.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_pg.sh
. "$CAIRN_CASE_DIR/_pg.sh"
need_pg
examples=$CAIRN_SOURCE_DIR/examples/postgres

make_repo
db=$(unique_name cairn_physical)
make_shop "$db" 100000
psql -qX -d "$db" -c "CHECKPOINT"
"$examples/cairn-pg-basebackup" >job.out 2>job.err || { cat job.err >&2; die "cairn-pg-basebackup failed"; }
grep -q "pg-base: set [0-9a-f]\{64\} committed" job.out || die "unexpected output: $(cat job.out)"
# the database as it was when the backup was taken (nothing writes to it afterwards)
db_dump "$db" >original.sql
files=$(ls_field "$(set_ids pg-base | tail -n 1)" files)
[ "$files" -gt 500 ] || die "the base backup set holds only $files files"
echo "base backup: committed, one entry per file of the data directory"

shared_dir
data=$shared/data
t0=$(date +%s%N)
cairn-restore pg-base@latest --to "$data"
restore_ms=$(ms_since "$t0")
[ -f "$data/backup_label" ] && [ -f "$data/backup_manifest" ] || die "no backup_label or backup_manifest in the restored directory"
port=$(free_port)
t1=$(date +%s%N)
cluster_start "$data" "$port" -c archive_mode=off
echo "restore time: cairn-restore --to $restore_ms ms, then PostgreSQL up in $(ms_since "$t1") ms"
db_dump "$db" "$port" >restored.sql
cmp -s original.sql restored.sql || { diff original.sql restored.sql | head -20 >&2; die "the restored cluster differs"; }
echo "restored data directory starts; the database dumps exactly like the original"
cluster_stop "$data"

mkdir -p "$shared/drills"
chmod 755 "$shared/drills"
CAIRN_PG_CHECK_SQL="SELECT count(*) FROM orders" CAIRN_PG_CHECK_DB=$db \
  cairn-verify --drill pg-base@latest --to "$shared/drills" --check "$examples/cairn-pg-check-datadir" \
  >drill.out 2>drill.err || { cat drill.out drill.err >&2; die "the drill failed"; }
grep -q ": ok, .*application check passed" drill.out || die "no passed check in: $(cat drill.out)"
grep -q "pg_verifybackup: every file and the WAL match the backup manifest" drill.err || die "pg_verifybackup did not run"
grep -q "SELECT count(\*) FROM orders: 100000" drill.err || die "the check query did not see the rows: $(cat drill.err)"
echo "drill with cairn-pg-check-datadir: pg_verifybackup, start and query passed"
