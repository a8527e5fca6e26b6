#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ops/hold.hpp"
#include "ops/verify.hpp"
#include "prune_fixture.hpp"
#include "repo/gc.hpp"
#include "repo/objects.hpp"

using namespace prune_test;

namespace {

std::string p12(const hash::SetId& id) { return id.hex().substr(0, 12); }

std::uint64_t size_of(const Fixture& fx, const std::vector<hash::PackId>& packs) {
  std::uint64_t n = 0;
  for (const auto& p : packs) n += fs::file_size(fx.ro.repo / backend::Key::pack(p).path());
  return n;
}

std::string line_of(const Pruned& p, const hash::SetId& id) {
  for (const auto& l : p.lines())
    if (l.find(" " + p12(id) + " ") != std::string::npos) return l;
  return {};
}

// The printed lines match the repository (+ exists, - is gone), and no index line follows a
// pack line (the order cairn-push applies them in).
void check_lines(const Fixture& fx, const Pruned& p) {
  bool packs_started = false;
  for (const auto& l : p.lines()) {
    auto key = backend::Key::from_path(l.substr(1));
    REQUIRE(key);
    if (l[0] == '+')
      CHECK(fx.exists(*key));
    else
      CHECK_FALSE(fx.exists(*key));
    if (l.rfind("-packs/", 0) == 0)
      packs_started = true;
    else if (l.find("index/") == 1)
      CHECK_FALSE(packs_started);
  }
}

void verify_clean(const Fixture& fx) {
  ops::VerifyOptions o;
  o.repo = fx.ro;
  o.jobs = 1;
  io::StringWriter out;
  CountingObserver obs;
  CancelToken cancel;
  auto r = ops::verify(o, out, obs, cancel);
  INFO(out.out);
  if (!r) FAIL("verify: " << r.error().message);
}

// Four daily sets of source app, one a day, each with a file of its own.
struct FourSets {
  std::vector<hash::SetId> ids;
  std::vector<Files> files;
  explicit FourSets(const Fixture& fx) {
    for (int i = 0; i < 4; ++i) {
      files.push_back(Files{{"f" + std::to_string(i), random_content(100u << 10)}});
      ids.push_back(fx.pack_set("app", "daily", kT0 + i * kDay, files.back()));
    }
  }
};

}  // namespace

TEST_CASE(
    "ops::prune: --dry-run prints every set with its decision and the bytes, and changes nothing",
    "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  fx.policy("[class.daily]\nkeep-last = 2\n");
  const auto catalog_before = fx.catalog().list_sets();
  REQUIRE(catalog_before);
  const std::size_t packs_before = fx.count_files("packs");

  const Pruned p = fx.prune(/*dry_run=*/true);
  if (!p.result) FAIL(p.result.error().message);
  INFO(p.out);
  REQUIRE(p.lines().size() == 5);
  CHECK(line_of(p, s.ids[0]) ==
        "drop " + p12(s.ids[0]) + " 2025-03-01T00:00:00Z app daily matched no keep rule");
  CHECK(line_of(p, s.ids[1]) ==
        "drop " + p12(s.ids[1]) + " 2025-03-02T00:00:00Z app daily matched no keep rule");
  CHECK(line_of(p, s.ids[2]) ==
        "keep " + p12(s.ids[2]) + " 2025-03-03T00:00:00Z app daily last #2");
  CHECK(line_of(p, s.ids[3]) ==
        "keep " + p12(s.ids[3]) + " 2025-03-04T00:00:00Z app daily last #1");
  // Freed: the packs only the dropped sets need (their file chunks; the manifests differ too).
  std::set<hash::PackId> dropped, kept;
  for (int i : {0, 1})
    for (const auto& pk : fx.packs_of(s.ids[static_cast<std::size_t>(i)])) dropped.insert(pk);
  for (int i : {2, 3})
    for (const auto& pk : fx.packs_of(s.ids[static_cast<std::size_t>(i)])) kept.insert(pk);
  std::vector<hash::PackId> only_dropped;
  for (const auto& pk : dropped)
    if (!kept.contains(pk)) only_dropped.push_back(pk);
  REQUIRE(!only_dropped.empty());
  CHECK(p.lines().back() ==
        fmt::format("total: 4 sets, keep 2, drop 2; frees {} bytes in {} packs once swept ({} "
                    "only dropped sets need, 0 unreferenced)",
                    size_of(fx, only_dropped), only_dropped.size(), only_dropped.size()));
  // Nothing changed.
  CHECK(fx.catalog().list_sets().value() == *catalog_before);
  CHECK(fx.count_files("packs") == packs_before);
  for (const auto& id : s.ids) CHECK(fx.set_exists(id));
  CHECK_FALSE(fs::exists(ops::prune_state_file(*fx.ro.catalog)));
}

