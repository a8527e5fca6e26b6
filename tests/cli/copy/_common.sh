# shellcheck shell=bash
# tests/cli/copy/_common.sh: a source repository (make_repo: CAIRN_REPO, CAIRN_PASSPHRASE_FILE,
# CAIRN_CATALOG) and a target made with other chunking and its own passphrase, named by the
# copy's environment (CAIRN_TO_REPO, CAIRN_TO_PASSPHRASE_FILE, CAIRN_TO_CATALOG).

copy_repos() {
  make_repo
  export CAIRN_TO_REPO=$PWD/target CAIRN_TO_CATALOG=$PWD/target-catalog.db
  export CAIRN_TO_PASSPHRASE_FILE=$PWD/target-pass
  (umask 077 && printf 'another passphrase for the target\n' >"$CAIRN_TO_PASSPHRASE_FILE")
  CAIRN_CATALOG=$CAIRN_TO_CATALOG cairn init --repo "$CAIRN_TO_REPO" \
    --passphrase-file "$CAIRN_TO_PASSPHRASE_FILE" \
    --chunk-min 64K --chunk-avg 256K --chunk-max 1M >/dev/null || die "cairn init of the target failed"
}

# on_target CMD...: CMD with the target as its repository (passphrase and catalog).
on_target() {
  CAIRN_REPO=$CAIRN_TO_REPO CAIRN_PASSPHRASE_FILE=$CAIRN_TO_PASSPHRASE_FILE \
    CAIRN_CATALOG=$CAIRN_TO_CATALOG "$@"
}

# ls_json_fields [FIELD...]: `cairn ls --json` reduced to the given fields, one set a line,
# oldest first (run under on_target for the target).
ls_json_fields() {
  cairn ls --json | "$CAIRN_PY" -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(" ".join(str(r.get(f)) for f in sys.argv[1:]))' "$@"
}

# wait_stopped PID FILE: until PID stops at its CAIRN_TEST_PAUSE point (FILE: its stderr).
wait_stopped() {
  local i
  for ((i = 0; i < 1200; i++)); do
    case $(ps -o stat= -p "$1" 2>/dev/null) in
      T*) return 0 ;;
      "") die "the copy exited before its pause point: $(cat "$2")" ;;
    esac
    sleep 0.1
  done
  die "the copy did not reach its pause point"
}
