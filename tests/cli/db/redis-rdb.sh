#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Redis backups with examples/redis (redis.env, crontab, cairn-redis-rdb) against the real
# server: the crontab's hourly job streams redis-cli --rdb - (Redis 7.0 leaves its 40-byte end
# marker after the RDB on stdout) into cairn-snap --stdin dump.rdb --rdb and copies the set to a
# destination. The stored file is exactly the RDB (the size redis-cli reports, no marker),
# redis-check-rdb accepts it, the destination alone restores the same bytes, and a fresh server
# started on it (scripts/services/redis.sh on another port) holds every key of every database
# with the same value and TTL (_redis.py compare). The crontab's freshness check and drill (with
# redis-check-rdb as its application check) pass. A cut RDB stream, or a redis-cli that cannot
# connect, commits nothing. Prints the restore time.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_cron.sh
. "$CAIRN_CASE_DIR/_cron.sh"
need_env CAIRN_TEST_REDIS_HOST CAIRN_TEST_REDIS_PORT
examples=$CAIRN_SOURCE_DIR/examples/redis
redis_py=$CAIRN_CASE_DIR/_redis.py
src=$CAIRN_TEST_REDIS_HOST:$CAIRN_TEST_REDIS_PORT
cli=(-h "$CAIRN_TEST_REDIS_HOST" -p "$CAIRN_TEST_REDIS_PORT")

make_repo
# examples/redis/redis.env and crontab, their paths pointed at scratch space (the destination
# s3://dr-east/redis becomes a directory)
envf=$PWD/redis.env
sed -e "s|^CAIRN_REPO=.*|CAIRN_REPO=$CAIRN_REPO|" -e "s|^CAIRN_CATALOG=.*|CAIRN_CATALOG=$CAIRN_CATALOG|" \
    -e "s|^CAIRN_PASSPHRASE_FILE=.*|CAIRN_PASSPHRASE_FILE=$CAIRN_PASSPHRASE_FILE|" \
    -e "s|s3://dr-east/redis|$PWD/offsite|" -e "/AWS_SHARED_CREDENTIALS_FILE/d" \
    -e "s|^PATH=/usr/local/bin:|PATH=$examples:${CAIRN_BIN:-/usr/local/bin}:/usr/local/bin:|" \
    "$examples/redis.env" >"$envf"
mkdir -p offsite
cron_load "$examples/crontab" -e "s|/etc/cairn/redis.env|$envf|g" -e "s|/usr/local/bin/|$examples/|g" \
  -e "s|PATH=/usr/local/bin:|PATH=$examples:${CAIRN_BIN:-/usr/local/bin}:/usr/local/bin:|" \
  -e "s|-h 127.0.0.1 -p 6379|${cli[*]}|"
cron_env+=(CAIRN_ENV_FILE="$envf")   # stands in for the default /etc/cairn/redis.env

"$CAIRN_PY" "$redis_py" load "$src" --keys 9000 >load.out
echo "source: $(cat load.out) in databases 0, 1 and 3"

cron_job cairn-redis-rdb
sent=$(sed -n 's/^Transfer finished with success after \([0-9]*\) bytes$/\1/p' cron.err)
[ -n "$sent" ] || die "redis-cli did not report the RDB's size: $(cat cron.err)"
assert_eq 1 "$(set_ids redis-main | wc -l)" "redis-main sets after the hourly job"
echo "crontab: the hourly backup committed a set and copied it to the destination"

# --- restore into a fresh server: scripts/services/redis.sh loads REDIS_DIR/dump.rdb at start
export CAIRN_SVC_ROOT=$PWD/svc CAIRN_REDIS_PORT
CAIRN_REDIS_PORT=$("$CAIRN_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
svc=$CAIRN_SOURCE_DIR/scripts/services/redis.sh
trap 'bash "$svc" stop >/dev/null 2>&1 || true' EXIT
rdir=$CAIRN_SVC_ROOT/redis-$CAIRN_REDIS_PORT/data
mkdir -p "$rdir"
t0=$(date +%s%N)
cairn-restore redis-main@latest --stdout dump.rdb >"$rdir/dump.rdb"
env_lines=$(bash "$svc" start 2>svc.err) || { cat svc.err >&2; die "the restore server did not start"; }
eval "$env_lines"
echo "restore time (cairn-restore --stdout, then redis-server loading it): $((($(date +%s%N) - t0) / 1000000)) ms"
assert_eq "$sent" "$(stat -c %s "$rdir/dump.rdb")" "restored RDB size (redis-cli sent)"
echo "restored RDB: exactly the bytes redis-cli reported, without its end marker"
redis-check-rdb "$rdir/dump.rdb" >check.out 2>&1 || { cat check.out >&2; die "redis-check-rdb refused the restored RDB"; }
grep -q "RDB looks OK" check.out || die "redis-check-rdb: $(tail -n 3 check.out)"
echo "redis-check-rdb: RDB looks OK"
"$CAIRN_PY" "$redis_py" compare "$src" "127.0.0.1:$REDIS_PORT" >compare.out || { cat compare.out >&2; die "the restored server differs"; }
sed 's/^/compare: /' compare.out

cairn-restore redis-main@latest --from "$PWD/offsite" --stdout dump.rdb | cmp -s - "$rdir/dump.rdb" \
  || die "the RDB read from the destination alone differs"
echo "the destination alone restores the same RDB"

# --- the crontab's freshness check and its drill (redis-check-rdb as the application check)
cron_job "max-age"
cron_job "drill redis-main"
cairn-verify --drill redis-main@latest --check "redis-check-rdb dump.rdb" >drill.out 2>drill.err \
  || { cat drill.out drill.err >&2; die "the drill failed"; }
grep -q ": ok, 1 file, .*application check passed" drill.out || die "no passed check in: $(cat drill.out)"
echo "crontab: freshness check and drill with redis-check-rdb: ok"

# --- what must not commit: a cut RDB, and a redis-cli that cannot connect
sets_before=$(set_ids | wc -l)
head -c $((sent - 1000)) "$rdir/dump.rdb" >cut.rdb
expect_exit 1 bash -c 'set -o pipefail; cairn-snap --stdin dump.rdb --rdb --source redis-main <cut.rdb | cairn-pack'
grep -q "does not end with a whole Redis RDB file" last.stderr || die "unexpected message: $(cat last.stderr)"
closed=$("$CAIRN_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_exit 1 "$examples/cairn-redis-rdb" -- -h 127.0.0.1 -p "$closed"
expect_stderr '^cairn-redis-rdb: the RDB was not stored \(exit [0-9]+\): nothing committed$'
assert_eq "$sets_before" "$(set_ids | wc -l)" "number of sets after two failed backups"
echo "a cut RDB, and a failed redis-cli: nothing committed"
