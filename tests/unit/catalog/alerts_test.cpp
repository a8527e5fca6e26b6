#include <catch2/catch.hpp>

#include <string>

#include "base/tempdir.hpp"
#include "catalog/catalog.hpp"

using namespace cairn;
using namespace cairn::catalog;

TEST_CASE("catalog alert_state: put, read, list by prefix, clear", "[catalog]") {
  TempDir tmp = TempDir::create("cairn-catalerts-").value();
  auto c = Catalog::open(tmp.path() / "cat.db", std::string(64, 'a'), OpenOptions{});
  REQUIRE(c);
  CHECK(c->alert_state("run/cairn-pack/app").value() == std::nullopt);

  AlertRecord r;
  r.key = "run/cairn-pack/app";
  r.failures = 2;
  r.since_ns = 100;
  r.severity = "critical";
  r.alerted = true;
  r.updated_ns = 200;
  REQUIRE(c->put_alert_state(r));
  AlertRecord o{"objective/app/daily/rpo", 1, 50, 75, "critical", true, 80};
  REQUIRE(c->put_alert_state(o));
  CHECK(c->alert_state("run/cairn-pack/app").value() == r);

  r.failures = 3;
  r.escalated_ns = 300;
  REQUIRE(c->put_alert_state(r));  // replaces
  CHECK(c->alert_state("run/cairn-pack/app").value() == r);

  const auto objectives = c->alert_states("objective/").value();
  REQUIRE(objectives.size() == 1);
  CHECK(objectives[0] == o);
  CHECK(c->alert_states("").value().size() == 2);
  CHECK(c->alert_states("objective%").value().empty());  // a prefix, not a LIKE pattern

  r.severity = "loud";  // the table checks what it is given
  CHECK_FALSE(c->put_alert_state(r));

  REQUIRE(c->clear_alert_state("run/cairn-pack/app"));
  REQUIRE(c->clear_alert_state("run/cairn-pack/app"));  // nothing there: fine
  CHECK(c->alert_state("run/cairn-pack/app").value() == std::nullopt);
  CHECK(c->alert_states("").value().size() == 1);
}
