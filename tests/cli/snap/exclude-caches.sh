#!/usr/bin/env bash
# --exclude-caches and --exclude-if-present (cairn-snap and cairn backup): a directory holding
# a valid CACHEDIR.TAG, or a file named by --exclude-if-present, is kept with that marker file
# only; its other content (nested directories too) is left out. A CACHEDIR.TAG without the
# signature (or shorter than it) tags nothing, and neither does a marker name elsewhere.
# A name with '/' is refused with one usage line (exit 2).
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
sig='Signature: 8a477f597d28d172789f06886806bc55'
mkdir -p src/keep src/cache/sub src/fake src/short src/build/obj src/vendor
echo kept >src/keep/a.txt
printf '%s\n# a cache\n' "$sig" >src/cache/CACHEDIR.TAG
echo gone >src/cache/blob && echo gone >src/cache/sub/deep
printf 'Signature: 0000000000000000000000000000000\n' >src/fake/CACHEDIR.TAG
echo kept >src/fake/data
printf 'Signature: 8a477f' >src/short/CACHEDIR.TAG
echo kept >src/short/data
touch src/build/.nobackup && echo gone >src/build/obj/x.o
echo kept >src/vendor/.nobackup-not && echo kept >src/vendor/lib.c

listing() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort); }

id=$(backup src --source snapped --exclude-caches --exclude-if-present .nobackup)
cairn-restore "$id" --to "$PWD/out1"
listing out1 >snapped.list
cat snapped.list
cmp src/cache/CACHEDIR.TAG out1/cache/CACHEDIR.TAG

cairn backup src --source whole -q --exclude-caches --exclude-if-present .nobackup
cairn-restore whole@latest --to "$PWD/out2"
listing out2 >backup.list
cmp snapped.list backup.list
echo "cairn backup: the same"

id=$(backup src --source all)
cairn-restore "$id" --to "$PWD/out3"
[ -f out3/cache/sub/deep ] && [ -f out3/build/obj/x.o ] || die "without the options, everything is kept"
echo "without the options: everything"

expect_exit 2 cairn-snap src --exclude-if-present a/b
expect_stderr "--exclude-if-present 'a/b' is not a file name"
[ "$(wc -l <last.stderr)" = 1 ] || die "more than one line: $(cat last.stderr)"
echo "a name with '/': usage error"