TEST_CASE("ops::prune: --json gives one object a set and a summary", "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  fx.policy("[class.daily]\nkeep-daily = 3\n");
  auto o = fx.options(true);
  o.json = true;
  const Pruned p = fx.prune(o);
  REQUIRE(p.result);
  const auto lines = p.lines();
  REQUIRE(lines.size() == 5);
  std::map<std::string, nlohmann::json> by_id;
  for (std::size_t i = 0; i < 4; ++i) {
    auto j = nlohmann::json::parse(lines[i]);
    CHECK(j["schema"] == "cairn.prune/1");
    CHECK(j["type"] == "set");
    by_id[j["id"]] = j;
  }
  CHECK(by_id[s.ids[0].hex()]["keep"] == false);
  CHECK(by_id[s.ids[1].hex()]["reason"] == "daily 2025-03-02");
  CHECK(by_id[s.ids[3].hex()]["kind"] == "incremental");
  auto sum = nlohmann::json::parse(lines[4]);
  CHECK(sum["type"] == "summary");
  CHECK(sum["keep"] == 3);
  CHECK(sum["drop"] == 1);
  CHECK(sum["dry_run"] == true);
}

TEST_CASE(
    "ops::prune: drops what the policy says; packs go only after a new set; kept sets restore",
    "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  fx.policy("[class.daily]\nkeep-last = 2\n");
  std::vector<hash::PackId> gone_later;
  {
    std::set<hash::PackId> kept;
    for (std::size_t i : {2u, 3u})
      for (const auto& pk : fx.packs_of(s.ids[i])) kept.insert(pk);
    for (std::size_t i : {0u, 1u})
      for (const auto& pk : fx.packs_of(s.ids[i]))
        if (!kept.contains(pk)) gone_later.push_back(pk);
  }
  REQUIRE(!gone_later.empty());

  // Run 1: forget and mark. The set objects go; the packs stay (no generation passed).
  const Pruned first = fx.prune();
  if (!first.result) FAIL(first.result.error().message);
  INFO(first.out);
  REQUIRE(first.lines().size() >= 2);
  CHECK(first.lines()[0] == "-sets/" + s.ids[0].hex());
  CHECK(first.lines()[1] == "-sets/" + s.ids[1].hex());
  CHECK(first.count_prefix("-index/") >= 1);  // the marked packs are retired from the index
  CHECK(first.count_prefix("-packs/") == 0);
  check_lines(fx, first);
  CHECK_FALSE(fx.set_exists(s.ids[0]));
  CHECK_FALSE(fx.set_exists(s.ids[1]));
  auto cat = fx.catalog();
  CHECK(cat.get_set(s.ids[0]).value()->status == catalog::SetStatus::pruned);
  CHECK(cat.get_set(s.ids[1]).value()->status == catalog::SetStatus::pruned);
  CHECK(cat.get_set(s.ids[2]).value()->status == catalog::SetStatus::committed);
  for (const auto& pk : gone_later) CHECK(fx.pack_exists(pk));

  // Run 2, no set written since: still nothing swept, whatever the clock says.
  auto later = fx.options();
  *later.now_ns += 30 * kDay;
  const Pruned second = fx.prune(later);
  REQUIRE(second.result);
  CHECK(second.out.empty());
  for (const auto& pk : gone_later) CHECK(fx.pack_exists(pk));

  // A new set (another class: the policy does not thin it) is a new generation.
  const Files extra{{"extra", random_content(100u << 10)}};
  const auto e = fx.pack_set("app", "adhoc", kT0 + 10 * kDay, extra);
  const Pruned third = fx.prune();
  if (!third.result) FAIL(third.result.error().message);
  INFO(third.out);
  CHECK(third.count_prefix("-packs/") == gone_later.size());
  for (const auto& pk : gone_later) {
    CHECK_FALSE(fx.pack_exists(pk));
    CHECK(third.has("-" + backend::Key::pack(pk).path() + "\n"));
  }
  check_lines(fx, third);

  // Every kept set restores from the pruned repository, which verifies clean.
  fx.check_restores(s.ids[2], s.files[2]);
  fx.check_restores(s.ids[3], s.files[3]);
  fx.check_restores(e, extra);
  verify_clean(fx);

  // Converged: another run finds nothing to do.
  const Pruned fourth = fx.prune();
  REQUIRE(fourth.result);
  CHECK(fourth.out.empty());
}

