# shellcheck shell=bash
# Helpers for the erase/ cases (sourced after lib.sh).

# erase_tree DIR: a tree with personal data to erase (home/alice/, records/*.ssn, and a hard
# link to alice's notes elsewhere) next to data that stays (home/bob/, records/readme.txt, a
# file of several chunks). The secrets' contents are unique strings the cases search for.
erase_tree() {
  mkdir -p "$1/home/alice" "$1/home/bob" "$1/records"
  printf 'ALICE-SECRET-NOTES %s\n' "$(head -c 2000 /dev/urandom | base64 -w0)" >"$1/home/alice/notes.txt"
  gen_file "$1/home/alice/photo.bin" 96K 5
  ln "$1/home/alice/notes.txt" "$1/home/zlink"
  printf 'bob keeps his notes\n' >"$1/home/bob/notes.txt"
  printf 'SSN-SECRET-1234 %s\n' "$(head -c 500 /dev/urandom | base64 -w0)" >"$1/records/1234.ssn"
  printf 'the records folder\n' >"$1/records/readme.txt"
  gen_file "$1/big.bin" 700K 9
}

# expected_after_erase SRC DEST: a copy of SRC without what 'cairn erase home/alice "*.ssn"'
# removes (alice's directory, the .ssn files and the hard link to her notes).
expected_after_erase() {
  cp -a "$1" "$2"
  rm -rf "$2/home/alice" "$2/home/zlink" "$2"/records/*.ssn
}

# restores_as SET DIR: the set restores into a fresh directory equal to DIR (directory mtimes
# aside: removing entries from the expected copy touched its directories).
restores_as() {
  local out
  out=$(mktemp -d "$PWD/restore.XXXXXX")
  rmdir "$out"
  cairn-restore "$1" --to "$out" 2>restore.err || { sed 's/^/  | /' restore.err >&2; die "set $1 does not restore"; }
  compare_trees --no-owner --no-xattr --no-acl --no-dir-mtime "$2" "$out"
  rm -rf "$out"
}
