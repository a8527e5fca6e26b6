#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `cairn backup` ends with one summary line on stderr when stderr is a terminal (script(1)
# gives it one) or -v is given: set, kind, files, bytes read, new, stored, duration, rate;
# --json prints the same as one cairn.backup/1 object on stdout; a file or pipe gets nothing
# without -v.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir src && gen_text src/a.txt 100 && gen_file src/b.bin 300K 3
b='[0-9.]+ (B|[KMG]iB)'
line="^cairn: backup: set [0-9a-f]{12} \((incremental|full)\): [0-9]+ entries, $b read, $b new, $b stored, in [0-9a-z.]+( \($b/s\))?\$"

cairn backup "$PWD/src" >id 2>err
[ ! -s err ] || die "stderr is a file and no -v, yet: $(cat err)"
# The rate only when bytes were read: a changed file gives one, an unchanged tree none.
gen_file src/b.bin 300K 4
cairn backup -v "$PWD/src" >id 2>err
grep -Eq ", [1-9][0-9.]* (B|[KMG]iB) read, .* \($b/s\)\$" err || die "no rate after reading: $(cat err)"
cairn backup -v "$PWD/src" >id 2>err
grep -Eq ", 0 B read, $b new, $b stored, in [0-9a-z.]+\$" err || die "a rate for nothing read: $(cat err)"
cairn backup -v "$PWD/src" >id 2>err
grep -Eq "$line" err || die "no summary line with -v: $(cat err)"
echo "-v: summary"

script -qec "cairn backup '$PWD/src' >/dev/null" /dev/null </dev/null >tty.out
tr -d '\r' <tty.out | grep -Eq "$line" || die "no summary on a terminal: $(cat tty.out)"
echo "terminal: summary"

cairn backup --json "$PWD/src" >out.json 2>err
"$CAIRN_PY" - out.json <<'PY' || die "bad --json summary: $(cat out.json)"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
j = json.loads(lines[0])
assert list(j)[0] == "schema" and j["schema"] == "cairn.backup/1", j
assert j["files"] >= 2 and j["source"] == "src" and len(j["set"]) == 64, j
for k in ("bytes_read", "bytes_new", "bytes_stored", "duration_ms"):
    assert isinstance(j[k], int), k
PY
echo "--json: one object"
