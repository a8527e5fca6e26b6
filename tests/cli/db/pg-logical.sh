#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Logical PostgreSQL backups with examples/postgres/cairn-pg-dump against the real server:
# pg_dump -Fc -Z0 and -Fp streamed through cairn-snap --stdin into the repository, restored
# with cairn-restore --stdout into pg_restore / psql in a new database, which must dump exactly
# like the original. A drill runs `pg_restore --list` on the restored dump (and a failing check
# fails the drill, exit 4). A pg_dump that fails half way, or before writing anything, commits
# nothing. Prints the restore times.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_pg.sh
. "$CAIRN_CASE_DIR/_pg.sh"
need_pg
examples=$CAIRN_SOURCE_DIR/examples/postgres

make_repo
db=$(unique_name cairn_logical)
make_shop "$db" 200000
db_dump "$db" >original.sql

# --- custom format (the default): pg_dump -Fc -Z0 | cairn-snap --stdin DB.dump | cairn-pack
"$examples/cairn-pg-dump" "$db" >job.out 2>job.err || { cat job.err >&2; die "cairn-pg-dump failed"; }
grep -q "pg-$db: set [0-9a-f]\{64\} committed ($db.dump)" job.out || die "unexpected output: $(cat job.out)"
echo "custom dump: committed"

restored=${db}_restored
createdb "$restored"
_pg_dbs+=("$restored")
t0=$(date +%s%N)
cairn-restore "pg-$db@latest" --stdout "$db.dump" | pg_restore --exit-on-error -d "$restored"
echo "restore time (cairn-restore --stdout | pg_restore, 200000 orders): $(ms_since "$t0") ms"
db_dump "$restored" >restored.sql
cmp -s original.sql restored.sql || { diff original.sql restored.sql | head -20 >&2; die "the restored database differs"; }
echo "custom dump: the restored database dumps exactly like the original"

# --- a restore drill with an application check, and one whose check fails
cairn-verify --drill "pg-$db@latest" --check "pg_restore --list '$db.dump' >/dev/null" >drill.out \
  || { cat drill.out >&2; die "the drill failed"; }
grep -q ": ok, 1 file, .*application check passed" drill.out || die "no passed check in: $(cat drill.out)"
echo "drill with pg_restore --list: ok"
printf 'not a dump\n' >fake.dump
expect_exit 4 cairn-verify --drill "pg-$db@latest" --check "pg_restore --list '$PWD/fake.dump'"
expect_stderr '^cairn-verify: error: damage found: '
grep -q "failed: the check 'pg_restore --list .*' failed with exit status 1" last.stdout \
  || die "the failed check is not reported: $(cat last.stdout)"
echo "drill with a failing check: exit 4"

# --- plain format: pg_dump -Fp | ... | psql
"$examples/cairn-pg-dump" --format plain "$db" >job.out 2>job.err || { cat job.err >&2; die "cairn-pg-dump --format plain failed"; }
plain=${db}_plain
createdb "$plain"
_pg_dbs+=("$plain")
t0=$(date +%s%N)
cairn-restore "pg-$db@latest" --stdout "$db.sql" | psql -qX -v ON_ERROR_STOP=1 -d "$plain" >/dev/null
echo "restore time (cairn-restore --stdout | psql, 200000 orders): $(ms_since "$t0") ms"
db_dump "$plain" | cmp -s original.sql - || die "the database restored from the plain dump differs"
echo "plain dump: the restored database dumps exactly like the original"

# --- pg_dump failing: a stand-in pg_dump on PATH writes 3 MB of the real dump, then fails
sets_before=$(set_ids | wc -l)
mkdir -p fakebin
cat >fakebin/pg_dump <<EOF
#!/bin/bash
$(command -v pg_dump) "\$@" | head -c 3000000
exit 1
EOF
chmod +x fakebin/pg_dump
expect_exit 1 env PATH="$PWD/fakebin:$PATH" "$examples/cairn-pg-dump" "$db"
grep -q "nothing committed" last.stderr || die "no 'nothing committed' in: $(cat last.stderr)"
expect_exit 1 "$examples/cairn-pg-dump" "${db}_does_not_exist"
expect_stderr "^cairn-pg-dump: the dump of '${db}_does_not_exist' was not stored \\(exit [0-9]+\\): nothing committed$"
assert_eq "$sets_before" "$(set_ids | wc -l)" "number of sets after two failed dumps"
echo "failed pg_dump (half way, and at once): nothing committed"
