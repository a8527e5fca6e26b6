#!/usr/bin/env bash
# Secrets stay out of core files. Every tool, first thing, sets RLIMIT_CORE to 0 and
# PR_SET_DUMPABLE to 0; the passphrase lives in non-dumpable pages and is wiped when freed.
#  1. a core taken with gcore as root (which ignores "not dumpable") from a restore that is
#     running, long after its key was derived, holds no copy of the passphrase (key
#     material is kept in MADV_DONTDUMP memory too, but its bytes are not known here);
#  2. a tool run by an unprivileged user is not dumpable: its /proc/PID files belong to root
#     (so the user cannot ptrace it or read its memory), and /proc/PID/limits says 0;
#  3. SIGABRT writes no core file where an ordinary process's core lands (only when
#     core_pattern is a plain file name; otherwise the case ends with exit 77 saying why).
set -euo pipefail
. "$CAIRN_CLI_LIB"
command -v gcore >/dev/null || skip "gdb (gcore) is not installed"
is_root || skip "gcore needs root here (ptrace of a process that is not dumpable)"
# AddressSanitizer builds stay dumpable (LeakSanitizer ptraces itself) and map terabytes of
# shadow memory that gcore cannot dump in reasonable time: this test is for builds for use.
! asan_build || skip "an AddressSanitizer build"

pw=QzCanary7Core5x   # 15 bytes: would fit std::string's inline buffer
(umask 077 && printf '%s\n' "$pw" >pass)
export CAIRN_PASSPHRASE_FILE=$PWD/pass CAIRN_REPO=$PWD/repo CAIRN_CATALOG=$PWD/catalog.db
cairn init >/dev/null
mkdir src
gen_file src/big.bin 6M 1
(set -o pipefail && cairn-snap src --source core | cairn-diff | cairn-pack >/dev/null)

# start_stuck_restore DIR: cairn-restore latest --tar from DIR into a fifo nobody reads, so it
# stays mid-way (blocked in a pipe write, the repository open); sets $pid.
start_stuck_restore() {
  local dir=$1 i
  mkdir -p "$dir"
  mkfifo "$dir/out.fifo"
  (cd "$dir" && exec cairn-restore latest --tar >out.fifo 2>restore.err) &
  pid=$!
  exec 3<"$dir/out.fifo"   # a reader that never reads
  for ((i = 0; i < 600; i++)); do
    if grep -q pipe_write /proc/"$pid"/task/*/wchan 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || die "cairn-restore ended early: $(cat "$dir/restore.err")"
    sleep 0.1
  done
  die "cairn-restore never blocked writing its output"
}
stop_restore() {
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  exec 3<&-
}

# ---- 1. gcore of a running restore
start_stuck_restore g
gcore -o "$PWD/g/core" "$pid" >g/gcore.log 2>&1 || die "gcore failed: $(tail -n 3 g/gcore.log)"
stop_restore
core=g/core.$pid
[ -s "$core" ] || die "gcore wrote no core file"
# The core is a real one: it holds the strings of the process (its repository path).
[ "$(grep -c -a -F "$PWD/repo" "$core")" -gt 0 ] || die "the core holds none of the process's strings"
n=$(grep -c -a -F "$pw" "$core" || true)
[ "$n" = 0 ] || die "the core of a running restore holds the passphrase ($n times)"
echo "gcore of a running restore: no passphrase"
rm -f "$core"

# ---- 2. not dumpable, no core limit (a process of an unprivileged user)
sanitizer=0
grep -q '^CAIRN_SANITIZE:BOOL=ON' "${CAIRN_BUILD_DIR:-/nonexistent}/CMakeCache.txt" 2>/dev/null && sanitizer=1
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
mkfifo in.fifo
setpriv --reuid=65534 --regid=65534 --clear-groups cairn-snap --stdin probe <in.fifo >/dev/null 2>probe.err &
probe=$!
exec 4>in.fifo
for ((i = 0; i < 100; i++)); do
  [ "$(cat /proc/$probe/comm 2>/dev/null)" = cairn-snap ] && break
  sleep 0.05
done
[ "$(cat /proc/$probe/comm 2>/dev/null)" = cairn-snap ] || die "cairn-snap did not start as nobody: $(cat probe.err)"
sleep 0.2   # past Tool::run's first line
uid=$(awk '/^Uid:/ { print $2 }' /proc/$probe/status)
owner=$(stat -c %u /proc/$probe/status)
limit=$(awk '/^Max core file size/ { print $5 " " $6 }' /proc/$probe/limits)
exec 4>&-
wait "$probe" 2>/dev/null || true
assert_eq 65534 "$uid" "the probe's uid"
assert_eq "0 0" "$limit" "RLIMIT_CORE (soft, hard) of a cairn tool"
echo "RLIMIT_CORE: 0"
if [ "$sanitizer" = 0 ]; then
  assert_eq 0 "$owner" "owner of /proc/PID/status of a tool run by uid 65534 (root = not dumpable)"
  echo "not dumpable: /proc/PID belongs to root"
fi

# ---- 3. SIGABRT leaves no core file
pattern=$(cat /proc/sys/kernel/core_pattern)
case $pattern in
  '|'* | */*) skip "core_pattern '$pattern' is not a plain file name: SIGABRT not tried" ;;
esac
ulimit -c unlimited 2>/dev/null || skip "the hard core limit is $(ulimit -Hc): SIGABRT not tried"
# abort_and_reap PID: SIGABRT, then until the process is gone (at most 20 s). The job is
# disowned first: bash may reap an aborted job before `wait` runs and then print "Aborted (core
# dumped)" on its own stderr, whatever the wait's redirection.
abort_and_reap() {
  local i
  disown "$1" 2>/dev/null || true
  kill -ABRT "$1"
  for ((i = 0; i < 400; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.05
  done
  die "process $1 outlived SIGABRT by 20 s"
}
mkdir control
(cd control && exec sleep 30) &
ctl=$!
sleep 0.2
abort_and_reap "$ctl"
[ -n "$(ls control)" ] || skip "an ordinary process left no core in its directory here: SIGABRT not tried"
start_stuck_restore a
abort_and_reap "$pid"
exec 3<&-
left=$(ls a | grep -v -x -e out.fifo -e restore.err || true)
[ -z "$left" ] || die "SIGABRT left a core file: $left"
echo "SIGABRT: no core file"
[ "$sanitizer" = 0 ] || skip "sanitizer build: it stays dumpable (LeakSanitizer ptraces itself)"
