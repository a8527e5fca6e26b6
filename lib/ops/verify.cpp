// cairn-verify: the order of the checks, --max-age, the catalog records and the verdict.
// The checks themselves live in verify_structure.cpp, verify_data.cpp, verify_damage.cpp and
// verify_drill.cpp (see verify_internal.hpp).
#include "ops/verify.hpp"

#include <charconv>
#include <chrono>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "ops/verify_internal.hpp"

namespace cairn::ops {

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

}  // namespace

Result<std::int64_t> parse_age(std::string_view text) {
  const auto bad = [&] {
    return Error{Errc::usage, fmt::format("cannot read the duration '{}': use a whole number and one unit of s, m, h, "
                                          "d or w, e.g. 26h or 7d",
                                          text)};
  };
  if (text.size() < 2) return bad();
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = kSecond;
      break;
    case 'm':
      unit = 60 * kSecond;
      break;
    case 'h':
      unit = 3600 * kSecond;
      break;
    case 'd':
      unit = 86400 * kSecond;
      break;
    case 'w':
      unit = 7 * 86400 * kSecond;
      break;
    default:
      return bad();
  }
  std::int64_t n = 0;
  const char* end = text.data() + text.size() - 1;
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc{} || ptr != end || n <= 0 || n > std::numeric_limits<std::int64_t>::max() / unit) return bad();
  return n * unit;
}

std::string format_age(std::int64_t ns) {
  const std::int64_t s = ns < 0 ? 0 : ns / kSecond;
  const std::int64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
  if (d > 0) return fmt::format("{}d {}h", d, h);
  if (h > 0) return fmt::format("{}h {}m", h, m);
  if (m > 0) return fmt::format("{}m {}s", m, sec);
  return fmt::format("{}s", sec);
}

namespace verify_detail {

const std::string& SetState::source() const {
  static const std::string unknown = "?";
  if (rec) return rec->source;
  if (body()) return body()->source;
  return unknown;
}

std::int64_t SetState::started_ns() const {
  if (rec) return rec->started_ns;
  if (body()) return body()->started_ns;
  return obj ? obj->header.time_ns : 0;
}

std::uint64_t Run::damage_count() const {
  std::uint64_t n = packs.size() + missing_chunks.size() + other.size();
  for (const auto& s : sets)
    if (!s.damage.empty() && (s.selected || s.missing || s.affected)) ++n;
  return n;
}

Error cancelled_error() { return Error{Errc::cancelled, "interrupted"}; }

bool is_damage(const Error& e) {
  switch (e.code) {
    case Errc::corrupt:
    case Errc::not_found:
    case Errc::bad_input:
    case Errc::unsupported_format:
      return true;
    default:
      return false;
  }
}

namespace {

struct Parsed {
  std::optional<DataSubset> subset;
  std::optional<std::int64_t> max_age;
};

Result<Parsed> check_options(const VerifyOptions& o) {
  if (o.all && !o.sets.empty()) return Error{Errc::usage, "give SET arguments or --all, not both"};
  if (o.drill_to && !o.drill) return Error{Errc::usage, "--to is for --drill"};
  if (o.drill_check && !o.drill) return Error{Errc::usage, "--check is for --drill"};
  Parsed p;
  if (o.read_data) {
    CAIRN_TRY_ASSIGN(p.subset, parse_subset(*o.read_data));
  }
  if (o.max_age) {
    CAIRN_TRY_ASSIGN(p.max_age, parse_age(*o.max_age));
  }
  return p;
}

// --max-age: the newest good set (committed in the catalog, not found damaged now) of each
// source must be younger than the limit. Returns the number of stale sources.
Result<std::uint64_t> check_freshness(Run& run, std::int64_t max_age) {
  std::set<hash::SetId> bad;
  for (const auto& s : run.sets)
    if (s.affected || !s.damage.empty()) bad.insert(s.id);
  std::set<std::string> sources;
  for (const auto& s : run.sets)
    if (s.rec && (run.o.sets.empty() || s.selected)) sources.insert(s.rec->source);
  if (sources.empty()) {
    CAIRN_TRY(run.report.stale("", std::nullopt, *run.o.max_age));
    return 1;
  }
  std::uint64_t stale = 0;
  const std::int64_t now = now_ns();
  for (const auto& src : sources) {
    CAIRN_TRY_ASSIGN(auto recs, run.ctx.cat->list_sets(src));
    // A set dated ahead of this clock (beyond the skew) is not counted, and a set's age runs
    // from when the catalog first saw it if that is earlier than the time its writer claims.
    std::optional<std::int64_t> newest;
    for (const auto& r : recs)
      if (r.status == catalog::SetStatus::committed && !bad.contains(r.id) && !catalog::from_the_future(r, now))
        newest = std::max(newest.value_or(catalog::age_base_ns(r)), catalog::age_base_ns(r));
    if (newest && now - *newest <= max_age) continue;
    ++stale;
    std::optional<std::int64_t> age;
    if (newest) age = now - *newest;
    CAIRN_TRY(run.report.stale(src, age, *run.o.max_age));
  }
  return stale;
}

// One record per checked set and one for the repository as a whole; damaged sets are marked
// in the catalog, and sets marked damaged that a full --read-data found whole are restored.
Status record(Run& run, std::uint64_t duration_ms) {
  auto& cat = *run.ctx.cat;
  const auto kind = run.summary.read_data ? catalog::VerifyKind::read_data : catalog::VerifyKind::structure;
  const std::string scope =
      run.summary.read_data && !run.read_all_data ? fmt::format(" (read-data {})", *run.o.read_data) : "";
  CAIRN_TRY_ASSIGN(auto tx, cat.begin());
  for (const auto& s : run.sets) {
    if (!s.selected || !s.rec) continue;
    const bool ok = s.damage.empty() && !s.affected && s.detail.empty();
    catalog::VerifyRecord v{0, s.id, "", kind, run.started_ns, duration_ms, ok, (ok ? "ok" : s.detail) + scope, {}};
    CAIRN_TRY(cat.record_verify(v));
    if (!ok && s.rec->status == catalog::SetStatus::committed) {
      CAIRN_TRY(cat.set_status(s.id, catalog::SetStatus::damaged));
    } else if (ok && run.read_all_data && s.rec->status == catalog::SetStatus::damaged) {
      CAIRN_TRY(cat.set_status(s.id, catalog::SetStatus::committed));
    }
  }
  const auto& m = run.summary;
  catalog::VerifyRecord all{
      0,
      std::nullopt,
      "",
      kind,
      run.started_ns,
      duration_ms,
      m.damaged == 0,
      fmt::format("{} sets, {} packs checked, {} read ({} bytes): {} damaged, {} garbage{}", m.sets, m.packs_checked,
                  m.packs_read, m.bytes_read, m.damaged, m.garbage, scope),
      {}};
  CAIRN_TRY(cat.record_verify(all));
  return tx.commit();
}

Status report_findings(Run& run) {
  for (const auto& n : run.notes) CAIRN_TRY(run.report.note(n));
  for (const auto& w : run.warnings) CAIRN_TRY(run.report.warning(w));
  return report_damage(run);
}

Status check_repository(Run& run, const Parsed& p) {
  if (!run.ctx.repo->keys().can_read())
    return Error{Errc::auth, "this key is write-only: verifying needs a key that can read the repository"};
  CAIRN_TRY(scan_storage(run));
  CAIRN_TRY(load_sets(run));
  check_chain(run);
  CAIRN_TRY(check_sets(run));
  count_garbage(run);
  if (p.subset) CAIRN_TRY(read_data(run, *p.subset));
  return report_findings(run);
}

}  // namespace

}  // namespace verify_detail

