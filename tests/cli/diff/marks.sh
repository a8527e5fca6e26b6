#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-diff in a pipe marks each entry against the latest set of the stream's source:
# added / modified / unchanged / deleted; unchanged files carry their stored chunks and
# digest; the output is a valid manifest stream that cairn-pack takes. --against picks
# another base.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p src/d
printf 'same\n' >src/same.txt
printf 'before\n' >src/changed.txt
printf 'doomed\n' >src/d/deleted.txt
gen_file src/d/big.bin 1500K 1
ln -s same.txt src/link
first=$(backup src --source marks)

# first diff of a source without sets: everything is added
(set -o pipefail && cairn-snap src --source fresh | cairn-diff >fresh.stream 2>/dev/null)

printf 'after\n' >src/changed.txt
rm src/d/deleted.txt
printf 'new\n' >src/added.txt
(set -o pipefail && cairn-snap src --source marks | cairn-diff >marked.stream 2>diff.err) \
  || { cat diff.err >&2; die "snap | diff failed"; }

"$CAIRN_PY" - fresh.stream marked.stream <<'PY'
import json, sys
def load(p):
    lines = open(p, "rb").read().split(b"\n")
    assert lines[-1] == b"", "no newline at the end"
    head, *entries, trailer = [json.loads(l) for l in lines[:-1]]
    assert head["cairn"] == "manifest", head
    assert trailer.get("end") is True and trailer["entries"] == len(entries), trailer
    return {e["path"]: e for e in entries}
fresh = load(sys.argv[1])
assert all(e.get("status") == "added" for e in fresh.values()), [(p, e.get("status")) for p, e in fresh.items()]
m = load(sys.argv[2])
want = {"same.txt": "unchanged", "changed.txt": "modified", "added.txt": "added",
        "d/deleted.txt": "deleted", "d/big.bin": "unchanged", "link": "unchanged"}
for path, status in want.items():
    assert path in m, ("missing", path)
    assert m[path].get("status") == status, (path, m[path].get("status"), status)
assert len(m["same.txt"].get("chunks", [])) == 1, m["same.txt"]
assert len(m["d/big.bin"].get("chunks", [])) >= 1, m["d/big.bin"]
assert "chunks" not in m["changed.txt"] or m["changed.txt"]["chunks"] == [], m["changed.txt"]
PY
echo "entries marked"

# the marked stream packs, and the set is the current tree
cairn-pack <marked.stream >pack.out 2>/dev/null
cairn-restore "$(head -n 1 pack.out)" --to "$PWD/out" 2>/dev/null
compare_trees src out
[ ! -e out/d/deleted.txt ] || die "a deleted entry was restored"
echo "marked stream packs"

# --against the first set: changed.txt is modified, same.txt unchanged, relative to it
(set -o pipefail && cairn-snap src --source marks | cairn-diff --against "$first" >against.stream 2>/dev/null)
grep -q '"path":"changed.txt".*"status":"modified"' against.stream || die "--against: changed.txt not modified"
grep -q '"path":"same.txt".*"status":"unchanged"' against.stream || die "--against: same.txt not unchanged"
# against the latest set (just packed), nothing changed
(set -o pipefail && cairn-snap src --source marks | cairn-diff >latest.stream 2>/dev/null)
! grep -q '"status":"\(added\|modified\|deleted\)"' latest.stream || {
  grep '"status":"\(added\|modified\|deleted\)"' latest.stream >&2
  die "entries marked changed against the set of the same tree"
}
echo "--against"

# cairn-manifest(5): unchanged files carry the chunk ids of the base set, so cairn-pack does
# not read them again; the base set's stored manifest must list the same ids
cairn-restore "$first" --stdout same.txt | cmp - src/same.txt
"$CAIRN_PY" - marked.stream <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("path") == "same.txt":
        assert e.get("status") == "unchanged", e
        assert isinstance(e.get("chunks"), list) and len(e["chunks"]) == 1, ("chunks of unchanged same.txt", e)
        assert all(len(c) == 64 for c in e["chunks"]), e
        break
else:
    raise SystemExit("same.txt not in the stream")
PY
echo "unchanged files carry their chunks"
