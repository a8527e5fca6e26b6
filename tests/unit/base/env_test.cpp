#include <catch2/catch.hpp>

#include <stdlib.h>

#include "base/env.hpp"

using namespace cairn;

TEST_CASE("base::process_env: unset is nullopt, empty stays empty", "[base]") {
  ::setenv("CAIRN_BASE_ENV_TEST", "v=1", 1);
  CHECK(process_env("CAIRN_BASE_ENV_TEST") == std::optional<std::string>("v=1"));
  ::setenv("CAIRN_BASE_ENV_TEST", "", 1);
  CHECK(process_env("CAIRN_BASE_ENV_TEST") == std::optional<std::string>(""));
  ::unsetenv("CAIRN_BASE_ENV_TEST");
  CHECK_FALSE(process_env("CAIRN_BASE_ENV_TEST").has_value());
  const GetEnv get = process_env;  // it is a GetEnv
  CHECK_FALSE(get("CAIRN_BASE_ENV_TEST").has_value());
}

TEST_CASE("base::host_name: this host's name, never empty", "[base]") {
  const std::string h = host_name();
  CHECK_FALSE(h.empty());
  CHECK(h.find('\0') == std::string::npos);
  CHECK(host_name() == h);
}
