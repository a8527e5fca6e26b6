#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "base/tempdir.hpp"
#include "catalog/catalog.hpp"

using namespace cairn;
using namespace cairn::catalog;
using model::SetKind;
namespace fs = std::filesystem;

namespace {

const std::string kRepo = std::string(64, 'a');
const std::string kOtherRepo = std::string(64, 'b');

struct Scratch {
  TempDir tmp = TempDir::create("cairn-catalog-").value();
  fs::path dir = tmp.path();
  fs::path db() const { return dir / "cat.db"; }
};

hash::SetId set_id(std::uint8_t a, std::uint8_t b = 0) {
  hash::SetId id;
  id.d.b.fill(0x11);
  id.d.b[0] = a;
  id.d.b[1] = b;
  return id;
}

hash::PackId pack_id(std::uint8_t n) {
  hash::PackId id;
  id.d.b.fill(n);
  return id;
}

SetRecord make_set(hash::SetId id, std::string source, std::int64_t started_ns, std::uint64_t seq,
                   SetKind kind = SetKind::full) {
  SetRecord r;
  r.id = id;
  r.seq = seq;
  r.source = std::move(source);
  r.host = "db1";
  r.kind = kind;
  r.retention_class = "daily";
  r.started_ns = started_ns;
  r.ended_ns = started_ns + 5;
  r.files = 3;
  r.bytes_read = 1000;
  r.bytes_new = 400;
  r.bytes_stored = 200;
  r.duration_ms = 5;
  return r;
}

Catalog open_ok(const fs::path& p, const std::string& repo = kRepo, OpenOptions o = {}) {
  auto c = Catalog::open(p, repo, o);
  if (!c) FAIL(c.error().message);
  return std::move(c).value();
}

// A raw connection, for what the API deliberately cannot do (tamper, inspect pragmas).
struct Raw {
  sqlite3* db = nullptr;
  explicit Raw(const fs::path& p) { REQUIRE(sqlite3_open(p.c_str(), &db) == SQLITE_OK); }
  ~Raw() { sqlite3_close(db); }
  int exec(const std::string& sql) {
    return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  }
  std::int64_t scalar(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    const auto v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
  }
};

std::vector<hash::SetId> ids(const std::vector<SetRecord>& v) {
  std::vector<hash::SetId> out;
  for (const auto& r : v) out.push_back(r.id);
  return out;
}

}  // namespace

TEST_CASE("catalog::Catalog: reopening keeps sets, packs, placements and history", "[catalog]") {
  Scratch s;
  SetRecord full = make_set(set_id(0x01), "app", 100, 1);
  SetRecord inc = make_set(set_id(0x02), "app", 200, 2, SetKind::incremental);
  inc.parent = full.id;
  full.first_seen_ns = 150;  // kept as given
  inc.legal_hold = true;
  inc.hold_reason = "case 42";
  inc.bytes_stored = (1ull << 40) + 7;  // > 32 bits survives
  std::int64_t run_id = 0;
  const std::int64_t before_insert = now_ns();
  {
    Catalog c = open_ok(s.db());
    REQUIRE(c.insert_set(full, {pack_id(3), pack_id(1)}));
    REQUIRE(c.insert_set(inc, {pack_id(1), pack_id(2)}));
    REQUIRE(c.record_placement({inc.id, "s3://b/app", 300, std::nullopt}));
    auto r = c.record_run(
        {0, "cairn-pack", 90, std::nullopt, std::nullopt, std::nullopt, "", "app", "daily"});
    REQUIRE(r);
    run_id = *r;
    REQUIRE(c.finish_run(run_id, 210, 0, inc.id, "ok"));
    REQUIRE(c.record_verify({0, inc.id, "", VerifyKind::drill, 400, 30, true, "", 25}));
    REQUIRE(c.append_audit({0, 500, "root", "db1", "cairn-pack", "ok"}));
  }
  Catalog c = open_ok(s.db());
  auto sets = c.list_sets();
  REQUIRE(sets);
  REQUIRE(sets->size() == 2);
  CHECK((*sets)[0] == full);
  REQUIRE((*sets)[1].first_seen_ns);  // unset: the time of the insert
  CHECK(*(*sets)[1].first_seen_ns >= before_insert);
  inc.first_seen_ns = (*sets)[1].first_seen_ns;
  CHECK((*sets)[1] == inc);
  CHECK(*c.packs_of(full.id) == std::vector<hash::PackId>{pack_id(1), pack_id(3)});
  CHECK(*c.sets_using_pack(pack_id(1)) == std::vector<hash::SetId>{full.id, inc.id});
  CHECK(*c.max_seq() == 2);
  auto pl = c.placements_of(inc.id);
  REQUIRE(pl);
  REQUIRE(pl->size() == 1);
  CHECK((*pl)[0].pushed_at_ns == 300);
  CHECK_FALSE((*pl)[0].verified_at_ns.has_value());
  auto runs = c.runs_since(0);
  REQUIRE(runs);
  REQUIRE(runs->size() == 1);
  CHECK((*runs)[0] ==
        RunRecord{run_id, "cairn-pack", 90, 210, 0, inc.id, "ok", "app", "daily", {}, {}});
  auto v = c.verifies(inc.id);
  REQUIRE(v);
  REQUIRE(v->size() == 1);
  CHECK((*v)[0].kind == VerifyKind::drill);
  CHECK((*v)[0].restore_ms == std::optional<std::uint64_t>(25));
  CHECK(c.verifies(full.id)->empty());
  auto audit = c.audit_log();
  REQUIRE(audit);
  REQUIRE(audit->size() == 1);
  CHECK((*audit)[0].command == "cairn-pack");
}

