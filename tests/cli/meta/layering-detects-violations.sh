#!/usr/bin/env bash
# scripts/check-layering.sh passes a tree that follows lib/CMakeLists.txt, and reports each
# kind of violation in one that does not: an undeclared dependency (transitive ones are not
# implied), a C library header outside its owner (in lib/, tools/ and tests/unit/), CLI11
# outside cli/tools, an include that resolves nowhere, a folder that is not a module.
set -euo pipefail
check=$CAIRN_SOURCE_DIR/scripts/check-layering.sh

mkdir -p t/lib/{base,io,crypto,pack,repo} t/tools/snap t/tests/unit/io t/lib/io/detail
cat >t/lib/CMakeLists.txt <<'CM'
function(cairn_module name)
endfunction()
cairn_module(base      LIBS fmt::fmt)
cairn_module(io        DEPS base)   # a comment: cairn_module(fake DEPS x)
cairn_module(crypto
             DEPS base LIBS PkgConfig::SODIUM)
cairn_module(pack      DEPS base io crypto)
cairn_module(repo      DEPS pack)
CM
printf '#include "base/result.hpp"\n#include <vector>\n' >t/lib/base/a.cpp
printf '#include "io/file.hpp"\n#include "base/x.hpp"\n#include "detail/impl.hpp"\n#include "local.hpp"\n' >t/lib/io/file.cpp
: >t/lib/io/detail/impl.hpp
: >t/lib/io/local.hpp
printf '#include <sodium.h>\n#include <openssl/evp.h>\n#include "base/bytes.hpp"\n' >t/lib/crypto/hash.cpp
printf '#include "crypto/hash.hpp"\n#include "io/file.hpp"\n#include "base/b.hpp"\n' >t/lib/pack/pack.cpp
printf '#include "pack/pack.hpp"\n' >t/lib/repo/repo.cpp
printf '#include <CLI/CLI.hpp>\n#include "cli/tool.hpp"\n' >t/tools/snap/main.cpp
printf '#include "base/result.hpp"\n#include <catch2/catch.hpp>\n' >t/tests/unit/io/file_test.cpp
bash "$check" "$PWD/t" >clean.out || { cat clean.out >&2; exit 1; }
grep -q 'no violations' clean.out

mkdir t/lib/rogue
printf '#include <sodium.h>\n' >>t/lib/base/a.cpp
printf '  #  include "crypto/hash.hpp"\n#include <zstd.h>\n' >>t/lib/io/file.cpp
printf '#include "io/file.hpp"\n' >>t/lib/crypto/hash.cpp
printf '#include "missing.hpp"\n#include "nowhere/x.hpp"\n' >>t/lib/pack/pack.cpp
printf '#include <CLI/CLI.hpp>\n' >t/lib/pack/bad_cli.hpp
printf '#include "base/result.hpp"\n' >>t/lib/repo/repo.cpp   # pack depends on base; repo does not
printf '#include <sqlite3.h>\n' >>t/tools/snap/main.cpp
printf '#include <zstd.h>\n' >>t/tests/unit/io/file_test.cpp
exec bash "$check" "$PWD/t"
