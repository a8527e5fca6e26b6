#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# --stdout FILE writes one file's content, and nothing else, to stdout: a file of a directory
# snapshot, and the single entry of a --stdin snapshot (a database dump piped through).
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p src/some
gen_file src/some/file 2500K 3
printf 'small\n' >src/small.txt
: >src/empty
backup src --source files >/dev/null

cairn-restore latest --stdout some/file >f 2>err || { cat err >&2; die "restore --stdout failed"; }
cmp src/some/file f
cairn-restore latest --stdout small.txt >f 2>/dev/null
cmp src/small.txt f
cairn-restore latest --stdout empty >f 2>/dev/null
[ ! -s f ] || die "the empty file came back with content"
echo "files of a directory snapshot"

# --stdin: the content travels inside the stream
set -o pipefail
head -c 5M /dev/urandom | tee orig | cairn-snap --stdin db.dump --source pg | cairn-pack >pack.out 2>/dev/null
cairn-restore pg@latest --stdout db.dump >dump 2>/dev/null
cmp orig dump
# and once more with content that is not a multiple of anything, through cairn-diff
{ head -c 3333333 /dev/urandom; printf 'tail'; } >orig2
cairn-snap --stdin db.dump --source pg <orig2 | cairn-diff | cairn-pack >pack.out 2>/dev/null
cairn-restore pg@latest --stdout db.dump >dump2 2>/dev/null
cmp orig2 dump2
# the first dump is still there
cairn-restore "$(set_ids pg | sed -n 1p)" --stdout db.dump >dump1 2>/dev/null
cmp orig dump1
echo "a --stdin snapshot"

# a directory, or a path that is not in the set, is refused on stderr with nothing on stdout
for p in some no/such/file; do
  rc=0
  cairn-restore files@latest --stdout "$p" >f 2>err || rc=$?
  [ "$rc" != 0 ] || die "--stdout '$p' exited 0"
  [ ! -s f ] || die "--stdout '$p' wrote to stdout"
  grep -q "^cairn-restore: error: .*$p" err || { cat err >&2; die "--stdout '$p': no error naming it"; }
done
echo "a directory or a missing file is refused"
