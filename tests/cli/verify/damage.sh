#!/usr/bin/env bash
# One flipped byte in a pack: `cairn-verify --read-data` exits 4 and names the pack, the one set
# and the one file that depend on it (not the other set, not the other file); the other set
# still restores bit for bit, the damaged one refuses (exit 4) naming the file. --read-data=I/N
# for I = 1..N reads every pack exactly once between them (counts and bytes add up).
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir a b
gen_file a/first.bin 2M 31
gen_file a/second.bin 2M 32
gen_file b/other.bin 1M 33
(set -o pipefail; cairn-snap a --source app | cairn-pack >/dev/null)
find "$CAIRN_REPO/packs" -type f >packs.app
(set -o pipefail; cairn-snap b --source db | cairn-pack >/dev/null)
find "$CAIRN_REPO/packs" -type f | LC_ALL=C sort >packs.all
[ "$(wc -l <packs.app)" = 1 ] || die "expected one pack for app"
pack=$(cat packs.app)

total=$(wc -l <packs.all)
sum_packs=0 sum_bytes=0
for i in 1 2 3; do
  cairn-verify --read-data="$i/3" --json >part$i.json
  sum_packs=$((sum_packs + $("$CAIRN_PY" -c 'import json,sys; print([json.loads(l) for l in sys.stdin if "summary" in l][0]["packs_read"])' <part$i.json)))
  sum_bytes=$((sum_bytes + $("$CAIRN_PY" -c 'import json,sys; print([json.loads(l) for l in sys.stdin if "summary" in l][0]["bytes_read"])' <part$i.json)))
done
assert_eq "$total" "$sum_packs" "packs read by parts 1/3..3/3"
assert_eq "$(cat packs.all | xargs stat -c %s | awk '{ n += $1 } END { print n }')" "$sum_bytes" "bytes read by the parts"
echo "--read-data=I/3: every pack read exactly once"

# flip one byte early in the pack: the first file's first chunk
flip_byte "$pack" 300
expect_exit 4 cairn-verify --read-data
out=$(cat last.stdout last.stderr)
grep -q "$(basename "$pack")" <<<"$out" || die "the damaged pack is not named"
grep -q "first.bin" <<<"$out" || die "the damaged file is not named"
! grep -q "second.bin" <<<"$out" || die "an intact file is named"
! grep -q "other.bin" <<<"$out" || die "a file of the other set is named"
app=$(cairn ls app --json | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
db=$(cairn ls db --json | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
grep -q "$app" <<<"$out" || die "the affected set is not named"
! grep -q "$db" <<<"$out" || die "the unaffected set is named"
echo "verify --read-data: exit 4, names the pack, the set and the file"

cairn-restore db@latest --to "$PWD/out-db" 2>/dev/null
cmp b/other.bin out-db/other.bin
echo "the unaffected set restores"
expect_exit 4 cairn-restore "$app" --to "$PWD/out-app"
grep -q "first.bin" last.stderr || die "restore does not name the damaged file: $(cat last.stderr)"
[ ! -e out-app/first.bin ] || die "a damaged file was written under its final name"
echo "the damaged set refuses, naming the file; nothing half-written"
expect_exit 4 cairn-restore app@latest --to "$PWD/out-latest"  # damage, cairn(7)
grep -q "no good backup set matches 'app@latest': 1 damaged set" last.stderr \
  || die "app@latest does not say the set is damaged: $(cat last.stderr)"
echo "app@latest: says its only set is damaged"
