#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn report without a policy and with a write-only key: the classes are those of the
# catalog's sets (not in the policy, no rules: null), the generations' counts and who placed a
# hold are unknown to a write-only key (null), the rest is there; the JSON still validates
# against its schema. A policy named but missing is an error (exit 1) naming it.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

"$CAIRN_PY" -c 'import jsonschema' 2>/dev/null \
  || skip "python3-jsonschema is not installed (apt-get install python3-jsonschema): the report cannot be validated against its schema"
schema=$CAIRN_SOURCE_DIR/docs/schema/cairn.report-1.json

make_repo
mkdir src
gen_text src/notes.txt 100
set=$(backup src --source web --class weekly)
cairn hold "$set" --reason "retain for audit" >/dev/null 2>&1
(umask 077 && printf 'write only passphrase\n' >wo.pass)
cairn key export --write-only --new-passphrase-file wo.pass wo.key 2>/dev/null
CAIRN_KEY_FILE=$PWD/wo.key CAIRN_PASSPHRASE_FILE=$PWD/wo.pass cairn report --json >wo.json
cairn report --json >full.json

"$CAIRN_PY" - "$schema" "$set" <<'PY'
import json, sys, jsonschema
schema, set_id = sys.argv[1], sys.argv[2]
v = jsonschema.Draft202012Validator(json.load(open(schema)))
wo, full = json.load(open("wo.json")), json.load(open("full.json"))
for r in (wo, full):
    v.validate(r)
    assert r["policy"] is None, r["policy"]
    c, = r["classes"]
    assert (c["name"], c["in_policy"], c["retention"], c["min_copies"], c["sets"], c["held"], c["fewest_copies"]) == ("weekly", False, None, None, 1, 1, 1), c
    h, = r["holds"]
    assert (h["set"], h["reason"]) == (set_id, "retain for audit"), h
    assert r["audit"][0]["action"] == "hold", r["audit"]
g, = wo["encryption"]["generations"]
assert (g["packs"], g["sets"], g["readable"]) == (None, None, False), g
assert wo["holds"][0]["held_by"] is None and wo["holds"][0]["held_at"] is None, wo["holds"]
g, = full["encryption"]["generations"]
assert (g["packs"], g["sets"], g["readable"]) == (1, 1, True), g
assert full["holds"][0]["held_by"] is not None, full["holds"]
print("no policy: one class from the catalog, no rules; a write-only key: counts and who held unknown")
PY
grep -qx '  class weekly (not in the policy)' <(cairn report) || die "the text report does not say weekly is not in the policy"

expect_exit 1 cairn report --policy "$PWD/missing.toml"
expect_stderr "^cairn: error: policy file .*/missing\.toml' does not exist"
echo "a named policy that is missing: exit 1"