TEST_CASE("catalog::Catalog::open: creates the file with mode 0600 and parents 0700", "[catalog]") {
  Scratch s;
  const fs::path file = s.dir / "state" / "cairn" / "cat.db";
  {
    Catalog c = open_ok(file);
    REQUIRE(c.insert_set(make_set(set_id(1), "app", 1, 1), {}));
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const fs::path wal = file.string() + "-wal";
    REQUIRE(::stat(wal.c_str(), &st) == 0);  // WAL mode is on
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat(file.parent_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
  }
  Raw raw(file);
  CHECK(raw.scalar("PRAGMA user_version") == schema_version());
  CHECK(schema_version() >= 1);
}

TEST_CASE("catalog::Catalog::open: without create, a missing catalog is not_found", "[catalog]") {
  Scratch s;
  auto c = Catalog::open(s.db(), kRepo, OpenOptions{.create = false});
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::not_found);
  CHECK_FALSE(fs::exists(s.db()));
}

TEST_CASE("catalog::Catalog::open: will not create a catalog next to a leftover WAL", "[catalog]") {
  Scratch s;
  { std::ofstream(s.db().string() + "-wal") << "old"; }
  auto c = Catalog::open(s.db(), kRepo);
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::exists);
  CHECK_FALSE(fs::exists(s.db()));
}

TEST_CASE("catalog::Catalog::open: refuses a schema newer than the code", "[catalog]") {
  Scratch s;
  { open_ok(s.db()); }
  {
    Raw raw(s.db());
    REQUIRE(raw.exec("PRAGMA user_version = " + std::to_string(schema_version() + 1)) == SQLITE_OK);
  }
  auto c = Catalog::open(s.db(), kRepo);
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::unsupported_format);
  CHECK_THAT(c.error().message, Catch::Contains(s.db().string()) &&
                                    Catch::Contains(std::to_string(schema_version() + 1)));
}

TEST_CASE("catalog::Catalog::open: refuses the catalog of another repository", "[catalog]") {
  Scratch s;
  { open_ok(s.db(), kRepo); }
  auto c = Catalog::open(s.db(), kOtherRepo);
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::bad_input);
  CHECK(c.error().message == "catalog '" + s.db().string() + "' belongs to repository " + kRepo +
                                 ", not " + kOtherRepo + "; use --catalog to choose another");
  CHECK(Catalog::open(s.db(), kRepo).has_value());
}

TEST_CASE("catalog::Catalog::open: refuses an SQLite database that is not a catalog", "[catalog]") {
  Scratch s;
  {
    Raw raw(s.db());
    REQUIRE(raw.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)") == SQLITE_OK);
  }
  auto c = Catalog::open(s.db(), kRepo);
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::bad_input);
  Raw raw(s.db());
  CHECK(raw.scalar("SELECT count(*) FROM sqlite_schema") == 1);  // left untouched
}

