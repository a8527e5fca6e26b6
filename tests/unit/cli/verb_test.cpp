#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "cli/verb.hpp"
#include "scratch.hpp"

using namespace cairn::cli;

TEST_CASE("cli::is_verb_name: only lower-case names, digits and dashes", "[cli]") {
  CHECK(is_verb_name("snap"));
  CHECK(is_verb_name("catalog-rebuild"));
  CHECK(is_verb_name("s3"));
  for (const char* bad : {"", "-snap", "Snap", "../snap", "a/b", ".", "snap ", "sn_ap"}) {
    INFO(bad);
    CHECK_FALSE(is_verb_name(bad));
  }
  CHECK_FALSE(is_verb_name(std::string(65, 'a')));
}

TEST_CASE("cli::find_verb: skips options and the values of value options", "[cli]") {
  const std::vector<std::string> values{"--repo", "--progress-fd"};
  auto at = [&](std::vector<std::string_view> args) { return find_verb(args, values); };
  CHECK(at({"snap", "/srv"}) == 0u);
  CHECK(at({"-q", "snap"}) == 1u);
  CHECK(at({"--repo", "/r", "snap"}) == 2u);
  CHECK(at({"--repo=/r", "snap"}) == 1u);
  CHECK(at({"-v", "--progress-fd", "3", "pack", "--jobs", "2"}) == 3u);
  CHECK(at({"--", "snap"}) == 1u);
  CHECK_FALSE(at({"--help"}).has_value());
  CHECK_FALSE(at({"--repo", "/r"}).has_value());
  CHECK_FALSE(at({}).has_value());
}

TEST_CASE("cli::split_path: keeps order, drops empty entries", "[cli]") {
  const auto dirs = split_path("/a::/b:");
  REQUIRE(dirs.size() == 2);
  CHECK(dirs[0] == "/a");
  CHECK(dirs[1] == "/b");
  CHECK(split_path("").empty());
}

TEST_CASE("cli::resolve_verb: the executable's directory first, then PATH", "[cli]") {
  cairn::test::ScratchDir dir;
  const auto self = dir.path() / "self", p1 = dir.path() / "p1", p2 = dir.path() / "p2";
  dir.write("p1/cairn-snap", "#!/bin/sh\n", 0755);
  dir.write("p2/cairn-pack", "#!/bin/sh\n", 0755);
  const std::string path_env = p1.string() + ":" + p2.string();

  CHECK(resolve_verb("snap", self, path_env) == p1 / "cairn-snap");
  CHECK(resolve_verb("pack", self, path_env) == p2 / "cairn-pack");
  dir.write("self/cairn-snap", "#!/bin/sh\n", 0755);
  CHECK(resolve_verb("snap", self, path_env) == self / "cairn-snap");
  CHECK_FALSE(resolve_verb("frob", self, path_env).has_value());
}

TEST_CASE("cli::resolve_verb: skips non-executables and directories", "[cli]") {
  cairn::test::ScratchDir dir;
  const auto a = dir.path() / "a", b = dir.path() / "b", c = dir.path() / "c";
  dir.write("a/cairn-push", "not executable\n", 0644);
  std::filesystem::create_directories(b / "cairn-push");
  dir.write("c/cairn-push", "#!/bin/sh\n", 0755);
  const std::string path_env = a.string() + ":" + b.string() + ":" + c.string();
  CHECK(resolve_verb("push", {}, path_env) == c / "cairn-push");
}

TEST_CASE("cli::resolve_verb: never looks up a name that is not a verb", "[cli]") {
  cairn::test::ScratchDir dir;
  dir.write("bin/cairn-x", "#!/bin/sh\n", 0755);
  dir.write("cairn-..", "#!/bin/sh\n", 0755);
  const auto bin = dir.path() / "bin";
  CHECK(resolve_verb("x", {}, bin.string()).has_value());
  CHECK_FALSE(resolve_verb("../bin/cairn-x", {}, bin.string()).has_value());
  CHECK_FALSE(resolve_verb("X", {}, bin.string()).has_value());
}

TEST_CASE("cli::run_silently: reports the exit status, -1 when it cannot run", "[cli]") {
  cairn::test::ScratchDir dir;
  const auto ok = dir.write("ok.sh", "#!/bin/sh\necho noise; exit 0\n", 0755);
  const auto seven = dir.write("seven.sh", "#!/bin/sh\necho noise >&2; exit 7\n", 0755);
  CHECK(run_silently(ok, {"ok.sh"}) == 0);
  CHECK(run_silently(seven, {"seven.sh"}) == 7);
  CHECK(run_silently(dir.path() / "absent", {"absent"}) == -1);
}
