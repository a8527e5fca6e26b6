// lib/catalog/catalog.hpp: the SQLite catalog: backup sets, the packs each set needs, where
// each set was pushed, runs, verifies/drills and an append-only audit log. It answers
// `cairn ls`, `cairn status` and point-in-time selection without touching the repository;
// the repository stays the source of truth (`cairn catalog rebuild`). Schema: cairn-catalog(5).
// Depends on: base, hash (typed ids), model (set kind and summary), sqlite3 (only this module
// includes sqlite3.h). Threads: Catalog is thread-compatible (one connection; one user at a time).
// Several processes may use one catalog file at once: WAL mode, writers wait up to busy_timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.hpp"
#include "base/result.hpp"
#include "base/time.hpp"
#include "hash/hash.hpp"
#include "model/set.hpp"

namespace cairn::catalog {

// Number of schema migrations this code knows; equals PRAGMA user_version after open().
int schema_version();

enum class SetStatus : std::uint8_t { committed, pruned, damaged };
enum class VerifyKind : std::uint8_t { structure, read_data, drill };

// Text forms as stored in SQL: "committed", "read-data", ... (set kinds: model::to_string)
std::string_view to_string(SetStatus s);
std::string_view to_string(VerifyKind k);
std::optional<SetStatus> parse_set_status(std::string_view s);
std::optional<VerifyKind> parse_verify_kind(std::string_view s);

// One backup set (a row of backup_set): the set's summary (source, e.g. "app"; host; class,
// a name from the policy, e.g. "daily"; kind; times; sizes; the hold it was written with, or
// the one placed later) and what the catalog adds.
struct SetRecord : model::SetSummary {
  hash::SetId id;
  std::uint64_t seq = 0;              // repository sequence number of the signed set
  std::optional<hash::SetId> parent;  // the set a differential/incremental builds on
  SetStatus status = SetStatus::committed;
  std::uint64_t duration_ms = 0;
  // When this catalog first recorded the set, by the reader's clock (schema version 3).
  // insert_set() stores the current time when unset; a row migrated from version 2 got the
  // time of the migration.
  std::optional<std::int64_t> first_seen_ns;
  bool operator==(const SetRecord&) const = default;
};

// Writer-chosen numbers are bounded (cairn-catalog(5)). A set whose snapshot time lies more
// than kFutureSkewNs ahead of the reader's clock is never the latest or the newest good set;
// sequence numbers above kMaxSeq are refused (a forged or damaged set).
inline constexpr std::int64_t kFutureSkewNs = 3600LL * 1'000'000'000LL;
inline constexpr std::uint64_t kMaxSeq = std::uint64_t{1} << 48;
// True when `s` claims a snapshot time beyond the skew ahead of `now_ns`.
inline bool from_the_future(const SetRecord& s, std::int64_t now_ns) {
  return s.started_ns > now_ns && s.started_ns - now_ns > kFutureSkewNs;
}
// The time a set's age is judged from: the snapshot time it claims, or when this catalog
// first saw it if that is earlier, so that a forged time cannot keep a set young.
inline std::int64_t age_base_ns(const SetRecord& s) {
  return s.first_seen_ns && *s.first_seen_ns < s.started_ns ? *s.first_seen_ns : s.started_ns;
}

// What a finished run measured (schema version 6), from the tool's closing summary
// (cairn(7) SUMMARY): unset where the run counted nothing (a run that was killed, a tool
// without a summary, or a row from before version 6).
struct RunMetrics {
  std::optional<std::uint64_t> duration_ms;  // start to end of the tool, by the steady clock
  std::optional<std::uint64_t> files;        // the summary's items (entries, files, objects)
  // The summary's bytes: read from the source (cairn-pack, cairn backup), restored
  // (cairn-restore), sent (cairn-push), checked (cairn-verify), freed (cairn-prune).
  std::optional<std::uint64_t> bytes;
  std::optional<std::uint64_t> bytes_new, bytes_stored;  // cairn-pack: of the set written
  bool operator==(const RunMetrics&) const = default;
};

// What one run moved to or from one destination (schema version 6, table run_transfer).
enum class Direction : std::uint8_t { push, restore };  // cairn-push; cairn-restore --from
std::string_view to_string(Direction d);                // "push", "restore"
std::optional<Direction> parse_direction(std::string_view s);
struct TransferRecord {
  std::string destination;  // backend::canonical_name, as placements name it
  Direction direction = Direction::push;
  std::uint64_t bytes = 0;        // the bytes moved
  std::uint64_t duration_ms = 0;  // from the first transfer's start to the last one's end
  bool operator==(const TransferRecord&) const = default;
};

// One run of a tool. Record it when the tool starts (ended_ns/exit_code unset) and call
// finish_run() when it ends, so a run that was killed stays visible as unfinished.
struct RunRecord {
  std::int64_t id = 0;  // assigned by record_run()
  std::string tool;     // "cairn-pack", ...
  std::int64_t started_ns = 0;
  std::optional<std::int64_t> ended_ns;
  std::optional<int> exit_code;
  std::optional<hash::SetId> set_id;      // the set the run produced or worked on
  std::string message;                    // one line: the error, or a summary
  std::string source;                     // the source the run backed up; "" when unknown
  std::string retention_class;            // its class; "" when unknown (schema version 2)
  RunMetrics metrics;                     // set by finish_run() (schema version 6)
  std::vector<TransferRecord> transfers;  // by destination, then direction
  bool operator==(const RunRecord&) const = default;
};

// The newest transfer to or from one destination in one direction, and its run
// (Catalog::last_transfers).
struct LastTransfer {
  TransferRecord transfer;
  std::int64_t run_id = 0;
  std::string tool;
  std::int64_t started_ns = 0;  // of the run
  std::optional<int> exit_code;
  bool operator==(const LastTransfer&) const = default;
};

// The free space a destination's storage reported when a push last measured it (table
// destination_space): the figures of its file system, as `df -B1` shows them.
struct DestinationSpace {
  std::string destination;  // backend::canonical_name, as placements name it
  std::uint64_t size = 0, used = 0, avail = 0;
  std::int64_t measured_ns = 0;
  bool operator==(const DestinationSpace&) const = default;
};

// One verification: structure check, --read-data, or a restore drill (with its measured RTO).
struct VerifyRecord {
  std::int64_t id = 0;                // assigned by record_verify()
  std::optional<hash::SetId> set_id;  // unset when a whole repository/destination was checked
  std::string target;                 // "" for the local repository, else a destination URL
  VerifyKind kind = VerifyKind::structure;
  std::int64_t started_ns = 0;
  std::uint64_t duration_ms = 0;
  bool ok = false;
  std::string detail;
  std::optional<std::uint64_t> restore_ms;  // drills: time to restore every byte
  bool operator==(const VerifyRecord&) const = default;
};

// Where a set's objects live. Upserted: an unset time keeps the stored value.
struct PlacementRecord {
  hash::SetId set_id;
  std::string destination;  // URL as given to cairn-push
  std::optional<std::int64_t> pushed_at_ns;
  std::optional<std::int64_t> verified_at_ns;
  bool operator==(const PlacementRecord&) const = default;
};

// One line of the append-only audit log (rows can be neither updated nor deleted).
struct AuditRecord {
  std::int64_t id = 0;  // assigned by append_audit(); strictly increasing
  std::int64_t at_ns = 0;
  std::string user;
  std::string host;
  std::string command;  // the command line, secrets never included
  std::string outcome;  // "ok", or the error line
  bool operator==(const AuditRecord&) const = default;
};

// What alerting remembers about one alert key between runs (table alert_state).
struct AlertRecord {
  std::string key;  // "run/TOOL/SOURCE", "objective/SOURCE/CLASS/rpo", ...
  std::int64_t failures = 0;
  std::int64_t since_ns = 0;
  std::optional<std::int64_t> escalated_ns;
  std::string severity = "critical";  // "critical", "warning" or "info"
  bool alerted = false;
  std::int64_t updated_ns = 0;
  bool operator==(const AlertRecord&) const = default;
};

// Runs of one tool for one source and class, by outcome (Catalog::run_tallies).
struct RunTally {
  std::string tool;
  std::string source;  // "" for runs that named none
  std::string retention_class;
  std::uint64_t ok = 0;         // exit status 0
  std::uint64_t warnings = 0;   // exit status 3 (completed with warnings)
  std::uint64_t failed = 0;     // any other exit status
  std::uint64_t abandoned = 0;  // never finished, started before `abandoned_before_ns`
  std::uint64_t running = 0;    // not finished yet, started since
  bool operator==(const RunTally&) const = default;
};

// The newest verifications of the sets of one source and class (Catalog::verify_summaries).
struct VerifySummary {
  std::string source;
  std::string retention_class;
  std::optional<VerifyRecord> last_ok;     // newest with ok, any kind (a drill verifies too)
  std::optional<VerifyRecord> last_drill;  // newest drill of the local repository, ok or not
  bool operator==(const VerifySummary&) const = default;
};

struct OpenOptions {
  bool create = true;                             // false: Errc::not_found when absent
  std::chrono::milliseconds busy_timeout{10000};  // how long a writer waits for another
};

// Where the catalog lives: `flag` (--catalog) if given, else $CAIRN_CATALOG, else
// $XDG_STATE_HOME/cairn/<repo-id>.db with XDG_STATE_HOME defaulting to $HOME/.local/state.
// `getenv` is injectable for tests; Errc::usage when nothing can be derived (no HOME).
Result<std::filesystem::path> locate(const std::optional<std::filesystem::path>& flag,
                                     std::string_view repo_id_hex,
                                     const GetEnv& getenv = process_env);

struct Connection;  // internal: the sqlite3 handle and cached statements (sqlite.hpp)

// BEGIN IMMEDIATE ... COMMIT. The destructor rolls back unless commit() succeeded.
// At most one per Catalog at a time; Catalog methods called meanwhile run inside it (a
// failing method undoes only its own change). Must not outlive its Catalog.
class Transaction {
 public:
  Transaction(Transaction&& o) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status commit();

