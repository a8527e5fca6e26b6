#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 18, "Prune and a running backup": a cairn-pack that opened the repository before
# cairn-prune dropped a set and retired its packs, and that deduplicated against them, is
# stopped (CAIRN_TEST_PAUSE, SIGSTOP) across one or more prunes, then continued. Either it
# commits a set that restores exactly (it indexed the pack again before and after writing the
# set object), or the pack was swept meanwhile and it exits 1 with one clear line and commits
# nothing, and the same backup run again succeeds. For --grace-time 0, 2s and the default, and
# with two hosts (two catalogs, one repository). At the end cairn-verify --read-data passes.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

prune_repo
prune_policy 1
host_a=$CAIRN_CATALOG
host_b=$PWD/host-b.db
: >made

# wait_stopped PID: until the process has stopped itself (state T), at most 120 s.
wait_stopped() {
  local i
  for ((i = 0; i < 1200; i++)); do
    case $(ps -o stat= -p "$1" 2>/dev/null) in
      T*) return 0 ;;
      "") die "the paused writer exited: $(cat writer.err)" ;;
    esac
    sleep 0.1
  done
  die "the writer did not reach its pause point"
}

# shared_set N: a daily set holding s$N/shared.bin, then a newer daily set, so that prune
# (keep-last 1) drops the first one and marks its packs. Made on the catalog in $CAIRN_CATALOG.
shared_set() {
  mkdir "s$1" "t$1"
  gen_file "s$1/shared.bin" 400K "$((10 * $1))"
  gen_file "t$1/x.bin" 20K "$((10 * $1 + 1))"
  made_backup "s$1" app daily >/dev/null
  made_backup "t$1" app daily >/dev/null
}

# start_writer N POINTS: a backup (source web, kept) of w$N, which shares s$N/shared.bin,
# stopped at POINTS (comma-separated); its pid is in $writer.
start_writer() {
  mkdir "w$1"
  cp "s$1/shared.bin" "w$1/"
  gen_file "w$1/own.bin" 20K "$((10 * $1 + 2))"
  cairn-snap "w$1" --source web --class adhoc | cairn-diff >"w$1.stream"
  CAIRN_TEST_PAUSE=$2 cairn-pack <"w$1.stream" >writer.out 2>writer.err &
  writer=$!
  wait_stopped "$writer"
}

# a_set N: a set of another source: prune counts sets written since its mark.
a_set() {
  mkdir "c$1"
  gen_file "c$1/y.bin" 10K "$((10 * $1 + 3))"
  made_backup "c$1" other adhoc >/dev/null
}

prune() { cairn-prune "$@" >>prune.out 2>>prune.err || die "cairn-prune failed: $(tail -n 1 prune.err)"; }

# finish_writer N committed|gone: continues the writer and checks the outcome.
finish_writer() {
  kill -CONT "$writer"
  local rc=0
  wait "$writer" || rc=$?
  if [ "$2" = committed ]; then
    [ "$rc" = 0 ] || die "writer $1 exited $rc: $(cat writer.err)"
    committed=$(head -n 1 writer.out)
    echo "$committed w$1" >>made
    restores_equal "$committed" "w$1"
  else
    [ "$rc" = 1 ] || die "writer $1 exited $rc, not 1 (the pack it needs was swept)"
    grep -q "cairn-prune deleted it while the backup ran: nothing was committed" writer.err ||
      die "writer $1 said: $(cat writer.err)"
    [ ! -s writer.out ] || die "writer $1 printed: $(cat writer.out)"
    made_backup "w$1" web adhoc >/dev/null  # the rerun stores the chunks afresh
  fi
}

# 1. Default grace (12h): stopped before the check, across a prune and a sweep attempt.
shared_set 1
start_writer 1 pack-before-commit-check
prune
a_set 1
prune
finish_writer 1 committed
echo "default grace: the set commits and restores"

# 2. --grace-time 0: the pack is swept while the writer is stopped; it commits nothing.
shared_set 2
start_writer 2 pack-before-commit-check
prune --grace-time 0
a_set 2
prune --grace-time 0
grep -q '^-packs/' prune.out || die "nothing was swept"
finish_writer 2 gone
echo "grace 0, swept before the check: nothing committed, the rerun commits"

# 3. --grace-time 0, stopped after it indexed the pack again and before the set object: the
# prune sees that index file and spares the pack; the writer indexes it again after the commit.
shared_set 3
start_writer 3 pack-before-commit-check,pack-before-commit
prune --grace-time 0
kill -CONT "$writer"
wait_stopped "$writer"
a_set 3
prune --grace-time 0
finish_writer 3 committed
a_set 33
prune --grace-time 0
echo "grace 0, stopped after the revival: the set commits and restores"

# 4. --grace-time 2s, stopped after the revival, across prunes until the grace is over and the
# pack is swept: the set object written then is removed again, nothing is committed.
shared_set 4
start_writer 4 pack-before-commit-check,pack-before-commit
prune --grace-time 2s
kill -CONT "$writer"
wait_stopped "$writer"
a_set 4
prune --grace-time 2s
sleep 2.2  # the grace time itself, not a wait for something to happen
a_set 44
: >prune.out
prune --grace-time 2s
grep -q '^-packs/' prune.out || die "nothing was swept after the grace time"
finish_writer 4 gone
echo "grace 2s, swept after the revival: nothing committed, the rerun commits"

# 5. Two hosts: host B makes and prunes the daily sets, host A's writer is stopped meanwhile.
export CAIRN_CATALOG=$host_b
shared_set 5
export CAIRN_CATALOG=$host_a
start_writer 5 pack-before-commit-check
export CAIRN_CATALOG=$host_b
prune --grace-time 0
a_set 5
export CAIRN_CATALOG=$host_a
# Host A's catalog lists the sets host B pruned until it is rebuilt (cairn-catalog(5): each
# tool says so in a warning line; the repository keeps no tombstone that would tell a prune
# from a loss). The writer is stopped, so the rebuild runs beside it.
cairn catalog rebuild >/dev/null 2>&1 || die "host A's catalog rebuild failed"
finish_writer 5 committed
export CAIRN_CATALOG=$host_b
a_set 55
prune --grace-time 0
export CAIRN_CATALOG=$host_a
cairn catalog rebuild >/dev/null 2>&1 || die "host A's catalog rebuild failed"
restores_equal "$committed" w5
echo "two hosts: the set commits and restores, after host B's next sweep too"

for cat in "$host_a" "$host_b"; do
  CAIRN_CATALOG=$cat check_all_restore
  CAIRN_CATALOG=$cat cairn-verify --read-data >verify.out 2>&1 ||
    { sed 's/^/  | /' verify.out >&2; die "cairn-verify --read-data fails"; }
done
echo "every set restores, cairn-verify --read-data passes"
