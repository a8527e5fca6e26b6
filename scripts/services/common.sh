# shellcheck shell=bash
# scripts/services/common.sh: what every service script shares. Sourced, never run.
#
# The contract of a service script (postgres.sh, redis.sh, sftp.sh, s3.sh, azure.sh):
#   NAME.sh start    start a private instance on 127.0.0.1 (installing what is missing),
#                    wait until a real request works, print its environment
#   NAME.sh stop     stop the processes that `start` recorded, and nothing else
#   NAME.sh env      print the environment again
#   NAME.sh status   exit 0 when it runs
# stdout carries only `export NAME=value` lines, so use it as
#   e=$(bash scripts/services/s3.sh start) && eval "$e"
# (not `eval "$(...)"`, which hides a failed start from set -e). Everything else goes to
# stderr. start is idempotent: when the instance already runs it only prints the env.
# State: $CAIRN_SVC_ROOT/<service>-<port>/ (default root /tmp/cairn-services): pid files,
# logs, keys, data, env.sh. stop keeps it; delete it for a clean slate. The npm packages
# (s3rver, Azurite), the apt log and the install locks are shared by every root, in
# $CAIRN_SVC_CACHE (default /var/tmp/cairn-services-cache).

CAIRN_SVC_ROOT=${CAIRN_SVC_ROOT:-/tmp/cairn-services}
CAIRN_SVC_CACHE=${CAIRN_SVC_CACHE:-/var/tmp/cairn-services-cache}
svc_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
svc_repo=$(cd "$svc_here/../.." && pwd)
export DEBIAN_FRONTEND=noninteractive

svc_say() { printf '%s: %s\n' "${svc_name:-service}" "$*" >&2; }
svc_fail() { svc_say "error: $*"; exit 1; }
svc_export() { printf 'export %s=%q\n' "$1" "$2"; }

svc_python() {  # Debian's python3 when present (stdlib only is needed)
  if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3 || svc_fail "python3 not found"; fi
}

# ---- locks: fd 8 is the lock fd; children never inherit it (see svc_spawn) ------------
svc_locked() {  # svc_locked DIR NAME CMD...: runs CMD holding DIR/.lock-NAME
  local dir=$1 name=$2
  shift 2
  mkdir -p "$dir"
  (
    flock -w 900 8 || svc_fail "waited 900 s for the lock '$name'"
    "$@"
  ) 8>"$dir/.lock-$name"
}

# ---- installing ---------------------------------------------------------------------
svc_packages() {  # svc_packages PKG...: apt-get install the missing ones (one at a time)
  # shellcheck source=../lib/packages.sh
  . "$svc_repo/scripts/lib/packages.sh"
  [ -z "$(cairn_missing_packages "$@")" ] && return 0
  CAIRN_APT_LOG=$CAIRN_SVC_CACHE/apt.log svc_locked "$CAIRN_SVC_CACHE" apt cairn_ensure_packages "$@" \
    || svc_fail "could not install $*"
}

_svc_npm_install() {  # DIR SPEC BIN
  local dir=$1 spec=$2 bin=$3
  [ -x "$dir/node_modules/.bin/$bin" ] && return 0
  mkdir -p "$dir"
  svc_say "npm install $spec (log: $dir/npm.log)"
  [ -f "$dir/package.json" ] || printf '{"private": true}\n' >"$dir/package.json"
  if ! (cd "$dir" && npm install --no-audit --no-fund --no-update-notifier --loglevel=error "$spec") \
       </dev/null >>"$dir/npm.log" 2>&1; then
    tail -n 20 "$dir/npm.log" >&2
    svc_fail "npm install $spec failed"
  fi
  [ -x "$dir/node_modules/.bin/$bin" ] || svc_fail "npm install $spec gave no '$bin'"
}

svc_npm() {  # svc_npm NAME SPEC BIN: prints the path of BIN, installing SPEC if needed
  local dir=$CAIRN_SVC_CACHE/npm-$1
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || svc_packages nodejs npm
  [ -x "$dir/node_modules/.bin/$3" ] || svc_locked "$CAIRN_SVC_CACHE" "npm-$1" _svc_npm_install "$dir" "$2" "$3"
  echo "$dir/node_modules/.bin/$3"
}

# ---- processes ------------------------------------------------------------------------
svc_pid_alive() {  # a zombie counts as gone
  local pid=$1 state
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

_svc_starttime() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

svc_record() {  # svc_record PID PIDFILE: the pid and its start time (guards against pid reuse)
  printf '%s %s\n' "$1" "$(_svc_starttime "$1")" >"$2"
}

svc_running() {  # svc_running PIDFILE: the recorded process is still the one we started
  local pid start
  [ -f "$1" ] || return 1
  read -r pid start <"$1" || true
  svc_pid_alive "$pid" || return 1
  [ -z "${start:-}" ] || [ "$(_svc_starttime "$pid")" = "$start" ]
}

svc_spawn() {  # svc_spawn PIDFILE LOG CMD...: a daemon in its own session, pid recorded
  local pidfile=$1 log=$2
  shift 2
  setsid "$@" </dev/null >>"$log" 2>&1 8>&- &
  svc_record $! "$pidfile"
}

svc_kill() {  # svc_kill PIDFILE [SIGNAL]: stops that pid (TERM, then KILL after 20 s)
  local pidfile=$1 sig=${2:-TERM} pid i
  [ -f "$pidfile" ] || return 0
  read -r pid _ <"$pidfile" || true
  if svc_running "$pidfile"; then
    kill -s "$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do svc_pid_alive "$pid" || break; sleep 0.1; done
    if svc_pid_alive "$pid"; then
      svc_say "pid $pid still there after SIG$sig; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

svc_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }   # svc_port_open PORT

svc_port_free() {  # refuse to start over somebody else's listener
  if svc_port_open "$1"; then
    svc_fail "127.0.0.1:$1 is taken by another process (choose another port)"
  fi
}

svc_wait() {  # svc_wait SECONDS WHAT CMD...: until CMD succeeds
  local limit=$1 what=$2 i
  shift 2
  for ((i = 0; i < limit * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  svc_fail "no $what after ${limit} s"
}

# ---- the command line ---------------------------------------------------------------
# A script defines svc_name, svc_state (its state dir), svc_print_env, svc_is_running,
# svc_do_start (which ends by printing the env) and svc_do_stop, then calls svc_main "$@".
svc_main() {
  case ${1:-} in
    start)
      _svc_start() {
        if svc_is_running; then
          svc_say "already running"
        else
          mkdir -p "$svc_state"
          svc_do_stop quiet
          svc_do_start
          svc_print_env >"$svc_state/env.sh"
          svc_say "ready (state in $svc_state)"
        fi
        svc_print_env
      }
      svc_locked "$CAIRN_SVC_ROOT" "$(basename "$svc_state")" _svc_start ;;
    stop)
      svc_do_stop
      svc_say "stopped (state kept in $svc_state)" ;;
    restart)
      svc_do_stop
      svc_main start ;;
    env) svc_print_env ;;
    status)
      if svc_is_running; then svc_say "running"; else svc_say "not running"; return 1; fi ;;
    *)
      echo "usage: $0 start|stop|restart|env|status" >&2
      return 2 ;;
  esac
}
