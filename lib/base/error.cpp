#include "base/error.hpp"

#include <cerrno>
#include <cstring>

namespace cairn {

Error errno_error(int err, std::string_view what) {
  Errc c = Errc::io;
  if (err == ENOENT || err == ENOTDIR)
    c = Errc::not_found;
  else if (err == EEXIST)
    c = Errc::exists;
  else if (err == EINTR)
    c = Errc::cancelled;
  std::string m(what);
  m += ": ";
  m += std::strerror(err);
  return Error{c, std::move(m)};
}

}  // namespace cairn