TEST_CASE("catalog::Catalog::open: a file that is not SQLite is corrupt", "[catalog]") {
  Scratch s;
  {
    std::ofstream f(s.db(), std::ios::binary);
    for (int i = 0; i < 200; ++i) f << "this is not an sqlite database, it is a text file\n";
  }
  auto c = Catalog::open(s.db(), kRepo);
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::corrupt);
  CHECK_THAT(c.error().message,
             Catch::StartsWith("catalog '" + s.db().string() + "' is corrupt: ") &&
                 Catch::EndsWith("; move it aside and run 'cairn catalog rebuild'"));
}

TEST_CASE("catalog::Catalog::open: damaged pages of a populated catalog are corrupt", "[catalog]") {
  Scratch s;
  std::int64_t page_size = 0, pages = 0, root = 0;
  {
    Catalog c = open_ok(s.db());
    auto tx = c.begin();
    REQUIRE(tx);
    for (int i = 0; i < 200; ++i)
      REQUIRE(c.insert_set(make_set(set_id(static_cast<std::uint8_t>(i), 7), "app", i, i),
                           {pack_id(static_cast<std::uint8_t>(i))}));
    REQUIRE(tx->commit());
  }  // last connection closed: the WAL is checkpointed into the file and removed
  {
    Raw raw(s.db());
    page_size = raw.scalar("PRAGMA page_size");
    pages = raw.scalar("PRAGMA page_count");
    root = raw.scalar("SELECT rootpage FROM sqlite_schema WHERE name = 'backup_set'");
  }
  REQUIRE(pages > 4);
  REQUIRE(!fs::exists(s.db().string() + "-wal"));
  // Overwrite the middle of the backup_set table's root page (cell pointers and cells).
  {
    std::fstream f(s.db(), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp((root - 1) * page_size + 8);
    const std::string junk(static_cast<std::size_t>(page_size / 2), '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    REQUIRE(f.good());
  }
  auto c = Catalog::open(s.db(), kRepo);
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::corrupt);
  CHECK_THAT(c.error().message, Catch::Contains("cairn catalog rebuild"));
}

TEST_CASE("catalog::Transaction: destruction without commit rolls everything back", "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  {
    auto tx = c.begin();
    REQUIRE(tx);
    REQUIRE(c.insert_set(make_set(set_id(1), "app", 1, 1), {pack_id(1)}));
    REQUIRE(c.record_run({0, "cairn-pack", 1, 2, 0, std::nullopt, "", "", ""}));
    REQUIRE(c.append_audit({0, 1, "u", "h", "cmd", "ok"}));
    CHECK(c.list_sets()->size() == 1);  // visible inside the transaction
    auto second = c.begin();
    CHECK_FALSE(second);  // one at a time
  }
  CHECK(c.list_sets()->empty());
  CHECK(c.packs_of(set_id(1))->empty());
  CHECK(c.runs_since(0)->empty());
  CHECK(c.audit_log()->empty());

  auto tx = c.begin();
  REQUIRE(tx);
  REQUIRE(c.insert_set(make_set(set_id(1), "app", 1, 1), {pack_id(1)}));
  // A failing change inside the transaction undoes only itself (savepoint).
  auto dup = c.insert_set(make_set(set_id(1), "app", 2, 2), {pack_id(2)});
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == Errc::exists);
  REQUIRE(tx->commit());
  CHECK_FALSE(tx->commit());
  CHECK(ids(*c.list_sets()) == std::vector<hash::SetId>{set_id(1)});
  CHECK(*c.packs_of(set_id(1)) == std::vector<hash::PackId>{pack_id(1)});
}

TEST_CASE("catalog::Catalog::insert_set: a duplicate id is refused and leaves no packs",
          "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  REQUIRE(c.insert_set(make_set(set_id(1), "app", 1, 1), {pack_id(1)}));
  auto r = c.insert_set(make_set(set_id(1), "app", 9, 9), {pack_id(9)});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::exists);
  CHECK(c.sets_using_pack(pack_id(9))->empty());
  CHECK(c.get_set(set_id(1))->value().started_ns == 1);
  CHECK_FALSE(c.get_set(set_id(2))->has_value());
}

