#!/usr/bin/env bash
# scripts/services/azure.sh start|stop|restart|env|status
# Azure Blob Storage on 127.0.0.1:$CAIRN_AZURE_PORT (default 10000): Azurite 3.35.0 (npm;
# 3.36+ want node 22), blob service only, telemetry off. Azurite checks SharedKey
# signatures; azure_sign.py next to this script signs requests for curl. Path-style URLs:
# $AZURE_BLOB_ENDPOINT/<container>/<blob>. The container $AZURE_CONTAINER is created at start.
# Account: Azurite's well-known development account (devstoreaccount1 and its public key).
# What Azurite lacks, so what no test here can check: immutability policies, legal hold,
# blob versioning, soft delete. It also accepts a PUT without Content-Length (Azure: 411).
# Prints: AZURE_BLOB_ENDPOINT AZURE_STORAGE_ACCOUNT AZURE_STORAGE_KEY AZURE_CONTAINER
#   AZURE_STORAGE_CONNECTION_STRING AZURE_DATA_DIR, CAIRN_AZURE_ENDPOINT (cairn's blob
#   endpoint) and CAIRN_TEST_AZURE_URL=azure://<account>/<container> (turns on the Azure
#   integration tests).
# Knobs: CAIRN_AZURE_PORT, CAIRN_AZURE_CONTAINER (cairn-test; 3 to 63 characters).
set -euo pipefail
svc_name=azure
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

port=${CAIRN_AZURE_PORT:-10000}
svc_state=$CAIRN_SVC_ROOT/azure-$port
account=devstoreaccount1
key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
container=${CAIRN_AZURE_CONTAINER:-cairn-test}
endpoint=http://127.0.0.1:$port/$account

svc_print_env() {
  svc_export AZURE_BLOB_ENDPOINT "$endpoint"
  svc_export AZURE_STORAGE_ACCOUNT "$account"
  svc_export AZURE_STORAGE_KEY "$key"
  svc_export AZURE_CONTAINER "$container"
  svc_export AZURE_STORAGE_CONNECTION_STRING \
    "DefaultEndpointsProtocol=http;AccountName=$account;AccountKey=$key;BlobEndpoint=$endpoint;"
  svc_export AZURE_DATA_DIR "$svc_state/data"
  svc_export CAIRN_AZURE_ENDPOINT "$endpoint"
  svc_export CAIRN_TEST_AZURE_URL "azure://$account/$container"
}

signed_curl() {  # signed_curl METHOD URL [curl args]: a SharedKey-signed request without body
  local method=$1 url=$2
  shift 2
  "$(svc_python)" "$svc_here/azure_sign.py" --account "$account" --key "$key" "$method" "$url" \
    >"$svc_state/.headers" || return 1
  curl -sS -X "$method" -H @"$svc_state/.headers" "$@" "$url"
}

list_works() { [ "$(signed_curl GET "$endpoint/?comp=list" -o /dev/null -w '%{http_code}' 2>/dev/null)" = 200 ]; }

svc_is_running() { svc_running "$svc_state/azurite.pid" && svc_port_open "$port"; }

svc_do_start() {
  local azurite code
  command -v curl >/dev/null 2>&1 || svc_packages curl
  azurite=$(svc_npm azurite azurite@3.35.0 azurite-blob)
  mkdir -p "$svc_state/data"
  svc_port_free "$port"
  svc_spawn "$svc_state/azurite.pid" "$svc_state/azurite.log" \
    "$azurite" --blobHost 127.0.0.1 --blobPort "$port" --location "$svc_state/data" \
    --disableTelemetry --skipApiVersionCheck --disableProductStyleUrl
  svc_wait 60 "Azurite on :$port" svc_port_open "$port"
  svc_wait 30 "SharedKey-signed List Containers" list_works
  code=$(signed_curl PUT "$endpoint/$container?restype=container" -o /dev/null -w '%{http_code}')
  case $code in
    201 | 409) ;;
    *) svc_fail "creating container '$container' answered HTTP $code" ;;
  esac
}

svc_do_stop() { svc_kill "$svc_state/azurite.pid"; }

svc_main "$@"
