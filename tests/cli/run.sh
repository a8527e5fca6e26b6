#!/usr/bin/env bash
# tests/cli/run.sh: runs one CLI test case and checks it against its expectation files
# (the zstd tests/cli-tests convention, STYLE.md C14).
#
#   run.sh [--preserve] [--set-exact-output] [--verbose] path/to/CASE.sh
#
# The case is run with bash, stdin from /dev/null, in a fresh scratch directory (its cwd,
# also $CAIRN_SCRATCH) with:
#   PATH            $CAIRN_BIN (the build's tools dir) and $CAIRN_HELPER_BIN first
#   HOME, XDG_{STATE,CONFIG,CACHE,DATA}_HOME, TMPDIR   throwaway dirs inside the scratch dir
#   CAIRN_TEST_FAST_KDF=1, LC_ALL=C.UTF-8, TZ=UTC
#   CAIRN_KEY_CACHE=off   keys are not kept in the kernel keyring, so that cases never share
#                   one (a case that tests the cache sets it and runs in a keyring of its own:
#                   cairn-test-keyring session)
#   CAIRN_CLI_LIB   tests/cli/lib.sh (cases source it), CAIRN_SOURCE_DIR (the source tree),
#   CAIRN_CASE_DIR  the folder holding the case (for fixtures next to it)
# Every other CAIRN_* variable is removed, except CAIRN_BIN, CAIRN_HELPER_BIN, CAIRN_TEST_*,
# CAIRN_SOURCE_DIR/CAIRN_BUILD_DIR and what scripts/services/ prints for reaching a server
# (CAIRN_S3_ENDPOINT, CAIRN_AZURE_ENDPOINT, CAIRN_SSH_*; and CAIRN_SVC_CACHE), so the
# caller's repository, catalog or passphrase cannot leak in.
#
# Expectations, next to the case; for a case x.sh each is named x.<kind> (or x.sh.<kind>,
# as zstd does):
#   x.exit           expected exit status (default 0)
#   x.stdout.exact   stdout must equal this file byte for byte
#   x.stdout.glob    each line is a shell pattern (* ? [..]) for one line of stdout;
#                    a line that is exactly "..." matches any number of lines (even none)
#   x.stdout.ignore  stdout is not checked
#   x.stderr.exact | x.stderr.glob | x.stderr.ignore    the same for stderr
# With no stdout (stderr) file, stdout (stderr) must be empty.
#
# Exit status: 0 pass, 1 fail, 2 usage or broken expectations, 77 skipped (the case exited
# 77 while 77 was not what it expected: ctest's SKIP_RETURN_CODE). The scratch directory is
# removed unless --preserve (or CAIRN_CLI_PRESERVE=1). --set-exact-output rewrites the
# case's .exact files (and .exit) from what it did, for updating expectations by hand.
# CAIRN_CLI_TIMEOUT (seconds, default 600) bounds one case.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=${CAIRN_SOURCE_DIR:-$(cd "$here/../.." && pwd)}

usage() {
  echo "usage: run.sh [--preserve] [--set-exact-output] [--verbose] CASE.sh" >&2
  exit 2
}

preserve=${CAIRN_CLI_PRESERVE:-0}
set_exact=0
verbose=0
while [ $# -gt 0 ]; do
  case $1 in
    --preserve) preserve=1 ;;
    --set-exact-output) set_exact=1 ;;
    -v | --verbose) verbose=1 ;;
    -h | --help) usage ;;
    --) shift; break ;;
    -*) echo "run.sh: unknown option '$1'" >&2; usage ;;
    *) break ;;
  esac
  shift
done
[ $# -eq 1 ] || usage
[ -f "$1" ] || { echo "run.sh: no such case '$1'" >&2; exit 2; }
case_path=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
case_name=${case_path#"$here"/}
case_name=${case_name%.sh}
stem=${case_path%.sh}

# ---- expectations ----------------------------------------------------------------
expect_file() {  # expect_file KIND: prints the expectation file for KIND, if any
  local a="$stem.$1" b="$case_path.$1"
  if [ -f "$a" ] && [ -f "$b" ]; then
    echo "run.sh: both '$a' and '$b' exist; keep one" >&2
    exit 2
  fi
  if [ -f "$a" ]; then echo "$a"; elif [ -f "$b" ]; then echo "$b"; fi
}

expected_exit=0
exit_file=$(expect_file exit) || exit 2
if [ -n "$exit_file" ]; then
  expected_exit=$(tr -d ' \t\r\n' <"$exit_file")
  [[ $expected_exit =~ ^[0-9]+$ ]] || { echo "run.sh: '$exit_file' must hold a number" >&2; exit 2; }
fi

stream_mode() {  # stream_mode stdout|stderr -> "exact FILE" | "glob FILE" | "ignore FILE" | "empty"
  local s=$1 found=() k f
  for k in exact glob ignore; do
    f=$(expect_file "$s.$k") || exit 2
    [ -n "$f" ] && found+=("$k $f")
  done
  if [ "${#found[@]}" -gt 1 ]; then
    echo "run.sh: $case_name has more than one $s expectation: ${found[*]}" >&2
    exit 2
  fi
  if [ "${#found[@]}" -eq 1 ]; then echo "${found[0]}"; else echo empty; fi
}
stdout_mode=$(stream_mode stdout) || exit 2
stderr_mode=$(stream_mode stderr) || exit 2

# ---- scratch and environment ------------------------------------------------------
scratch=$(mktemp -d "${TMPDIR:-/tmp}/cairn-cli.XXXXXX") || exit 2
cleanup() {
  if [ "$preserve" = 1 ]; then
    echo "run.sh: scratch kept in $scratch" >&2
  else
    chmod -R u+rwX "$scratch" 2>/dev/null
    rm -rf "$scratch"
  fi
}
trap cleanup EXIT
mkdir -p "$scratch"/{work,home,state,config,cache,data,tmp,result}
result=$scratch/result

while IFS= read -r var; do
  case $var in
    CAIRN_BIN | CAIRN_HELPER_BIN | CAIRN_TEST_* | CAIRN_SOURCE_DIR | CAIRN_BUILD_DIR) ;;
    CAIRN_S3_ENDPOINT | CAIRN_AZURE_ENDPOINT | CAIRN_SSH_* | CAIRN_SVC_CACHE) ;;  # services
    CAIRN_*) unset "$var" ;;
  esac
