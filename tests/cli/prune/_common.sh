# shellcheck shell=bash
# Helpers for the prune/ cases (sourced after lib.sh).

# prune_repo [PACK-SIZE]: like make_repo, with small chunks (64K..256K) and small packs (64K,
# or PACK-SIZE), so that files of a few hundred KiB land in packs of their own and dropping a
# set frees packs.
prune_repo() {
  local state=${XDG_STATE_HOME:-$HOME/.local/state}/cairn
  mkdir -p "$state"
  export CAIRN_PASSPHRASE_FILE=$state/passphrase
  (umask 077 && printf 'correct horse battery staple %s\n' "$RANDOM" >"$CAIRN_PASSPHRASE_FILE")
  export CAIRN_REPO=$PWD/repo
  export CAIRN_CATALOG=${CAIRN_CATALOG:-$state/catalog.db}
  cairn init --repo "$CAIRN_REPO" --passphrase-file "$CAIRN_PASSPHRASE_FILE" --chunk-min 64K \
    --chunk-avg 128K --chunk-max 256K --pack-size "${1:-64K}" >/dev/null || die "cairn init failed"
}

# prune_policy KEEP_LAST: a policy file keeping the KEEP_LAST newest sets of class daily (other
# classes are not named, so their sets are kept); exported as CAIRN_POLICY.
prune_policy() {
  printf '[class.daily]\nkeep-last = %s\n' "$1" >"$PWD/policy.toml"
  export CAIRN_POLICY=$PWD/policy.toml
}

# restores_equal SET DIR: the set restores into a fresh directory equal to DIR.
restores_equal() {
  local out
  out=$(mktemp -d "$PWD/restore.XXXXXX")
  rmdir "$out"
  cairn-restore "$1" --to "$out" 2>restore.err || { sed 's/^/  | /' restore.err >&2; die "set $1 does not restore"; }
  compare_trees --no-owner --no-xattr --no-acl "$2" "$out"
  rm -rf "$out"
}

# check_all_restore: every set `cairn ls` lists restores equal to the tree it was made from
# (recorded as "ID DIR" lines in ./made).
check_all_restore() {
  local id dir
  for id in $(set_ids); do
    dir=$(awk -v id="$id" '$1 == id { print $2 }' made)
    [ -n "$dir" ] || die "set $id is not one this test made"
    restores_equal "$id" "$dir"
  done
}

# made_backup DIR SOURCE CLASS: a backup of DIR, recorded in ./made; prints the set id.
made_backup() {
  local id
  id=$(backup "$1" --source "$2" --class "$3")
  echo "$id $1" >>made
  echo "$id"
}

# compact_setup N: for the compact-* cases (cairn-prune --max-unused): a repository whose packs
# of 1M hold several files of one backup, a policy keeping the 4 newest daily sets, and
# compact_sets N.
compact_setup() {
  prune_repo 1M
  prune_policy 4
  : >made
  compact_sets "$1"
}

# wait_stopped PID ERRFILE: until the process has stopped itself (CAIRN_TEST_PAUSE, state T),
# at most 120 s; ERRFILE is its stderr, shown if it exits instead.
wait_stopped() {
  local i
  for ((i = 0; i < 1200; i++)); do
    case $(ps -o stat= -p "$1" 2>/dev/null) in
      T*) return 0 ;;
      "") die "the paused process exited: $(cat "$2")" ;;
    esac
    sleep 0.1
  done
  die "the process did not reach its pause point"
}

# compact_sets N: N daily sets of d1..dN, each holding the same base/ (8 files of 96K) and a
# file of its own (256K); set i also changes base/f$i, so the first sets' packs hold chunks that only
# they need next to chunks every later set needs.
compact_sets() {
  local i j
  mkdir base0
  for j in 1 2 3 4 5 6 7 8; do gen_file "base0/f$j" 96K "$((100 + j))"; done
  for i in $(seq 1 "$1"); do
    mkdir "d$i"
    cp -r base0 "d$i/base"
    [ "$i" -gt 8 ] || gen_file "d$i/base/f$i" 96K "$((200 + i))"
    gen_file "d$i/own.bin" 256K "$((300 + i))"
    made_backup "d$i" app daily >/dev/null
  done
}

# packs_bytes: the bytes the repository's packs hold.
packs_bytes() { find "$CAIRN_REPO/packs" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

# verify_clean: cairn-verify --read-data passes.
verify_clean() {
  cairn-verify --read-data >verify.out 2>&1 || { sed 's/^/  | /' verify.out >&2; die "cairn-verify --read-data fails"; }
}
