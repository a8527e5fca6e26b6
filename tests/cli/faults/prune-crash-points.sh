#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Crash points of cairn-prune (issue 18's sweep): a prune that forgets two sets and sweeps the
# packs an earlier run marked fails or is killed at each write, rename, unlink and fsync (see
# _sweep.sh). After each point: the repository verifies with --read-data; the catalog lists
# exactly the sets the repository holds; every listed set restores equal to its tree; and a
# rerun finishes, after which the newest daily set and the weekly one are what is left.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=../prune/_common.sh
. "$CAIRN_CASE_DIR/../prune/_common.sh"
# shellcheck source=_sweep.sh
. "$CAIRN_CASE_DIR/_sweep.sh"

prune_repo
prune_policy 1
: >made
mkdir keep && gen_file keep/k.bin 200K 9
made_backup keep app weekly >/dev/null
for i in 1 2 3; do
  mkdir "d$i" && gen_file "d$i/data.bin" 300K "$i" && gen_text "d$i/notes.txt" 50
  made_backup "d$i" app daily >/dev/null
done
cairn-prune --grace-time 0 >/dev/null   # forgets d1, d2; marks their packs
for i in 4 5 6; do
  mkdir "d$i" && gen_file "d$i/data.bin" 300K "$i" && gen_text "d$i/notes.txt" 50
  made_backup "d$i" app daily >/dev/null
done
newest=$(awk '$2 == "d6" { print $1 }' made)
weekly=$(awk '$2 == "keep" { print $1 }' made)
sweep_keep "$CAIRN_REPO" "$(dirname "$CAIRN_CATALOG")"
run() { "$@" cairn-prune --grace-time 0; }

# sets_agree POINT [--mid]: the catalog lists exactly the set objects in the repository; with
# --mid (after a fault) it may list fewer: prune forgets sets in the catalog before it removes
# their objects (the rerun removes them), but never lists a set that is gone.
sets_agree() {
  local listed held extra
  listed=$(set_ids | sort) || sweep_fail "$1" "cairn ls failed"
  held=$(ls "$CAIRN_REPO/sets" | sort)
  if [ "${2:-}" = --mid ]; then
    extra=$(comm -23 <(echo "$listed") <(echo "$held"))
    [ -z "$extra" ] || sweep_fail "$1" "the catalog lists sets the repository lost: $extra"
  else
    [ "$listed" = "$held" ] || sweep_fail "$1" "the catalog lists [$listed], the repository holds [$held]"
  fi
}

verifies() {  # verifies POINT
  cairn-verify --read-data >verify.out 2>verify.err \
    || { cat verify.out verify.err >>point.err; sweep_fail "$1" "the repository does not verify"; }
}

all_restore() {  # all_restore POINT
  check_all_restore 2>>point.err || sweep_fail "$1" "a listed set does not restore"
}

check() {
  local point=$1
  verifies "$point"
  sets_agree "$point" --mid
  all_restore "$point"
  run >rerun.out 2>rerun.err || { cat rerun.err >>point.err; sweep_fail "$point" "the rerun failed"; }
  verifies "$point (after the rerun)"
  sets_agree "$point (after the rerun)"
  assert_eq "$(printf '%s\n' "$newest" "$weekly" | sort)" "$(set_ids | sort)" \
    "the sets left after the rerun of $point"
  all_restore "$point (after the rerun)"
}

sweep cairn-prune sweep_reset run check
