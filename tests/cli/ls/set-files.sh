#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn ls SET [PATH]: a set's files in long format (mode, user, group, size, mtime, path),
# PATH limiting it to a file or subtree, --bytes exact sizes, --json cairn.ls-files/1 lines;
# a bare source name still lists that source's sets.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p web/sub web/subway
printf 'hello\n' >web/sub/a.txt
chmod 0640 web/sub/a.txt
touch -d '2025-11-26 05:00:00 UTC' web/sub/a.txt
gen_file web/big.bin 300K 7
ln -s sub/a.txt web/link
printf 'x\n' >web/subway/b.txt
id=$(backup web --source web)
me=$(id -un)
grp=$(id -gn)

cairn ls web@latest >files.out 2>ls.err || { cat ls.err >&2; die "cairn ls web@latest failed"; }
grep -qx -- "-rw-r----- $(printf '%-8s %-8s %9s' "$me" "$grp" 6B) 2025-11-26T05:00:00Z sub/a.txt" files.out ||
  { cat files.out >&2; die "no long-format line for sub/a.txt"; }
grep -Eq -- "^-.* 300\.0KiB .* big\.bin$" files.out || { cat files.out >&2; die "big.bin not shown as 300.0KiB"; }
grep -Eq -- "^lrwxrwxrwx .* link -> sub/a\.txt$" files.out || { cat files.out >&2; die "no symlink line"; }
grep -Eq -- "^d.* sub$" files.out || { cat files.out >&2; die "no line for directory sub"; }
assert_eq 7 "$(wc -l <files.out)" "entries of the set (root, big.bin, link, sub, sub/a.txt, subway, subway/b.txt)"
echo "a set's files in long format"

cairn ls "${id:0:6}" sub >sub.out 2>/dev/null
awk '{print $NF}' sub.out >sub.paths
printf '%s\n' sub sub/a.txt >sub.want
diff -u sub.want sub.paths >&2 || die "cairn ls ID sub: the subtree, and not subway"
cairn ls latest /sub/a.txt --bytes >one.out 2>/dev/null
assert_eq 1 "$(wc -l <one.out)" "lines of cairn ls latest /sub/a.txt"
assert_eq 307200 "$(cairn ls "$id" big.bin --bytes 2>/dev/null | awk '{print $4}')" "--bytes size of big.bin"
expect_exit 1 cairn ls web@latest nosuch
expect_stderr "holds no 'nosuch'"
echo "PATH limits the listing to a file or a subtree"

cairn ls web@latest --json >files.json 2>/dev/null
"$CAIRN_PY" - files.json "$id" <<'PY' || die "cairn ls SET --json content"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 7, rows
by = {r["path"]: r for r in rows}
a = by["sub/a.txt"]
assert a["schema"] == "cairn.ls-files/1" and a["set"] == sys.argv[2], a
assert (a["type"], a["mode"], a["size"], a["mtime"]) == ("file", "0640", 6, "2025-11-26T05:00:00Z"), a
for k in ("uid", "gid", "user", "group", "mtime_ns"):
    assert k in a, (k, a)
assert by["link"]["type"] == "symlink" and by["link"]["target"] == "sub/a.txt", by["link"]
assert by["sub"]["type"] == "dir", by["sub"]
PY
echo "--json: cairn.ls-files/1 lines"

cairn ls web >sets.out 2>/dev/null
assert_eq 2 "$(wc -l <sets.out)" "cairn ls web (a source) lists its sets"
head -n 1 sets.out | grep -q '^ID ' || die "cairn ls web printed no sets table"
cairn ls nosuch >none.out 2>/dev/null
assert_eq 1 "$(wc -l <none.out)" "cairn ls of a source with no sets: the header alone"
expect_exit 2 cairn ls web sub
expect_stderr "'web' is a source, not a set"
echo "a source name still lists sets"
