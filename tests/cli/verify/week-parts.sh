#!/usr/bin/env bash
# A week of `--read-data=I/7` runs with a backup between each two (issue 18): a pack's part
# comes from its name, so the packs that exist through all seven runs are each read exactly
# once, however many packs the nightly backups add in between. The packs read are counted
# from verify -v's "read pack ID" lines.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir data
for n in $(seq 1 10); do
  gen_file "data/f$n" 64K "$n"
  backup data --source app >/dev/null
done
find "$CAIRN_REPO/packs" -type f -printf '%f\n' | LC_ALL=C sort >before
[ "$(wc -l <before)" -ge 10 ] || die "expected at least 10 packs, got $(wc -l <before)"

: >read
for day in 1 2 3 4 5 6 7; do
  cairn-verify --read-data="$day/7" -v >/dev/null 2>verify$day.err
  sed -n 's/^cairn-verify: read pack \([0-9a-f]*\) .*/\1/p' verify$day.err >>read
  gen_file "data/night$day" 64K "$((100 + day))"
  backup data --source app >/dev/null
done
find "$CAIRN_REPO/packs" -type f -printf '%f\n' | LC_ALL=C sort >after
[ "$(comm -13 before after | wc -l)" -ge 7 ] || die "the nightly backups added no packs"

while read -r pack; do
  n=$(grep -c "^$pack\$" read || true)
  [ "$n" = 1 ] || die "pack $pack present all week was read $n times"
done <before
echo "every pack present through the week was read exactly once"
