#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# --log-format json (cairn(7) LOGGING): every stderr line of every tool is one JSON object
# with time, tool, level, event and msg first; _check.py parses each line with python3's json
# and lists "level event". A failing tool, a snapshot with many warnings (some on a path that
# is not UTF-8), -v with a summary, CAIRN_LOG_FORMAT, a bad value, a usage error, the front
# command, a failed notification; the text format is unchanged.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
check() { "$CAIRN_PY" "$CAIRN_CASE_DIR/_check.py" "$@"; }
# field FILE EVENT KEY: KEY of the first record with EVENT (JSON-encoded)
field() {
  "$CAIRN_PY" -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["event"] == sys.argv[2]:
        print(json.dumps(r.get(sys.argv[3]), ensure_ascii=False))
        break
else:
    sys.exit(f"no {sys.argv[2]} record in {sys.argv[1]}")' "$@"
}
count() { check "$1" | grep -c "^$2\$" || true; }  # count FILE "LEVEL EVENT"

make_repo
mkdir src
gen_text src/a.txt 50

# A failing tool: one record, level error, its exit status in exit_code; the text format
# says the same msg after "<tool>: error: ".
expect_exit 10 cairn-verify --repo "$PWD/nowhere" --log-format json latest
check last.stderr cairn-verify
assert_eq 10 "$(field last.stderr error exit_code)" "exit_code"
json_msg=$(field last.stderr error msg)
expect_exit 10 cairn-verify --repo "$PWD/nowhere" latest
text=$(cat last.stderr)
assert_eq "cairn-verify: error: ${json_msg:1:-1}" "$text" "the text line"
echo "failure: one error record"

# Many warnings in one run, from a snapshot: names that are not UTF-8, and xattr names
# that are not UTF-8 (not recorded: one warning each).
mkdir warn
if ! setfattr -n "user.probe" -v 1 src/a.txt 2>/dev/null; then
  skip "no user xattrs on this filesystem"
fi
"$CAIRN_PY" - <<'PY'
import os
for i in range(400):
    name = b"warn/f%03d" % i + (b"\xff" if i % 2 else b"")
    with open(name, "wb") as f:
        f.write(b"x" * i)
    os.setxattr(name, b"user.\xfe%d" % i, b"v")
PY
rc=0
cairn-snap --log-format json warn >snap.stream 2>snap.err || rc=$?
assert_eq 3 "$rc" "cairn-snap's exit status"
check snap.err cairn-snap >/dev/null
assert_eq 400 "$(count snap.err 'warning warning')" "warning records"
assert_eq 1 "$(count snap.err 'warning problems')" "problems records"
assert_eq 400 "$(field snap.err problems items)" "problems: items"
"$CAIRN_PY" - snap.err <<'PY'
import base64, json, sys
bad = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["event"] != "warning":
        continue
    assert r["msg"].startswith(r["path"] + ": "), r
    if "path_b64" in r:  # the exact bytes; "path" has U+FFFD in their place
        raw = base64.b64decode(r["path_b64"])
        assert raw.endswith(b"\xff") and r["path"].endswith("\ufffd"), r
        assert raw.decode("utf-8", "replace") == r["path"], r
        bad += 1
assert bad == 200, bad
PY
echo "snap: 400 warnings, 200 with path_b64, one problems record"

# The same from cairn backup, whose stages run in three threads.
rc=0
cairn backup --log-format json warn >backup.out 2>backup.err || rc=$?
assert_eq 3 "$rc" "cairn backup's exit status"
assert_eq 400 "$(count backup.err 'warning warning')" "backup: warning records"
echo "backup: 400 warnings, each a whole line"

# -v: the -v lines are info records, and the summary has its counts as numbers.
cairn-snap -v --log-format json src 2>snap-v.err | cairn-pack -v --log-format json \
  >pack.out 2>pack-v.err
check snap-v.err cairn-snap | sort -u
check pack-v.err cairn-pack | sort -u
assert_eq 2 "$(field snap-v.err summary entries)" "snap: summary entries"
assert_eq 2 "$(field pack-v.err summary entries)" "pack: summary entries"
bytes=$(field pack-v.err summary bytes_read)
[[ $bytes =~ ^[0-9]+$ ]] && [ "$bytes" -gt 0 ] || die "bytes_read is not a number: $bytes"
[[ $(field pack-v.err summary duration_ms) =~ ^[0-9]+$ ]] || die "duration_ms is not a number"
assert_eq "\"$(head -c 64 pack.out)\"" "$(field pack-v.err summary set)" "summary: set"
echo "-v: verbose records and a numeric summary"

# CAIRN_LOG_FORMAT=json: the same without the flag; the flag wins over it. Without -v the
# summary is logged too (a log is not a terminal), and -q drops it.
CAIRN_LOG_FORMAT=json cairn-verify latest >/dev/null 2>env.err
check env.err cairn-verify
CAIRN_LOG_FORMAT=json cairn-verify -q latest >/dev/null 2>quiet.err
[ ! -s quiet.err ] || die "-q logged: $(cat quiet.err)"
CAIRN_LOG_FORMAT=json cairn-verify --log-format text -v latest >/dev/null 2>text.err
grep -Eq '^cairn-verify: [0-9]+ items, ' text.err || die "--log-format text: $(cat text.err)"
echo "CAIRN_LOG_FORMAT=json; --log-format text wins"

# A bad value is a usage error: exit 2, one line, nothing done.
expect_exit 2 cairn-snap --log-format xml src
expect_stderr "^cairn-snap: error: --log-format must be 'text' or 'json', not 'xml'\$"
assert_eq 1 "$(wc -l <last.stderr)" "lines for a bad --log-format"
expect_exit 2 env CAIRN_LOG_FORMAT=yaml cairn-pack
expect_stderr "^cairn-pack: error: CAIRN_LOG_FORMAT must be 'text' or 'json', not 'yaml'\$"
assert_eq 1 "$(wc -l <last.stderr)" "lines for a bad CAIRN_LOG_FORMAT"
echo "bad values: exit 2, one line"

# A usage error with CAIRN_LOG_FORMAT=json: one record, the hint a field.
expect_exit 2 env CAIRN_LOG_FORMAT=json cairn-prune --frob
check last.stderr cairn-prune
expect_stderr '"msg":"the following argument was not expected: --frob"'
assert_eq '"Try '"'"'cairn-prune --help'"'"'."' "$(field last.stderr error hint)" "hint"
# the front command and its tools: a verb's common options reach it
expect_exit 10 cairn --log-format json status --repo "$PWD/nowhere"
check last.stderr cairn
expect_stderr '"tool":"cairn","level":"error","event":"error"'
expect_exit 10 cairn --log-format json verify --repo "$PWD/nowhere"
check last.stderr cairn-verify
expect_stderr '"tool":"cairn-verify","level":"error"'
echo "usage error and the front command"

# A notification that cannot be sent is a warning record; the exit status stays the tool's.
expect_exit 10 cairn-verify --repo "$PWD/nowhere" --log-format json --notify exec:/bin/false latest
check last.stderr cairn-verify
expect_stderr '"level":"warning","event":"notify_failed"'
echo "notify failure: a warning record"
