# shellcheck shell=bash
# Crash-point sweeps in the style of SQLite's I/O-error loop (sourced by tests/cli/faults/*.sh
# after lib.sh): a tool runs under `strace -f -e inject=...`, which makes its Nth call of one
# system call fail (EIO, ENOSPC) or kills the process there (SIGKILL), for N over the calls a
# clean run makes; after each point the case's own check runs (the repository verifies, what
# the catalog lists restores, a rerun finishes).
#
# strace counts calls per thread, so "the Nth fsync" is the Nth of each thread: at one point
# several threads may fail at once (the tools must cope with that too).
#
# CAIRN_TEST_SWEEP=full tries every N; by default (CI) each system call and fault is tried at
# the first call, the middle one and the last one of the busiest thread.

[ -n "$(command -v strace)" ] || skip "strace is not installed"
! asan_build || skip "an AddressSanitizer build (strace under ASan is slow; the plain build runs this sweep)"
strace -f -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace refused)"

# sweep_trees: make_repo, then ./one and ./two (two shares one's a.bin, so a set of two
# deduplicates against a set of one).
sweep_trees() {
  make_repo
  mkdir one two
  gen_file one/a.bin 700K 1
  gen_text one/notes.txt 300
  cp one/a.bin two/a.bin
  gen_file two/b.bin 900K 2
  gen_text two/notes.txt 400
}

# sweep_keep DIR...: keeps a copy of each DIR as it is now; sweep_reset (a RESET for sweep)
# puts those copies back before each point.
sweep_kept=()
sweep_keep() {
  local d
  for d in "$@"; do
    cp -a "$d" "$d.pristine"
    sweep_kept+=("$d")
  done
}
sweep_reset() {
  local d
  for d in "${sweep_kept[@]}"; do
    rm -rf "$d"
    cp -a "$d.pristine" "$d"
  done
}

SWEEP_SYSCALLS=(write pwrite64 fsync fdatasync rename renameat renameat2 unlink unlinkat)
sweep_points=0

# sweep_counts OUT RUN: runs RUN (a function: see sweep) under strace once and writes
# "SYSCALL MAXCALLS" lines for each system call of SWEEP_SYSCALLS it made (the most calls any
# one thread made).
sweep_counts() {
  local out=$1 run=$2 trace
  trace=$(mktemp "$PWD/trace.XXXXXX")
  "$run" strace -f -qq -o "$trace" -e trace="$(IFS=,; echo "${SWEEP_SYSCALLS[*]}")" \
    >clean.out 2>clean.err || { sed 's/^/  | /' clean.err >&2; die "the clean run of $run failed"; }
  awk '{ pid = $1; sub(/\(.*/, "", $2); if ($2 ~ /^[a-z0-9_]+$/) n[$2 " " pid]++ }
       END { for (k in n) { split(k, a, " "); if (n[k] > m[a[1]]) m[a[1]] = n[k] }
             for (s in m) print s, m[s] }' "$trace" | sort >"$out"
  rm -f "$trace"
}

# sweep_ns MAX: the points to try, one a line.
sweep_ns() {
  if [ "${CAIRN_TEST_SWEEP:-}" = full ]; then
    seq 1 "$1"
  else
    printf '%s\n' 1 $((($1 + 1) / 2)) "$1" | sort -nu
  fi
}

# sweep NAME RESET RUN CHECK: RESET restores the state before the tool runs; RUN runs the tool
# with "$@" (the strace command line) in front of it, its stdout and stderr going to the
# caller's; CHECK judges the state after a point (it gets the point as "SYSCALL:FAULT:N" and
# its exit status as $2, and runs the rerun itself). A clean run first gives the counts.
# Prints "NAME: swept" to stdout and the number of points to stderr.
sweep() {
  local name=$1 reset=$2 run=$3 check=$4 sys max n fault points=0 rc
  "$reset"
  sweep_counts "counts.$name" "$run"
  [ -s "counts.$name" ] || die "$name made none of the system calls the sweep injects into"
  while read -r sys max; do
    for fault in error=EIO error=ENOSPC signal=KILL; do
      case $sys:$fault in
        unlink*:error=ENOSPC | rename*:error=ENOSPC) continue ;;
      esac
      for n in $(sweep_ns "$max"); do
        "$reset"
        rc=0
        "$run" strace -f -qq -o /dev/null -e trace="$sys" -e inject="$sys:$fault:when=$n" \
          >point.out 2>point.err || rc=$?
        "$check" "$sys:$fault:$n" "$rc"
        points=$((points + 1))
      done
    done
  done <"counts.$name"
  echo "$name: $points crash points, every one verified, restored and rerun" >&2
  sweep_points=$((sweep_points + points))
  echo "$name: swept"
}

# sweep_fail POINT WHAT: the point broke something: say which, with the tool's stderr.
sweep_fail() {
  sed 's/^/  | /' point.err >&2
  die "after the fault $1: $2"
}
