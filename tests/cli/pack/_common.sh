# shellcheck shell=bash
# Helpers for the pack/ cases (sourced after lib.sh).

# pack_refuses WHAT FILE [ERE]: cairn-pack <FILE exits 1 with exactly one error line (matching
# ERE, case-insensitive), prints nothing on stdout, and commits nothing: `cairn ls` lists the
# same sets, the repository's sets/ folder is unchanged, and cairn-verify still passes.
pack_refuses() {
  local what=$1 file=$2 ere=${3:-} rc=0 before after sets_before sets_after
  before=$(set_ids)
  sets_before=$(cd "$CAIRN_REPO" && find sets -type f 2>/dev/null | sort)
  cairn-pack <"$file" >refuse.out 2>refuse.err || rc=$?
  if [ "$rc" != 1 ]; then
    sed 's/^/  | /' refuse.err >&2
    die "$what: cairn-pack exited $rc, expected 1"
  fi
  [ ! -s refuse.out ] || die "$what: cairn-pack printed '$(head -c 200 refuse.out)' on stdout"
  if [ "$(wc -l <refuse.err)" != 1 ] || ! grep -q '^cairn-pack: error: ' refuse.err; then
    sed 's/^/  | /' refuse.err >&2
    die "$what: expected one 'cairn-pack: error: ...' line on stderr"
  fi
  if [ -n "$ere" ] && ! grep -Eqi -- "$ere" refuse.err; then
    sed 's/^/  | /' refuse.err >&2
    die "$what: the error does not match /$ere/"
  fi
  after=$(set_ids)
  [ "$before" = "$after" ] || die "$what: cairn ls lists a new set"
  sets_after=$(cd "$CAIRN_REPO" && find sets -type f 2>/dev/null | sort)
  [ "$sets_before" = "$sets_after" ] || die "$what: a set object was written to the repository"
  cairn-verify >verify.out 2>&1 || { sed 's/^/  | /' verify.out >&2; die "$what: cairn-verify fails afterwards"; }
}
