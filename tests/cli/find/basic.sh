#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn find PATTERN: one line per matching path of every set (id prefix, source, time, size,
# path), oldest set first; a pattern without '/' matches the file name, with '/' the whole
# path; --source and --since narrow the sets; --json is cairn.find/1 lines.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p app/etc app/lib db
printf 'port=1\n' >app/etc/app.conf
printf 'lib\n' >app/lib/app.conf
printf 'd\n' >db/db.conf
a1=$(backup app --source app)
d1=$(backup db --source db)
sleep 1.1  # set times are shown to the second: --since below falls between the sets
printf 'port=2\n' >app/etc/app.conf
printf 'new\n' >app/etc/new.conf
a2=$(backup app --source app)

cairn find app.conf >f.out 2>f.err || { cat f.err >&2; die "cairn find app.conf failed"; }
t2=$(cairn ls app --json 2>/dev/null | "$CAIRN_PY" -c 'import json,sys; print([json.loads(l) for l in sys.stdin][-1]["time"])')
t1=$(cairn ls app --json 2>/dev/null | "$CAIRN_PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["time"])')
printf '%s %-16s %s %9s %s\n' "${a1:0:12}" app "$t1" 7B etc/app.conf >f.want
head -n 1 f.out >f.first
diff -u f.want f.first >&2 || die "the first line of cairn find app.conf"
awk '{print $1, $2, $NF}' f.out >f.cols
printf '%s\n' "${a1:0:12} app etc/app.conf" "${a1:0:12} app lib/app.conf" \
  "${a2:0:12} app etc/app.conf" "${a2:0:12} app lib/app.conf" >f.cols.want
diff -u f.cols.want f.cols >&2 || die "cairn find app.conf: the name matches in every directory of every set"
echo "a name matches in every set and directory"

cairn find 'etc/*.conf' | awk '{print $1, $NF}' >p.cols
printf '%s\n' "${a1:0:12} etc/app.conf" "${a2:0:12} etc/app.conf" "${a2:0:12} etc/new.conf" >p.want
diff -u p.want p.cols >&2 || die "cairn find etc/*.conf: a pattern with '/' matches the whole path"
assert_eq "${d1:0:12} db.conf" "$(cairn find '*.conf' --source db | awk '{print $1, $NF}')" "--source db"
cairn find '*.conf' --since "$t2" | awk '{print $1}' | sort -u >s.ids
assert_eq "${a2:0:12}" "$(cat s.ids)" "--since the last set's time"
assert_eq 6 "$(cairn find '*.conf' --since 1h | wc -l)" "--since 1h: every set"
[ -z "$(cairn find 'nomatch*')" ] || die "cairn find nomatch printed something"
assert_eq 7 "$(cairn find etc/app.conf --bytes | head -n 1 | awk '{print $4}')" "--bytes"
echo "--source, --since and patterns with '/'"

cairn find new.conf --json >j.out
"$CAIRN_PY" - j.out "$a2" "$t2" <<'PY' || die "cairn find --json content"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1, rows
r = rows[0]
assert r["schema"] == "cairn.find/1", r
assert (r["set"], r["source"], r["time"], r["path"], r["type"], r["size"]) == (sys.argv[2], "app", sys.argv[3], "etc/new.conf", "file", 4), r
assert "mtime" in r, r
PY
echo "--json: cairn.find/1 lines"

expect_exit 2 cairn find '*.conf' --since 2026-02-31
expect_stderr "2026-02-31"
[ "$(wc -l <last.stderr)" = 1 ] || die "a bad --since: expected one error line"
echo "a bad --since is refused"
