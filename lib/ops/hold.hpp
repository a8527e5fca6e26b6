// lib/ops/hold.hpp: `cairn hold SET --reason TEXT` and `cairn release SET`: legal holds.
// A held set is kept by every prune, whatever the policy says, until it is released.
// Holds live in the catalog (backup_set.legal_hold, hold_reason) and each change is
// appended to the audit log. The repository cannot record a hold made after the set was
// written (set objects are signed and immutable, and it has no place for a separate hold
// record yet), so `cairn catalog rebuild` restores a hold only from a readable old catalog or
// from the set object's own legal_hold field.
// Depends on: catalog, repo. Threads: plain functions.
#pragma once

#include <string>

#include "base/observer.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"

namespace cairn::ops {

struct HoldOptions {
  RepoOptions repo;
  std::string set;      // a set reference (resolve_set): id, prefix, latest, SOURCE@TIME...
  bool hold = true;     // false: release
  std::string reason;   // required to hold; recorded with the hold and in the audit log
};

// Holds or releases one set; Outcome::result is its full id. Holding a set that is already
// held replaces the reason; releasing a set that is not held changes nothing. A set a prune
// has marked pruned but whose set object is still in the repository is held and made
// committed again; one whose object is gone is Errc::not_found. Errc::usage: no reason.
Result<Outcome> hold(const HoldOptions& o, Observer& obs);

// The user name for audit records (getpwuid of the real uid, else "uid N").
std::string current_user();

}  // namespace cairn::ops
