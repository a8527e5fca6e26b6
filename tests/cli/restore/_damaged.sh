# shellcheck shell=bash
# tests/cli/restore/_damaged.sh: a repository with one damaged and one missing pack (sourced
# after lib.sh by the keep-going and salvage cases).
#   make_damaged_repo    four backups of source 'app' (class daily) of ./src, each adding one file whose
#                        data goes to a pack of its own: a.bin a.txt (pack 1), b.bin (pack 2),
#                        c.bin (pack 3), d.bin (pack 4); the last set (app@latest) holds all.
#                        Sets PACK_B and PACK_C (repository-relative paths of packs 2 and 3)
#   damage_packs DIR     in the repository (or destination) DIR: flips one byte in the middle
#                        of PACK_B (inside b.bin's 300 KiB blob: the pack holds little else)
#                        and deletes PACK_C
#   check_intact DIR     DIR holds a.bin, a.txt and d.bin equal to ./src, and no b.bin, c.bin

_new_pack() {  # the one pack the last backup added, repository-relative
  find "$CAIRN_REPO/packs" -type f -printf 'packs/%P\n' | sort >packs.now
  local p
  p=$(comm -13 packs.before packs.now)
  [ "$(printf '%s\n' "$p" | wc -l)" = 1 ] || die "a backup wrote '$p', not one pack"
  mv packs.now packs.before
  printf '%s\n' "$p"
}

make_damaged_repo() {
  make_repo
  mkdir -p src
  : >packs.before
  gen_file src/a.bin 200K 1
  printf 'small a\n' >src/a.txt
  backup "$PWD/src" --source app --class daily >/dev/null
  _new_pack >/dev/null
  gen_file src/b.bin 300K 2
  backup "$PWD/src" --source app --class daily >/dev/null
  PACK_B=$(_new_pack)
  gen_file src/c.bin 300K 3
  backup "$PWD/src" --source app --class daily >/dev/null
  PACK_C=$(_new_pack)
  gen_file src/d.bin 100K 4
  backup "$PWD/src" --source app --class daily >/dev/null
  _new_pack >/dev/null
}

damage_packs() {  # damage_packs DIR
  local b=$1/$PACK_B
  flip_byte "$b" $(($(stat -c %s "$b") / 2))
  rm "$1/$PACK_C"
}

check_intact() {  # check_intact DIR
  local f
  for f in a.bin a.txt d.bin; do
    cmp "src/$f" "$1/$f" || die "$1/$f is not the backed-up file"
  done
  for f in b.bin c.bin; do
    [ ! -e "$1/$f" ] || die "$1/$f (damaged) was left under its name"
  done
  [ -z "$(find "$1" -name '.cairn-restore-*')" ] || die "$1 holds temporary files"
}
