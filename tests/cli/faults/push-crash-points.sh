#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Crash points of cairn-push to a local destination (issue 18's sweep): `cairn-push --all` of a
# repository whose first set is already at the destination fails or is killed at each write,
# rename, unlink and fsync (see _sweep.sh). After each point: everything under a final name at
# the destination is whole (it verifies with --read-data, and every set it holds restores from
# it alone, equal to its tree); a rerun finishes, and then the destination holds exactly the
# repository's objects.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_sweep.sh
. "$CAIRN_CASE_DIR/_sweep.sh"

sweep_trees
dest=$PWD/dest
backup one --source one >/dev/null
cairn-push --all "file://$dest" >/dev/null
backup two --source two >/dev/null
sweep_keep "$dest"
run() { "$@" cairn-push --all "file://$dest"; }

objects() {  # objects DIR: "path sha256" of every repository object under DIR
  (cd "$1" && find config keys packs index sets holds -type f 2>/dev/null | LC_ALL=C sort \
    | xargs -r sha256sum)
}

whole() {  # whole POINT: the destination verifies and each set it holds restores from it
  local id src
  cairn-verify --from "file://$dest" --read-data >verify.out 2>verify.err \
    || { cat verify.out verify.err >>point.err; sweep_fail "$1" "the destination does not verify"; }
  for id in $(ls "$dest/sets"); do
    src=$(ls_field "$id" source)
    rm -rf out
    cairn-restore "$id" --from "file://$dest" --to "$PWD/out" 2>restore.err \
      || { cat restore.err >>point.err; sweep_fail "$1" "set $id ($src) does not restore from the destination"; }
    compare_trees --no-owner --no-xattr --no-acl "$src" out
  done
}

check() {
  local point=$1
  whole "$point"
  run >rerun.out 2>rerun.err || { cat rerun.err >>point.err; sweep_fail "$point" "the rerun failed"; }
  whole "$point (after the rerun)"
  [ "$(objects "$CAIRN_REPO")" = "$(objects "$dest")" ] \
    || sweep_fail "$point" "after the rerun the destination's objects differ from the repository's"
}

sweep cairn-push sweep_reset run check
