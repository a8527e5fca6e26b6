#!/usr/bin/env bash
# Small files at the stat-walk floor (issue 14), counted with strace -c, which contention does
# not move: cairn-snap spends one fstatat and one xattr listing per file (no faccessat for the
# user's own files) and cairn-pack one open (relative to the directory, kept open), two
# fstats, one read and one close per small file, and hands new chunks to its workers in
# batches (not two or three futex calls per file). The set restores byte for byte.
set -euo pipefail
. "$CAIRN_CLI_LIB"

need_strace
make_repo
n=0
for d in 1 2 3; do
  mkdir -p "src/d$d"
  for i in $(seq 1 100); do
    head -c $((d * 700 + i * 13)) "$CAIRN_SOURCE_DIR/README.md" >"src/d$d/f$i"
    n=$((n + 1))
  done
done
files=$n

# Starting a tool (its libraries, NSS, the catalog) takes a few dozen calls of its own: the
# bounds allow 100.
calls() { strace_calls "$@"; }

strace -f -c -o snap.strace cairn-snap src --source small >snap.stream
[ "$(calls faccessat2 snap.strace)" -eq 0 ] && [ "$(calls faccessat snap.strace)" -eq 0 ] \
  || { cat snap.strace >&2; die "cairn-snap checked access of its own files with faccessat"; }
stats=$(($(calls newfstatat snap.strace) + $(calls statx snap.strace)))
# (strace before 6.13 does not name listxattrat and leaves it out of -c's table: then 0)
lists=$(($(calls listxattrat snap.strace) + $(calls llistxattr snap.strace)))
[ "$stats" -le $((files + 100)) ] || die "cairn-snap: $stats stat calls for $files files"
[ "$lists" -le $((files + 20)) ] || die "cairn-snap: $lists xattr listings for $files files"
echo "cairn-snap: one stat and one xattr listing per file"

cairn-diff <snap.stream >diff.stream
strace -f -c -o pack.strace cairn-pack <diff.stream >pack.out 2>pack.err \
  || { cat pack.err >&2; die "cairn-pack failed"; }
opens=$(($(calls openat pack.strace) + $(calls open pack.strace)))
reads=$(calls read pack.strace)
futex=$(calls futex pack.strace)
[ "$(calls fadvise64 pack.strace)" -le 10 ] || die "cairn-pack advised on each small file"
# the rest is the repository's and catalog's files, a constant
[ "$opens" -le $((files + 150)) ] || { cat pack.strace >&2; die "cairn-pack: $opens opens for $files files"; }
[ "$reads" -le $((files + 150)) ] || { cat pack.strace >&2; die "cairn-pack: $reads reads for $files files"; }
[ "$futex" -le $((files / 2)) ] || { cat pack.strace >&2; die "cairn-pack: $futex futex calls for $files files"; }
echo "cairn-pack: one open and one read per small file, chunks handed over in batches"

set_id=$(head -n 1 pack.out)
cairn-restore "$set_id" --to "$PWD/out" 2>/dev/null
diff -r src out || die "the restore differs"
echo "the set restores byte for byte"
