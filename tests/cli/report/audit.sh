#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn report (cairn(1) REPORT): a repository with a policy of two classes, backups, a push, a
# verify --read-data, a drill, a legal hold, a restore, a prune, key changes (add, rotate) and a
# tag. The JSON report validates against docs/schema/cairn.report-1.json and says, field by
# field, what the policy, the key slot files, cairn key generations, cairn-verify --json and
# the commands run here say; the audit trail names each action with this user and host;
# --since keeps only what came after; every --csv table parses (python3 csv) and agrees with
# the JSON; the text report has the same facts.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"

"$CAIRN_PY" -c 'import jsonschema' 2>/dev/null \
  || skip "python3-jsonschema is not installed (apt-get install python3-jsonschema): the report cannot be validated against its schema"
schema=$CAIRN_SOURCE_DIR/docs/schema/cairn.report-1.json
[ -f "$schema" ] || die "no schema at $schema"

make_repo
dest=file://$PWD/dest
cat >policy.toml <<EOF
[class.daily]
keep-last = 1
min-copies = 2
destinations = ["$dest"]
rpo = "1d"
verify-every = "7d"

[class.archive]
keep-monthly = 12
keep-within = "30d"
keep-tagged = ["audit"]
immutable-days = 365
min-copies = 2
rto = "4h"
EOF
export CAIRN_POLICY=$PWD/policy.toml
mkdir app db
gen_file app/a.bin 200K 1
gen_text db/dump.sql 300
app1=$(backup app --source app --class daily)
gen_file app/b.bin 100K 2
app2=$(backup app --source app --class daily)
db1=$(backup db --source db --class archive)
cairn-push --all "$dest" >/dev/null 2>push.err || { cat push.err >&2; die "cairn-push failed"; }
cairn-verify --drill --json "$db1" >drill.json 2>drill.err || { cat drill.err >&2; die "the drill failed"; }
cairn-verify --read-data >/dev/null 2>verify.err || { cat verify.err >&2; die "cairn-verify --read-data failed"; }
cairn hold "$db1" --reason "litigation hold 42, counsel: J. Doe" >/dev/null 2>&1
echo "two classes, three sets, pushed, drilled, verified, one held"

sleep 1.1  # the audit rows before this second and after it: --since splits them
since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cairn-restore "$app2" --to "$PWD/back" 2>/dev/null
compare_trees --no-owner --no-xattr --no-acl app back
cairn-prune >/dev/null 2>prune.err || { cat prune.err >&2; die "cairn-prune failed"; }
(umask 077 && printf 'second passphrase\n' >second.pass)
cairn key add --new-passphrase-file second.pass 2>/dev/null
cairn key rotate >/dev/null 2>&1
gen_file db/more.bin 50K 3
db2=$(backup db --source db --class archive)
cairn tag "$db2" +audit >/dev/null 2>&1
echo "restored, pruned, a key added, the key rotated, a set tagged"

cairn report --json >report.json
cairn report --json --since "$since" >since.json
cairn report --json --since 1h >hour.json
cairn report >report.txt
cairn key generations >gens.txt
cairn key list >slots.txt

check() {  # check ARGS...: the Python program on stdin, over the reports in this directory
  "$CAIRN_PY" - "$@"
}

# The schema itself is valid, and each report validates against it.
check "$schema" report.json since.json hour.json <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
for f in sys.argv[2:]:
    jsonschema.Draft202012Validator(schema).validate(json.load(open(f)))
print("the three reports validate against cairn.report/1")
PY

user=$(id -un)
host=$(hostname)
export app1 app2 db1 db2 dest user host since
check "$CAIRN_REPO" "$PWD" <<'PY'
import json, os, struct, sys
repo, here = sys.argv[1], sys.argv[2]
E = os.environ
r = json.load(open("report.json"))
def eq(want, got, what):
    if want != got:
        sys.exit("%s: expected %r, got %r" % (what, want, got))

eq("cairn.report/1", r["schema"], "schema")
eq(os.path.join(here, "policy.toml"), r["policy"], "policy file")
eq(None, r["since"], "since without --since")
eq(repo, r["repository"]["location"], "repository location")
lv = r["repository"]["last_verify"]
eq(("read-data", True, None), (lv["kind"], lv["ok"], lv["set"]), "the whole repository's check")