 private:
  friend class Catalog;
  explicit Transaction(Connection* c) : conn_(c) {}
  Connection* conn_ = nullptr;  // stable across Catalog moves; null once finished
};

class Catalog {
 public:
  // Opens (creating with mode 0600, parents 0700, when absent and o.create) the catalog of
  // the repository `repo_id_hex`. Runs PRAGMA quick_check and any pending migrations.
  // Errc::exists: the file is absent but its -wal is not (it would be replayed into it);
  // Errc::corrupt: damaged file; Errc::unsupported_format: schema newer than this code;
  // Errc::bad_input: catalog of another repository, or not a cairn catalog; Errc::locked:
  // busy beyond the timeout; Errc::io: cannot open/create. A catalog on a full (or read-only)
  // file system is opened read-only when it can be read (see read_only()).
  static Result<Catalog> open(const std::filesystem::path& file, const std::string& repo_id_hex,
                              const OpenOptions& o = {});
  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) noexcept;
  ~Catalog();

  const std::filesystem::path& file() const;
  // Why this catalog was opened read-only (its file system is full or read-only: open() then
  // falls back to reading it, and every change fails with Errc::io); "" when it is writable.
  const std::string& read_only() const;
  Result<Transaction> begin();

  // --- sets (sets.cpp) ---
  // Errc::exists if the id is already present; Errc::corrupt naming the set when its seq is
  // above kMaxSeq. Atomic (a savepoint inside a transaction): a failure undoes only this set.
  Status insert_set(const SetRecord& s, const std::vector<hash::PackId>& packs);
  // All sets (every status), oldest first: ORDER BY started_ns, seq.
  Result<std::vector<SetRecord>> list_sets(std::optional<std::string> source = std::nullopt);
  Result<std::optional<SetRecord>> get_set(const hash::SetId& id);
  // The sources that have a set of any status, sorted.
  Result<std::vector<std::string>> sources();
  // Sets whose hex id starts with `prefix` (any case), every status. Ambiguity is the
  // caller's call. Errc::usage for an empty or non-hex prefix.
  Result<std::vector<SetRecord>> find_by_prefix(std::string_view prefix);
  // The newest *committed* set of `source` (of any source when empty), optionally of one kind.
  // Newest is the highest seq (the repository's signed chain: a writer numbers its set one
  // above the newest it saw, of any host), then started_ns, then id: a writer's skewed clock
  // does not reorder sets. Sets dated beyond kFutureSkewNs ahead of `now_ns` (default:
  // now_ns()) never are.
  Result<std::optional<SetRecord>> latest(const std::string& source,
                                          std::optional<model::SetKind> kind = std::nullopt,
                                          std::optional<std::int64_t> now_ns = std::nullopt);
  // The same restricted to sets carrying `tag` (every set when empty).
  Result<std::optional<SetRecord>> latest_tagged(const std::string& source, std::string_view tag,
                                                 std::optional<model::SetKind> kind = std::nullopt,
                                                 std::optional<std::int64_t> now_ns = std::nullopt);
  // Point in time: the newest committed set with started_ns <= time_ns (of `source` if given),
  // never one dated beyond kFutureSkewNs ahead of `now_ns` (default: now_ns()).
  Result<std::optional<SetRecord>> at_or_before(std::optional<std::string> source,
                                                std::int64_t time_ns,
                                                std::optional<std::int64_t> now_ns = std::nullopt);
  Status set_status(const hash::SetId& id, SetStatus s);  // Errc::not_found
  // Holding stores `reason`; releasing clears it (the audit log keeps the history).
  Status set_hold(const hash::SetId& id, bool hold, std::string_view reason);  // Errc::not_found
  // Replaces the set's tags (SetSummary::tags: stored sorted, without duplicates). not_found.
  Status set_tags(const hash::SetId& id, const std::vector<std::string>& tags);
  Result<std::vector<hash::PackId>> packs_of(const hash::SetId& id);  // sorted; empty if unknown
  // Sets of *every* status that need `pack`, sorted; garbage collection must skip pruned ones.
  Result<std::vector<hash::SetId>> sets_using_pack(const hash::PackId& pack);
  // The highest seq up to kMaxSeq (a row above it is ignored); 0 when there are no sets.
  Result<std::uint64_t> max_seq();
  // The set objects `target` (a repository location or a destination URL) held when it was
  // last listed (schema version 4), sorted; empty when never listed. Rows may name sets the
  // catalog has no row for (damaged objects it left out).
  Result<std::vector<hash::SetId>> seen_at(std::string_view target);
  // Replaces what `target` holds with `ids`, stamped with the current time (atomic).
  Status set_seen(std::string_view target, const std::vector<hash::SetId>& ids);