namespace {

// A manifest stream whose reader stops after the header line until released: cairn-pack has
// opened the repository (and loaded its index) by then, as a long backup would have.
class GatedReader final : public io::Reader {
 public:
  explicit GatedReader(std::string data) : data_(std::move(data)), split_(data_.find('\n') + 1) {}
  Result<std::size_t> read(MutByteView buf) override {
    if (pos_ >= split_) {
      std::unique_lock l(mu_);
      reached_ = true;
      cv_.notify_all();
      cv_.wait(l, [&] { return released_; });
    }
    const std::size_t end = pos_ < split_ ? split_ : data_.size();
    const std::size_t n = std::min(buf.size(), end - pos_);
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  void wait_reached() {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return reached_; });
  }
  void release() {
    std::lock_guard l(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::string data_;
  std::size_t split_, pos_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool reached_ = false, released_ = false;
};

}  // namespace

TEST_CASE(
    "ops::prune: a backup that opened the repository before the mark keeps the pack it reuses",
    "[ops][prune]") {
  Fixture fx;
  fx.policy("[class.daily]\nkeep-last = 1\n");
  const Files a_files{{"shared", random_content(100u << 10)}};
  const auto a = fx.pack_set("app", "daily", kT0, a_files);
  const auto a_packs = fx.packs_of(a);
  fx.pack_set("app", "daily", kT0 + kDay, Files{{"other", random_content(100u << 10)}});

  // A backup of the same content starts now and waits after opening the repository.
  GatedReader in(test::manifest_stream("web", "adhoc", kT0 + 2 * kDay, a_files));
  io::StringWriter pack_out;
  Result<ops::Outcome> packed = Error{Errc::internal, "not run"};
  std::thread writer([&] {
    CountingObserver obs;
    CancelToken cancel;
    packed = ops::pack(ops::PackOptions{fx.ro, model::SetKind::incremental, 1}, in, pack_out, obs,
                       cancel);
  });
  in.wait_reached();

  const Pruned mark = fx.prune();  // drops a; marks and retires its packs
  REQUIRE(mark.result);
  CHECK_FALSE(fx.set_exists(a));
  CHECK(mark.count_prefix("-packs/") == 0);
  for (const auto& pk : a_packs) REQUIRE(fx.pack_exists(pk));
  CHECK_FALSE(fx.open()
                  ->locate(fx.open()->read_pack_index(a_packs.front()).value().front().id)
                  .has_value());

  in.release();  // the backup goes on, deduplicating against a's chunk, and commits
  writer.join();
  if (!packed) FAIL("pack: " << packed.error().message);
  const auto c = *hash::SetId::from_hex(pack_out.out.substr(0, 64));
  const auto c_packs = fx.packs_of(c);
  std::vector<hash::PackId> shared;
  for (const auto& pk : a_packs)
    if (std::find(c_packs.begin(), c_packs.end(), pk) != c_packs.end()) shared.push_back(pk);
  REQUIRE(!shared.empty());
  // The backup revived the pack before its commit (an index file of its own, printed for
  // cairn-push): the set restores at once, not only after the next prune rescued it.
  std::size_t index_lines = 0;
  for (auto at = pack_out.out.find("\n+index/"); at != std::string::npos;
       at = pack_out.out.find("\n+index/", at + 1))
    ++index_lines;
  CHECK(index_lines == 2);  // its own, and the revival
  fx.check_restores(c, a_files);

  // The next run sees the new set (a new generation, too): the pack is kept, not swept.
  const Pruned sweep = fx.prune();
  REQUIRE(sweep.result);
  INFO(sweep.out);
  for (const auto& pk : shared) {
    CHECK(fx.pack_exists(pk));
    CHECK_FALSE(sweep.has(pk.hex()));
  }
  fx.check_restores(c, a_files);
  verify_clean(fx);
  const Pruned again = fx.prune();
  REQUIRE(again.result);
  for (const auto& pk : shared) CHECK(fx.pack_exists(pk));
}

// Issue 13 (an interrupted backup resumes): an incremental backup adopts packs no index file
// names, marked candidates among them; adopting one revives it, and the sweep spares it.
TEST_CASE(
    "ops::prune: a backup that opens the repository after the mark adopts a marked pack, and "
    "the sweep spares it",
    "[ops][prune]") {
  Fixture fx;
  fx.policy("[class.daily]\nkeep-last = 1\n");
  const Files a_files{{"shared", random_content(100u << 10)}};
  const auto a = fx.pack_set("app", "daily", kT0, a_files);
  const auto a_packs = fx.packs_of(a);
  fx.pack_set("app", "daily", kT0 + kDay, Files{{"other", random_content(100u << 10)}});
  REQUIRE(fx.prune().result);

  const auto c = fx.pack_set("web", "adhoc", kT0 + 2 * kDay, a_files);
  const auto c_packs = fx.packs_of(c);
  CHECK(std::any_of(a_packs.begin(), a_packs.end(), [&](const auto& pk) {
    return std::find(c_packs.begin(), c_packs.end(), pk) != c_packs.end();
  }));
  const Pruned sweep = fx.prune();
  REQUIRE(sweep.result);
  for (const auto& pk : c_packs) CHECK(fx.pack_exists(pk));
  fx.check_restores(c, a_files);
  verify_clean(fx);
}

TEST_CASE("ops::prune: the time grace period holds packs back until it passed", "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  fx.policy("[class.daily]\nkeep-last = 3\n");
  auto o = fx.options();
  o.grace_ns = 6 * kHour;
  REQUIRE(fx.prune(o).result);  // marks at now
  fx.pack_set("app", "adhoc", kT0 + 10 * kDay, Files{{"x", random_content(1000)}});
  auto soon = o;
  *soon.now_ns += 5 * kHour;
  const Pruned early = fx.prune(soon);
  REQUIRE(early.result);
  CHECK(early.count_prefix("-packs/") == 0);
  auto late = o;
  *late.now_ns += 7 * kHour;
  const Pruned due = fx.prune(late);
  REQUIRE(due.result);
  CHECK(due.count_prefix("-packs/") >= 1);
  fx.check_restores(s.ids[3], s.files[3]);
}

TEST_CASE("ops::prune: a lost state file only delays the sweep", "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  fx.policy("[class.daily]\nkeep-last = 2\n");
  REQUIRE(fx.prune().result);
  fx.pack_set("app", "adhoc", kT0 + 10 * kDay, Files{{"x", random_content(1000)}});
  const fs::path state = ops::prune_state_file(*fx.ro.catalog);
  REQUIRE(fs::exists(state));
  {
    std::ofstream out(state, std::ios::trunc);
    out << "{ damaged";
  }
  const Pruned again = fx.prune();  // marks afresh: nothing swept yet
  REQUIRE(again.result);
  CHECK(again.count_prefix("-packs/") == 0);
  fx.pack_set("app", "adhoc", kT0 + 11 * kDay, Files{{"y", random_content(1000)}});
  const Pruned swept = fx.prune();
  REQUIRE(swept.result);
  CHECK(swept.count_prefix("-packs/") >= 1);
  fx.check_restores(s.ids[2], s.files[2]);
}

TEST_CASE("ops::prune: deletes nothing while the catalog lists a set the repository lacks",
          "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  fx.policy("[class.daily]\nkeep-last = 1\n");
  const std::size_t packs_before = fx.count_files("packs");
  fs::remove(fx.ro.repo / backend::Key::set(s.ids[3]).path());  // behind cairn's back
  const Pruned run = fx.prune();
  REQUIRE_FALSE(run.result);
  CHECK(run.result.error().code == Errc::corrupt);
  CHECK(run.result.error().message.find(s.ids[3].hex()) != std::string::npos);
  CHECK(run.result.error().message.find("nothing was deleted") != std::string::npos);
  for (int i = 0; i < 3; ++i) CHECK(fx.set_exists(s.ids[i]));
  CHECK(fx.count_files("packs") == packs_before);
  CHECK(run.out.empty());
}

TEST_CASE("ops::prune: a hold the repository records keeps a set the catalog thinks free",
          "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  fx.policy("[class.daily]\nkeep-last = 1\n");
  CountingObserver obs;
  io::StringWriter hold_out;
  REQUIRE(ops::hold(ops::HoldOptions{fx.ro, s.ids[0].hex(), true, "placed on another host"},
                    hold_out, obs));
  REQUIRE(fx.catalog().set_hold(s.ids[0], false, ""));  // this catalog never heard of it
  const Pruned run = fx.prune();
  REQUIRE(run.result);
  CHECK(fx.set_exists(s.ids[0]));
  CHECK_FALSE(fx.set_exists(s.ids[1]));
}

TEST_CASE("ops::prune: a legal hold keeps a set until it is released", "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  fx.policy("[class.daily]\nkeep-last = 1\n");
  ops::HoldOptions h{fx.ro, p12(s.ids[0]), true, "case 42"};
  CountingObserver obs;
  io::StringWriter hold_out;
  auto held = ops::hold(h, hold_out, obs);
  REQUIRE(held);
  CHECK(held->result.empty());  // stdout carries only the "+holds/<id>" line
  CHECK(hold_out.out.rfind("+holds/", 0) == 0);
  CHECK(hold_out.out.find('\n') == hold_out.out.size() - 1);

  const Pruned plan = fx.prune(true);
  REQUIRE(plan.result);
  CHECK(line_of(plan, s.ids[0]).ends_with(" app daily legal hold: case 42"));
  const Pruned run = fx.prune();
  REQUIRE(run.result);
  CHECK(fx.set_exists(s.ids[0]));
  CHECK_FALSE(fx.set_exists(s.ids[1]));

  h.hold = false;
  h.reason.clear();
  REQUIRE(ops::hold(h, hold_out, obs));
  const Pruned after = fx.prune();
  REQUIRE(after.result);
  CHECK(after.has("-sets/" + s.ids[0].hex()));
  CHECK_FALSE(fx.set_exists(s.ids[0]));
  auto audit = fx.catalog().audit_log(0);
  REQUIRE(audit);
  // The hold, the prune that kept the held set, the release, the prune that removed it.
  REQUIRE(audit->size() >= 4);
  const auto row = [&](std::size_t from_end) {
    return audit->at(audit->size() - from_end).command;
  };
  CHECK(row(4) == "cairn hold " + s.ids[0].hex() + " --reason case 42");
  CHECK(row(3).rfind("cairn-prune removes ", 0) == 0);
  CHECK(row(3).find(s.ids[1].hex()) != std::string::npos);
  CHECK(row(3).find(s.ids[0].hex()) == std::string::npos);  // held: kept
  CHECK(row(2) == "cairn release " + s.ids[0].hex());
  CHECK(row(1) == "cairn-prune removes " + s.ids[0].hex());
}

TEST_CASE("ops::prune: a kept differential set keeps its full set", "[ops][prune]") {
  Fixture fx;
  fx.policy("[class.daily]\nkeep-last = 1\n");
  const Files base{{"a", random_content(100u << 10)}, {"b", random_content(100u << 10)}};
  const auto f = fx.pack_set("db", "daily", kT0, base, model::SetKind::full);
  Files changed = base;
  changed[1].second = random_content(100u << 10);
  const auto d = fx.pack_set("db", "daily", kT0 + kDay, changed, model::SetKind::differential);
  const Pruned p = fx.prune();
  REQUIRE(p.result);
  CHECK(p.out.empty());
  const Pruned plan = fx.prune(true);
  CHECK(line_of(plan, f).ends_with(" db daily needed by " + p12(d)));
  fx.check_restores(d, changed);
  fx.check_restores(f, base);
}

TEST_CASE("ops::prune: an empty catalog first learns every set, then plans as the full one",
          "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  fx.policy("[class.daily]\nkeep-last = 1\n");
  auto dry = fx.options();
  dry.dry_run = true;
  const Pruned want = fx.prune(dry);
  REQUIRE(want.result);
  dry.repo.catalog = fx.dir / "other-catalog.db";  // an empty catalog: another host's
  const Pruned plan = fx.prune(dry);
  REQUIRE(plan.result);
  CHECK(plan.out == want.out);
  for (const auto& id : s.ids)
    CHECK(line_of(plan, id).find("not in the catalog") == std::string::npos);
}

TEST_CASE("ops::prune: refuses to run beside another prune, and without a policy", "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  fx.policy("[class.daily]\nkeep-last = 1\n");
  {
    const fs::path lock = ops::prune_lock_file(*fx.ro.catalog);
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0);
    const Pruned p = fx.prune();
    REQUIRE_FALSE(p.result);
    CHECK(p.result.error().code == Errc::locked);
    CHECK(fx.prune(true).result);  // a dry run takes no lock
    ::close(fd);
  }
  for (const auto& id : s.ids) CHECK(fx.set_exists(id));
  auto o = fx.options();
  o.policy = fx.dir / "absent.toml";
  const Pruned p = fx.prune(o);
  REQUIRE_FALSE(p.result);
  CHECK(p.result.error().code == Errc::not_found);
  fx.policy("[class.daily]\nkeep-lsat = 1\n");
  const Pruned bad = fx.prune();
  REQUIRE_FALSE(bad.result);
  CHECK(bad.result.error().message.find("line 2: unknown key 'keep-lsat'") != std::string::npos);
  for (const auto& id : s.ids) CHECK(fx.set_exists(id));
}

