// lib/ops/prune_internal.hpp: the pieces of one cairn-prune run, shared by
//   prune.cpp     options, the plan (retention over the sets), forgetting dropped sets, output
//   prune_gc.cpp  the state file and lock, marking unreferenced packs, the sweep
// Not part of the module's interface (prune.hpp is). Threads: one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/observer.hpp"
#include "io/file.hpp"
#include "ops/prune.hpp"
#include "repo/repo.hpp"

namespace cairn::ops::prune_detail {

using PackSet = std::unordered_set<hash::PackId, hash::DigestHasher>;

// Every set object of the repository, read and authenticated.
struct Sets {
  std::map<hash::SetId, repo::SetObject> readable;  // with their bodies
  std::map<hash::SetId, std::string> unreadable;    // and why
  std::uint64_t generation = 0;                     // the highest seq seen
};
// Reads the set objects not read yet (a second call picks up sets written meanwhile). A set
// removed between the listing and the read is skipped.
Status scan_sets(repo::Repository& r, Sets& s, const CancelToken& cancel);
// The packs the readable sets need.
PackSet referenced_packs(const Sets& s);

// Writes object lines ("-packs/ab/ID") or their JSON form to the product stream.
class ObjectLines {
 public:
  ObjectLines(io::Writer& out, bool json) : out_(out), json_(json) {}
  Status emit(char op, const std::string& path);
  std::size_t count() const { return count_; }

 private:
  io::Writer& out_;
  bool json_;
  std::size_t count_ = 0;
};

// Removes `keys` in groups of kRemoveGroup (backend::Backend::remove_many: one directory sync
// per group), emitting "-path" for each once it is gone and then calling `each(key)`. Checks
// `cancel` between groups only, so every object removed is also reported.
inline constexpr std::size_t kRemoveGroup = 256;
Status remove_reported(backend::Backend& b, const std::vector<backend::Key>& keys, ObjectLines& lines,
                       const CancelToken& cancel, const std::function<void(const backend::Key&)>& each);

struct GcResult {
  std::size_t swept_packs = 0;
  std::uint64_t swept_bytes = 0;
  std::size_t candidates = 0;   // marked, waiting for the grace period
  std::size_t rescued = 0;      // candidates a set references again
};

// Marks unreferenced packs and sweeps the ones whose grace period is over (prune.hpp).
// `sets` is re-scanned right before anything is deleted.
Result<GcResult> collect(const PruneOptions& o, repo::Repository& r, const std::filesystem::path& catalog_file,
                         Sets& sets, std::int64_t now, ObjectLines& lines, Observer& obs, const CancelToken& cancel);

// flock(2) on the lock file; Errc::locked when another process holds it.
Result<io::Fd> take_lock(const std::filesystem::path& file);

}  // namespace cairn::ops::prune_detail
