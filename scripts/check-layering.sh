#!/usr/bin/env bash
# scripts/check-layering.sh [SOURCE_DIR]: enforces the module layering declared in
# lib/CMakeLists.txt (STYLE.md section 2). Run by ctest as meta:layering.
#
# 1. Every `cairn_module(NAME DEPS a b ... [LIBS ...])` declares what NAME may include.
#    A file under lib/NAME/ may `#include "X/..."` only when X is NAME or one of its
#    DEPS. Dependencies of dependencies are not implied: a module names all it uses.
#    An include "X/..." where X is not a module must resolve next to the including file
#    (a module's own subfolder); anything else is reported. "file.hpp" (no folder) is
#    left alone: it is next to the file or generated into the build tree.
# 2. Every folder under lib/ must be declared as a module.
# 3. Each C library has owners; its headers may appear only there (lib/, tools/ and
#    tests/unit/<module>/ are scanned; a unit test counts as its module):
#      sodium.h, sodium/   crypto              openssl/            crypto
#      zstd.h, zdict.h, zstd_errors.h  compress
#      sqlite3.h           catalog              archive.h, archive_entry.h  tar
#      curl/               net                  toml++/             policy
#      sys/acl.h, acl/libacl.h  tree            CLI/ (CLI11)        cli and tools/
#      fuse.h, fuse_*.h, fuse3/  mount (libfuse3)
# Prints one line per violation, "file:line: what", and exits 1 if there is any.
set -euo pipefail

src=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cmakelists=$src/lib/CMakeLists.txt
[ -f "$cmakelists" ] || { echo "check-layering: no $cmakelists" >&2; exit 2; }

declare -A deps=()   # module -> " dep dep ... "
# Flatten the file (comments dropped) and pick out each cairn_module( ... ) call.
while IFS= read -r call; do
  args=${call#cairn_module(}
  args=${args%)}
  read -r -a words <<<"$args"
  name=${words[0]}
  list=" "
  mode=""
  for w in "${words[@]:1}"; do
    case $w in
      DEPS | LIBS) mode=$w ;;
      *) [ "$mode" = DEPS ] && list+="$w " ;;
    esac
  done
  deps[$name]=$list
done < <(sed 's/#.*$//' "$cmakelists" | tr '\n' ' ' | grep -oE 'cairn_module\([[:space:]]*[A-Za-z0-9_]+[^)]*\)')

[ "${#deps[@]}" -gt 0 ] || { echo "check-layering: no cairn_module() calls in $cmakelists" >&2; exit 2; }

violations=0
files_checked=0
include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*(["<])([^">]+)[">]'
report() { echo "$1"; violations=$((violations + 1)); }

# owner_of HEADER -> the modules allowed to include it (words), or nothing if unrestricted
owner_of() {
  case $1 in
    sodium.h | sodium/*) echo "crypto" ;;
    openssl/*) echo "crypto" ;;
    zstd.h | zdict.h | zstd_errors.h) echo "compress" ;;
    sqlite3.h) echo "catalog" ;;
    archive.h | archive_entry.h) echo "tar" ;;
    curl/*) echo "net" ;;
    toml++/*) echo "policy" ;;
    sys/acl.h | acl/libacl.h) echo "tree" ;;
    CLI/*) echo "cli tools" ;;
    fuse.h | fuse_*.h | fuse3/*) echo "mount" ;;
  esac
}

# scan FILE OWNER: OWNER is a module name, or "tools"; module include rules apply to lib/ only
scan() {
  local file=$1 owner=$2 in_lib=$3 rel=${1#"$src"/} n line inc first allowed
  files_checked=$((files_checked + 1))
  while IFS=: read -r n line; do
    [[ $line =~ $include_re ]] || continue
    inc=${BASH_REMATCH[2]}
    allowed=$(owner_of "$inc")
    if [ -n "$allowed" ] && [[ " $allowed " != *" $owner "* ]]; then
      report "$rel:$n: includes <$inc>, which only ${allowed/ / and } may include"
    fi
    [ "$in_lib" = 1 ] && [ "${BASH_REMATCH[1]}" = '"' ] || continue
    [[ $inc == */* ]] || continue   # "x.hpp": next to the file, or generated into the build
    first=${inc%%/*}
    if [ -n "${deps[$first]+set}" ]; then
      if [ "$first" != "$owner" ] && [[ ${deps[$owner]} != *" $first "* ]]; then
        report "$rel:$n: includes \"$inc\", but $owner may include only:${deps[$owner]% } (add $first to its DEPS in lib/CMakeLists.txt, or move the code)"
      fi
    elif [ ! -f "$(dirname "$file")/$inc" ]; then
      report "$rel:$n: includes \"$inc\", which is neither a module header nor next to it"
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$file" || true)
}

sources() {  # sources DIR: C/C++ files under DIR, sorted
  find "$1" -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' -o -name '*.c' -o -name '*.inl' -o -name '*.ipp' \) -print | LC_ALL=C sort
}

for dir in "$src"/lib/*/; do
  mod=$(basename "$dir")
  if [ -z "${deps[$mod]+set}" ]; then
    report "lib/$mod/: not declared with cairn_module($mod ...) in lib/CMakeLists.txt"
    continue
  fi
  while IFS= read -r f; do scan "$f" "$mod" 1; done < <(sources "$dir")
done

if [ -d "$src/tools" ]; then
  while IFS= read -r f; do scan "$f" tools 0; done < <(sources "$src/tools")
fi

if [ -d "$src/tests/unit" ]; then
  for dir in "$src"/tests/unit/*/; do
    [ -d "$dir" ] || continue
    while IFS= read -r f; do scan "$f" "$(basename "$dir")" 0; done < <(sources "$dir")
  done
fi

if [ "$violations" -gt 0 ]; then
  echo "check-layering: $violations violation(s) in $files_checked files"
  exit 1
fi
echo "check-layering: $files_checked files in ${#deps[@]} modules, no violations"