TEST_CASE("ops::prune: an interrupted sweep is reported again by the next run", "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  fx.policy("[class.daily]\nkeep-last = 2\n");
  const auto victim = fx.packs_of(s.ids[0]).front();  // only set 0 needs it
  REQUIRE(fx.prune().result);
  fx.pack_set("app", "adhoc", kT0 + 10 * kDay, Files{{"x", random_content(1000)}});
  // The state a run leaves when killed after deleting a pack, before printing it.
  const fs::path state_file = ops::prune_state_file(*fx.ro.catalog);
  auto state = nlohmann::json::parse(std::ifstream(state_file));
  const std::string path = backend::Key::pack(victim).path();
  state["pending"] = {"-" + path};
  std::ofstream(state_file, std::ios::trunc) << state.dump();
  fs::remove(fx.ro.repo / path);

  const Pruned p = fx.prune();
  REQUIRE(p.result);
  CHECK(p.has("-" + path + "\n"));
  fx.check_restores(s.ids[3], s.files[3]);
  verify_clean(fx);
}

// keep-last = 2 and a prune: the first pack of set 0 (only set 0 needs it) is marked and retired.
hash::PackId retire_first_pack(Fixture& fx, const FourSets& s) {
  fx.policy("[class.daily]\nkeep-last = 2\n");
  const auto victim = fx.packs_of(s.ids[0]).front();
  REQUIRE(fx.prune().result);
  return victim;
}

