#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# cairn-push through a fault proxy (_fault_proxy.py) in front of S3 (s3rver behind the SigV4
# proxy) and Azure (Azurite): connections dropped in the middle of uploads, a burst of 503
# answers and one stalled connection are retried with backoff, and the push completes: every
# object arrives whole (verify --from --read-data is clean, straight to the server) and a
# second --all push has nothing to send. A server that stalls every connection makes the push
# fail within its --stall-timeout and retries (exit 13, one line), with nothing recorded as
# pushed there. Skipped unless CAIRN_TEST_REMOTE=1.
set -euo pipefail
# shellcheck source=../lib.sh
. "$CAIRN_CLI_LIB"
# shellcheck source=_remote.sh
. "$CAIRN_CASE_DIR/_remote.sh"
need_services

start_service s3 19420
start_service azure 10420
make_repo
for i in 1 2; do
  mkdir -p "src$i"
  gen_file "src$i/data.bin" 1500K "$i"
  (set -o pipefail && cairn-snap "$PWD/src$i" --source "src$i" | cairn-pack >/dev/null)
done

s3_port=${S3_ENDPOINT##*:}
az_port=${AZURE_BLOB_ENDPOINT##*:}
az_port=${az_port%%/*}
# through KIND NAME: the endpoint variables pointing at fault proxy NAME, and the URL
url_of() {  # url_of KIND PREFIX
  case $1 in
    s3) echo "s3://$S3_BUCKET/$2" ;;
    azure) echo "azure://$AZURE_STORAGE_ACCOUNT/$AZURE_CONTAINER/$2" ;;
  esac
}
upstream_of() { if [ "$1" = s3 ]; then echo "$s3_port"; else echo "$az_port"; fi; }
endpoint_via() {  # endpoint_via KIND PORT: sets the endpoint through the proxy
  if [ "$1" = s3 ]; then
    export CAIRN_S3_ENDPOINT=http://127.0.0.1:$2
  else
    export CAIRN_AZURE_ENDPOINT=http://127.0.0.1:$2/$AZURE_STORAGE_ACCOUNT
  fi
}
direct() { export CAIRN_S3_ENDPOINT=$S3_ENDPOINT CAIRN_AZURE_ENDPOINT=$AZURE_BLOB_ENDPOINT; }
unset AZURE_STORAGE_CONNECTION_STRING

for kind in s3 azure; do
  for mode in drop 503 stall-once; do
    name=$kind-$mode
    case $mode in
      drop) start_fault_proxy "$name" "$(upstream_of "$kind")" --mode drop --after 300000 --faults 3 --every 2 ;;
      503) start_fault_proxy "$name" "$(upstream_of "$kind")" --mode 503 --faults 4 --every 1 ;;
      stall-once) start_fault_proxy "$name" "$(upstream_of "$kind")" --mode stall --after 0 --faults 1 ;;
    esac
    url=$(url_of "$kind" "$mode")
    endpoint_via "$kind" "$FAULT_PORT"
    cairn-push --all --stall-timeout 2 "$url" >"$name.out" 2>"$name.err" \
      || { cat "$name.err" >&2; die "$name: the push failed"; }
    [ "$(fault_count "$name")" -ge 1 ] || die "$name: no fault was injected"
    direct
    cairn-verify --from "$url" --read-data >"$name.verify" 2>&1 || { cat "$name.verify" >&2; die "$name: damage after a success"; }
    grep -q '^checked 2 sets, 2 packs ([1-9][0-9]* bytes read): 0 damaged' "$name.verify" || die "$name: $(cat "$name.verify")"
    [ "$(cairn-push --all "$url" | wc -l)" = 0 ] || die "$name: objects were missing after a success"
    [ "$(placements "$url" | wc -l)" = 2 ] || die "$name: placements: $(placements "$url")"
  done
  echo "$kind: dropped connections, 503 bursts, a stall: retried, complete and whole"

  name=$kind-stall-all
  start_fault_proxy "$name" "$(upstream_of "$kind")" --mode stall --after 0 --faults 1000000
  url=$(url_of "$kind" stall-all)
  endpoint_via "$kind" "$FAULT_PORT"
  t0=$SECONDS
  expect_refused 13 "$url" cairn-push --all --stall-timeout 2 "$url"
  [ $((SECONDS - t0)) -lt 60 ] || die "$name: the push took $((SECONDS - t0)) s to give up"
  direct
  echo "$kind: a server that stalls: exit 13 within the timeout, nothing recorded"
done
