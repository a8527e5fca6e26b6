#!/usr/bin/env bash
# A destination that first hears of a repository through an incremental set (a new mirror, a
# weekly disk, a push that failed last night) still receives everything that set needs: the
# packs of earlier sets it reuses and their index files, sent where missing, before the set
# object; it then restores alone. A write-only key (which cannot read the set's pack list)
# gets the same result by checking every pack.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir src
gen_file src/big.bin 3M 21
(set -o pipefail; cairn-snap src --source app | cairn-diff | cairn-pack >/dev/null)   # never pushed
gen_file src/small.bin 200K 22
(set -o pipefail; cairn-snap src --source app | cairn-diff | cairn-pack >second.out)
grep -q '^+sets/' second.out
cairn-push "$PWD/mirror" <second.out >push.out
[ "$(grep -c '^+packs/' push.out)" -gt "$(grep -c '^+packs/' second.out)" ] \
  || die "the packs of the first set were not sent"
mv "$CAIRN_REPO" repo.away; mv "$CAIRN_CATALOG" catalog.away
cairn-restore app@latest --from "$PWD/mirror" --to "$PWD/out" 2>/dev/null
compare_trees src out
echo "full key: the set's earlier packs went along; the mirror restores alone"
mv repo.away "$CAIRN_REPO"; mv catalog.away "$CAIRN_CATALOG"

cairn key export --write-only --new-passphrase-file "$CAIRN_PASSPHRASE_FILE" wo.key >/dev/null
CAIRN_KEY_FILE=$PWD/wo.key cairn-push "$PWD/mirror2" <second.out >push2.out
cairn-restore app@latest --from "$PWD/mirror2" --to "$PWD/out2" 2>/dev/null
compare_trees src out2
echo "write-only key: the same"
cairn-push "$PWD/mirror" <second.out >again.out
! grep -q '^+packs/.*' <(grep -v -F -f <(sed -n 's/^+//p' second.out) again.out) \
  || die "a second push re-sent packs the mirror holds: $(cat again.out)"
echo "again: nothing more than the set's own objects"