# classes: what the policy says, and where the kept sets are
cls = {c["name"]: c for c in r["classes"]}
eq(["archive", "daily"], sorted(cls), "classes")
d, a = cls["daily"], cls["archive"]
eq(True, d["in_policy"], "daily in the policy")
eq(1, d["retention"]["keep_last"], "daily keep_last")
eq("keep-last 1", d["retention"]["rule"], "daily rule")
eq(None, d["immutable_days"], "daily immutability")
eq((2, [E["dest"]], "1d", None, "1w"), (d["min_copies"], d["destinations"], d["rpo"], d["rto"], d["verify_every"]), "daily objectives")
# app1 was pruned; app2 is kept, here and at the destination: 2 copies
eq((1, 0, 0, 2, 0), (d["sets"], d["held"], d["damaged"], d["fewest_copies"], d["below_min_copies"]), "daily sets and copies")
eq(1, len(d["placements"]), "daily placements")
p = d["placements"][0]
eq((True, 1), (p["in_policy"], p["sets"]), "daily placement")
assert p["destination"].endswith(here + "/dest"), p
assert p["last_pushed"] is not None, p
eq((12, "30d", ["audit"], 365, 2, "4h"), (a["retention"]["keep_monthly"], a["retention"]["keep_within"], a["retention"]["keep_tagged"], a["immutable_days"], a["min_copies"], a["rto"]), "archive rules")
eq("keep-monthly 12, keep-within 30d, keep-tagged audit", a["retention"]["rule"], "archive rule")
# db1 was pushed (--all), db2 was not: the fewest copies is 1, one set below min-copies 2
eq((2, 1, 1, 1), (a["sets"], a["held"], a["fewest_copies"], a["below_min_copies"]), "archive sets and copies")
eq([(False, 1)], [(x["in_policy"], x["sets"]) for x in a["placements"]], "archive placement (no policy destination)")

# encryption: the slot files' own headers, cairn key list and cairn key generations
e = r["encryption"]
eq(("XChaCha20-Poly1305", "X25519", "Ed25519", "hmac-sha256"), (e["cipher"], e["key_agreement"], e["signatures"], e["chunk_hash"]), "ciphers")
slots = {s["slot"]: s for s in e["key_slots"]}
listed = [l.split()[0] for l in open("slots.txt")]
eq(sorted(listed), sorted(slots), "key slots against cairn key list")
current = [l.split()[0] for l in open("slots.txt") if "(current)" in l]
eq(current, [s for s in slots if slots[s]["current"]], "the current slot")
for name, s in slots.items():
    raw = open(os.path.join(repo, "keys", name), "rb").read()
    ops, mem = struct.unpack_from("<QQ", raw, 10)
    eq(("Argon2id", ops, mem, None), (s["kdf"], s["kdf_ops"], s["kdf_mem_bytes"], s["error"]), "slot " + name)
gens = [l.split() for l in open("gens.txt")]
eq(len(gens), len(e["generations"]), "generations")
for line, g in zip(gens, e["generations"]):
    eq((int(line[0]), line[1], line[3]), (g["generation"], g["public_key"], g["record"]), "generation %s" % line[0])
    eq((int(line[4]), int(line[6])), (g["packs"], g["sets"]), "generation %s counts" % line[0])
eq([False, True], [g["new_data"] for g in e["generations"]], "new data goes to the newest generation")
eq(2, len(e["generations"]), "one rotation: two generations")

# checks per source: the drill of db1, then a read-data verify of every set
src = {s["source"]: s for s in r["sources"]}
eq(["app", "db"], sorted(src), "sources")
drill = [x for x in map(json.loads, open("drill.json")) if x.get("type") == "drill"][0]
ld = src["db"]["last_drill"]
eq(("drill", True, E["db1"], drill["restore_ms"], None), (ld["kind"], ld["ok"], ld["set"], ld["restore_ms"], ld["target"]), "db's last drill")
eq(("read-data", True), (src["db"]["last_verify"]["kind"], src["db"]["last_verify"]["ok"]), "db's newest check: the read-data verify after the drill")
lv = src["app"]["last_verify"]
eq(("read-data", True), (lv["kind"], lv["ok"]), "app's last verify")
assert lv["set"] in (E["app1"], E["app2"]), lv
eq(None, src["app"]["last_drill"], "app was never drilled")
eq((1, 2, ["daily"], ["archive"]), (src["app"]["sets"], src["db"]["sets"], src["app"]["classes"], src["db"]["classes"]), "sets per source")

