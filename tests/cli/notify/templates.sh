#!/usr/bin/env bash
# The receivers' own payloads (cairn(7) RECEIVER FORMATS), checked field by field as the real
# HTTP receiver got them: slack+ (text and a coloured attachment), pagerduty+ (Events API v2
# with the routing key read from CAIRN_PAGERDUTY_KEY_FILE, trigger then resolve with one
# dedup key), opsgenie+ (Alert API with "Authorization: GenieKey" from CAIRN_OPSGENIE_KEY,
# created at the URL, closed at URL/ALIAS/close?identifierType=alias) and json+ (cairn's
# own). No key appears on stderr or in a target.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"

start_receiver http hook
url=http://127.0.0.1:$receiver_port
printf 'R0UT1NG-KEY-0123\n' >pd.key
chmod 600 pd.key
export CAIRN_PAGERDUTY_KEY_FILE=$PWD/pd.key
export CAIRN_OPSGENIE_KEY=og-secret-4567
cat >policy.toml <<TOML
[notify]
critical = ["slack+$url/slack/T0/B0/x", "pagerduty+$url/v2/enqueue",
            "opsgenie+$url/v2/alerts", "json+$url/json"]
TOML
export CAIRN_POLICY=$PWD/policy.toml
host=$("$CAIRN_PY" -c 'import socket; print(socket.gethostname())')

broken_repo
pack=$(find "$CAIRN_REPO/packs" -type f | head -n 1)
expect_exit 4 cairn-verify --read-data
expect_stderr '^cairn-verify: error: damage found: '
if grep -q 'cannot notify' last.stderr; then die "notifying failed: $(cat last.stderr)"; fi
if grep -q 'R0UT1NG\|og-secret' last.stderr; then die "a key on stderr"; fi
flip_byte "$pack" 1000  # repaired: the next run resolves
expect_exit 0 cairn-verify --read-data
if grep -q 'cannot notify' last.stderr; then die "notifying failed: $(cat last.stderr)"; fi

"$CAIRN_PY" - "$host" <<'PY'
import glob, json, os, sys
host = sys.argv[1]
got = {}
for meta in sorted(glob.glob("hook/*.meta.json")):
    m = json.load(open(meta))
    body = json.load(open(meta[:-len(".meta.json")] + ".body"))
    got.setdefault(m["path"].split("?")[0].split("/")[1], []).append((m, body))

def check(what, ok):
    if not ok:
        sys.exit("error: " + what)
    print(what)

key = "cairn/%s/run/cairn-verify" % host
slack = got["slack"]
check("slack: a trigger and a resolve", len(slack) == 2)
m, s = slack[0]
check("slack: text is the summary", s["text"].startswith("[critical] cairn-verify failed on %s with exit status 4" % host))
a = s["attachments"][0]
check("slack: critical colour", a["color"] == "#e01e5a")
check("slack: fallback is the text", a["fallback"] == s["text"])
check("slack: a section and a context block", [b["type"] for b in a["blocks"]] == ["section", "context"])
check("slack: the context names severity and dedup key",
      "*severity:* critical" in a["blocks"][1]["elements"][0]["text"] and key in a["blocks"][1]["elements"][0]["text"])
check("slack: the resolve is green", slack[1][1]["attachments"][0]["color"] == "#2eb67d")

pd = got["v2"]  # /v2/enqueue and /v2/alerts share the first segment: split them
enqueue = [(m, b) for m, b in pd if m["path"] == "/v2/enqueue"]
check("pagerduty: trigger then resolve", [b["event_action"] for _, b in enqueue] == ["trigger", "resolve"])
t, r = enqueue[0][1], enqueue[1][1]
check("pagerduty: routing key from the key file", t["routing_key"] == "R0UT1NG-KEY-0123" and r["routing_key"] == "R0UT1NG-KEY-0123")
check("pagerduty: one dedup key for trigger and resolve", t["dedup_key"] == key and r["dedup_key"] == key)
p = t["payload"]
check("pagerduty: severity critical", p["severity"] == "critical")
check("pagerduty: source is the host", p["source"] == host)
check("pagerduty: summary", p["summary"].startswith("[critical] cairn-verify failed"))
check("pagerduty: custom_details", p["custom_details"]["exit_code"] == 4 and p["custom_details"]["tool"] == "cairn-verify")
check("pagerduty: timestamp is RFC 3339 UTC", p["timestamp"].endswith("Z"))
check("pagerduty: no payload on resolve", "payload" not in r)
check("pagerduty: no Authorization header", enqueue[0][0]["authorization"] is None)

alerts = [(m, b) for m, b in pd if m["path"].startswith("/v2/alerts")]
check("opsgenie: create then close", [m["path"] for m, _ in alerts] == [
    "/v2/alerts", "/v2/alerts/cairn%%2F%s%%2Frun%%2Fcairn-verify/close?identifierType=alias" % host])
check("opsgenie: GenieKey authorization", all(m["authorization"] == "GenieKey og-secret-4567" for m, _ in alerts))
c = alerts[0][1]
check("opsgenie: alias is the dedup key", c["alias"] == key)
check("opsgenie: priority P1", c["priority"] == "P1")
check("opsgenie: message", c["message"] == "[critical] cairn-verify failed on %s" % host)
check("opsgenie: details are strings", all(isinstance(v, str) for v in c["details"].values()))
check("opsgenie: close names its source", alerts[1][1]["source"] == "cairn@" + host)

j = got["json"]
check("json: cairn.notify/1 with severity, action and dedup key",
      j[0][1]["schema"] == "cairn.notify/1" and j[0][1]["severity"] == "critical" and
      j[0][1]["action"] == "trigger" and j[0][1]["dedup_key"] == key and j[1][1]["action"] == "resolve")
PY