TEST_CASE("catalog::Catalog::latest: the highest plausible seq wins over a later claimed time",
          "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  // Set 2 came after set 1 (seq 2) from a host whose clock was a day behind.
  const std::int64_t day = 86400LL * 1'000'000'000;
  const std::int64_t now = now_ns();
  REQUIRE(c.insert_set(make_set(set_id(1), "app", now, 1), {}));
  REQUIRE(c.insert_set(make_set(set_id(2), "app", now - day, 2), {}));
  CHECK(c.latest("app")->value().id == set_id(2));
  CHECK(c.latest("")->value().id == set_id(2));  // any source
  REQUIRE(c.insert_set(make_set(set_id(3), "pg", now - 2 * day, 3), {}));
  CHECK(c.latest("")->value().id == set_id(3));
  CHECK(c.latest("app")->value().id == set_id(2));
  // A forged seq far above every chain (model::kMaxSeqStep) is never the newest.
  REQUIRE(c.insert_set(make_set(set_id(4), "app", now - 3 * day, 1ull << 40), {}));
  CHECK(c.latest("app")->value().id == set_id(2));
  // Equal seqs (two hosts at once): the later time, then the id.
  REQUIRE(c.insert_set(make_set(set_id(5), "app", now - day + 1, 2), {}));
  CHECK(c.latest("app")->value().id == set_id(5));
}

TEST_CASE("catalog::Catalog::latest: newest committed set of a source, by seq then time",
          "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  REQUIRE(c.insert_set(make_set(set_id(1), "app", 100, 1), {}));
  REQUIRE(c.insert_set(make_set(set_id(2), "app", 200, 3, SetKind::incremental), {}));
  REQUIRE(c.insert_set(make_set(set_id(3), "app", 200, 2, SetKind::differential), {}));
  REQUIRE(c.insert_set(make_set(set_id(4), "pg", 250, 4), {}));
  REQUIRE(c.insert_set(make_set(set_id(5), "app", 400, 5), {}));
  REQUIRE(c.set_status(set_id(5), SetStatus::pruned));

  CHECK(c.latest("app")->value().id == set_id(2));  // 400 is pruned; seq 3 beats seq 2 at 200
  CHECK(c.latest("app", SetKind::full)->value().id == set_id(1));
  CHECK(c.latest("app", SetKind::differential)->value().id == set_id(3));
  CHECK(c.latest("pg")->value().id == set_id(4));
  CHECK_FALSE(c.latest("redis")->has_value());
  CHECK(ids(*c.list_sets("app")) ==
        std::vector<hash::SetId>{set_id(1), set_id(3), set_id(2), set_id(5)});
  CHECK(c.list_sets()->size() == 5);
  CHECK(*c.max_seq() == 5);
}

TEST_CASE("catalog::Catalog::at_or_before: the state as of a point in time", "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  REQUIRE(c.insert_set(make_set(set_id(1), "app", 100, 1), {}));
  REQUIRE(c.insert_set(make_set(set_id(2), "app", 200, 2), {}));
  REQUIRE(c.insert_set(make_set(set_id(3), "pg", 250, 3), {}));
  REQUIRE(c.insert_set(make_set(set_id(4), "app", 300, 4), {}));
  REQUIRE(c.set_status(set_id(2), SetStatus::damaged));

  CHECK(c.at_or_before("app", 300)->value().id == set_id(4));  // inclusive
  CHECK(c.at_or_before("app", 299)->value().id == set_id(1));  // 200 is damaged
  CHECK(c.at_or_before(std::nullopt, 299)->value().id == set_id(3));
  CHECK_FALSE(c.at_or_before("app", 99)->has_value());
  CHECK_FALSE(c.at_or_before("pg", 249)->has_value());
}

