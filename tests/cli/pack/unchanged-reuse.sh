#!/usr/bin/env bash
# An unchanged file is carried through cairn-pack without being read (issue 14): the second,
# unchanged backup stores no data chunk, its catalog row names every pack of the first set
# (where its reused chunks are, found while checking them, not looked up again), and it
# restores byte for byte. Packs are small here, so the files' chunks lie in several packs.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo "$PWD/repo" --pack-size 64K
mkdir -p src/a src/b
for i in 1 2 3 4 5 6; do
  head -c $((i * 40000)) /dev/urandom >"src/a/r$i"
  gen_text "src/b/t$i" $((i * 50))
done
: >src/b/empty

cairn-snap src --source app | cairn-diff | cairn-pack >first
cairn-snap src --source app | cairn-diff >stream
[ "$(grep -c '"status":"unchanged"' stream)" = "$(grep -c '"path"' stream)" ] ||
  die "not every entry is unchanged: $(grep -v '"status":"unchanged"' stream | head -3)"
cairn-pack <stream >second
one=$(head -n 1 first)
two=$(head -n 1 second)
[ "$one" != "$two" ] || die "the second backup made no new set"

packs() { sqlite3 "$CAIRN_CATALOG" "SELECT pack_id FROM set_pack WHERE set_id = '$1' ORDER BY 1"; }
packs "$one" >one.packs
packs "$two" >two.packs
[ "$(wc -l <one.packs)" -ge 3 ] || die "the first set needs fewer than 3 packs: $(cat one.packs)"
missing=$(comm -23 one.packs two.packs)
[ -z "$missing" ] || die "the unchanged set does not name the first set's packs: $missing"
# At most the packs of its own stored manifest are new, and they hold no data chunk.
new=$(comm -13 one.packs two.packs | wc -l)
[ "$new" -le 1 ] || die "the unchanged set names $new packs the first did not"
echo "the unchanged set names every pack of the first"

cairn-restore "$two" --to "$PWD/out" 2>/dev/null
diff -r src out >/dev/null || die "the restore differs from the source: $(diff -r src out | head -5)"
echo "the unchanged set restores byte for byte"