TEST_CASE("ops::prune: a marked pack that an index file names again waits a new grace period",
          "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  const auto victim = retire_first_pack(fx, s);
  {
    // A writer that had the pack in memory indexes it again (and then dies before its set).
    auto r = fx.open();
    auto entries = r->read_pack_index(victim);
    REQUIRE(entries);
    const Bytes bytes = repo::encode_index_file({repo::IndexPack{victim, *entries}},
                                                r->keys().index_key.view(), r->keys().repo_id);
    REQUIRE(r->storage().put(backend::Key::index(hash::blake2b(bytes).hex()), bytes, true));
  }
  fx.pack_set("app", "adhoc", kT0 + 10 * kDay, Files{{"x", random_content(1000)}});
  const Pruned second = fx.prune();
  REQUIRE(second.result);
  CHECK(fx.pack_exists(victim));  // marked afresh, retired again
  CHECK_FALSE(fx.open()->locate(fx.open()->read_pack_index(victim).value().front().id).has_value());
  CHECK(second.count_prefix("-packs/") >= 1);  // the other candidates go
  fx.pack_set("app", "adhoc", kT0 + 11 * kDay, Files{{"y", random_content(1000)}});
  const Pruned third = fx.prune();
  REQUIRE(third.result);
  CHECK_FALSE(fx.pack_exists(victim));
  fx.check_restores(s.ids[3], s.files[3]);
  verify_clean(fx);
}

