#!/usr/bin/env bash
# scripts/services/redis.sh start|stop|restart|env|status
# A private Redis on 127.0.0.1:$CAIRN_REDIS_PORT (default 56379) with no persistence of its
# own (save "", appendonly no): stop loses the data. A dump.rdb found in $REDIS_DIR at start
# is loaded, which is how a restore drill brings a backup back. repl-diskless-sync-delay is 0,
# so `redis-cli --rdb FILE` does not wait Redis' default 5 s for other replicas.
# Prints: REDIS_HOST REDIS_PORT REDIS_URL REDIS_DIR.
set -euo pipefail
svc_name=redis
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

port=${CAIRN_REDIS_PORT:-56379}
svc_state=$CAIRN_SVC_ROOT/redis-$port

svc_print_env() {
  svc_export REDIS_HOST 127.0.0.1
  svc_export REDIS_PORT "$port"
  svc_export REDIS_URL "redis://127.0.0.1:$port/0"
  svc_export REDIS_DIR "$svc_state/data"
}

pong() { [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; }  # after loading

svc_is_running() { svc_running "$svc_state/redis.pid" && svc_port_open "$port"; }

svc_do_start() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 \
    || svc_packages redis-server redis-tools
  mkdir -p "$svc_state/data"
  [ -f "$svc_state/data/dump.rdb" ] && svc_say "loading $svc_state/data/dump.rdb"
  svc_port_free "$port"
  svc_spawn "$svc_state/redis.pid" "$svc_state/redis.out" \
    redis-server --bind 127.0.0.1 --port "$port" --daemonize no \
    --dir "$svc_state/data" --dbfilename dump.rdb --save '' --appendonly no \
    --repl-diskless-sync-delay 0 --logfile "$svc_state/redis.log"
  svc_wait 120 "PONG from redis on :$port" pong
}

svc_do_stop() { svc_kill "$svc_state/redis.pid"; }

svc_main "$@"
