# shellcheck shell=bash
# tests/cli/push/_remote.sh: what the push cases share (sourced after lib.sh).
#   need_services                  skip unless CAIRN_TEST_REMOTE=1 (scripts/test sets it)
#   start_service NAME PORT        start scripts/services/NAME.sh on PORT under ./services,
#                                  stopped when the case exits; evals its environment
#   remote_roundtrip URL           back up a tree, push it to URL, then with the local
#                                  repository and catalog moved away: restore from URL alone,
#                                  verify --from URL (structure and --read-data), catalog
#                                  rebuild --repo URL; then push --all sends only what is missing
#   start_fault_proxy NAME PORT ARGS...  tests/cli/push/_fault_proxy.py in front of PORT
#                                  (ARGS: --mode drop|stall|503 ...), stopped when the case
#                                  exits; sets FAULT_PORT. fault_count NAME: faults so far
#   placements [DEST]              the catalog's placement rows (set destination pushed verified),
#                                  only DEST's when given
#   expect_refused CODE DEST CMD...  CMD exits CODE with exactly one stderr line, which names
#                                  DEST; nothing is recorded as pushed to DEST
#   catalog_sets                   "id status" of every set in $CAIRN_CATALOG
#   tree_sums DIR                  "path size sha256" of every repository object under DIR

need_services() {
  [ "${CAIRN_TEST_REMOTE:-}" = 1 ] || skip "set CAIRN_TEST_REMOTE=1 to run the cases that start services"
}

_started_services=()
_started_pids=()
_stop_services() {
  local s p
  for p in "${_started_pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for s in "${_started_services[@]}"; do
    bash "$CAIRN_SOURCE_DIR/scripts/services/$s.sh" stop >/dev/null 2>&1 || true
  done
}

start_service() {  # start_service NAME PORT
  local name=$1 port=$2 e upper
  upper=$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')
  export CAIRN_SVC_ROOT=$PWD/services "CAIRN_${upper}_PORT=$port"
  e=$(bash "$CAIRN_SOURCE_DIR/scripts/services/$name.sh" start 2>"svc-$name.err") \
    || { cat "svc-$name.err" >&2; die "the $name service did not start"; }
  _started_services+=("$name")
  trap _stop_services EXIT
  eval "$e"
}

start_fault_proxy() {  # start_fault_proxy NAME UPSTREAM_PORT ARGS...: sets FAULT_PORT
  local name=$1 upstream=$2 i
  shift 2
  rm -f "$name.port"
  "$CAIRN_PY" "$CAIRN_CASE_DIR/_fault_proxy.py" --upstream "$upstream" --port-file "$name.port" \
    --stats-file "$name.stats" "$@" 2>"$name.log" &
  _started_pids+=($!)
  trap _stop_services EXIT
  for ((i = 0; i < 100; i++)); do
    [ -s "$name.port" ] && break
    sleep 0.05
  done
  FAULT_PORT=$(cat "$name.port") || die "the fault proxy '$name' did not start: $(cat "$name.log")"
}

fault_count() { awk '{print $2}' "$1.stats"; }  # fault_count NAME: connections spoiled so far

placements() {  # placements [DEST]
  "$CAIRN_PY" - "$CAIRN_CATALOG" "${1:-}" <<'PY'
import os, sqlite3, sys
path, dest = sys.argv[1], sys.argv[2]
if not os.path.exists(path):
    sys.exit(0)
db = sqlite3.connect(path)
for row in db.execute("SELECT set_id, destination, pushed_at_ns, verified_at_ns FROM placement ORDER BY 1, 2"):
    if not dest or row[1] == dest:
        print(" ".join("-" if v is None else str(v) for v in row))
PY
}

catalog_sets() {  # "id status" of every set in $CAIRN_CATALOG
  "$CAIRN_PY" - "$CAIRN_CATALOG" <<'PY'
import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute("SELECT id, status FROM backup_set ORDER BY started_ns"):
    print(" ".join(str(v) for v in row))
PY
}

