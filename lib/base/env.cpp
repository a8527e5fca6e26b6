#include "base/env.hpp"

#include <unistd.h>

#include <cstdlib>

namespace cairn {

std::optional<std::string> process_env(const char* name) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before threads start
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return std::string(buf);
}

}  // namespace cairn
