#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "base/tempdir.hpp"
#include "catalog/catalog.hpp"

using namespace cairn;
using namespace cairn::catalog;

TEST_CASE("catalog destination_space: one row a destination, the newest replaces it", "[catalog]") {
  TempDir tmp = TempDir::create("cairn-catspace-").value();
  auto c = Catalog::open(tmp.path() / "cat.db", std::string(64, 'a'), OpenOptions{});
  REQUIRE(c);
  CHECK(c->destination_spaces().value().empty());

  const DestinationSpace nas{"sftp://u@nas/b", 1000, 400, 500, 10};
  const DestinationSpace disk{"file:///mnt/usb", 8000, 1, 7999, 20};
  REQUIRE(c->record_space(nas));
  REQUIRE(c->record_space(disk));
  CHECK(c->destination_spaces().value() == std::vector<DestinationSpace>{disk, nas});

  const DestinationSpace fuller{"sftp://u@nas/b", 1000, 900, 50, 30};
  REQUIRE(c->record_space(fuller));
  CHECK(c->destination_spaces().value() == std::vector<DestinationSpace>{disk, fuller});

  // SQLite integers are signed: a figure above INT64_MAX is refused, nothing changes.
  DestinationSpace huge = nas;
  huge.size = std::numeric_limits<std::uint64_t>::max();
  auto st = c->record_space(huge);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == Errc::bad_input);
  CHECK(c->destination_spaces().value() == std::vector<DestinationSpace>{disk, fuller});
}