  // --- history (history.cpp) ---
  Result<std::int64_t> record_run(const RunRecord& r);  // returns the new id
  // record_run() stores r.metrics and r.transfers as given (cairn catalog rebuild copies runs).
  Status finish_run(std::int64_t id, std::int64_t ended_ns, int exit_code,
                    std::optional<hash::SetId> set_id, std::string_view message,
                    const RunMetrics& metrics = {},
                    const std::vector<TransferRecord>& transfers = {});
  // By started_ns, id; with their metrics and transfers.
  Result<std::vector<RunRecord>> runs_since(std::int64_t since_ns);
  Result<std::int64_t> record_verify(const VerifyRecord& v);
  // Verifies of one set (or all when unset), oldest first.
  Result<std::vector<VerifyRecord>> verifies(std::optional<hash::SetId> set_id = std::nullopt);
  Status record_placement(const PlacementRecord& p);  // Errc::not_found if the set is unknown
  Result<std::vector<PlacementRecord>> placements_of(const hash::SetId& id);
  Result<std::int64_t> append_audit(const AuditRecord& a);
  Result<std::vector<AuditRecord>> audit_log(std::int64_t after_id = 0);  // by id

  // --- alert state (alerts.cpp, schema version 6) ---
  // The row of `key`; nullopt when there is none (nothing wrong remembered).
  Result<std::optional<AlertRecord>> alert_state(std::string_view key);
  // Every row whose key starts with `prefix`, by key.
  Result<std::vector<AlertRecord>> alert_states(std::string_view prefix);
  // Inserts or replaces the row of r.key.
  Status put_alert_state(const AlertRecord& r);
  // Removes the row of `key` (nothing when there is none).
  Status clear_alert_state(std::string_view key);

