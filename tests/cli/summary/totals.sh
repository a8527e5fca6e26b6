#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Restore, verify --read-data and push know their total up front: the progress records
# (--progress-fd, cairn.progress/1) carry total_bytes, which the terminal line turns into
# "X of Y (P%)" and an ETA, and a finished run has done exactly that much.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

make_repo
mkdir -p src/d && gen_file src/a.bin 700K 1 && gen_file src/d/b.bin 1300K 2 && gen_text src/c.txt 50
ln -s a.bin src/link
cairn-snap src | cairn-diff | cairn-pack >pack.out

# The last "done" record of a progress stream, as "bytes total_bytes total_items".
done_totals() {
  python3 -c '
import json, sys
done = [json.loads(l) for l in open(sys.argv[1]) if "\"done\"" in l][-1]
print(done["bytes"], done.get("total_bytes", "-"), done.get("total_items", "-"))' "$1"
}

files_bytes=$(find src -type f -printf '%s\n' | awk '{s += $1} END {print s}')
cairn-restore latest --to "$PWD/out" --progress-fd 3 3>restore.jsonl
read -r done total items <<<"$(done_totals restore.jsonl)"
assert_eq "$files_bytes" "$total" "restore: total_bytes is the files' size"
assert_eq "$total" "$done" "restore: written bytes reach the total"

# A PATH restores part of the set: the total is that part.
cairn-restore latest d --to "$PWD/part" --progress-fd 3 3>part.jsonl
read -r done total items <<<"$(done_totals part.jsonl)"
assert_eq "$(stat -c %s src/d/b.bin)" "$total" "restore d: total_bytes is d's size"

packs_bytes=$(find "$CAIRN_REPO/packs" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
cairn-verify --read-data latest --progress-fd 3 3>verify.jsonl >/dev/null
read -r done total items <<<"$(done_totals verify.jsonl)"
assert_eq "$packs_bytes" "$total" "verify: total_bytes is the packs' size"
assert_eq "$total" "$done" "verify: bytes read reach the total"

cairn-push dest --progress-fd 3 3>push.jsonl <pack.out >/dev/null
read -r done total items <<<"$(done_totals push.jsonl)"
sent_bytes=$(find dest -type f -printf '%s\n' | awk '{s += $1} END {print s}')
sent_count=$(find dest -type f | wc -l)
assert_eq "$sent_bytes" "$total" "push: total_bytes is what the destination received"
assert_eq "$sent_count" "$items" "push: total_items is the objects sent"
assert_eq "$total" "$done" "push: bytes sent reach the total"
echo ok