namespace {

// The storage of a writer that revives a pack while cairn-prune runs: right before the
// `at`-th listing of the index files it stores an index file naming `pack` again (from the
// pack's own index).
class RevivingBackend final : public test::ForwardingBackend {
 public:
  RevivingBackend(std::unique_ptr<backend::Backend> b, crypto::KeyMaterial keys, hash::PackId pack,
                  int at)
      : ForwardingBackend(std::move(b)), keys_(std::move(keys)), pack_(pack), at_(at) {}
  Status list(backend::Kind kind,
              const std::function<Status(const backend::ObjectInfo&)>& each) override {
    if (kind == backend::Kind::index && ++listed_ == at_) {
      auto raw = inner().get(backend::Key::pack(pack_));
      REQUIRE(raw);
      auto trailer = pack::read_index(*raw, keys_.index_key.view(), keys_.repo_id, "pack");
      REQUIRE(trailer);
      const Bytes bytes = repo::encode_index_file({repo::IndexPack{pack_, *trailer}},
                                                  keys_.index_key.view(), keys_.repo_id);
      REQUIRE(inner().put(backend::Key::index(hash::blake2b(bytes).hex()), bytes, true));
      revived = true;
    }
    return inner().list(kind, each);
  }
  bool revived = false;

 private:
  crypto::KeyMaterial keys_;
  hash::PackId pack_;
  int at_;
  int listed_ = 0;
};

}  // namespace

