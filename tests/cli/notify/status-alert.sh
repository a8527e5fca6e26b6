#!/usr/bin/env bash
# cairn status --alert, as cron runs it (cairn(7) NOTIFICATIONS): a source whose newest set
# is older than its RPO alerts the critical route once (objective rpo, its own dedup key),
# not again on the next runs; once the violation has lasted the escalation's `after`, the
# escalation targets hear once; a fresh backup makes the next run send one "resolved" to
# both, and the runs after it nothing. The exit status stays 5 while violated, and --alert
# replaces the run's own alert (no "cairn status failed" message). faketime runs the checks
# two days later, past the escalation's one day.
set -euo pipefail
. "$CAIRN_CLI_LIB"
. "$CAIRN_CASE_DIR/_receivers.sh"
. "$CAIRN_CASE_DIR/../status/_common.sh"
command -v faketime >/dev/null || skip "faketime is not installed"
! asan_build || skip "an AddressSanitizer build (libfaketime cannot be preloaded ahead of the ASan runtime)"

start_receiver http hook
url=http://127.0.0.1:$receiver_port
make_repo
mkdir app
gen_text app/notes.txt 20
status_policy "[class.daily]
rpo = \"1d\"

[notify]
critical = [\"$url/crit\"]

[notify.escalation]
after = \"1d\"
targets = [\"$url/esc\"]"
aged_backup app app daily $((2 * 86400)) >/dev/null

run_status() {  # run_status EXIT [FAKETIME-OFFSET]
  local clock=()
  [ -z "${2:-}" ] || clock=(faketime -f "$2")
  expect_exit "$1" "${clock[@]}" cairn status --alert
  if [ "$1" = 5 ]; then
    expect_stderr "^cairn: error: 1 objective violated: rpo of 'app' \(daily\)$"
  else
    [ ! -s last.stderr ] || die "cairn status --alert wrote to stderr: $(cat last.stderr)"
  fi
  if grep -q 'cannot notify' last.stderr; then die "notifying failed: $(cat last.stderr)"; fi
}

run_status 5
received hook "violated" action escalated
host=$("$CAIRN_PY" -c 'import socket; print(socket.gethostname())')
for k in tool objective source severity dedup_key; do
  echo "  $k: $(json_field hook/001.body "$k" | sed "s|$host|HOST|")"
done
case $(json_field hook/001.body text) in
  "[critical] objective rpo of 'app' (daily) violated on $host: newest good set is 2d old, rpo 1d") echo "  text: names the objective and why" ;;
  *) die "text: $(json_field hook/001.body text)" ;;
esac
run_status 5
received hook "still violated" action escalated
run_status 5 +2d
received hook "violated for longer than after" action escalated
run_status 5 +2d
received hook "and again" action escalated

backup app --source app --class daily >/dev/null
run_status 0
received hook "met again" action escalated
[ "$(json_field "$(ls hook/*.body | tail -n 1)" text)" = "[resolved] objective rpo of 'app' (daily) is met again on $host" ] \
  || die "resolved text: $(json_field "$(ls hook/*.body | tail -n 1)" text)"
run_status 0
received hook "still met" action escalated
