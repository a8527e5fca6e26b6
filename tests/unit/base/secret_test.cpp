#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "base/secret.hpp"

using cairn::SecretText;

namespace {

// The VmFlags line of /proc/self/smaps for the mapping holding `p`.
std::string vm_flags_of(const void* p) {
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= addr && addr < hi;
      continue;
    }
    if (inside && line.starts_with("VmFlags:")) return line;
  }
  return {};
}

}  // namespace

TEST_CASE("SecretText: holds a copy, copies deeply, moves out empty", "[base]") {
  SecretText a("correct horse");
  CHECK(a == "correct horse");
  CHECK(a.size() == 13);
  SecretText b = a;
  CHECK(b == "correct horse");
  CHECK(b.view().data() != a.view().data());
  SecretText c = std::move(a);
  CHECK(c == "correct horse");
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is specified as empty
  a = c;
  CHECK(a == "correct horse");
  c.clear();
  CHECK(c.empty());
  CHECK(SecretText().empty());
  CHECK(SecretText("").empty());
  const std::string s(5000, 'x');  // more than a page
  SecretText big(s);
  CHECK(big == s);
}

TEST_CASE("SecretText: its pages are left out of core dumps (MADV_DONTDUMP)", "[base]") {
  const SecretText a("QzCanary7Core5x");
  const std::string flags = vm_flags_of(a.view().data());
  REQUIRE(!flags.empty());
  CHECK(flags.find(" dd") != std::string::npos);
}
