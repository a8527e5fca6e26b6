#include "ops/process.hpp"

#include "backend/remote.hpp"
#include "crypto/crypto.hpp"

namespace cairn::ops {

Status init_process() {
  CAIRN_TRY(crypto::init());
  CAIRN_TRY(backend::init());
  return {};
}

}  // namespace cairn::ops
