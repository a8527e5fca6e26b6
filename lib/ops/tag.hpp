// lib/ops/tag.hpp: tags on sets (`cairn tag SET +T -T`, `--tag` at backup) and the audit
// log (`cairn audit`). A set object is immutable and signed, so a tag given at backup is in
// the set object and a later change is a signed tag record (holds/<id>, magic CAIRNTG1,
// cairn-repository(5)) written before the catalog changes: `cairn catalog rebuild` applies
// the records in order on top of the set objects' tags. Tag records are signed by the admin
// key, so a write-only key tags only the sets it writes (it must not untag a set that a
// `keep-tagged` policy keeps).
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

struct TagOptions {
  RepoOptions repo;
  std::string set;                  // a set reference (resolve_set)
  std::vector<std::string> change;  // "+TAG" adds, "-TAG" removes; none: print the tags
};

// Changes the set's tags: writes one tag record ("+holds/<id>" on `out`, for cairn-push),
// updates the catalog and its audit log; with no change prints the tags, one a line. A
// change that changes nothing writes nothing. Errc::usage: a malformed change or tag, or one
// tag both added and removed; Errc::auth: a write-only key.
Result<Outcome> tag(const TagOptions& o, io::Writer& out, Observer& obs);

// Applies the tag records (oldest first) to `tags`, which holds the set objects' own tags by
// set; a set with no entry starts with none.
void apply_tag_records(
    const std::vector<repo::TagRecord>& records,
    std::unordered_map<hash::SetId, std::vector<std::string>, hash::DigestHasher>& tags);

// Every tag record that authenticates, oldest first; one that does not is a warning naming
// it (counted in `*warnings`) and is skipped, as readable_holds does.
Result<std::vector<repo::TagRecord>> readable_tag_records(repo::Repository& r, Observer& obs,
                                                          int* warnings);

// Appends one line to the catalog's audit log: now, this user and host, `command` and
// `outcome` ("ok" or the error line). A catalog opened read-only records nothing.
Status audit(catalog::Catalog& cat, std::string command, std::string outcome);

struct AuditOptions {
  RepoOptions repo;
  bool json = false;
};
// `cairn audit`: the audit log, oldest first: TIME USER HOST OUTCOME COMMAND, or with json
// one cairn.audit/1 object a line.
Result<Outcome> audit_log(const AuditOptions& o, io::Writer& out);

}  // namespace cairn::ops
