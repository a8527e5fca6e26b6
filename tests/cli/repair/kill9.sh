#!/usr/bin/env bash
# cairn repair killed (kill -9) after its new index file is durable and before the damaged one
# moves aside (CAIRN_TEST_PAUSE=repair-index-written): the repository still opens, a rerun
# moves the damaged file aside and writes nothing twice, and the repository then verifies
# --read-data and restores. Also: a pack missing from storage with nothing to fetch it from,
# repaired with --mark-lost, so that a new backup of the same data stores it afresh.
set -euo pipefail
. "$CAIRN_CLI_LIB"

wait_stopped() {  # wait_stopped PID: poll (2 busy cores: no fixed sleep) until it is stopped
  local i
  for ((i = 0; i < 1200; i++)); do
    case $(ps -o stat= -p "$1" 2>/dev/null) in
      T*) return 0 ;;
      "") die "cairn repair exited before its pause point: $(cat repair.err)" ;;
    esac
    sleep 0.1
  done
  die "cairn repair did not reach its pause point"
}

make_repo
mkdir a
gen_file a/one.bin 2M 1
backup a --source app >/dev/null
idx=$(ls "$CAIRN_REPO/index")
flip_byte "$CAIRN_REPO/index/$idx" 5

CAIRN_TEST_PAUSE=repair-index-written cairn repair >repair.out 2>repair.err &
pid=$!
wait_stopped "$pid"
{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true
assert_eq 2 "$(ls "$CAIRN_REPO/index" | wc -l)" "index files after the kill"
grep -q '^+index/' repair.out || die "the new index file was not printed before the pause"
echo "killed between the new index file and the move"

cairn repair >rerun.out
assert_eq "-index/$idx" "$(cat rerun.out)" "the rerun's output"
[ -f "$CAIRN_REPO/damaged/index/$idx" ] || die "the damaged index file was not kept aside"
cairn-verify --read-data >/dev/null
cairn-restore app@latest --to "$PWD/out" 2>/dev/null
cmp a/one.bin out/one.bin
cairn repair >third.out
assert_eq "" "$(cat third.out)" "a third run's output"
echo "the rerun converges: verify --read-data, restore"

rel=$(cd "$CAIRN_REPO" && find packs -type f)
rm "$CAIRN_REPO/$rel"
expect_exit 4 cairn repair --mark-lost
grep -q "pack $(basename "$rel") cannot be repaired: it is not in storage; sets" last.stderr || die "unexpected: $(cat last.stderr)"
[ ! -e "$CAIRN_REPO/damaged/$rel" ] || die "a missing pack cannot be moved aside"
backup a --source again >/dev/null
cairn-restore again@latest --to "$PWD/out2" 2>/dev/null
cmp a/one.bin out2/one.bin
echo "a missing pack marked lost: the next backup stores its chunks afresh"
