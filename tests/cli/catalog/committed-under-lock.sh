#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Nothing committed is invisible (issue 18): another process holds the catalog's write lock
# (an SQLite BEGIN IMMEDIATE, as a long cairn command would) past cairn-pack's busy timeout,
# taken after cairn-pack opened the catalog and before it commits. The set object is written,
# the catalog row is not: cairn-pack prints the set as usual, names it on stderr and exits 6
# ("committed, catalog not updated", cairn(7)), not 11 or 1. Once the lock is gone, cairn ls
# lists the set and cairn-restore FULLID restores it exactly.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p src
gen_file src/a.bin 200K 1
gen_text src/b.txt 20
(set -o pipefail && cairn-snap src --source app | cairn-diff >stream)
size=$(stat -c %s stream)

poll() {  # poll WHAT CMD...: up to 60 s
  local i
  for i in $(seq 1 600); do "${@:2}" && return 0; sleep 0.1; done
  die "timed out waiting for $1"
}
mkfifo in
cairn-pack <in >pack.out 2>pack.err &
pack_pid=$!
exec 3>in
head -c $((size - 8)) stream >&3  # all but the end of the trailer: cairn-pack waits for it
running() {
  [ "$("$CAIRN_PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
    "SELECT count(*) FROM run WHERE tool = ? AND ended_ns IS NULL", ("cairn-pack",)).fetchone()[0])' \
    "$CAIRN_CATALOG")" = 1 ]
}
poll "cairn-pack to open the catalog" running
# The lock, held until cairn-pack has printed its set (then its run can end normally).
"$CAIRN_PY" - "$CAIRN_CATALOG" 3>&- <<'PY' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open("locked", "w").close()
deadline = time.monotonic() + 120
while not os.path.exists("release") and time.monotonic() < deadline:
    time.sleep(0.05)
db.execute("ROLLBACK")
PY
lock_pid=$!
poll "the catalog lock" test -e locked
tail -c 8 stream >&3
exec 3>&-
printed_or_gone() { grep -Eq '^[0-9a-f]{64}$' pack.out || ! kill -0 "$pack_pid" 2>/dev/null; }
poll "cairn-pack to print its set" printed_or_gone
touch release
wait "$lock_pid"
rc=0
wait "$pack_pid" || rc=$?
id=$(head -n 1 pack.out)
[ "$rc" = 6 ] || die "cairn-pack exited $rc, expected 6; its stderr: $(cat pack.err)"
grep -q "set $id is committed but the catalog was not updated" pack.err \
  || die "cairn-pack does not name the committed set: $(cat pack.err)"
echo "cairn-pack: exit 6, the committed set named"

cairn ls --json >ls.json
grep -q "\"id\":\"$id\".*\"status\":\"committed\"" ls.json || die "cairn ls does not list $id: $(cat ls.json)"
echo "cairn ls: the set is listed"
cairn-restore "$id" --to "$PWD/out" 2>/dev/null
compare_trees src out
echo "cairn-restore FULLID: restores exactly"
