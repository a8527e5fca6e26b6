#include "ops/process.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include "backend/remote.hpp"
#include "crypto/crypto.hpp"

namespace cairn::ops {

Status init_process() {
  CAIRN_TRY(crypto::init());
  CAIRN_TRY(backend::init());
  return {};
}

#if defined(__SANITIZE_ADDRESS__)
#define CAIRN_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define CAIRN_LSAN 1
#endif
#endif

void harden_process() noexcept {
  const rlimit none{0, 0};
  (void)::setrlimit(RLIMIT_CORE, &none);
#ifndef CAIRN_LSAN
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

std::string_view ignored_test_switch() { return crypto::ignored_test_switch(); }

}  // namespace cairn::ops
