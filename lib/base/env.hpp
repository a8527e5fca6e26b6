// lib/base/env.hpp: what a process learns from where it runs: environment variables and the
// host name. In base so that every module reads them one way (catalog and policy depend on
// base alone), with the lookup injectable (GetEnv) where tests need another environment.
// Depends on: std, POSIX (gethostname). Threads: read the environment before threads start.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace cairn {

// An environment lookup: the value of a variable, nullopt when it is not set.
using GetEnv = std::function<std::optional<std::string>(const char* name)>;

// std::getenv as a GetEnv: nullopt when unset; a variable set empty is "" (callers that treat
// empty as unset say so).
std::optional<std::string> process_env(const char* name);

// This host's name (gethostname), "localhost" if it has none.
std::string host_name();

}  // namespace cairn
