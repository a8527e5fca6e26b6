#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn key rotate (cairn-repository(5) KEY ROTATION): back up, rotate, back up with the full
# key and with a write-only key exported before the rotation, rotate again, back up; every set
# restores and verify --read-data passes; cairn key generations counts what each generation
# seals; a copy of the old slot (a leaked key) reads the old set and not the new ones; a
# destination gets the rotation records by cairn-push and restores every set from them.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p src
gen_file src/a.bin 300K 1
gen_text src/t.txt 200
set0=$(backup src --source app)
cp "$CAIRN_REPO"/keys/* old.slot  # what leaks: the old slot file and its passphrase
(umask 077 && printf 'write only passphrase\n' >wo.pass)
cairn key export --write-only --new-passphrase-file wo.pass wo.key 2>/dev/null

cairn key rotate >rot1.out 2>rot1.err || { cat rot1.err >&2; die "cairn key rotate failed"; }
grep -qE '^\+holds/[0-9a-f]{64}$' rot1.out || die "rotate printed no record: $(cat rot1.out)"
assert_eq "+keys +holds -keys " "$(sed 's|/[0-9a-f]*$||' rot1.out | tr '\n' ' ')" "rotate's lines"
assert_eq 1 "$(find "$CAIRN_REPO/keys" -type f | wc -l)" "key slots after the rotation"
echo "rotated once"

gen_file src/b.bin 200K 2
set1=$(backup src --source app)
gen_file src/c.bin 100K 3
(set -o pipefail && CAIRN_KEY_FILE=$PWD/wo.key CAIRN_PASSPHRASE_FILE=$PWD/wo.pass \
  cairn-snap src --source wo | CAIRN_KEY_FILE=$PWD/wo.key CAIRN_PASSPHRASE_FILE=$PWD/wo.pass \
  cairn-pack >wo.out 2>wo.err) || { cat wo.err >&2; die "the write-only backup failed"; }
set_wo=$(head -n 1 wo.out)
cp -a src src.2
cairn key rotate >rot2.out 2>/dev/null
assert_eq 3 "$(wc -l <rot2.out)" "the second rotation's lines"
gen_file src/d.bin 100K 4
set2=$(backup src --source app)
echo "backed up under three generations"

# generations: 0 seals set0 (+ its packs), 1 seals set1 and the write-only set, 2 seals set2
cairn key generations >gens.out
awk '{ $2 = "PK"; $3 = "T"; $4 = ($4 == "config" ? "config" : "REC"); print }' gens.out
rm -rf back && mkdir back
for s in "$set0" "$set1" "$set2"; do
  rm -rf back/x && cairn-restore "$s" --to "$PWD/back/x" 2>/dev/null
done
compare_trees src back/x
rm -rf back/y && cairn-restore "$set_wo" --to "$PWD/back/y" 2>/dev/null
compare_trees src.2 back/y
cairn-verify --read-data >verify.out 2>&1 || { cat verify.out >&2; die "verify --read-data failed"; }
echo "every set restores; verify --read-data passes"

# the leaked old key: reads set0, not what was sealed after the rotation (damage, exit 4)
CAIRN_KEY_FILE=$PWD/old.slot cairn-restore "$set0" --to "$PWD/old0" 2>/dev/null
rc=0
CAIRN_KEY_FILE=$PWD/old.slot cairn-restore "$set2" --to "$PWD/old2" 2>old.err || rc=$?
assert_eq 4 "$rc" "the old key restoring a set sealed after the rotation"
grep -q 'key generation' old.err || die "the old key's error does not name the generation: $(cat old.err)"
echo "the old key reads only the old set"

# a destination: cairn-push carries the rotation records, restore --from reads every set
cairn-push --all "$PWD/dest" >/dev/null 2>&1
assert_eq 2 "$(grep -l CAIRNKR1 dest/holds/* | wc -l)" "rotation records at the destination"
for s in "$set0" "$set_wo" "$set2"; do
  rm -rf back/z && cairn-restore "$s" --from "$PWD/dest" --to "$PWD/back/z" 2>/dev/null
done
compare_trees src back/z
cairn-verify --from "$PWD/dest" --read-data >/dev/null 2>&1 || die "verify --from the destination failed"
echo "pushed; restored from the destination"
