#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A copy killed with SIGKILL converges when run again: (1) stopped after the first set's packs
# and index are written but before its set object (CAIRN_TEST_PAUSE=pack-before-commit), the
# rerun copies both sets, its deduplication absorbing the chunks already stored; (2) stopped
# right after the first set's object is written, before the target's catalog row
# (pack-after-commit), the rerun skips that set and copies the other. Each time the target ends
# with one copy of each set, verifies with --read-data and restores identical.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

copy_repos
mkdir src && gen_file src/a.bin 2M 1
s1=$(backup src --source app)
gen_file src/b.bin 200K 2
s2=$(backup src --source app)
target0=$PWD/target.empty
cp -a "$CAIRN_TO_REPO" "$target0"

killed_copy() {  # killed_copy POINT
  CAIRN_TEST_PAUSE=$1 cairn copy --all >killed.out 2>killed.err &
  local pid=$!
  wait_stopped "$pid" killed.err
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
}

check_target() {  # check_target WHAT
  assert_eq 2 "$(find "$CAIRN_TO_REPO/sets" -type f | wc -l)" "set objects in the target ($1)"
  assert_eq 2 "$(on_target cairn ls --json | wc -l)" "sets in the target's catalog ($1)"
  on_target cairn-verify --read-data >/dev/null 2>verify.err || die "target verify ($1): $(cat verify.err)"
  rm -rf out && on_target cairn-restore app@latest --to "$PWD/out"
  compare_trees --no-dir-mtime src out
}

killed_copy pack-before-commit
[ ! -s killed.out ] || die "the killed copy printed a set: $(cat killed.out)"
packs_left=$(find "$CAIRN_TO_REPO/packs" -type f | wc -l)
[ "$packs_left" -gt 0 ] || die "the killed copy wrote no pack before its pause point"
cairn copy --all >rerun.out 2>rerun.err || die "the rerun failed: $(cat rerun.err)"
assert_eq "$s1 $s2" "$(cut -d' ' -f1 rerun.out | tr '\n' ' ' | sed 's/ $//')" "sets the rerun copied"
stored=$(on_target cairn ls --json | "$CAIRN_PY" -c 'import json,sys; print(sum(json.loads(l)["bytes_new"] for l in sys.stdin))')
[ "$stored" -lt $((1024 * 1024)) ] || die "the rerun stored $stored new bytes again (2 MiB were stored before the kill)"
check_target "after a kill before the commit"
echo "killed before the commit: the rerun converges"

rm -rf "$CAIRN_TO_REPO" "$CAIRN_TO_CATALOG" && cp -a "$target0" "$CAIRN_TO_REPO"
killed_copy pack-after-commit
assert_eq 1 "$(find "$CAIRN_TO_REPO/sets" -type f | wc -l)" "set objects after the kill"
committed=$(basename "$(find "$CAIRN_TO_REPO/sets" -type f)")
cairn copy --all >rerun2.out 2>rerun2.err || die "the second rerun failed: $(cat rerun2.err)"
assert_eq "$s1 $committed" "$(sed -n 1p rerun2.out)" "the copy the killed run committed, kept"
check_target "after a kill after the commit"
echo "killed after the commit: the rerun skips that set"
