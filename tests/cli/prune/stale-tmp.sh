#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Issue 18: partial packs of killed runs in repo/tmp. cairn-verify counts the ones older than
# 12h in a warning line (not damage: exit 3); cairn-prune removes the ones older than its
# --grace-time and names them (-v), and leaves a newer one alone (a running backup may be
# writing it).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_common.sh
. "$(dirname "$0")/_common.sh"

prune_repo
prune_policy 1
mkdir d && gen_file d/a.bin 100K 1
backup d --source app --class daily >/dev/null
mkdir -p repo/tmp
head -c 70000 /dev/zero >repo/tmp/pack-0123456789abcdef01234567.tmp
touch -d '2 days ago' repo/tmp/pack-0123456789abcdef01234567.tmp
head -c 5000 /dev/zero >repo/tmp/pack-fresh.tmp
touch -d '1 hour ago' repo/tmp/pack-fresh.tmp

rc=0
cairn-verify >verify.out 2>verify.err || rc=$?
assert_eq 3 "$rc" "exit status of cairn-verify"
grep -q "warning: .*repo/tmp: 1 temporary file older than 12h (70000 bytes" verify.err ||
  die "cairn-verify did not name the stale file: $(cat verify.err)"
echo "cairn-verify warns about one stale temporary file, exit 3"

cairn-prune -v >prune.out 2>prune.err || die "cairn-prune exited $?: $(cat prune.err)"
grep -q "removed '.*repo/tmp/pack-0123456789abcdef01234567.tmp' (70000 bytes" prune.err ||
  die "cairn-prune did not say what it removed: $(cat prune.err)"
[ ! -e repo/tmp/pack-0123456789abcdef01234567.tmp ] || die "the stale file is still there"
[ -e repo/tmp/pack-fresh.tmp ] || die "the file written within the grace time was removed"
echo "cairn-prune removes it and keeps the one written within the grace time"

cairn-prune --grace-time 30m >prune.out 2>prune.err
[ ! -e repo/tmp/pack-fresh.tmp ] || die "the file older than --grace-time 30m is still there"
cairn-verify >verify.out 2>verify.err || die "cairn-verify exited $?: $(cat verify.err)"
if grep -q "temporary file" verify.err; then die "cairn-verify still warns: $(cat verify.err)"; fi
echo "with --grace-time 30m the other goes too; cairn-verify is quiet"