done < <(compgen -e)

path=$PATH
[ -n "${CAIRN_HELPER_BIN:-}" ] && path=$CAIRN_HELPER_BIN:$path
if [ -n "${CAIRN_BIN:-}" ]; then
  path=$CAIRN_BIN:$path
else
  echo "run.sh: note: CAIRN_BIN is not set; the cairn tools are not on PATH" >&2
fi

export PATH=$path
export HOME=$scratch/home XDG_STATE_HOME=$scratch/state XDG_CONFIG_HOME=$scratch/config
export XDG_CACHE_HOME=$scratch/cache XDG_DATA_HOME=$scratch/data TMPDIR=$scratch/tmp
export CAIRN_TEST_FAST_KDF=1 CAIRN_KEY_CACHE=off LC_ALL=C.UTF-8 TZ=UTC
# script(1) runs its command with $SHELL; CI's may be unset (then /bin/sh, dash, which has no
# pipefail), so the cases that give a pipeline a terminal get the bash that runs them.
export SHELL=$BASH
export CAIRN_SCRATCH=$scratch/work CAIRN_CLI_LIB=$here/lib.sh CAIRN_SOURCE_DIR=$source_dir
export CAIRN_CASE_DIR
CAIRN_CASE_DIR=$(dirname "$case_path")

# ---- run ----------------------------------------------------------------------------
limit=${CAIRN_CLI_TIMEOUT:-600}
(cd "$scratch/work" && exec timeout --kill-after=10 "$limit" bash "$case_path") \
  </dev/null >"$result/stdout" 2>"$result/stderr"
status=$?

# ---- compare ------------------------------------------------------------------------
problems=()

# glob matching: exp[] holds patterns, act[] the actual lines
glob_from() {  # glob_from I J: does exp[I..] match act[J..]?
  local i=$1 j=$2 k
  while [ "$i" -lt "${#exp[@]}" ]; do
    if [ "${exp[i]}" = "..." ]; then
      for ((k = j; k <= ${#act[@]}; k++)); do
        glob_from $((i + 1)) "$k" && return 0
      done
      return 1
    fi
    [ "$j" -lt "${#act[@]}" ] || return 1
    # shellcheck disable=SC2053  # the right-hand side is meant as a pattern
    [[ ${act[j]} == ${exp[i]} ]] || return 1
    i=$((i + 1))
    j=$((j + 1))
  done
  [ "$j" -eq "${#act[@]}" ]
}

check_stream() {  # check_stream stdout|stderr MODE
  local s=$1 mode=$2 file actual=$result/$1
  case $mode in
    empty)
      if [ -s "$actual" ]; then
        problems+=("$s should be empty (add $case_name.$s.exact/.glob/.ignore to expect output)")
      fi ;;
    ignore*) ;;
    exact*)
      file=${mode#exact }
      if ! cmp -s "$file" "$actual"; then
        problems+=("$s differs from $(basename "$file"):")
        problems+=("$(diff -u --label expected --label actual "$file" "$actual" | head -n 60)")
      fi ;;
    glob*)
      file=${mode#glob }
      mapfile -t exp <"$file"
      mapfile -t act <"$actual"
      if ! glob_from 0 0; then
        problems+=("$s does not match the patterns in $(basename "$file"):")
        problems+=("$(diff -u --label expected-patterns --label actual "$file" "$actual" | head -n 60)")
      fi ;;
  esac
}

skipped=0
if [ "$status" = 77 ] && [ "$expected_exit" != 77 ]; then
  skipped=1
elif [ "$status" = 124 ] && [ "$expected_exit" != 124 ]; then
  problems+=("timed out after ${limit}s")
elif [ "$status" != "$expected_exit" ]; then
  problems+=("exit status $status, expected $expected_exit")
fi
if [ "$skipped" = 0 ]; then
  check_stream stdout "$stdout_mode"
  check_stream stderr "$stderr_mode"
fi

if [ "$set_exact" = 1 ] && [ "$skipped" = 0 ]; then
  for s in stdout stderr; do
    mode_var=${s}_mode
    mode=${!mode_var}
    case $mode in
      exact*) cp "$result/$s" "${mode#exact }" ;;
      empty) [ -s "$result/$s" ] && cp "$result/$s" "$stem.$s.exact" ;;
    esac
  done
  if [ -n "$exit_file" ]; then echo "$status" >"$exit_file"
  elif [ "$status" != 0 ]; then echo "$status" >"$stem.exit"; fi
  echo "UPDATED $case_name (exit $status)"
  exit 0
fi

show_output() {
  local s
  for s in stdout stderr; do
    if [ -s "$result/$s" ]; then
      echo "--- $s of the case (last 40 lines) ---"
      tail -n 40 "$result/$s"
    fi
  done
}

if [ "$skipped" = 1 ]; then
  echo "SKIP $case_name"
  show_output
  exit 77
fi
if [ "${#problems[@]}" -gt 0 ]; then
  echo "FAIL $case_name"
  printf '%s\n' "${problems[@]}" | sed 's/^/  /'
  show_output
  exit 1
fi
echo "PASS $case_name"
[ "$verbose" = 1 ] && show_output
exit 0
