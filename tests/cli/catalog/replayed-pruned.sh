#!/usr/bin/env bash
# A pruned set object uploaded again does not come back as committed: someone with storage
# access keeps a copy of a set object, and puts it back after cairn-prune removed it. The
# catalog remembers the set as pruned: ls, SOURCE@latest and status do not count it,
# cairn-prune removes it again with a warning (exit 3), and cairn catalog rebuild (from a
# catalog that remembers) keeps it pruned. (A rebuild with no catalog at all cannot know: see
# cairn-catalog(5).)
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir a
printf 'one\n' >a/v
s1=$(backup a --source app)
sleep 1.1
printf 'two\n' >a/v
s2=$(backup a --source app)
obj=$(find "$CAIRN_REPO/sets" -type f -name "$s1")
[ -n "$obj" ] || die "no set object file for $s1"
cp "$obj" kept-copy
printf '[class.daily]\nkeep-last = 1\n' >policy.toml
cairn-prune --policy policy.toml >/dev/null 2>&1
[ ! -e "$obj" ] || die "prune did not remove set $s1"
cp kept-copy "$obj"
echo "set 1 pruned, then its object uploaded again"

committed() { cairn ls --json | grep '"status":"committed"' | grep -c "\"id\":\"$1\"" || true; }
assert_eq 0 "$(committed "$s1")" "set 1 committed in cairn ls"
rm -rf out
cairn-restore app@latest --to "$PWD/out" 2>/dev/null
assert_eq two "$(cat out/v)" "app@latest"
cairn status --json >status.json
grep -q "\"sets\":1\b" status.json || die "status counts the replayed set: $(cat status.json)"
echo "ls, app@latest and status: not committed"

cp kept-copy "$obj"
cairn catalog rebuild >/dev/null 2>rebuild.err || true
grep -q "$s1" rebuild.err || die "rebuild does not name the replayed set: $(cat rebuild.err)"
assert_eq 0 "$(committed "$s1")" "set 1 committed after the rebuild"
echo "cairn catalog rebuild: names it, keeps it pruned"

expect_exit 3 cairn-prune --policy policy.toml
grep -q "$s1" last.stderr || die "prune does not name the replayed set: $(cat last.stderr)"
[ ! -e "$obj" ] || die "prune did not remove the replayed set object again"
assert_eq 0 "$(committed "$s1")" "set 1 committed after prune"
echo "cairn-prune: exit 3, names it, removes it again"
