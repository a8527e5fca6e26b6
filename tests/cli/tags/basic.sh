#!/usr/bin/env bash
# Tags on sets: --tag at backup (cairn-snap and cairn backup) goes into the set object,
# `cairn tag SET +T -T` writes a signed tag record, `cairn ls --tag T` and the reference
# SOURCE@tag:T select by tag, and a catalog rebuilt on a fresh HOME still knows every tag.
# A write-only key cannot change tags later; a bad tag is one line and exit 2.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir app
echo one >app/f
first=$(backup app --source app --tag release-1.0 --tag monthly)
echo two >app/f
second=$(cairn backup app --source app --tag nightly 2>/dev/null)
[[ $second =~ ^[0-9a-f]{64}$ ]] || die "cairn backup printed '$second', not a set id"
echo three >app/f
third=$(backup app --source app)

assert_eq "monthly release-1.0" "$(cairn tag "$first" | tr '\n' ' ' | sed 's/ $//')" "tags at backup"
assert_eq "nightly" "$(cairn tag "$second")" "cairn backup --tag"
assert_eq "" "$(cairn tag "$third")" "an untagged set"

# +T adds, -T removes (an option-like word is a change, not an option)
cairn tag "$second" +gold -nightly >tag.out
grep -Eq '^\+holds/[0-9a-f]{64}$' tag.out || die "cairn tag must print its tag record: $(cat tag.out)"
assert_eq "gold" "$(cairn tag "$second")" "after +gold -nightly"
assert_eq "$second" "$(set_ids --tag gold)" "cairn ls --tag gold"
cairn tag "$first" +gold >/dev/null
assert_eq "$first $second" "$(set_ids --tag gold | tr '\n' ' ' | sed 's/ $//')" "two gold sets"
echo "tags at backup and later; ls --tag selects"

# the newest set carrying the tag, not the newest set
cairn-restore app@tag:gold --to out-gold 2>/dev/null
assert_eq "two" "$(cat out-gold/f)" "app@tag:gold restores the second set"
cairn-restore app@tag:monthly --to out-monthly 2>/dev/null
assert_eq "one" "$(cat out-monthly/f)" "app@tag:monthly restores the first set"
expect_exit 1 cairn-restore app@tag:none --to out-none
expect_stderr "no backup set matches 'app@tag:none'"
echo "SOURCE@tag:T restores the newest set with that tag"

# the catalog follows the repository: a fresh HOME rebuilds every tag
unset CAIRN_CATALOG
export HOME=$PWD/fresh XDG_STATE_HOME=$PWD/fresh/state
mkdir -p "$HOME"
cairn catalog rebuild >/dev/null 2>&1
assert_eq "$first $second" "$(set_ids --tag gold | tr '\n' ' ' | sed 's/ $//')" "gold after rebuild"
assert_eq "gold monthly release-1.0" "$(cairn tag "$first" | tr '\n' ' ' | sed 's/ $//')" \
  "first set's tags after rebuild"
assert_eq "gold" "$(cairn tag "$second")" "a removed tag stays removed after rebuild"
echo "a rebuilt catalog on a fresh HOME lists the tags"

# a write-only key tags only what it writes
cairn key export --write-only --new-passphrase-file "$CAIRN_PASSPHRASE_FILE" wo.key >/dev/null
expect_exit 12 env CAIRN_KEY_FILE="$PWD/wo.key" cairn tag "$third" +gold
expect_stderr "needs a full key: this key is write-only"
expect_exit 2 cairn tag "$third" +bad/tag
expect_stderr "invalid tag 'bad/tag'"
expect_exit 2 cairn tag "$third" gold
expect_stderr "'gold' is not a tag change"
expect_exit 2 cairn-snap app --tag ''
expect_stderr "invalid tag ''"
echo "write-only key: exit 12; bad tags: exit 2"

# cairn-verify accepts the tag records
cairn-verify >/dev/null 2>&1 || die "cairn-verify fails on a repository with tag records"
# a damaged tag record is named by verify and skipped (exit 3) by rebuild
rec=$(sed -n 's|^+holds/||p' tag.out)
flip_byte "$CAIRN_REPO/holds/$rec" 40
expect_exit 3 cairn catalog rebuild
expect_stderr "tag record.*$rec"
expect_exit 4 cairn-verify
grep -q "$rec" last.stdout last.stderr || die "cairn-verify does not name the damaged tag record"
echo "a damaged tag record: rebuild exit 3, verify exit 4"
