// lib/ops/context.hpp: what every use case needs to reach a repository and its catalog.
// Tools fill RepoOptions from flags and environment (lib/cli); ops never read argv.
// Depends on: repo, catalog. Threads: plain values and functions.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/env.hpp"
#include "base/observer.hpp"
#include "base/result.hpp"
#include "base/time.hpp"
#include "catalog/catalog.hpp"
#include "ops/run_log.hpp"
#include "repo/repo.hpp"

namespace cairn::ops {

struct RepoOptions {
  std::filesystem::path repo;                    // --repo / CAIRN_REPO
  repo::Unlock unlock;                           // passphrase (+ key file)
  std::optional<std::filesystem::path> catalog;  // --catalog / CAIRN_CATALOG
  // cairn-restore --from: a destination URL (backend::open_url, credentials from the
  // environment) opened instead of `repo`. Its catalog is built from its set objects in a
  // temporary file (the local catalog is not used), removed when the Context goes away.
  std::optional<std::string> from;
  // The tool's run, recorded in the catalog once it is open; with `from`, not in the scratch
  // catalog but in this host's catalog of the repository (`catalog`, else the default) when
  // that exists; nullptr: none (run_log.hpp).
  RunLog* run = nullptr;
  // Where open_context reports what it finds while bringing the catalog up to date (a set
  // object it cannot import, a catalog that disagrees with the repository); nullptr: nowhere.
  Observer* observer = nullptr;
};

// An open repository and its catalog, as used by one run.
struct Context {
  std::shared_ptr<void> scratch;  // a temporary directory (with `from`), removed last
  std::unique_ptr<repo::Repository> repo;
  std::shared_ptr<catalog::Catalog> cat;  // shared with the RunLog, which outlives the use case
  std::string repo_id_hex() const;
};

Result<std::unique_ptr<repo::Repository>> open_repo(const RepoOptions& o);
// Opens the repository, then its catalog (created when absent), brings the catalog up to date
// with the repository's set objects (sync_catalog: sets written by other hosts, or committed by
// a run that could not record them), and begins o.run in it. With `from`, the scratch catalog
// is filled by import_sets. Either reports the set objects and hold records it leaves out to
// `obs`, else to o.observer (none: they are left out silently). A catalog that cannot be
// written (locked past its timeout, disk full) is reported as a warning and read as it is.
Result<Context> open_context(const RepoOptions& o, Observer* obs = nullptr);
// The catalog half of open_context, for a use case that opened c.repo itself (cairn-verify):
// opens the catalog of c.repo, brings it up to date and begins o.run in it, as above.
Status open_catalog(const RepoOptions& o, Context& c, Observer* obs = nullptr);

// A catalog opened read-only (its disk is full) is answered from as it is and records
// nothing: true, after one warning to `obs` saying so; false when it is writable.
bool read_only_catalog(const catalog::Catalog& cat, Observer& obs);

// The catalog row a set gives: its summary, id, sequence number and parent (status
// committed; duration from its times). The object must have its body.
catalog::SetRecord set_record(const hash::SetId& id, std::uint64_t seq, const repo::SetBody& b);
catalog::SetRecord set_record(const repo::SetObject& obj);

// The catalog is a cache, never an authority: the row `rec` the catalog gave for a set must
// agree with the signed set object `obj` (with its body) on what the catalog used to choose
// it: source, host, snapshot time (started_ns), sequence number, class and kind.
// Errc::corrupt (exit 4) naming the first field that differs with both values and
// 'cairn catalog rebuild' as the fix.
Status check_catalog_row(const catalog::SetRecord& rec, const repo::SetObject& obj,
                         const std::filesystem::path& catalog_file);

}  // namespace cairn::ops
