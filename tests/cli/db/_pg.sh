# shellcheck shell=bash
# tests/cli/db/_pg.sh: what the PostgreSQL cases share (sourced after lib.sh).
#
#   need_pg                  skip unless scripts/test started PostgreSQL (CAIRN_TEST_PG_*), then
#                            export libpq's PGHOST/PGPORT/PGUSER for it
#   shared_dir               sets $shared: a directory under /tmp that the user postgres can
#                            reach (the case's scratch dir cannot be: it is 0700), removed when
#                            the case exits. Repositories that PostgreSQL itself writes to (WAL
#                            archiving) and data directories live there.
#   as_pg CMD...             CMD as the user postgres when we are root (from /, TMPDIR=/tmp: give
#                            it absolute paths), else as ourselves
#   free_port                a TCP port nobody listens on
#   cluster_init DIR         initdb DIR (as_pg), trust auth, UTF8
#   cluster_start DIR PORT [-c NAME=VALUE]...   pg_ctl start on 127.0.0.1:PORT, socket in DIR/..
#   cluster_stop DIR         pg_ctl stop -m fast (quiet when it is not running)
#   make_shop DB [ORDERS]    a database with customers, orders (ORDERS rows, default 200000) and
#                            a few column types worth round-tripping (numeric, jsonb, bytea,
#                            timestamptz, arrays, NULLs)
#   db_dump DB [PORT]        a plain pg_dump of DB, comparable between databases: a fixed
#                            --restrict-key (pg_dump >= 15.14 writes a random one otherwise)
#   unique_name PREFIX       PREFIX_<pid>_<random>: databases of parallel cases never collide
#   ms_since START_NS        milliseconds since a `date +%s%N` value

need_pg() {
  need_env CAIRN_TEST_PG_HOST CAIRN_TEST_PG_PORT CAIRN_TEST_PG_USER
  export PGHOST=$CAIRN_TEST_PG_HOST PGPORT=$CAIRN_TEST_PG_PORT PGUSER=$CAIRN_TEST_PG_USER
  export PGDATABASE=postgres
  unset PGPASSWORD PGSERVICE
  pg_bindir=${CAIRN_TEST_PG_BINDIR:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
  [ -x "$pg_bindir/pg_ctl" ] || die "no pg_ctl in '$pg_bindir' (set CAIRN_TEST_PG_BINDIR)"
  export PG_BINDIR=$pg_bindir
}

_pg_cleanup_dirs=()
_pg_clusters=()
_pg_dbs=()
_pg_cleanup() {
  local c d
  for c in "${_pg_clusters[@]}"; do cluster_stop "$c"; done
  for d in "${_pg_dbs[@]}"; do dropdb --if-exists "$d" >/dev/null 2>&1 || true; done
  for d in "${_pg_cleanup_dirs[@]}"; do rm -rf "$d"; done
}
trap _pg_cleanup EXIT

shared_dir() {  # sets $shared (not printed: the cleanup list must be this shell's)
  shared=$(mktemp -d /tmp/cairn-db-test.XXXXXX)
  chmod 755 "$shared"
  if is_root; then chown postgres: "$shared"; fi
  _pg_cleanup_dirs+=("$shared")
}

as_pg() {  # from /, with TMPDIR=/tmp: the case's own directories are not the user postgres' to enter
  if is_root; then (cd / && runuser -u postgres -- env TMPDIR=/tmp "$@"); else "$@"; fi
}

free_port() {
  "$CAIRN_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cluster_init() {
  as_pg "$PG_BINDIR/initdb" -D "$1" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-instructions \
    >"$1.initdb.log" 2>&1 || { cat "$1.initdb.log" >&2; die "initdb '$1' failed"; }
  printf '\nfsync = off\nlog_min_messages = warning\n' >>"$1/postgresql.conf"
}

cluster_start() {  # cluster_start DIR PORT [-c NAME=VALUE]...
  local dir=$1 port=$2
  shift 2
  _pg_clusters+=("$dir")
  if is_root; then chown -R postgres: "$dir"; fi
  chmod 700 "$dir"
  as_pg "$PG_BINDIR/pg_ctl" -D "$dir" -l "$dir.log" -w -t 120 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $(dirname "$dir") $*" start >/dev/null \
    || { tail -n 30 "$dir.log" >&2; die "PostgreSQL did not start on '$dir'"; }
}

cluster_stop() {
  [ -f "$1/postmaster.pid" ] || return 0
  as_pg "$PG_BINDIR/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

unique_name() { echo "${1}_$$_$RANDOM"; }

make_shop() {  # make_shop DB [ORDERS]
  local db=$1 n=${2:-200000}
  createdb "$db" || die "createdb $db failed"
  _pg_dbs+=("$db")
  psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL || die "loading $db failed"
CREATE TABLE customers(id int PRIMARY KEY, name text NOT NULL, email text, city text,
                       created date, tags text[], profile jsonb);
INSERT INTO customers
  SELECT i, 'customer ' || i, CASE WHEN i % 17 = 0 THEN NULL ELSE 'c' || i || '@example.org' END,
         (ARRAY['Berlin','Paris','Oslo','Rome','Lima','Kraków'])[1 + i % 6], date '2020-01-01' + (i % 1500),
         ARRAY['t' || (i % 7), 't' || (i % 11)], jsonb_build_object('level', i % 5, 'vip', i % 97 = 0)
  FROM generate_series(1, $n / 2) i;
CREATE TABLE orders(id int PRIMARY KEY, customer int NOT NULL REFERENCES customers, amount numeric(10,2),
                    status text, placed timestamptz, note text, blob bytea);
INSERT INTO orders
  SELECT i, 1 + (i * 7919) % ($n / 2), (i % 10000) / 100.0, (ARRAY['new','paid','shipped','done'])[1 + i % 4],
         timestamptz '2024-01-01 00:00:00+00' + i * interval '37 seconds', md5(i::text),
         CASE WHEN i % 50 = 0 THEN decode(md5(i::text), 'hex') END
  FROM generate_series(1, $n) i;
CREATE INDEX orders_customer ON orders(customer);
CREATE VIEW open_orders AS SELECT * FROM orders WHERE status <> 'done';
SQL
}

db_dump() {  # db_dump DB [PORT]
  pg_dump -Fp --restrict-key=cairntest ${2:+-p "$2"} -d "$1"
}

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
