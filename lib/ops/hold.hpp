// lib/ops/hold.hpp: `cairn hold SET --reason TEXT` and `cairn release SET`: legal holds.
// A held set is kept by every prune, whatever the policy says, until it is released.
// Each hold or release is first written to the repository as a signed hold record
// (holds/<id>, cairn-repository(5)): set objects are immutable, so a later hold is a new
// record, never an edit, and `cairn catalog rebuild` restores it from the repository alone.
// Then the catalog (backup_set.legal_hold, hold_reason) and its audit log are updated. The
// record's path is printed ("+holds/<id>") so that `cairn hold ... | cairn-push DEST` carries
// the hold to the destinations.
// Depends on: catalog, repo. Threads: plain functions.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "base/observer.hpp"
#include "hash/hash.hpp"
#include "io/file.hpp"
#include "ops/context.hpp"
#include "ops/outcome.hpp"
#include "repo/repo.hpp"

namespace cairn::ops {

struct HoldOptions {
  RepoOptions repo;
  std::string set;     // a set reference (resolve_set): id, prefix, latest, SOURCE@TIME...
  bool hold = true;    // false: release
  std::string reason;  // required to hold; recorded with the hold and in the audit log
};

// Holds or releases one set; Outcome::result is its full id. Holding a set that is already
// held replaces the reason; releasing a set that is not held changes nothing. A set a prune
// has marked pruned but whose set object is still in the repository is held and made
// committed again; one whose object is gone is Errc::not_found. Errc::usage: no reason.
Result<Outcome> hold(const HoldOptions& o, io::Writer& out, Observer& obs);

// The hold state the repository's records give each set: the newest record per set (by
// time, then name) wins; a set with no record keeps its set object's own legal_hold.
struct HoldState {
  bool held = false;
  std::string reason;
};
std::unordered_map<hash::SetId, HoldState, hash::DigestHasher> hold_states(
    const std::vector<repo::HoldRecord>& records);

// Every hold record of the repository that authenticates, oldest first (as
// repo::Repository::list_holds). A record that does not (garbage under a valid name, a bad
// signature, a newer format) is reported to `obs` as a warning naming it, counted in
// `*warnings`, and skipped: one bogus record never blocks prune or rebuild. Skipping is
// safe for retention: a hold the catalog records still keeps its set. Storage errors fail.
Result<std::vector<repo::HoldRecord>> readable_holds(repo::Repository& r, Observer& obs,
                                                     int* warnings);

// What readable_holds does with a damaged record of `label` ("hold", "tag"): a warning to
// `obs` naming it, counted in `*warnings` (when not null).
repo::Repository::SkipRecord skip_damaged(std::string label, Observer& obs, int* warnings);

// The user name for audit records (getpwuid of the real uid, else "uid N").
std::string current_user();

}  // namespace cairn::ops
