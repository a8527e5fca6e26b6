#!/usr/bin/env bash
# The audit log records restores (set, target, outcome), key changes, prunes (the sets
# removed), pushes (sets, destination) and tag changes beside holds; `cairn audit` shows it
# (a table, or --json one object a line). Secrets never appear in it.
set -euo pipefail
. "$CAIRN_CLI_LIB"

make_repo
mkdir app
echo one >app/f
first=$(backup app --source app)
echo two >app/f
second=$(backup app --source app)

cairn-restore "$first" --to out >/dev/null 2>&1
expect_exit 1 cairn-restore "$first" --stdout no/such/file
expect_stderr "no file 'no/such/file'"
printf 'another passphrase\n' >new.pass
cairn key add --new-passphrase-file new.pass >/dev/null 2>&1
cairn key export --write-only --new-passphrase-file new.pass wo.key >/dev/null 2>&1
cairn-push "$PWD/mirror" <pack.out >/dev/null 2>&1
cairn tag "$second" +gold >/dev/null
printf '[class.daily]\nkeep-last = 1\n' >policy.toml
cairn-prune --policy policy.toml >/dev/null 2>&1

cairn audit --json >audit.json
cmds=$("$CAIRN_PY" -c '
import json, sys
for line in open("audit.json"):
    r = json.loads(line)
    assert r["schema"] == "cairn.audit/1" and r["user"] and r["host"], r
    out = "ok" if r["outcome"] == "ok" else "failed"
    print(r["command"].split(" ")[0], r["command"].split(" ")[1], out)')
assert_eq "cairn-restore $first ok
cairn-restore $first failed
cairn key ok
cairn key ok
cairn-push $second ok
cairn tag ok
cairn-prune removes ok" "$(printf '%s\n' "$cmds" | sed 's/^\(cairn-prune removes\) .*/\1 ok/')" "audit commands"
grep -q "\"command\":\"cairn-restore $first --to $PWD/out\"" audit.json || die "restore target missing"
grep -q "\"command\":\"cairn-push $second to " audit.json || die "push destination missing"
grep -q "\"command\":\"cairn-prune removes $first\"" audit.json || die "pruned set missing"
if grep -q "another passphrase" audit.json; then die "a passphrase is in the audit log"; fi
echo "restores, key changes, pushes, tags and prunes are in the audit log"

cairn audit >audit.txt
assert_eq "TIME USER HOST OUTCOME COMMAND" "$(head -n 1 audit.txt | tr -s ' ')" "audit table header"
assert_eq 8 "$(wc -l <audit.txt)" "audit table rows"
grep -q "failed *cairn-restore $first --stdout no/such/file (" audit.txt || die "a failed restore is not shown failed"
echo "cairn audit shows it as a table"