Result<Outcome> verify(const VerifyOptions& o, io::Writer& out, Observer& obs, const CancelToken& cancel) {
  using namespace verify_detail;
  CAIRN_TRY_ASSIGN(const Parsed p, check_options(o));
  const auto t0 = std::chrono::steady_clock::now();
  verify_detail::Report report(out, o.json);
  Context ctx;
  std::optional<std::vector<hash::SetId>> listed;
  if (o.from) {  // a destination alone (verify_from.cpp)
    CAIRN_TRY_ASSIGN(ctx, open_destination(o, report));
  } else {
    listed = list_sets_early(o.repo.repo);
    auto opened = open_repo(o.repo);
    if (!opened) {
      // The config, the key slot that opened and every index file are authenticated at open.
      if (opened.error().code == Errc::corrupt) {
        CAIRN_TRY(report.object("damaged", "repository", o.repo.repo.string(), opened.error().message));
        CAIRN_TRY(report.flush());
      }
      return std::move(opened).error();
    }
    ctx.repo = std::move(*opened);
    CAIRN_TRY_ASSIGN(auto cat_file, catalog::locate(o.repo.catalog, ctx.repo_id_hex()));
    CAIRN_TRY_ASSIGN(auto cat, catalog::Catalog::open(cat_file, ctx.repo_id_hex()));
    ctx.cat = std::make_shared<catalog::Catalog>(std::move(cat));
    if (o.repo.run) CAIRN_TRY(o.repo.run->begin(ctx.cat));
  }
  Run run{o, ctx, report, obs, cancel};
  run.started_ns = now_ns();
  run.listed_sets = std::move(listed);
  CAIRN_TRY(check_repository(run, p));

  std::uint64_t failed_drills = 0, stale = 0;
  if (o.drill) {
    CAIRN_TRY_ASSIGN(failed_drills, run_drills(run));
  }
  if (p.max_age) {
    CAIRN_TRY_ASSIGN(stale, check_freshness(run, *p.max_age));
  }

  run.summary.damaged = run.damage_count() + failed_drills;
  run.summary.warnings = run.warnings.size();
  CAIRN_TRY(report.summary(run.summary));
  CAIRN_TRY(report.flush());
  const auto ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  if (Status st = o.from ? record_destination(run, ms) : record(run, ms); !st) obs.warning("catalog", st.error());

  if (run.summary.damaged > 0)
    return Error{Errc::corrupt, fmt::format("damage found: {} damaged or missing objects or failed drills (listed on "
                                            "standard output)",
                                            run.summary.damaged)};
  if (stale > 0)
    return Error{Errc::objective,
                 fmt::format("{} {} older than {}", stale, stale == 1 ? "source is" : "sources are", *o.max_age)};
  return Outcome{static_cast<int>(run.warnings.size()), {}, 0};
}

}  // namespace cairn::ops