  // --- destination space (space.cpp) ---
  // Replaces the row of s.destination. Errc::bad_input for a figure above INT64_MAX.
  Status record_space(const DestinationSpace& s);
  // Every destination's newest figures, by destination.
  Result<std::vector<DestinationSpace>> destination_spaces();

  // --- status queries (status.cpp), for `cairn status` ---
  // Runs started at or after `since_ns`, counted per tool, source and class (sorted by them).
  Result<std::vector<RunTally>> run_tallies(std::int64_t since_ns,
                                            std::int64_t abandoned_before_ns);
  // Per source and class of the verified sets (sorted by them): the newest successful
  // verification of any kind, and the newest drill whatever its result. Verifications of a
  // whole repository (no set) or of sets not in the catalog are not counted; last_drill is
  // a drill of the local repository (target ""), not one at a destination.
  Result<std::vector<VerifySummary>> verify_summaries();
  // The newest drill at each destination (cairn-verify --from DEST --drill: target DEST), ok
  // or not, sorted by destination. The set a row names may be one the catalog does not know.
  Result<std::vector<VerifyRecord>> destination_drills();
  // Per source and class (sorted by them), the `per_group` newest finished runs of `tool` that
  // have a duration (newest first: by started_ns, then id), with their transfers.
  Result<std::vector<RunRecord>> last_runs(std::string_view tool, int per_group = 1);
  // Per destination and direction (sorted by them), the newest transfer (by its run's
  // started_ns, then id).
  Result<std::vector<LastTransfer>> last_transfers();

 private:
  explicit Catalog(std::unique_ptr<Connection> c);
  std::unique_ptr<Connection> conn_;
};

// Resolves a set reference: a full id, a unique prefix of at least kMinIdPrefix hex digits,
// "latest", "SOURCE@latest", "SOURCE@tag:T" or "@tag:T" (the newest committed set carrying
// tag T, as latest picks), "@TIME" or "SOURCE@TIME" (ISO 8601, UTC unless an offset is
// given: the newest set started at or before the END of the day, minute or second TIME
// names, so a time `cairn ls` shows selects that set). Errc::not_found (an unknown source
// lists the known ones) / Errc::usage (ambiguous prefix, naming the candidates; a short
// prefix; a date that does not exist; a directory where a set is expected) otherwise.
inline constexpr std::size_t kMinIdPrefix = 4;
Result<SetRecord> resolve_set(Catalog& cat, std::string_view ref);

}  // namespace cairn::catalog