expect_refused() {  # expect_refused CODE DEST CMD...
  local code=$1 dest=$2
  shift 2
  local before
  before=$(placements "$dest")
  expect_exit "$code" "$@"
  [ "$(wc -l <last.stderr)" = 1 ] || { cat last.stderr >&2; die "'$*': expected one line on stderr"; }
  grep -qF "$dest" last.stderr || { cat last.stderr >&2; die "'$*': the error does not name '$dest'"; }
  [ ! -s last.stdout ] || die "'$*' reported transfers: $(head -n 3 last.stdout)"
  assert_eq "$before" "$(placements "$dest")" "placements of $dest after a refused push"
}

tree_sums() {  # tree_sums DIR
  (cd "$1" && find config keys packs index sets holds -type f 2>/dev/null | LC_ALL=C sort | while read -r f; do
    printf '%s %s %s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum <"$f" | cut -d' ' -f1)"
  done)
}

remote_roundtrip() {  # remote_roundtrip URL
  local url=$1
  make_repo
  local src=$PWD/src
  mkdir -p "$src/a"
  gen_file "$src/a/one.bin" 3M 1
  gen_text "$src/a/notes.txt" 50
  (set -o pipefail && cairn-snap "$src" --source app | cairn-diff | cairn-pack | cairn-push "$url" >push.out) \
    || die "pushing to $url failed"
  grep -q '^+packs/' push.out || die "no pack was pushed"
  [ "$(tail -n 1 push.out | cut -c1-6)" = "+sets/" ] || die "the set object was not pushed last"
  local set
  set=$(sed -n 's|^+sets/\([0-9a-f]*\) .*|\1|p' push.out)
  [ -n "$(placements "$url" | grep "^$set $url [0-9]* -\$")" ] || die "no placement of $set at $url was recorded"
  echo "push: every object"

  mv "$CAIRN_REPO" repo.away
  mv "$CAIRN_CATALOG" catalog.away
  cairn-restore latest --from "$url" --to "$PWD/out" 2>restore.err || { cat restore.err >&2; die "restore --from failed"; }
  compare_trees "$src" out
  echo "restore --from: equal to the tree"
  cairn-verify --from "$url" >verify.out 2>verify.err || { cat verify.out verify.err >&2; die "verify --from failed"; }
  grep -q '^checked 1 sets, 1 packs .*: 0 damaged' verify.out || die "verify --from: $(cat verify.out)"
  cairn-verify --from "$url" --read-data >verify-data.out 2>verify.err \
    || { cat verify-data.out verify.err >&2; die "verify --from --read-data failed"; }
  grep -q '^checked 1 sets, 1 packs ([1-9][0-9]* bytes read): 0 damaged' verify-data.out \
    || die "verify --from --read-data: $(cat verify-data.out)"
  [ ! -e "$CAIRN_CATALOG" ] || die "verify --from created a local catalog"
  echo "verify --from: clean, data read back"
  cairn catalog rebuild --repo "$url" >rebuild.out 2>rebuild.err || { cat rebuild.err >&2; die "catalog rebuild --repo $url failed"; }
  [ "$(catalog_sets)" = "$set committed" ] || die "the rebuilt catalog holds '$(catalog_sets)', not set $set"
  echo "catalog rebuild --repo: the set is back"
  rm -rf "$CAIRN_CATALOG"*
  mv repo.away "$CAIRN_REPO"
  mv catalog.away "$CAIRN_CATALOG"

  cairn-verify --from "$url" >/dev/null 2>&1 || die "verify --from failed with the catalog back"
  [ -n "$(placements "$url" | grep "^$set $url [0-9]* [0-9]*\$")" ] || die "verify --from recorded no verified_at"
  echo "verify --from: verified_at recorded"
  cairn-push --all "$url" >all.out
  [ ! -s all.out ] || die "--all sent objects the destination holds: $(head -n 3 all.out)"
  gen_file "$src/a/two.bin" 1M 2
  (set -o pipefail && cairn-snap "$src" --source app | cairn-diff | cairn-pack >pack.out)
  cairn-push --all "$url" >all2.out
  grep -v '^+config\|^+keys' pack.out | tail -n +2 | sed "s|\$| $url|" | LC_ALL=C sort >want.out
  LC_ALL=C sort all2.out >got.out
  diff -u want.out got.out >&2 || die "--all sent other objects than the new set's"
  echo "--all: only what is missing"
}
