#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn ls: one line per set, oldest first, under a header of columns; SOURCE filters;
# --json is one cairn.ls/1 object a line that agrees with what cairn-pack reported. Sizes are
# human (600.0KiB) unless --bytes; ENTRIES counts what a set holds; the first set of a source
# builds on nothing and shows as full, whatever kind was asked for.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p web db
gen_file web/a.bin 600K 1
gen_text web/b.txt 10
printf 'x\n' >db/x

# no sets yet: the header alone, and no JSON lines
cairn ls >ls.out 2>/dev/null
assert_eq 1 "$(wc -l <ls.out)" "lines of cairn ls on an empty repository"
cairn ls --json >ls.json 2>/dev/null
[ ! -s ls.json ] || die "cairn ls --json printed something for an empty repository"

ids=()
ids+=("$(backup web --source web --class daily -- --full)")
sleep 1.1
ids+=("$(backup db --source db --class weekly)")
sleep 1.1
printf 'y\n' >>web/b.txt
ids+=("$(backup web --source web --class daily)")

cairn ls --bytes >ls.out 2>/dev/null
header=$(head -n 1 ls.out)
for col in ID TIME SOURCE HOST KIND CLASS STATUS ENTRIES READ NEW STORED HOLD; do
  printf '%s\n' "$header" | grep -w "$col" >/dev/null || die "the header has no $col column: $header"
done
assert_eq 4 "$(wc -l <ls.out)" "lines of cairn ls (header + 3 sets)"
# oldest first: each line starts with a prefix of the set's id
i=0
tail -n +2 ls.out | while read -r id time _source host _kind _class status files size new stored hold; do
  want=${ids[i]}
  [ "${want#"$id"}" != "$want" ] || die "line $((i + 2)) of cairn ls shows '$id', expected a prefix of $want"
  [[ $time =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] || die "bad time '$time'"
  [ "$host" = "$(hostname)" ] || die "host '$host', expected $(hostname)"
  [[ $files =~ ^[0-9]+$ && $size =~ ^[0-9]+$ && $new =~ ^[0-9]+$ && $stored =~ ^[0-9]+$ ]] ||
    die "bad numbers: $files $size $new $stored"
  [ "$status" = committed ] || die "status '$status', expected committed"
  [ "$hold" = - ] || die "hold '$hold', expected -"
  i=$((i + 1))
done
tail -n +2 ls.out | awk '{print $3, $5, $6}' >cols
printf '%s\n' "web full daily" "db full weekly" "web incremental daily" >cols.want
diff -u cols.want cols >&2 || die "source, kind and class columns"
# a legal hold shows in the HOLD column (and nowhere else changes)
cairn hold "${ids[1]}" --reason "audit" >/dev/null 2>&1 || die "cairn hold failed"
cairn ls >ls.held 2>/dev/null
assert_eq "- held -" "$(tail -n +2 ls.held | awk '{printf "%s%s", (NR > 1 ? " " : ""), $NF}')" "the HOLD column after a hold"
# without --bytes, sizes are for people: the 600K file was read as 600.xKiB
cairn ls >ls.human 2>/dev/null
read -r _ _ _ _ _ _ _ _ hread hnew hstored _ < <(sed -n 2p ls.human)
[[ $hread =~ ^6[0-9][0-9]\.[0-9]KiB$ ]] || die "READ of the first set is '$hread', expected 6xx.xKiB"
for v in "$hnew" "$hstored"; do
  [[ $v =~ ^[0-9]+(\.[0-9])?(B|KiB|MiB)$ ]] || die "a size column shows '$v', not a human size"
done
echo "table: oldest first, with its columns"

cairn ls web >ls.web 2>/dev/null
assert_eq 3 "$(wc -l <ls.web)" "lines of cairn ls web"
! grep -q ' db ' ls.web || die "cairn ls web lists a db set"
cairn ls --json >ls.json 2>/dev/null
"$CAIRN_PY" -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <ls.json || die "cairn ls --json is not JSON Lines"
"$CAIRN_PY" - ls.json "${ids[@]}" <<'PY' || die "cairn ls --json content"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ids = sys.argv[2:]
assert [r["id"] for r in rows] == ids, ([r["id"] for r in rows], ids)
for r in rows:
    assert r["schema"] == "cairn.ls/1", r
    for k in ("time", "source", "host", "kind", "class", "status", "files", "bytes_read", "bytes_new", "bytes_stored"):
        assert k in r, (k, r)
assert [r["source"] for r in rows] == ["web", "db", "web"]
assert [r["kind"] for r in rows] == ["full", "incremental", "incremental"]
assert [r["class"] for r in rows] == ["daily", "weekly", "daily"]
# files: 2 files (3 entries with the root) for web, 1 (2) for db
f = [r["files"] for r in rows]
assert f[0] in (2, 3) and f[1] in (1, 2) and f[2] == f[0] and f[1] == f[0] - 1, f
assert rows[0]["bytes_read"] >= 600 * 1024, rows[0]
assert rows[0]["bytes_stored"] >= 600 * 1024 * 0.9, rows[0]  # random data does not compress
assert rows[2]["bytes_stored"] < rows[0]["bytes_stored"] / 4, rows  # the incremental shares a.bin
assert rows[0]["time"] < rows[1]["time"] < rows[2]["time"], rows
PY
cairn ls db --json >ls.db 2>/dev/null
assert_eq 1 "$(wc -l <ls.db)" "lines of cairn ls db --json"
cairn ls nosuch --json >ls.none 2>/dev/null
[ ! -s ls.none ] || die "cairn ls nosuch listed sets"
echo "json: cairn.ls/1 lines that parse"