# holds: who held db1, from where, and why
eq(1, len(r["holds"]), "holds")
h = r["holds"][0]
eq((E["db1"], "db", "archive", "litigation hold 42, counsel: J. Doe", E["user"], E["host"], "committed"),
   (h["set"], h["source"], h["class"], h["reason"], h["held_by"], h["held_on"], h["status"]), "the hold")

# the audit trail: every action, this user and host, in order
acts = [(x["action"], x["ok"]) for x in r["audit"]]
# the drill restored db1 into scratch space: a restore row of its own
eq([("push", True), ("restore", True), ("hold", True), ("restore", True), ("prune", True), ("key", True), ("key", True), ("tag", True)], acts, "audit actions")
for x in r["audit"]:
    eq((E["user"], E["host"]), (x["user"], x["host"]), "who and where of " + x["command"])
assert E["db1"] in r["audit"][0]["command"] and E["app2"] in r["audit"][0]["command"], r["audit"][0]
assert r["audit"][1]["command"].startswith("cairn-restore %s --to " % E["db1"]) and "/cairn-drill-" in r["audit"][1]["command"], r["audit"][1]
eq("cairn hold %s --reason litigation hold 42, counsel: J. Doe" % E["db1"], r["audit"][2]["command"], "the hold row")
eq("cairn-restore %s --to %s/back" % (E["app2"], here), r["audit"][3]["command"], "the restore row")
eq("cairn-prune removes " + E["app1"], r["audit"][4]["command"], "the prune row")
eq("cairn key add", r["audit"][5]["command"], "the key add row")
assert r["audit"][6]["command"].startswith("cairn key rotate (slot "), r["audit"][6]
eq("cairn tag %s +audit" % E["db2"], r["audit"][7]["command"], "the tag row")
ids = [x["id"] for x in r["audit"]]
eq(sorted(ids), ids, "audit rows by id")

# --since: only the rows from that time on; a duration back from now: all of them here
s = json.load(open("since.json"))
eq(E["since"], s["since"], "since")
eq(["restore", "prune", "key", "key", "tag"], [x["action"] for x in s["audit"]], "audit since")
eq(r["audit"][3:], s["audit"], "the rows since are the report's own")
eq(r["classes"], s["classes"], "--since does not change the classes")
hr = json.load(open("hour.json"))
eq(r["audit"], hr["audit"], "audit since 1h")
print("the JSON report agrees with the policy, the key slots, the generations, the drill and the commands run")
PY

# CSV: each table parses and says what the JSON says
for t in classes placements key-slots generations checks holds audit; do
  cairn report --csv "$t" >"$t.csv"
done
cairn report --csv audit --since "$since" >audit-since.csv
check <<'PY'
import csv, json, sys
r = json.load(open("report.json"))
def table(name):
    with open(name + ".csv", newline="") as f:
        raw = f.read()
    assert raw.endswith("\r\n"), name + ": records end with CRLF"
    rows = list(csv.reader(raw.splitlines(keepends=True)))
    return rows[0], [dict(zip(rows[0], x)) for x in rows[1:]]
def eq(want, got, what):
    if want != got:
        sys.exit("%s: expected %r, got %r" % (what, want, got))
def cell(v):
    if v is None: return ""
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, list): return " ".join(v)
    return str(v)

head, rows = table("classes")
eq(len(r["classes"]), len(rows), "classes rows")
for c, row in zip(r["classes"], rows):
    eq((c["name"], cell(c["retention"]["rule"]), cell(c["retention"]["keep_last"]), cell(c["immutable_days"]),
        cell(c["min_copies"]), cell(c["destinations"]), cell(c["fewest_copies"]), cell(c["below_min_copies"]), cell(c["in_policy"])),
       (row["class"], row["retention"], row["keep_last"], row["immutable_days"], row["min_copies"],
        row["destinations"], row["fewest_copies"], row["below_min_copies"], row["in_policy"]), "class " + c["name"])
