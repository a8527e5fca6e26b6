// lib/base/error.hpp: the error value every module returns, and the one exit-code table.
// Depends on: std, fmt. Threads: plain values, freely copyable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace cairn {

// What went wrong, coarse enough for a caller to decide (retry? which exit code?).
enum class Errc : std::uint8_t {
  usage,               // bad flags or arguments                       -> exit 2
  bad_input,           // a stream or file we were given is malformed -> exit 1
  unsupported_format,  // a version we cannot read                     -> exit 1
  corrupt,             // stored data failed authentication or parsing -> exit 4
  not_found,           // a named object/set/file does not exist       -> exit 1
  exists,              // refusing to overwrite                        -> exit 1
  io,                  // the OS said no (ENOSPC, EIO, EACCES...)      -> exit 1
  locked,              // held by a live process                       -> exit 11
  auth,                // wrong passphrase/key, or key lacks capability-> exit 12
  network,             // destination unreachable or refused           -> exit 13
  cancelled,           // SIGINT/SIGTERM                               -> exit 130
  no_repo,             // repository not found or not initialised      -> exit 10
  objective,           // an RPO/RTO/copies/freshness objective failed -> exit 5
  uncataloged,         // a set was committed, the catalog not updated -> exit 6
  unimplemented,       // a job that belongs to a later version        -> exit 1
  internal,            // a bug                                        -> exit 1
};

struct Error {
  Errc code = Errc::internal;
  std::string message;  // lower case, no final period, subject quoted (git CodingGuidelines)

  Error() = default;
  Error(Errc c, std::string m) : code(c), message(std::move(m)) {}
  // Adds context in front: "reading 'x': <message>".
  Error& wrap(std::string_view context) {
    message = std::string(context) + ": " + message;
    return *this;
  }
};

// The exit-code table of DESIGN.md section 8, in one place.
enum class Exit : int {
  ok = 0,
  failure = 1,
  usage = 2,
  partial = 3,
  damage = 4,
  objective = 5,
  uncataloged = 6,
  no_repo = 10,
  locked = 11,
  auth = 12,
  network = 13,
  interrupted = 130,
};

constexpr Exit exit_for(Errc c) {
  switch (c) {
    case Errc::usage: return Exit::usage;
    case Errc::corrupt: return Exit::damage;
    case Errc::locked: return Exit::locked;
    case Errc::auth: return Exit::auth;
    case Errc::network: return Exit::network;
    case Errc::cancelled: return Exit::interrupted;
    case Errc::no_repo: return Exit::no_repo;
    case Errc::objective: return Exit::objective;
    case Errc::uncataloged: return Exit::uncataloged;
    case Errc::bad_input:
    case Errc::unsupported_format:
    case Errc::not_found:
    case Errc::exists:
    case Errc::io:
    case Errc::unimplemented:
    case Errc::internal: return Exit::failure;
  }
  return Exit::failure;  // not an Errc: -Wswitch names a new one above
}

// An Error built from errno, naming the subject: "cannot open 'x': No such file or directory".
// ENOENT -> not_found, EEXIST -> exists, EACCES/EPERM/ENOSPC/EIO/... -> io.
Error errno_error(int err, std::string_view what);

}  // namespace cairn
