#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Restore into a directory that already holds an older copy of the set (cairn-restore(1)
# --overwrite, --delete): a file changed in place (same size, same mtime: only its content
# tells), a file whose metadata alone changed, missing entries, entries the set does not hold,
# and symlinks planted where the set has a file and a directory, pointing outside the target.
#  - always (the default) replaces every file; if-changed keeps the files whose content is the
#    set's (same inode) and fixes their metadata; never keeps what is there;
#  - in every mode the planted symlinks are replaced, never followed: outside is untouched;
#  - --delete leaves exactly the set (with a PATH: only under that directory) and is refused
#    with a glob or with --to /.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

# What the planted symlinks point to: a file and a directory outside the target.
outside=$(mktemp -d /tmp/cairn-outside.XXXXXX)
trap 'rm -rf "$outside"' EXIT
mkdir "$outside/dir"
printf 'victim\n' >"$outside/victim"
outside_state() { (cd "$outside" && find . -printf '%p %y %m %s %T@\n' | LC_ALL=C sort && cat victim); }
outside_state >outside.before

make_repo
mkdir -p src/d/sub src/keep
printf 'one\n' >src/a.txt
gen_file src/big.bin 3M 1
printf 'two\n' >src/d/b.txt
printf 'three\n' >src/d/sub/c.txt
printf 'kept\n' >src/keep/k.txt
printf 'hard\n' >src/h1
ln src/h1 src/h2
ln -s a.txt src/link
chmod 0640 src/a.txt
backup "$PWD/src" --source ow >/dev/null

inode() { stat -c %i "$1"; }
# An older copy of the set in $1, changed as described above.
prepare() {
  rm -rf "$1"
  cairn-restore latest --to "$PWD/$1" 2>/dev/null
  printf 'ONE\n' >"$1/a.txt" && touch -r src/a.txt "$1/a.txt"  # only the content differs
  chmod 0600 "$1/big.bin" && touch -d 2001-01-01 "$1/big.bin"  # only metadata differs
  rm "$1/d/b.txt" && ln -s "$outside/victim" "$1/d/b.txt"      # planted: a file's place
  rm -r "$1/d/sub" && ln -s "$outside/dir" "$1/d/sub"          # planted: a directory's place
  rm "$1/keep/k.txt"                                           # missing
  printf 'extra\n' >"$1/extra.txt" && mkdir -p "$1/d/gone/deep" && touch "$1/d/gone/deep/x"
}
check_common() {  # the planted symlinks replaced, the missing file back, outside untouched
  [ -f "$1/d/b.txt" ] && [ ! -L "$1/d/b.txt" ] || die "$2: the symlink planted at d/b.txt is still there"
  [ -d "$1/d/sub" ] && [ ! -L "$1/d/sub" ] || die "$2: the symlink planted at d/sub is still there"
  cmp src/d/b.txt "$1/d/b.txt" && cmp src/d/sub/c.txt "$1/d/sub/c.txt" && cmp src/keep/k.txt "$1/keep/k.txt"
  outside_state | diff -u outside.before - >&2 || die "$2: restore wrote outside the target"
}

prepare t && big=$(inode t/big.bin) && a=$(inode t/a.txt)
cairn-restore latest --to "$PWD/t" 2>err || { cat err >&2; die "always failed"; }
check_common t always
cmp src/a.txt t/a.txt
[ "$(inode t/big.bin)" != "$big" ] || die "always kept big.bin instead of replacing it"
compare_trees src t 2>/dev/null && die "always deleted what the set does not hold"
[ -f t/extra.txt ] || die "always deleted extra.txt without --delete"
echo "always (the default): every file replaced, planted symlinks replaced"

prepare t && big=$(inode t/big.bin) && a=$(inode t/a.txt)
cairn-restore latest --overwrite if-changed --to "$PWD/t" -v 2>err || { cat err >&2; die "if-changed failed"; }
check_common t if-changed
cmp src/a.txt t/a.txt || die "if-changed kept a.txt: same size and mtime, other content"
[ "$(inode t/a.txt)" != "$a" ] || die "if-changed did not replace a.txt"
[ "$(inode t/big.bin)" = "$big" ] || die "if-changed replaced big.bin, whose content is the set's"
assert_eq "$(stat -c '%a %Y' src/big.bin)" "$(stat -c '%a %Y' t/big.bin)" "big.bin's mode and mtime"
grep -q 'entries already in the target were kept' err || { cat err >&2; die "-v does not count kept entries"; }
rm -r t/extra.txt t/d/gone
compare_trees --no-dir-mtime src t || die "if-changed: the tree is not the set's"
echo "if-changed: the changed file replaced, the same one kept with its metadata fixed"

prepare t && big=$(inode t/big.bin)
cairn-restore latest --overwrite never --to "$PWD/t" 2>err || { cat err >&2; die "never failed"; }
check_common t never
assert_eq "ONE" "$(cat t/a.txt)" "never: a.txt"
[ "$(inode t/big.bin)" = "$big" ] || die "never replaced big.bin"
assert_eq 600 "$(stat -c %a t/big.bin)" "never: big.bin's mode"
echo "never: existing files kept, missing ones restored"

prepare t
cairn-restore latest --overwrite if-changed --delete --to "$PWD/t" 2>err || { cat err >&2; die "--delete failed"; }
check_common t --delete
compare_trees src t || die "--delete: the tree is not the set's"
echo "--delete: exactly the set"

prepare t
cairn-restore latest d --delete --to "$PWD/t" 2>err || { cat err >&2; die "--delete d failed"; }
[ ! -e t/d/gone ] || die "--delete d left d/gone"
[ -f t/extra.txt ] || die "--delete d deleted extra.txt, outside its scope"
echo "--delete with a path: only under that path"

# a non-empty directory where the set has a file: named (exit 3) without --delete
prepare t && rm t/a.txt && mkdir -p t/a.txt/in && touch t/a.txt/in/f
expect_exit 3 cairn-restore latest --to "$PWD/t"
expect_stderr "a.txt.*--delete replaces it"
cairn-restore latest --delete --to "$PWD/t" 2>err || { cat err >&2; die "--delete with a directory in the way failed"; }
compare_trees src t || die "--delete did not replace the directory in the way"
echo "a directory where the set has a file: replaced with --delete only"

for bad in "'*.txt' --delete --to $PWD/t" "--delete --to /" "--overwrite never --tar" "--overwrite sometimes --to $PWD/t"; do
  rc=0
  eval "cairn-restore latest $bad" >/dev/null 2>err || rc=$?
  [ "$rc" = 2 ] || { cat err >&2; die "'$bad': exit $rc, not 2"; }
  [ "$(grep -c 'error:' err)" = 1 ] || { cat err >&2; die "'$bad': not one error line"; }
done
echo "refused: --delete with a glob or into /, --overwrite without --to, an unknown mode"
