#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# What each kind of set stores: an incremental set after a small change stores about the
# change; a differential set stores what changed since the last full set (even what an
# incremental already stored since); a full set stores everything again in its own packs.
# Sizes come from `cairn ls --json` (bytes_stored), cross-checked with the growth of the
# repository directory and pack's +packs/ lines; every set restores equal to the tree it saw.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
src=$PWD/src
mkdir -p "$src/a" "$src/b"
for i in 1 2 3; do gen_file "$src/a/r$i.bin" 4M "$i"; gen_file "$src/b/r$i.bin" 4M "1$i"; done
gen_text "$src/a/notes.txt" 200
gen_text "$src/b/log.txt" 300
tree_size=$(du -sb --apparent-size "$src" | cut -f1)
repo_size() { du -sb --apparent-size "$CAIRN_REPO" | cut -f1; }
new_packs() { grep -c '^+packs/' pack.out || true; }
MiB=$((1024 * 1024))

r0=$(repo_size)
full1=$(backup "$src" --source app -- --full)
r1=$(repo_size)
s_full1=$(ls_field "$full1" bytes_stored)
assert_eq full "$(ls_field "$full1" kind)" "kind of the first set"
[ "$s_full1" -ge $((tree_size * 9 / 10)) ] || die "full set stored $s_full1 bytes of a $tree_size-byte incompressible tree"
[ $((r1 - r0)) -ge $((tree_size * 9 / 10)) ] || die "repository grew by $((r1 - r0)) bytes for a $tree_size-byte tree"
[ "$(new_packs)" -ge 1 ] || die "full set printed no +packs/ line"
grep '^+packs/' pack.out | sort >packs-full1
echo "full: stores the tree"

# incremental: one small file changed, one added
gen_text "$src/a/notes.txt" 201
gen_file "$src/b/added.bin" 1M 99
cp -a "$src" snap-incr
incr=$(backup "$src" --source app)
r2=$(repo_size)
s_incr=$(ls_field "$incr" bytes_stored)
assert_eq incremental "$(ls_field "$incr" kind)" "kind of the default set"
[ "$s_incr" -ge $MiB ] || die "incremental stored $s_incr bytes, less than the 1 MiB file added"
[ "$s_incr" -lt $((3 * MiB)) ] || die "incremental stored $s_incr bytes after a 1 MiB change (tree: $tree_size)"
[ $((r2 - r1)) -lt $((3 * MiB)) ] || die "repository grew by $((r2 - r1)) bytes for an incremental set"
echo "incremental: stores only the change"

# differential: another small change; it may reuse only the full set's chunks, so it stores
# the added file again (the incremental's copy is not its to use), but nothing of the rest
gen_text "$src/b/log.txt" 301
cp -a "$src" snap-diff
diff1=$(backup "$src" --source app -- --differential)
r3=$(repo_size)
s_diff=$(ls_field "$diff1" bytes_stored)
assert_eq differential "$(ls_field "$diff1" kind)" "kind of the --differential set"
[ "$s_diff" -ge $MiB ] || die "differential stored $s_diff bytes: it reused the incremental's chunks"
[ "$s_diff" -lt $((3 * MiB)) ] || die "differential stored $s_diff bytes after ~1 MiB of change since the full set"
[ $((r3 - r2)) -lt $((3 * MiB)) ] || die "repository grew by $((r3 - r2)) bytes for a differential set"
echo "differential: stores the change since the full set"

# full again, nothing changed: everything stored again, in packs of its own
full2=$(backup "$src" --source app -- --full)
r4=$(repo_size)
s_full2=$(ls_field "$full2" bytes_stored)
assert_eq full "$(ls_field "$full2" kind)" "kind of the second --full set"
[ "$s_full2" -ge $((s_full1 * 9 / 10)) ] || die "second full set stored $s_full2 bytes, the first $s_full1"
[ $((r4 - r3)) -ge $((tree_size * 9 / 10)) ] || die "repository grew by $((r4 - r3)) bytes for a second full set"
grep '^+packs/' pack.out | sort >packs-full2
[ -s packs-full2 ] || die "second full set printed no +packs/ line"
[ -z "$(comm -12 packs-full1 packs-full2)" ] || die "the two full sets name the same packs"
echo "full again: stores everything in its own packs"

# every set restores to the tree it saw
cairn-restore "$full1" --to "$PWD/out-full1" 2>/dev/null
cairn-restore "$incr" --to "$PWD/out-incr" 2>/dev/null
cairn-restore "$diff1" --to "$PWD/out-diff" 2>/dev/null
cairn-restore "$full2" --to "$PWD/out-full2" 2>/dev/null
compare_trees snap-incr out-incr
compare_trees snap-diff out-diff
compare_trees "$src" out-full2
cmp out-full1/a/r1.bin "$src/a/r1.bin"
[ ! -e out-full1/b/added.bin ] || die "the first set holds a file added later"
echo "every set restores"
