#!/usr/bin/env bash
# The catalog can always be rebuilt from the repository alone: sets of two sources, three
# kinds and two classes, a legal hold placed after the set was written, a hold placed and
# released, and a pruned set; then the catalog is deleted and `cairn catalog rebuild` makes
# `cairn ls --json` exactly what it was. A hold record that is tampered with is named and
# skipped (exit 3: it never blocks a rebuild; the old catalog's holds stay); cairn-verify
# names it as damage.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p app db
gen_file app/a.bin 300K 1
gen_file db/dump.sql 200K 2
pipe() { (set -o pipefail; cairn-snap "$@" | cairn-diff | cairn-pack "${pack_args[@]}" | head -n 1); }
pack_args=(--full)
pipe db --source db --class critical >/dev/null
pack_args=()
pipe app --source app >/dev/null
gen_file app/b.bin 100K 3
held=$(pipe app --source app)
gen_file db/more.sql 50K 4
pack_args=(--differential)
released=$(pipe db --source db --class critical)
pack_args=()
gen_file app/c.bin 10K 5
pipe app --source app >/dev/null

cairn hold "$held" --reason "litigation 2026-17" >hold.out
[ "$(wc -l <hold.out)" = 1 ] && grep -Eq '^\+holds/[0-9a-f]{64}$' hold.out \
  || die "hold must print exactly its hold record: $(cat hold.out)"
cairn hold "$held" --reason "litigation 2026-17" | cairn-push "$PWD/mirror" >hold-push.out
grep -q '^+holds/' hold-push.out || die "cairn hold | cairn-push did not carry the record"
cairn key export --write-only --new-passphrase-file "$CAIRN_PASSPHRASE_FILE" wo.key >/dev/null
expect_exit 12 env CAIRN_KEY_FILE="$PWD/wo.key" cairn release "$held"
grep -q "write-only" last.stderr || die "no clear line for a write-only key: $(cat last.stderr)"
cairn hold "$released" --reason "audit" >/dev/null
cairn release "$released" >/dev/null
cat >policy.toml <<'POL'
[class.daily]
keep-last = 1
[class.critical]
keep-last = 2
POL
cairn-prune --policy policy.toml >/dev/null 2>&1
cairn ls --json >before.json
[ "$(grep -c '"status":"committed"' before.json)" = 4 ] || die "expected 4 sets after prune: $(cat before.json)"
grep -q "\"id\":\"$held\".*\"legal_hold\":true,\"hold_reason\":\"litigation 2026-17\"" before.json \
  || die "the held set is not shown held"
echo "before: 4 sets, one held, one pruned"

rm -f "$CAIRN_CATALOG" "$CAIRN_CATALOG-wal" "$CAIRN_CATALOG-shm"
cairn catalog rebuild >/dev/null 2>&1
cairn ls --json >after.json
diff -u before.json after.json >&2 || die "ls --json differs after the rebuild"
echo "rebuilt from the repository alone: ls --json identical"

# the first of the held set's two hold records: the other still holds it, so the old
# catalog and the records agree (a damaged release would leave only its hold to apply)
rec=$(sed -n 's|^+holds/||p' hold.out)
cp after.json keep.json
flip_byte "$CAIRN_REPO/holds/$rec" 30
expect_exit 3 cairn catalog rebuild
grep -q "hold record '$rec'" last.stderr || die "the damaged record is not named: $(cat last.stderr)"
cairn ls --json >now.json
diff -u keep.json now.json >&2 || die "the rebuild lost what the old catalog knew"
echo "damaged hold record: exit 3, named and skipped, catalog rebuilt"
expect_exit 4 cairn-verify
grep -q "$rec" last.stdout last.stderr || die "cairn-verify does not name the damaged hold record"
echo "cairn-verify: exit 4, names the hold record"
