// cairn erase's patterns (ops/erase.hpp: PathPatterns).
#include <catch2/catch.hpp>

#include "ops/erase.hpp"

using namespace cairn;

TEST_CASE(
    "ops::PathPatterns: a pattern with '/' matches whole paths, one without matches names; an "
    "entry under a matching directory matches; a leading '/' is ignored",
    "[ops]") {
  auto p = ops::PathPatterns::parse({"/home/alice", "*.ssn"});
  REQUIRE(p);
  CHECK(p->match("home/alice") == 0u);
  CHECK(p->match("home/alice/notes.txt") == 0u);
  CHECK(p->match("home/alice/deep/er/x") == 0u);
  CHECK_FALSE(p->match("home/alicex"));
  CHECK_FALSE(p->match("home/alicex/notes.txt"));
  CHECK_FALSE(p->match("srv/home/alice"));  // whole paths, from the root of the set
  CHECK_FALSE(p->match("home"));
  CHECK(p->match("records/1234.ssn") == 1u);
  CHECK(p->match("a.ssn/inside") == 1u);  // a directory named so: its files go too
  CHECK_FALSE(p->match("records/1234.ssn.txt"));
  CHECK_FALSE(p->match("."));
  auto names = ops::PathPatterns::parse({"alice"});
  REQUIRE(names);
  CHECK(names->match("home/alice/x"));
  CHECK(names->match("alice"));
  CHECK_FALSE(names->match("home/malice"));
}

TEST_CASE("ops::PathPatterns: no pattern, or one that names every path, is a usage error",
          "[ops]") {
  CHECK(ops::PathPatterns::parse({}).error().code == Errc::usage);
  for (const char* all : {"", "/", ".", "*", "//"})
    CHECK(ops::PathPatterns::parse({"ok", all}).error().code == Errc::usage);
}
