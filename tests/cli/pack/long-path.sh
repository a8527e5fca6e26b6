#!/usr/bin/env bash
# A file below a path longer than PATH_MAX (4096) is stored, not just listed (issue 18):
# cairn-pack opens it relative to a directory opened on the way down. The tree is built with
# relative mkdir/cd steps, as no single path to it fits in PATH_MAX.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
top=$PWD
name=$(printf '%0200d' 0)
mkdir a
cd a
rel=
for _ in $(seq 1 25); do
  mkdir "$name"
  cd "$name"
  rel=$rel$name/
done
printf 'deep\n' >f
cd "$top"
[ ${#rel} -gt 4096 ] || die "the path is not longer than PATH_MAX"

(set -o pipefail && cairn-snap a --source app | cairn-diff | cairn-pack >pack.out 2>pack.err) \
  || { cat pack.err >&2; die "the backup did not exit 0"; }
[ ! -s pack.err ] || die "cairn-pack warned: $(cat pack.err)"
assert_eq deep "$(cairn-restore app@latest --stdout "${rel}f" 2>/dev/null)" "the file's content"
echo "a file below a path longer than PATH_MAX: stored"
