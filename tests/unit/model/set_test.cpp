#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "model/set.hpp"

using namespace cairn;

TEST_CASE("model::SetKind: each kind reads back from its text form", "[model]") {
  for (auto k : {model::SetKind::full, model::SetKind::differential, model::SetKind::incremental}) {
    auto back = model::parse_set_kind(model::to_string(k));
    REQUIRE(back);
    CHECK(*back == k);
  }
  CHECK(model::to_string(model::SetKind::differential) == "differential");
}

TEST_CASE("model::SetKind: an unknown text is an error naming it, never incremental", "[model]") {
  for (std::string_view s : {"", "Full", "incr", "incremental "}) {
    auto k = model::parse_set_kind(s);
    REQUIRE_FALSE(k);
    CHECK(k.error().code == Errc::bad_input);
    CHECK(k.error().message.find(fmt::format("'{}'", s)) != std::string::npos);
  }
}
