#!/usr/bin/env bash
# scripts/check-format.sh [SOURCE_DIR]: every C++ file git tracks under lib/, tools/ and tests/
# is laid out as .clang-format says (clang-format --dry-run -Werror). Run by ctest as
# meta:format; `scripts/check-format.sh --fix` rewrites the files instead. Exits 77 (skipped)
# when clang-format is not installed: layout is checked where the tool is, and CI installs it.
set -euo pipefail

fix=0
[ "${1:-}" = --fix ] && { fix=1; shift; }
src=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cf=$(command -v clang-format || command -v clang-format-14 || true)
[ -n "$cf" ] || { echo "check-format: clang-format is not installed (apt-get install clang-format)" >&2; exit 77; }
cd "$src"
mapfile -t files < <(git ls-files -- 'lib/*.cpp' 'lib/*.hpp' 'tools/*.cpp' 'tools/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 2>/dev/null ||
  find lib tools tests -name '*.cpp' -o -name '*.hpp')
[ "${#files[@]}" -gt 0 ] || { echo "check-format: no C++ files under $src" >&2; exit 2; }
if [ "$fix" = 1 ]; then
  "$cf" -i --style=file "${files[@]}"
  exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$cf" --dry-run -Werror --style=file "${files[@]}" 2>"$log"; then
  grep -E '^[^ ].*: error:' "$log" | sed 's/:[0-9]*:[0-9]*: error: .*//' | sort -u | head -20
  echo "check-format: the files above differ from .clang-format; run scripts/check-format.sh --fix" >&2
  exit 1
fi
