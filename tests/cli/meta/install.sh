#!/usr/bin/env bash
# `cmake --install` (no --strip) into a fresh prefix installs stripped executables that run,
# the man pages, and the bash, zsh and fish completion of every tool where those shells look.
set -euo pipefail
. "$CAIRN_CLI_LIB"
[ -n "${CAIRN_BUILD_DIR:-}" ] || skip "CAIRN_BUILD_DIR is not set (run through ctest)"
command -v file >/dev/null || die "file(1) is not installed (apt-get install file)"
tools="cairn cairn-snap cairn-diff cairn-pack cairn-push cairn-verify cairn-restore cairn-prune"

cmake --install "$CAIRN_BUILD_DIR" --prefix "$PWD/prefix" >install.log 2>&1 \
  || die "cmake --install failed: $(tail -n 3 install.log)"
total=0
built=0
for t in $tools; do
  exe=prefix/bin/$t
  [ -x "$exe" ] || die "$t was not installed into bin/"
  kind=$(file -b "$exe")
  case $kind in
    *"not stripped"*) die "$t is installed unstripped: $kind" ;;
    *stripped*) ;;
    *) die "file(1) does not say whether $t is stripped: $kind" ;;
  esac
  "$exe" --version >/dev/null || die "the installed $t does not run"
  total=$((total + $(stat -c %s "$exe")))
  built=$((built + $(stat -c %s "$CAIRN_BUILD_DIR/bin/$t")))
  [ -s "prefix/share/bash-completion/completions/$t" ] || die "no bash completion installed for $t"
  [ -s "prefix/share/zsh/site-functions/_$t" ] || die "no zsh completion installed for $t"
  [ -s "prefix/share/fish/vendor_completions.d/$t.fish" ] || die "no fish completion installed for $t"
done
# Unstripped, a RelWithDebInfo build's tools take some 400 MB; stripped, a small part of that.
if file -b "$CAIRN_BUILD_DIR/bin/cairn" | grep -q 'with debug_info'; then
  [ "$total" -lt $((built / 2)) ] || die "the installed tools take $total bytes, the built ones $built"
fi
for page in cairn.1 cairn.7 cairn-restore.1 cairn-repository.5; do
  [ -s "prefix/share/man/man${page##*.}/$page" ] || die "man page $page was not installed"
done
echo "installed: $(echo $tools | wc -w) stripped tools, man pages, bash/zsh/fish completion"
