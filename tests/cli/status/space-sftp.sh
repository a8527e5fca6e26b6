#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The free space of destinations (issue 19), measured where cairn already talks to them: a
# cairn-push to a real SFTP server (scripts/services/sftp.sh) and to a local directory asks
# each for its file system's figures at the end (-v says so); cairn status then shows the
# SFTP destination's size, used and free as df shows the server's directory (size_from
# "filesystem", with the time they were measured), the local one's as df shows it now, and an
# S3 destination without a quota stays "unknown". Figures over 7 days old are shown, flagged
# stale; a quota wins over measured figures. Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=../push/_remote.sh
. "$CAIRN_SOURCE_DIR/tests/cli/push/_remote.sh"
# shellcheck source=_common.sh
. "$CAIRN_CASE_DIR/_common.sh"
need_services

start_service sftp 24150  # exports CAIRN_SSH_KEY and CAIRN_SSH_HOST_SHA256 too
sftp=$SFTP_URL/space
dest=$PWD/dest
s3=s3://no-such-bucket/space
make_repo
mkdir src
gen_file src/a.bin 300K 1
backup src --source app --class daily >/dev/null
policy="[capacity]
warn = \"100%\"
[destination.\"$sftp\"]
[destination.\"file://$dest\"]
[destination.\"$s3\"]"
status_policy "$policy"

figures='"%s %s %s %s %s" % (r["size_from"], r["size_bytes"], r["used_bytes"], r["free_bytes"], r["measured_time"])'
# df's figures of DIR against the place's in status.json: size exact, used and free within
# 64 MiB (other processes write to the file system meanwhile).
same_as_df() {  # same_as_df TARGET DIR
  local size used avail
  read -r size used avail < <(df -B1 --output=size,used,avail "$2" | tail -n 1)
  "$CAIRN_PY" - status.json "$1" "$size" "$used" "$avail" <<'PY' || die "$1 is not what df says of $2"
import json, sys
path, target = sys.argv[1:3]
size, used, avail = map(int, sys.argv[3:])
r = [r for r in map(json.loads, open(path)) if r.get("target") == target][0]
ok = r["size_bytes"] == size and abs(r["used_bytes"] - used) < 64 << 20 and abs(r["free_bytes"] - avail) < 64 << 20
if not ok:
    sys.exit("status: %s %s %s, df: %s %s %s" % (r["size_bytes"], r["used_bytes"], r["free_bytes"], size, used, avail))
PY
}

status_json
assert_eq 0 "$(cat status.rc)" "exit status before any push"
assert_eq "unknown None None None None" "$(cap_field "$sftp" "$figures")" "SFTP before any push"
assert_eq "unknown None None None None" "$(cap_field "$s3" "$figures")" "S3 without a quota"
echo "before a push: SFTP and S3 unknown"

cairn-push -v --all "$sftp" "$dest" >push.out 2>push.err || { cat push.err >&2; die "the push failed"; }
grep -q "^cairn-push: $sftp: [0-9]* bytes free of [0-9]*\$" push.err || { cat push.err >&2; die "no -v line for SFTP"; }
grep -q "^cairn-push: $dest: [0-9]* bytes free of [0-9]*\$" push.err || { cat push.err >&2; die "no -v line for the directory"; }
status_json --prometheus prom.txt
assert_eq 0 "$(cat status.rc)" "exit status after the push"
assert_eq filesystem "$(cap_field "$sftp" 'r["size_from"]')" "SFTP size_from"
same_as_df "$sftp" "$SFTP_ROOT"
measured=$(cap_field "$sftp" 'r["measured_time"]')
[[ $measured == 20*Z ]] || die "SFTP measured_time: $measured"
assert_eq False "$(cap_field "$sftp" 'r["measured_stale"]')" "SFTP figures are fresh"
assert_eq "filesystem None" "$(cap_field "file://$dest" '"%s %s" % (r["size_from"], r["measured_time"])')" \
  "the directory's figures are read now"
same_as_df "file://$dest" "$dest"
assert_eq "unknown None None None None" "$(cap_field "$s3" "$figures")" "S3 after the push"
stamp=$(awk -v t="cairn_capacity_measured_timestamp_seconds{target=\"$sftp\"}" '$1 == t { print $2 }' prom.txt)
assert_eq "$measured" "$("$CAIRN_PY" -c "import datetime, sys; print(datetime.datetime.fromtimestamp(int(float(sys.argv[1])), datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$stamp")" \
  "cairn_capacity_measured_timestamp_seconds"
[ "$(grep -c '^cairn_capacity_measured_timestamp_seconds{' prom.txt)" = 1 ] || die "one measured sample: $(grep measured prom.txt)"
check_exposition prom.txt >/dev/null
cairn status >table.out
grep -qF "$sftp  filesystem as of $measured " table.out || { cat table.out >&2; die "the table's SFTP row"; }
echo "after the push: the SFTP server's and the directory's figures, as df's; S3 still unknown"

# Eight days later (the catalog's row made older): shown, flagged stale.
"$CAIRN_PY" - "$CAIRN_CATALOG" "$sftp" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("UPDATE destination_space SET measured_ns = measured_ns - ? WHERE destination = ?",
               (8 * 86400 * 10**9, sys.argv[2])).rowcount
db.commit()
sys.exit(n != 1)
PY
status_json
assert_eq "True filesystem" "$(cap_field "$sftp" '"%s %s" % (r["measured_stale"], r["size_from"])')" "stale figures"
cairn status >table.out
grep -qF "$sftp  filesystem as of " table.out && grep -F "$sftp  " table.out | grep -qF " (stale) " \
  || { cat table.out >&2; die "the table does not flag the stale figures"; }
echo "figures 8 days old: shown, stale"

# A quota wins over the measured figures.
status_policy "$policy
quota = \"1G\""
status_json
assert_eq "quota 1073741824 None" "$(cap_field "$s3" '"%s %s %s" % (r["size_from"], r["size_bytes"], r["measured_time"])')" \
  "S3 with a quota"
status_policy "[capacity]
warn = \"100%\"
[destination.\"$sftp\"]
quota = \"1G\""
status_json
assert_eq "quota 1073741824 None" "$(cap_field "$sftp" '"%s %s %s" % (r["size_from"], r["size_bytes"], r["measured_time"])')" \
  "SFTP with a quota"
echo "a quota wins"
