#!/usr/bin/env bash
# --notify exec:/PATH runs the command (no shell) with the event as JSON on stdin and in
# CAIRN_EVENT_* variables; what it prints goes to stderr, never into the tool's stdout. A
# command that fails or cannot be run is one "cannot notify" line, and the tool's exit
# status (4) is kept.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"

broken_repo
cat >hook.sh <<SH
#!/bin/sh
cat >"$PWD/event.json"
env | grep '^CAIRN_EVENT_' | sort >"$PWD/event.env"
echo "hook says hello"
SH
chmod +x hook.sh
expect_exit 4 cairn-verify --read-data --notify "exec:$PWD/hook.sh"
if grep -q 'cannot notify' last.stderr; then die "notifying failed: $(cat last.stderr)"; fi
grep -qx 'hook says hello' last.stderr || die "the command's output is not on stderr"
if grep -q 'hook says hello' last.stdout; then die "the command wrote into the tool's stdout"; fi
for k in schema tool exit_code status; do
  echo "stdin $k: $(json_field event.json "$k")"
done
sed -n 's/^\(CAIRN_EVENT_\(EXIT_CODE\|SCHEMA\|STATUS\|TOOL\)=.*\)/env \1/p' event.env
text=$(sed -n 's/^CAIRN_EVENT_TEXT=//p' event.env)
assert_eq "$(json_field event.json text)" "$text" "CAIRN_EVENT_TEXT"

printf '#!/bin/sh\necho failing >&2\nexit 3\n' >fail.sh
chmod +x fail.sh
expect_exit 4 cairn-verify --read-data --notify "exec:$PWD/fail.sh" --notify "exec:$PWD/missing"
grep -x "cairn-verify: cannot notify 'exec:$PWD/fail.sh': the command exited with status 3" last.stderr >/dev/null \
  || die "the failing command was not reported: $(cat last.stderr)"
grep -x "cairn-verify: cannot notify 'exec:$PWD/missing': cannot run '$PWD/missing': No such file or directory" \
  last.stderr >/dev/null || die "the missing command was not reported: $(cat last.stderr)"
echo "failing and missing commands: reported, exit status kept"
