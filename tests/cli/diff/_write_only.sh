# shellcheck shell=bash
# tests/cli/diff/_write_only.sh: what the write-only files-cache cases share (sourced after
# lib.sh): a repository made with a full key, a write-only key file exported from it, and the
# tree src.

make_repo
full_pass=$CAIRN_PASSPHRASE_FILE
(umask 077 && printf 'writer passphrase\n' >writer.pass)
cairn key export --write-only --new-passphrase-file writer.pass writer.key 2>/dev/null
mkdir -p src

# as_writer CMD...: runs CMD with only the write-only key (in a subshell, on purpose)
# shellcheck disable=SC2030,SC2031
as_writer() { (export CAIRN_KEY_FILE=$PWD/writer.key CAIRN_PASSPHRASE_FILE=$PWD/writer.pass
  "$@"); }
# as_admin CMD...: runs CMD with the full key
# shellcheck disable=SC2030,SC2031
as_admin() { (unset CAIRN_KEY_FILE; export CAIRN_PASSPHRASE_FILE=$full_pass; "$@"); }
# restores_as_src SET DIR: SET restored with the full key into DIR is src exactly
restores_as_src() {
  rm -rf "$2"
  as_admin cairn-restore "$1" --to "$2" 2>/dev/null || die "restore of $1 failed"
  compare_trees src "$2" || die "set $1 differs from the tree"
}
read_of() { as_admin ls_field "$1" bytes_read; }  # read_of SET: the bytes it read
