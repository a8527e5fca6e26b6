#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# --differential stores every chunk the last full set does not hold, and nothing more, also
# when the chunks existed before the full set was taken: the full set stored its own copies,
# and the differential must find those, not stop at the older copies the index may name
# first (cairn-diff is left out, so every chunk is looked up). Six incremental sets (six index files) come before the full set, so the older
# copies come first in most orders of the index files; the differential then stores about
# the one new file, and every set restores equal to its tree.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
src=$PWD/src
mkdir -p "$src"
for i in 1 2 3 4 5 6; do
  gen_file "$src/f$i.bin" 600K "$i"
  backup "$src" --source app >/dev/null  # each adds a file: older copies in their own packs
done
full=$(backup "$src" --source app -- --full)
cp -a "$src" snap-full
echo "six incremental sets, then a full set"

gen_file "$src/new.bin" 300K 77
# without cairn-diff: every file's chunks go through the deduplication this case is about
(set -o pipefail && cairn-snap "$src" --source app | cairn-pack --differential >pack.out)
diff_set=$(head -n 1 pack.out)
assert_eq differential "$(ls_field "$diff_set" kind)" "kind of the last set"
stored=$(ls_field "$diff_set" bytes_stored)
[ "$stored" -le $((300 * 1024 + 64 * 1024)) ] \
  || die "the differential stored $stored bytes for one new 300 KiB file (unchanged files stored again)"
echo "the differential stores only the new file"

for pair in "$full snap-full" "$diff_set $src"; do
  set -- $pair
  rm -rf out
  cairn-restore "$1" --to "$PWD/out" 2>/dev/null
  compare_trees --no-owner --no-xattr --no-acl "$2" out
done
echo "both restore"
