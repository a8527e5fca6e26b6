#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-verify --from a directory destination, with the local repository and catalog gone:
# structure and --read-data are clean (exit 0); one flipped byte in a pack there is damage
# (exit 4) naming the pack and the set it costs; a pack missing there is damage too; catalog
# rebuild --repo file://DEST recreates the catalog from it. With the catalog back, a clean
# verify --from records verified_at on the placement, a damaged one does not.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"

make_repo
src=$PWD/src
mkdir -p "$src"
gen_file "$src/one.bin" 2M 1
gen_text "$src/notes.txt" 100
dest=$PWD/dest
(set -o pipefail && cairn-snap "$src" --source app | cairn-diff | cairn-pack | cairn-push "file://$dest" >push.out)
set=$(sed -n 's|^+sets/\([0-9a-f]*\) .*|\1|p' push.out)
pack=$(sed -n 's|^+packs/../\([0-9a-f]*\) .*|\1|p' push.out | head -n 1)
[ -n "$set" ] && [ -n "$pack" ] || die "push.out names no set or pack"
cp -r "$dest" dest2

mv "$CAIRN_REPO" repo.away
mv "$CAIRN_CATALOG" catalog.away
cairn-verify --from "file://$dest" >v1.out
grep -q '^checked 1 sets, 1 packs (0 bytes read): 0 damaged' v1.out || die "structure: $(cat v1.out)"
cairn-verify --from "$dest" --read-data --jobs 2 >v2.out
grep -q '^checked 1 sets, 1 packs ([1-9][0-9]* bytes read): 0 damaged' v2.out || die "read-data: $(cat v2.out)"
echo "verify --from: clean without the local repository"

f=$dest/packs/${pack:0:2}/$pack
size=$(stat -c %s "$f")
flip_byte "$f" $((size / 2))
expect_exit 4 cairn-verify --from "file://$dest" --read-data
grep -q "^damaged pack $pack: " last.stdout || die "the damaged pack is not named: $(cat last.stdout)"
grep -q "^affected set $set " last.stdout || die "the set it costs is not named: $(cat last.stdout)"
[ "$(wc -l <last.stderr)" = 1 ] || die "expected one stderr line: $(cat last.stderr)"
echo "a flipped byte: exit 4, the pack and its set named"

rm "dest2/packs/${pack:0:2}/$pack"
expect_exit 4 cairn-verify --from "file://$PWD/dest2"
expect_stderr '^cairn-verify: error: damage found: '
grep -q "^missing pack $pack" last.stdout || die "the missing pack is not named: $(cat last.stdout)"
echo "a missing pack: exit 4, named"

cairn catalog rebuild --repo "file://$dest" >/dev/null 2>&1
assert_eq "$set committed" "$(catalog_sets)" "the sets of the rebuilt catalog"
echo "catalog rebuild --repo file://: the set is back"
rm -rf "$CAIRN_CATALOG"*
mv repo.away "$CAIRN_REPO"
mv catalog.away "$CAIRN_CATALOG"

expect_exit 4 cairn-verify --from "file://$dest" --read-data
expect_stderr '^cairn-verify: error: damage found: '
[ -n "$(placements "file://$dest" | grep "^$set file://$dest [0-9]* -\$")" ] || die "a damaged verify recorded verified_at: $(placements)"
cp "$CAIRN_REPO/packs/${pack:0:2}/$pack" "$f"
cairn-verify --from "$dest/" --read-data >/dev/null
[ -n "$(placements "file://$dest" | grep "^$set file://$dest [0-9]* [0-9]*\$")" ] || die "no verified_at recorded: $(placements)"
echo "placements: verified_at only after a clean verify"