head, rows = table("placements")
want = [(c["name"], p["destination"], str(p["sets"]), cell(p["last_pushed"])) for c in r["classes"] for p in c["placements"]]
eq(want, [(x["class"], x["destination"], x["sets"], x["last_pushed"]) for x in rows], "placements")
head, rows = table("key-slots")
eq([(s["slot"], cell(s["current"]), str(s["kdf_ops"]), str(s["kdf_mem_bytes"])) for s in r["encryption"]["key_slots"]],
   [(x["slot"], x["current"], x["kdf_ops"], x["kdf_mem_bytes"]) for x in rows], "key slots")
head, rows = table("generations")
eq([(str(g["generation"]), g["public_key"], g["record"], cell(g["packs"]), cell(g["sets"])) for g in r["encryption"]["generations"]],
   [(x["generation"], x["public_key"], x["record"], x["packs"], x["sets"]) for x in rows], "generations")
head, rows = table("checks")
eq([(s["source"], cell(s["last_verify"]["kind"]), cell(s["last_verify"]["ok"]), cell((s["last_drill"] or {}).get("restore_ms"))) for s in r["sources"]],
   [(x["source"], x["verify_kind"], x["verify_ok"], x["drill_restore_ms"]) for x in rows], "checks")
head, rows = table("holds")
eq([(h["set"], h["reason"], h["held_by"], h["held_on"]) for h in r["holds"]],
   [(x["set"], x["reason"], x["held_by"], x["held_on"]) for x in rows], "holds (a reason with a comma and a colon)")
head, rows = table("audit")
eq(["id", "time", "user", "host", "action", "ok", "command", "outcome"], head, "audit columns")
eq([(str(a["id"]), a["time"], a["action"], a["command"], a["outcome"]) for a in r["audit"]],
   [(x["id"], x["time"], x["action"], x["command"], x["outcome"]) for x in rows], "audit")
head, rows = table("audit-since")
eq(["restore", "prune", "key", "key", "tag"], [x["action"] for x in rows], "audit since, as CSV")
print("every CSV table parses and agrees with the JSON")
PY

# The text report: the same facts, for people.
repo_id=$("$CAIRN_PY" -c 'import json; print(json.load(open("report.json"))["repository"]["id"])')
drill_time=$("$CAIRN_PY" -c 'import json; print([s for s in json.load(open("report.json"))["sources"] if s["source"] == "db"][0]["last_drill"]["time"])')
grep -qx "cairn report of repository $repo_id" report.txt || die "no header line: $(head -n 1 report.txt)"
grep -q '^  class daily$' report.txt || die "no class daily in the text report"
grep -q '^    retention     keep-monthly 12, keep-within 30d, keep-tagged audit$' report.txt || die "archive's retention rule is not in the text report"
grep -q '^    immutable     365 days$' report.txt || die "archive's immutability is not in the text report"
grep -q '^    copies        at least 2; fewest now 1; 1 set below the minimum$' report.txt || die "archive's copies are not in the text report"
grep -qE "^    last drill    $drill_time drill ok, restored in [0-9]+ ms$" report.txt || die "db's drill is not in the text report"
grep -qF "by $user@$host: litigation hold 42, counsel: J. Doe" report.txt || die "the hold is not in the text report"
assert_eq 8 "$(sed -n '/^AUDIT TRAIL (everything)$/,$p' report.txt | grep -cE "^  [0-9T:Z-]+ +$user +$host +[a-z]+ +ok ")" "audit rows in the text report"
grep -qE "^  [0-9T:Z-]+ +$user +$host +prune +ok +cairn-prune removes $app1$" report.txt || die "the prune row is not in the text report"
echo "the text report says the same"

# Bad input: a clear error, exit 2.
expect_exit 2 cairn report --csv bogus
expect_stderr "^cairn: error: --csv 'bogus' is not a table of the report: give one of classes, placements, key-slots, generations, checks, holds, audit$"
expect_exit 2 cairn report --since yesterday
expect_stderr "^cairn: error: --since 'yesterday' is neither a time"
expect_exit 2 cairn report --json --csv audit
expect_stderr "^cairn: error: give --json or --csv TABLE, not both$"
echo "bad --csv, --since, and --json with --csv: exit 2"
