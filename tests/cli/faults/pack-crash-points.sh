#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Crash points of cairn-pack (issue 18's sweep): a second backup, which deduplicates against a
# first one, fails or is killed at each write, rename, unlink and fsync (see _sweep.sh). After
# each point: the repository verifies with --read-data; the catalog lists exactly the sets the
# repository holds (a set committed before the fault is not invisible); every listed set
# restores equal to its tree; and a rerun commits a set that restores.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_sweep.sh
. "$CAIRN_CASE_DIR/_sweep.sh"

sweep_trees
first=$(backup one --source one)
(cairn-snap two --source two | cairn-diff >two.stream) 2>/dev/null
sweep_keep "$CAIRN_REPO" "$(dirname "$CAIRN_CATALOG")"
run() { "$@" cairn-pack <two.stream; }

# sets_agree POINT: the catalog lists exactly the set objects in the repository.
sets_agree() {
  local listed held
  listed=$(set_ids | sort) || sweep_fail "$1" "cairn ls failed"
  held=$(ls "$CAIRN_REPO/sets" | sort)
  [ "$listed" = "$held" ] || sweep_fail "$1" "the catalog lists [$listed], the repository holds [$held]"
}

# all_restore POINT: every listed set restores equal to the tree of its source.
all_restore() {
  local id src
  for id in $(set_ids); do
    src=$(ls_field "$id" source)
    rm -rf out
    cairn-restore "$id" --to "$PWD/out" 2>restore.err \
      || { cat restore.err >>point.err; sweep_fail "$1" "set $id ($src) does not restore"; }
    compare_trees --no-owner --no-xattr --no-acl "$src" out
  done
}

check() {
  local point=$1 rc=$2
  cairn-verify --read-data >verify.out 2>verify.err \
    || { cat verify.out verify.err >>point.err; sweep_fail "$point" "the repository does not verify"; }
  sets_agree "$point"
  if [ "$rc" = 0 ]; then
    grep -qx "$(head -n 1 point.out)" <(ls "$CAIRN_REPO/sets") \
      || sweep_fail "$point" "cairn-pack exited 0 but its set is not in the repository"
  fi
  all_restore "$point"
  run >rerun.out 2>rerun.err || { cat rerun.err >>point.err; sweep_fail "$point" "the rerun failed"; }
  cairn-verify --read-data >verify.out 2>verify.err \
    || { cat verify.out verify.err >>point.err; sweep_fail "$point" "the rerun left a repository that does not verify"; }
  sets_agree "$point (after the rerun)"
  all_restore "$point (after the rerun)"
}

sweep cairn-pack sweep_reset run check
[ -n "$first" ]