TEST_CASE(
    "repo::gc::collect: a candidate that an index file names again after the decision "
    "is spared",
    "[ops][prune]") {
  Fixture fx;
  FourSets s(fx);
  const auto victim = retire_first_pack(fx, s);
  fx.pack_set("app", "adhoc", kT0 + 10 * kDay, Files{{"x", random_content(1000)}});

  auto local = backend::open_local(fx.ro.repo, false);
  REQUIRE(local);
  // Listings of index/: the open, the collection's first read, then the one after its decision.
  auto wrapper =
      std::make_unique<RevivingBackend>(std::move(*local), fx.open()->keys().clone(), victim, 3);
  RevivingBackend& storage = *wrapper;
  auto r = repo::Repository::open(std::move(wrapper), fx.ro.unlock, fx.ro.repo / "tmp");
  REQUIRE(r);
  CancelToken cancel;
  InfoObserver obs;
  repo::gc::Sets sets;
  REQUIRE(repo::gc::scan_sets(**r, sets, cancel));
  std::vector<std::string> lines;
  const repo::gc::GcOptions o{ops::prune_state_file(fx.catalog().file()), 1, 0, kT0 + 365 * kDay};
  auto res = repo::gc::collect(
      o, **r, sets,
      [&](char op, const std::string& path) -> Status {
        lines.push_back(std::string(1, op) + path);
        return {};
      },
      obs, cancel);
  REQUIRE(res);
  CHECK(storage.revived);
  CHECK(fx.pack_exists(victim));
  CHECK(std::find(lines.begin(), lines.end(), "-" + backend::Key::pack(victim).path()) ==
        lines.end());
  CHECK(res->swept_packs >= 1);  // the other candidates of set 0 go
}
