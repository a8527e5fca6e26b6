#!/usr/bin/env bash
# One size format: `cairn status` shows sizes for people (KiB, MiB) in its table, and with
# --bytes the exact byte counts its JSON has.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir data && gen_file data/f 300K 1
backup data --source app >/dev/null
stored=$(cairn status --json | python3 -c '
import json, sys
print(sum(json.loads(l).get("stored_bytes", 0) for l in sys.stdin if "cairn.status/1" in l))')
[ "$stored" -gt 1024 ] || die "stored_bytes is $stored"
col() { awk -v h=STORED '$1 == "SOURCE" { for (i = 1; i <= NF; i++) if ($i == h) c = i; next } $1 == "app" { print $c }'; }
human=$(cairn status | col)
[[ $human =~ ^[0-9.]+(KiB|MiB)$ ]] || die "STORED without --bytes: '$human'"
exact=$(cairn status --bytes | col)
assert_eq "$stored" "$exact" "STORED with --bytes"
echo ok
