# shellcheck shell=bash
# tests/cli/notify/_receivers.sh: helpers for the notify cases (sourced after lib.sh).
#   start_receiver MODE DIR     start _receiver.py MODE (http, smtp, blackhole) keeping what
#                               it gets in DIR; sets $receiver_port. The receiver picks a free
#                               port itself; stop_receivers (an EXIT trap set here) ends it.
#                               Call it directly, not in $(...): the pid must reach this shell.
#   need_aiosmtpd               skip unless python3-aiosmtpd is installed; in CI (CI=true or
#                               CAIRN_TEST_REMOTE=1, where scripts/test installs it) fail instead
#   closed_port                 a port nothing listens on
#   broken_repo                 make_repo, back up a small tree, flip a byte in its pack:
#                               cairn-verify --read-data then exits 4
#   json_field FILE KEY         one top-level field of a JSON file
#   received DIR LABEL FIELD... prints "LABEL: " and what the http receiver in DIR got since
#                               the last call (all of it the first time): per request
#                               "PATH:VALUE[:VALUE...]" of the body's FIELDs ("escalated"
#                               shows as "escalated" when true, else nothing), sorted. Call
#                               it directly, not in $(...): it counts what it has shown
#   no_notify_errors            fail when last.stderr says a notification failed

_receivers=()
stop_receivers() {
  local p
  for p in "${_receivers[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  _receivers=()
}
trap stop_receivers EXIT

start_receiver() {  # start_receiver MODE DIR
  local mode=$1 dir=$2 i
  mkdir -p "$dir"
  "$CAIRN_PY" "$CAIRN_CASE_DIR/_receiver.py" "$mode" "$dir" >"$dir/receiver.log" 2>&1 &
  _receivers+=($!)
  receiver_port=
  for ((i = 0; i < 200; i++)); do
    if [ -s "$dir/port" ]; then
      receiver_port=$(cat "$dir/port")
      return 0
    fi
    kill -0 "${_receivers[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  echo "error: the $mode receiver did not start; its log:" >&2
  sed 's/^/  | /' "$dir/receiver.log" >&2
  return 1
}

need_aiosmtpd() {
  "$CAIRN_PY" -c 'import aiosmtpd' 2>/dev/null && return 0
  if [ "${CI:-}" = true ] || [ "${CAIRN_TEST_REMOTE:-}" = 1 ]; then
    die "python3-aiosmtpd is not installed (scripts/lib/packages.sh lists it; scripts/test installs it)"
  fi
  skip "python3-aiosmtpd is not installed (apt-get install python3-aiosmtpd)"
}

closed_port() {
  "$CAIRN_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

broken_repo() {
  make_repo
  mkdir -p src
  gen_file src/data.bin 200K 3
  gen_text src/notes.txt 40
  backup src --source app >/dev/null
  local pack
  pack=$(find "$CAIRN_REPO/packs" -type f | head -n 1)
  [ -n "$pack" ] || die "broken_repo: no pack was written"
  "$CAIRN_PY" -c 'import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(1000); b = f.read(1); f.seek(1000); f.write(bytes([b[0] ^ 0xFF]))' "$pack"
}

json_field() {  # json_field FILE KEY
  "$CAIRN_PY" -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]; print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

_received=0
received() {  # received DIR LABEL FIELD...
  local dir=$1 label=$2 f n out=() line k v
  shift 2
  for f in "$dir"/*.body; do
    [ -e "$f" ] || continue
    n=$(basename "$f" .body)
    ((10#$n > _received)) || continue
    line=$(json_field "$dir/$n.meta.json" path)
    for k in "$@"; do
      v=$(json_field "$f" "$k")
      if [ "$k" = escalated ]; then
        [ "$v" = true ] && line+=":escalated"
      else
        line+=":$v"
      fi
    done
    out+=("$line")
  done
  _received=$(find "$dir" -name '*.body' | wc -l)
  printf '%s:' "$label"
  [ ${#out[@]} -eq 0 ] || printf ' %s' $(printf '%s\n' "${out[@]}" | sort)
  echo
}

no_notify_errors() {
  if grep -q 'cannot notify' last.stderr; then die "notifying failed: $(cat last.stderr)"; fi
}