TEST_CASE("catalog::Catalog::find_by_prefix: unique, ambiguous, absent and malformed",
          "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  REQUIRE(c.insert_set(make_set(set_id(0xab, 0xc1), "app", 1, 1), {}));
  REQUIRE(c.insert_set(make_set(set_id(0xab, 0xc2), "app", 2, 2), {}));
  REQUIRE(c.insert_set(make_set(set_id(0xab, 0xd0), "app", 3, 3), {}));
  REQUIRE(c.insert_set(make_set(set_id(0xac, 0x00), "app", 4, 4), {}));

  CHECK(ids(*c.find_by_prefix("abd")) == std::vector<hash::SetId>{set_id(0xab, 0xd0)});
  CHECK(ids(*c.find_by_prefix("ABC")) ==
        std::vector<hash::SetId>{set_id(0xab, 0xc1), set_id(0xab, 0xc2)});  // all, caller decides
  CHECK(c.find_by_prefix("ab")->size() == 3);
  CHECK(ids(*c.find_by_prefix(set_id(0xac, 0).hex())) == std::vector<hash::SetId>{set_id(0xac, 0)});
  CHECK(c.find_by_prefix("abe")->empty());
  CHECK(c.find_by_prefix("ff")->empty());
  for (const char* bad : {"", "xyz", "ab%", "ab_", "latest"}) {
    auto r = c.find_by_prefix(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::usage);
  }
}

TEST_CASE("catalog::Catalog::set_status and set_hold: change one set, unknown is not_found",
          "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  REQUIRE(c.insert_set(make_set(set_id(1), "app", 1, 1), {}));
  REQUIRE(c.insert_set(make_set(set_id(2), "app", 2, 2), {}));
  REQUIRE(c.set_hold(set_id(1), true, "litigation 7"));
  REQUIRE(c.set_status(set_id(2), SetStatus::damaged));
  auto a = c.get_set(set_id(1))->value();
  CHECK(a.legal_hold);
  CHECK(a.hold_reason == "litigation 7");
  CHECK(a.status == SetStatus::committed);
  auto b = c.get_set(set_id(2))->value();
  CHECK_FALSE(b.legal_hold);
  CHECK(b.status == SetStatus::damaged);
  REQUIRE(c.set_hold(set_id(1), false, "ignored"));
  CHECK_FALSE(c.get_set(set_id(1))->value().legal_hold);
  CHECK(c.get_set(set_id(1))->value().hold_reason.empty());
  CHECK(c.set_status(set_id(9), SetStatus::pruned).error().code == Errc::not_found);
  CHECK(c.set_hold(set_id(9), true, "x").error().code == Errc::not_found);
  CHECK(c.finish_run(12345, 1, 0, std::nullopt, "").error().code == Errc::not_found);
}

TEST_CASE("catalog::Catalog::record_placement: upsert keeps earlier times", "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  REQUIRE(c.insert_set(make_set(set_id(1), "app", 1, 1), {}));
  REQUIRE(c.record_placement({set_id(1), "sftp://nas/b", 10, std::nullopt}));
  REQUIRE(c.record_placement({set_id(1), "s3://east/app", 20, std::nullopt}));
  REQUIRE(c.record_placement({set_id(1), "sftp://nas/b", std::nullopt, 30}));
  auto pl = c.placements_of(set_id(1));
  REQUIRE(pl);
  REQUIRE(pl->size() == 2);
  CHECK((*pl)[0] == PlacementRecord{set_id(1), "s3://east/app", 20, std::nullopt});
  CHECK((*pl)[1] == PlacementRecord{set_id(1), "sftp://nas/b", 10, 30});
  auto r = c.record_placement({set_id(9), "s3://east/app", 1, std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::not_found);
}

TEST_CASE("catalog::Catalog::append_audit: rows can be neither updated nor deleted", "[catalog]") {
  Scratch s;
  {
    Catalog c = open_ok(s.db());
    auto a = c.append_audit({0, 1, "alice", "h1", "cairn-prune", "ok"});
    auto b = c.append_audit({0, 2, "bob", "h2", "cairn key add", "ok"});
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*b > *a);
  }
  {
    Raw raw(s.db());
    CHECK(raw.exec("UPDATE audit SET outcome = 'forged' WHERE user = 'bob'") == SQLITE_CONSTRAINT);
    CHECK(raw.exec("DELETE FROM audit WHERE user = 'alice'") == SQLITE_CONSTRAINT);
    CHECK(raw.exec("DELETE FROM audit") == SQLITE_CONSTRAINT);
    CHECK(raw.scalar("SELECT count(*) FROM audit WHERE outcome = 'ok'") == 2);
  }
  Catalog c = open_ok(s.db());
  auto log = c.audit_log();
  REQUIRE(log);
  REQUIRE(log->size() == 2);
  CHECK((*log)[0].user == "alice");
  CHECK((*log)[1] == AuditRecord{(*log)[1].id, 2, "bob", "h2", "cairn key add", "ok"});
  CHECK(c.audit_log((*log)[0].id)->size() == 1);
}

