#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn salvage SET, with one pack of the set damaged (a flipped byte) and one deleted: a new
# set of the same source and class, tagged salvaged and salvage-of-<id>, holds every intact
# file and none of the damaged ones (its chunks referenced, not copied: no data pack is
# written); the dropped files are named, one line each, exit 4, an audit row. The new set
# verifies --read-data clean and restores byte-identical; a prune that drops the damaged set
# (and every other) keeps the salvage set's chunks, deletes the damaged pack, and the salvage
# set still restores. A set with nothing damaged is left alone (exit 0, nothing written).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_damaged.sh
. "$CAIRN_CASE_DIR/_damaged.sh"

make_damaged_repo
first=$(set_ids app | sed -n 1p)
damaged=$(set_ids app | tail -n 1)
damage_packs "$CAIRN_REPO"

expect_exit 0 cairn salvage "$first"
[ ! -s last.stdout ] || die "salvage of an intact set wrote: $(cat last.stdout)"
[ "$(set_ids app | wc -l)" = 4 ] || die "salvage of an intact set wrote a set"
echo "an intact set: nothing to salvage, exit 0"

find "$CAIRN_REPO/packs" -type f | sort >packs.before-salvage
expect_exit 4 cairn salvage "$damaged"
expect_stderr '^cairn: warning: b\.bin: dropped from the salvage set: .*does not authenticate'
expect_stderr '^cairn: warning: c\.bin: dropped from the salvage set: .*No such file or directory'
[ "$(grep -c ': warning: ' last.stderr)" = 2 ] || die "not one line per dropped file: $(cat last.stderr)"
expect_stderr "^cairn: error: set $damaged: 2 damaged entries were dropped \(named above\); set [0-9a-f]{64} holds the other 4"
salvaged=$(head -n 1 last.stdout)
[[ $salvaged =~ ^[0-9a-f]{64}$ ]] || die "salvage printed '$salvaged', not a set id"
[ "$(tail -n 1 last.stdout)" = "+sets/$salvaged" ] || die "the set object is not the last object printed: $(cat last.stdout)"
echo "salvage: the set id and its objects on stdout, the dropped files named, exit 4"

assert_eq app "$(ls_field "$salvaged" source)" "source"
assert_eq daily "$(ls_field "$salvaged" class)" "class"
assert_eq "$(ls_field "$damaged" time)" "$(ls_field "$salvaged" time)" "snapshot time"
cairn ls --tag salvaged --json | grep -q "\"$salvaged\"" || die "the salvage set is not tagged 'salvaged'"
cairn ls --tag "salvage-of-${damaged:0:32}" --json | grep -q "\"$salvaged\"" \
  || die "the salvage set is not tagged salvage-of-${damaged:0:32}"
# No data was copied: the only new pack holds the new set's manifest (a few hundred bytes).
find "$CAIRN_REPO/packs" -type f | sort >packs.after-salvage
new=$(comm -13 packs.before-salvage packs.after-salvage)
[ "$(printf '%s\n' "$new" | wc -l)" = 1 ] || die "salvage wrote packs: $new"
[ "$(stat -c %s "$new")" -lt 8192 ] || die "salvage wrote a $(stat -c %s "$new")-byte pack: data was copied"
cairn audit --json | grep -q "\"cairn salvage $damaged: set $salvaged, 4 entries kept, 2 damaged dropped\",\"outcome\":\"ok\"" || die "no audit row: $(cairn audit --json)"
echo "the salvage set: same source, class and time, tagged, no data copied, audited"

cairn-verify "$salvaged" --read-data >verify.out 2>verify.err || { cat verify.out verify.err >&2; die "verify --read-data of the salvage set failed"; }
cairn-restore "$salvaged" --to "$PWD/out" 2>restore.err || { cat restore.err >&2; die "restore of the salvage set failed"; }
check_intact out
echo "the salvage set verifies --read-data clean and restores"

# Prune every set of app but the newest (the salvage set); then, once another set is written
# (--grace-sets 1), the sweep deletes what only the pruned sets needed.
printf '[class.daily]\nkeep-last = 1\n' >policy.toml
cairn-prune --policy policy.toml --grace-time 0 >prune1.out 2>prune1.err || { cat prune1.err >&2; die "prune failed"; }
[ "$(set_ids app)" = "$salvaged" ] || die "prune kept $(set_ids app | tr '\n' ' '), not the salvage set alone"
mkdir other && printf 'other\n' >other/x
backup other --source other --class daily >/dev/null
cairn-prune --policy policy.toml --grace-time 0 >prune2.out 2>prune2.err || { cat prune2.err >&2; die "the sweep failed"; }
[ ! -e "$CAIRN_REPO/$PACK_B" ] || die "the damaged pack was not deleted by the sweep"
cairn-verify "$salvaged" --read-data >verify.out 2>verify.err || { cat verify.out verify.err >&2; die "verify --read-data after prune failed"; }
cairn-restore "$salvaged" --to "$PWD/after" 2>restore.err || { cat restore.err >&2; die "restore after prune failed"; }
check_intact after
echo "prune of the damaged set keeps the salvage set's chunks"
