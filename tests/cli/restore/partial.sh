#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Partial restore: a file, a directory (with its subtree), a glob, and several at once;
# exactly those entries (and the directories that hold them) appear, with their content.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
src=$PWD/src
mkdir -p src/a/b src/dir/sub/deeper src/docs src/empty
printf 'top\n' >src/top.txt
gen_file src/a/b/file.bin 300K 1
printf 'c\n' >src/a/b/c.txt
printf 'other\n' >src/a/other.dat
printf 'x\n' >src/dir/x
printf 'y\n' >src/dir/sub/y.txt
printf 'z\n' >src/dir/sub/deeper/z
ln -s ../x src/dir/sub/link
printf 'readme\n' >src/docs/readme.txt
printf 'png\n' >src/docs/img.png
printf 'dat\n' >src/z.dat
printf 'dir-like\n' >src/dir-sibling.dat
backup "$src" --source part >/dev/null

paths() { (cd "$1" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort); }
expect_paths() {  # expect_paths DIR PATH...
  diff -u --label expected --label "$1" <(printf '%s\n' "${@:2}" | LC_ALL=C sort) <(paths "$1") >&2 \
    || die "restore into $1 holds other entries than expected"
}

cairn-restore latest a/b/file.bin --to "$PWD/one" 2>/dev/null
expect_paths one a a/b a/b/file.bin
cmp src/a/b/file.bin one/a/b/file.bin
echo "one file"

cairn-restore latest dir --to "$PWD/dir" 2>/dev/null
expect_paths dir dir dir/x dir/sub dir/sub/y.txt dir/sub/deeper dir/sub/deeper/z dir/sub/link
compare_trees src/dir dir/dir
echo "one directory with its subtree"

cairn-restore latest '*.txt' --to "$PWD/glob" 2>/dev/null
expect_paths glob top.txt a a/b a/b/c.txt dir dir/sub dir/sub/y.txt docs docs/readme.txt
for f in top.txt a/b/c.txt dir/sub/y.txt docs/readme.txt; do cmp "src/$f" "glob/$f"; done
echo "a glob"

cairn-restore latest docs/img.png dir/sub/deeper 'a/*.dat' --to "$PWD/several" 2>/dev/null
expect_paths several docs docs/img.png dir dir/sub dir/sub/deeper dir/sub/deeper/z a a/other.dat
cmp src/a/other.dat several/a/other.dat
echo "several at once"

# a path that names nothing in the set restores nothing and says so
rc=0
cairn-restore latest no/such/path --to "$PWD/none" 2>none.err || rc=$?
[ "$rc" != 0 ] || die "restoring a path that is not in the set exited 0"
grep -q 'no/such/path' none.err || { cat none.err >&2; die "the error does not name the path"; }
[ -z "$(ls -A none 2>/dev/null)" ] || die "restoring a missing path restored something"
echo "a missing path fails"