TEST_CASE("catalog::Catalog: a second writer waits for an open transaction", "[catalog]") {
  Scratch s;
  Catalog a = open_ok(s.db());
  Catalog quick =
      open_ok(s.db(), kRepo, OpenOptions{.busy_timeout = std::chrono::milliseconds(20)});
  auto tx = a.begin();
  REQUIRE(tx);
  REQUIRE(a.insert_set(make_set(set_id(1), "app", 1, 1), {}));

  // With a tiny timeout the other connection gives up: Errc::locked, not a crash or a hang.
  auto busy = quick.insert_set(make_set(set_id(3), "app", 3, 3), {});
  REQUIRE_FALSE(busy);
  CHECK(busy.error().code == Errc::locked);

  std::atomic<bool> done{false};
  Status waited_result;
  std::chrono::steady_clock::duration waited{};
  std::thread writer([&] {
    auto b = Catalog::open(s.db(), kRepo);  // default timeout: waits
    if (!b) {
      waited_result = b.error();
      done = true;
      return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    waited_result = b->insert_set(make_set(set_id(2), "app", 2, 2), {});
    waited = std::chrono::steady_clock::now() - t0;
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  CHECK_FALSE(done.load());  // still waiting for our write lock
  REQUIRE(tx->commit());
  writer.join();
  REQUIRE(waited_result);
  CHECK(waited >= std::chrono::milliseconds(50));
  CHECK(ids(*a.list_sets()) == std::vector<hash::SetId>{set_id(1), set_id(2)});
}

TEST_CASE("catalog::locate: --catalog, then CAIRN_CATALOG, then the XDG state dir", "[catalog]") {
  std::map<std::string, std::string> env;
  GetEnv get = [&](const char* n) -> std::optional<std::string> {
    auto it = env.find(n);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  const std::string id = "0123abcd";
  CHECK(locate(fs::path("/x/flag.db"), id, get).value() == "/x/flag.db");
  env["HOME"] = "/home/op";
  CHECK(locate(std::nullopt, id, get).value() == "/home/op/.local/state/cairn/0123abcd.db");
  env["XDG_STATE_HOME"] = "relative/ignored";
  CHECK(locate(std::nullopt, id, get).value() == "/home/op/.local/state/cairn/0123abcd.db");
  env["XDG_STATE_HOME"] = "/var/state";
  CHECK(locate(std::nullopt, id, get).value() == "/var/state/cairn/0123abcd.db");
  env["CAIRN_CATALOG"] = "/srv/cat.db";
  CHECK(locate(std::nullopt, id, get).value() == "/srv/cat.db");
  CHECK(locate(fs::path("/x/flag.db"), id, get).value() == "/x/flag.db");
  env.clear();
  auto none = locate(std::nullopt, id, get);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::usage);
}

TEST_CASE("catalog::to_string: text forms round-trip", "[catalog]") {
  for (auto st : {SetStatus::committed, SetStatus::pruned, SetStatus::damaged})
    CHECK(parse_set_status(to_string(st)) == st);
  for (auto k : {VerifyKind::structure, VerifyKind::read_data, VerifyKind::drill})
    CHECK(parse_verify_kind(to_string(k)) == k);
  CHECK(to_string(VerifyKind::read_data) == "read-data");
}

TEST_CASE("catalog::resolve_set: prefixes of 4+ digits, unique, named when ambiguous",
          "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  hash::SetId a = set_id(0xab, 0xcd), b = set_id(0xab, 0xcd);
  b.d.b[2] = 0x22;  // "abcd22..." beside "abcd11..."
  REQUIRE(c.insert_set(make_set(a, "app", 1, 1), {}));
  REQUIRE(c.insert_set(make_set(b, "app", 2, 2), {}));
  REQUIRE(c.insert_set(make_set(set_id(0x12, 0x34), "app", 3, 3), {}));

  CHECK(resolve_set(c, "abcd2")->id == b);
  CHECK(resolve_set(c, "1234")->id == set_id(0x12, 0x34));
  for (const char* shortish : {"1", "12", "123"}) {  // unique, but too short to be safe
    INFO(shortish);
    auto r = resolve_set(c, shortish);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::usage);
    CHECK(r.error().message.find("at least 4 hex digits") != std::string::npos);
  }
  auto amb = resolve_set(c, "ABCD");
  REQUIRE_FALSE(amb);
  CHECK(amb.error().code == Errc::usage);
  CHECK(amb.error().message.find("ambiguous") != std::string::npos);
  CHECK(amb.error().message.find(a.hex().substr(0, 12)) != std::string::npos);
  CHECK(amb.error().message.find(b.hex().substr(0, 12)) != std::string::npos);
  auto none = resolve_set(c, "ffff");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::not_found);
}

TEST_CASE("catalog::resolve_set: SOURCE@TIME is the end of the second, minute or day shown",
          "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  const std::int64_t t = 1'764'133'200LL * kNsPerSecond;  // 2025-11-26T05:00:00Z
  REQUIRE(c.insert_set(make_set(set_id(1), "app", t + 400'000'000, 1), {}));  // 05:00:00.4
  REQUIRE(c.insert_set(make_set(set_id(2), "app", t + 30 * kNsPerSecond, 2), {}));
  REQUIRE(c.insert_set(make_set(set_id(3), "app", t + 2 * kNsPerHour, 3), {}));

  // `cairn ls` shows set 1 as 2025-11-26T05:00:00Z: that text selects it
  CHECK(format_time(t + 400'000'000) == "2025-11-26T05:00:00Z");
  CHECK(resolve_set(c, "app@2025-11-26T05:00:00Z")->id == set_id(1));
  CHECK(resolve_set(c, "@2025-11-26T05:00:00Z")->id == set_id(1));
  CHECK(resolve_set(c, "app@2025-11-26T05:00:29Z")->id == set_id(1));
  CHECK(resolve_set(c, "app@2025-11-26T05:00:30Z")->id == set_id(2));
  CHECK(resolve_set(c, "app@2025-11-26T05:00")->id == set_id(2));  // the whole minute
  CHECK(resolve_set(c, "app@2025-11-26")->id == set_id(3));        // the whole day
  CHECK(resolve_set(c, "app@2025-11-26T06:00:00+01:00")->id == set_id(1));
  CHECK_FALSE(resolve_set(c, "app@2025-11-26T04:59:59Z"));

  for (const char* bad : {"app@2026-02-31", "app@2025-11-26T25:00", "@2025-11-26T05:61"}) {
    INFO(bad);
    auto r = resolve_set(c, bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::usage);
    CHECK(r.error().message.find(bad) != std::string::npos);
  }
}

TEST_CASE("catalog::resolve_set: unknown sources, directories and bare source names", "[catalog]") {
  Scratch s;
  Catalog c = open_ok(s.db());
  auto empty = resolve_set(c, "app@latest");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == Errc::not_found);
  REQUIRE(c.insert_set(make_set(set_id(1), "app", 100, 1), {}));
  REQUIRE(c.insert_set(make_set(set_id(2), "postgres", 200, 2), {}));

  auto near = resolve_set(c, "postgress@latest");
  REQUIRE_FALSE(near);
  CHECK(near.error().code == Errc::not_found);
  CHECK(near.error().message.find("did you mean 'postgres'?") != std::string::npos);
  auto near_time = resolve_set(c, "ap@2026-01-01");
  REQUIRE_FALSE(near_time);
  CHECK(near_time.error().message.find("did you mean 'app'?") != std::string::npos);
  auto far = resolve_set(c, "mail@latest");
  REQUIRE_FALSE(far);
  CHECK(far.error().code == Errc::not_found);
  CHECK(far.error().message.find("the sources are: app, postgres") != std::string::npos);

  auto dir = resolve_set(c, s.dir.string());
  REQUIRE_FALSE(dir);
  CHECK(dir.error().code == Errc::usage);
  CHECK(dir.error().message.find("'" + s.dir.string() + "' is a directory; a set is ID") !=
        std::string::npos);
  auto bare = resolve_set(c, "postgres");
  REQUIRE_FALSE(bare);
  CHECK(bare.error().code == Errc::usage);
  CHECK(bare.error().message.find("postgres@latest") != std::string::npos);
  auto junk = resolve_set(c, "no-such-thing");
  REQUIRE_FALSE(junk);
  CHECK(junk.error().code == Errc::usage);
}
