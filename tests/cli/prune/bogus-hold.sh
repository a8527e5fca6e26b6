#!/usr/bin/env bash
# One bad object cannot take the repository hostage: a garbage file under a valid
# content-address name in holds/ (written straight into storage, as an attacker with storage
# access would) is reported by name and skipped by cairn-prune and cairn catalog rebuild
# (exit 3, warnings); both still do their work. cairn-verify names it as damage.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir a
printf 'one\n' >a/v
s1=$(backup a --source app)
printf 'two\n' >a/v
s2=$(backup a --source app)
printf 'not a hold record at all\n' >garbage
name=$(b2sum -l 256 garbage | cut -d' ' -f1)
mkdir -p "$CAIRN_REPO/holds"
cp garbage "$CAIRN_REPO/holds/$name"

printf '[class.daily]\nkeep-last = 1\n' >policy.toml
expect_exit 3 cairn-prune --policy policy.toml
grep -q "hold record $name" last.stderr || die "prune does not name the record: $(cat last.stderr)"
[ "$(set_ids app)" = "$s2" ] || die "prune did not prune set 1: $(set_ids app)"
echo "cairn-prune: exit 3, names the record, prunes"

expect_exit 3 cairn catalog rebuild
grep -q "hold record $name" last.stderr || die "rebuild does not name the record: $(cat last.stderr)"
[ "$(set_ids app)" = "$s2" ] || die "rebuild: expected set 2 alone: $(set_ids app)"
echo "cairn catalog rebuild: exit 3, names the record, rebuilds"

expect_exit 4 cairn-verify
expect_stderr '^cairn-verify: error: damage found: '
grep -q "$name" last.stdout || die "cairn-verify does not name the record"
echo "cairn-verify: exit 4, names it"
