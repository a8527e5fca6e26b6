#!/usr/bin/env bash
# scripts/services/postgres.sh start|stop|restart|env|status
# A private PostgreSQL cluster on 127.0.0.1:$CAIRN_PG_PORT (default 55432), for backup and
# restore drills: trust authentication, wal_level=replica (pg_basebackup works), fsync off.
# Runs as the user postgres when started as root (initdb refuses root).
# Prints: PGHOST PGPORT PGUSER PGDATABASE (what libpq, psql and pg_dump read), PG_BINDIR,
#         PG_DATA, PG_URL.
# Restore drill: put a data directory (e.g. an extracted `pg_basebackup -Ft -X fetch -D -`)
# at $CAIRN_SVC_ROOT/postgres-<port>/data and start that port: an existing cluster is
# started as it is, with port, socket dir and listen address given on the command line.
set -euo pipefail
svc_name=postgres
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

port=${CAIRN_PG_PORT:-55432}
svc_state=$CAIRN_SVC_ROOT/postgres-$port
data=$svc_state/data

pg_bindir() {  # the newest installed major version
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  echo "${d:-}"
}
bindir=$(pg_bindir)

as_owner() {  # run as postgres when we are root, else as ourselves
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

svc_print_env() {
  svc_export PGHOST 127.0.0.1
  svc_export PGPORT "$port"
  svc_export PGUSER postgres
  svc_export PGDATABASE postgres
  svc_export PG_BINDIR "$bindir"
  svc_export PG_DATA "$data"
  svc_export PG_URL "postgresql://postgres@127.0.0.1:$port/postgres"
}

postmaster_pid() { [ -f "$data/postmaster.pid" ] && head -n 1 "$data/postmaster.pid"; }

svc_is_running() {
  local pid
  pid=$(postmaster_pid 2>/dev/null) || return 1
  svc_pid_alive "$pid" && svc_port_open "$port"
}

svc_do_start() {
  if [ -z "$bindir" ] || ! command -v pg_dump >/dev/null 2>&1; then
    svc_packages postgresql postgresql-client
    bindir=$(pg_bindir)
  fi
  [ -x "$bindir/pg_ctl" ] || svc_fail "no pg_ctl under /usr/lib/postgresql"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || svc_fail "there is no user postgres (postgresql-common makes it)"
    chown postgres: "$svc_state"
  fi
  chmod 755 "$svc_state"
  as_owner test -w "$svc_state" || svc_fail "user postgres cannot write $svc_state (choose CAIRN_SVC_ROOT elsewhere)"

  if [ -f "$data/PG_VERSION" ]; then
    svc_say "starting the existing cluster in $data"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$data"
    chmod 700 "$data"
    rm -f "$data/postmaster.pid"   # left by a killed or copied cluster
  else
    rm -rf "$data"
    as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      --no-instructions >"$svc_state/initdb.log" 2>&1 \
      || { cat "$svc_state/initdb.log" >&2; svc_fail "initdb failed"; }
    cat >>"$data/postgresql.conf" <<EOF

# test instance (scripts/services/postgres.sh)
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF
  fi
  svc_port_free "$port"
  as_owner "$bindir/pg_ctl" -D "$data" -l "$svc_state/server.log" -w -t 120 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $svc_state" start >&2 8>&- \
    || { tail -n 20 "$svc_state/server.log" >&2; svc_fail "pg_ctl start failed"; }
  svc_wait 60 "answer from pg_isready" "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"
  svc_record "$(postmaster_pid)" "$svc_state/postmaster.pid"
}

svc_do_stop() {
  if svc_is_running && [ -n "$bindir" ]; then
    as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >&2 || true
  fi
  svc_kill "$svc_state/postmaster.pid" INT   # the pid start recorded, if still there
}

svc_main "$@"
