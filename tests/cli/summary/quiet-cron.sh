#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# -q: a successful cron run prints nothing at all, even with stderr on a terminal (script(1)
# gives it one): no summary, no progress, no notes; stdout carries only the product (the
# stream, pack's and prune's object lines for cairn-push), and cairn-push -q prints nothing.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir src && gen_text src/a.txt 100 && gen_file src/b.bin 300K 3
printf '[class.daily]\nkeep-last = 1\n' >policy.toml
export CAIRN_POLICY=$PWD/policy.toml

nightly="cairn-snap -q '$PWD/src' | cairn-diff -q | cairn-pack -q | cairn-push -q '$PWD/dest'"
for night in 1 2; do
  gen_text src/night$night.txt 50
  script -qec "set -o pipefail; $nightly && echo ok-\$?" /dev/null </dev/null >tty.out
  assert_eq "ok-0" "$(tr -d '\r' <tty.out)" "night $night under -q on a terminal"
done
echo "snap | diff | pack | push -q: silent"

script -qec "cairn-verify -q --read-data && cairn-verify -q --from '$PWD/dest' && \
  cairn-restore -q latest --to '$PWD/out' && \
  cairn-prune -q --grace-time 0 | cairn-push -q '$PWD/dest' && echo ok" /dev/null </dev/null >tty.out
assert_eq "ok" "$(tr -d '\r' <tty.out)" "verify, restore, prune | push under -q"
echo "verify, restore, prune | push -q: silent"

# The product is still there: the pipe's stdout under -q is the stream and the object lines.
cairn-snap -q src | cairn-diff -q | cairn-pack -q >pack.out 2>err
[ ! -s err ] || die "stderr under -q: $(cat err)"
head -n 1 pack.out | grep -Eq '^[0-9a-f]{64}$' || die "pack -q: no set id: $(cat pack.out)"
grep -q '^+sets/' pack.out || die "pack -q: no object lines: $(cat pack.out)"
echo "pack -q: the product on stdout"
