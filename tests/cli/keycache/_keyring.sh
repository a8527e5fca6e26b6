# shellcheck shell=bash
# tests/cli/keycache/_keyring.sh: what the key cache's cases share (sourced after lib.sh).
# The case re-runs itself in a new, empty session keyring of its own (cases never share
# one), with the cache on (run.sh turns it off for every other case); it is skipped, with the
# reason, where the kernel refuses the keyring syscalls.
if [ -z "${KEYCACHE_OWN_SESSION:-}" ]; then
  KEYCACHE_OWN_SESSION=1 exec cairn-test-keyring session bash "$0" "$@"
fi
export CAIRN_KEY_CACHE=60

# keycache_repo: a repository with nothing kept for it yet (cairn init keeps its key), and a
# small tree in $src
keycache_repo() {
  make_repo
  cairn key forget
  src=$PWD/src
  mkdir -p "$src"
  gen_text "$src/a.txt" 50
}
# derivations FILE...: how many "key derived" -v lines the files hold
derivations() { cat "$@" | grep -c 'key derived' || true; }
# hits FILE...: how many keys came from the kernel keyring
hits() { cat "$@" | grep -c 'from the kernel keyring' || true; }
# pipeline NAME [SNAP-ARGS...]: snap | diff -v | pack -v of $src, stderr in NAME.diff, NAME.pack
pipeline() {
  local name=$1
  shift
  (set -o pipefail && cairn-snap "$src" --source app "$@" | cairn-diff -v 2>"$name.diff" \
    | cairn-pack -v 2>"$name.pack" >"$name.out") || die "pipeline $name failed: $(cat "$name.diff" "$name.pack")"
}
# entries: the cairn entries of this session's keyring, "PERM DESCRIPTION" a line
entries() { cairn-test-keyring list; }
