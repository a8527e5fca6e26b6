#include "ops/report.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "audit/report_format.hpp"
#include "backend/remote.hpp"
#include "base/text.hpp"
#include "base/time.hpp"
#include "crypto/keys.hpp"
#include "ops/browse.hpp"
#include "ops/hold.hpp"
#include "ops/key_rotation.hpp"
#include "policy/policy.hpp"

namespace cairn::ops {
namespace {

using Json = nlohmann::ordered_json;
using catalog::SetStatus;

constexpr std::string_view kSchema = "cairn.report/1";

template <typename T>
Json or_null(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}
Json time_or_null(const std::optional<std::int64_t>& ns) {
  return ns ? Json(format_time(*ns)) : Json(nullptr);
}
Json duration_or_null(const std::optional<std::int64_t>& ns) {
  return ns ? Json(format_duration(*ns)) : Json(nullptr);
}

// "keep-last 7, keep-daily 14, keep-within 30d, keep-tagged audit" as the policy writes it.
std::string retention_rule(const policy::Class& c) {
  std::vector<std::string> parts;
  const std::pair<const char*, const std::optional<std::uint32_t>*> counts[] = {
      {"keep-last", &c.keep_last},       {"keep-hourly", &c.keep_hourly},
      {"keep-daily", &c.keep_daily},     {"keep-weekly", &c.keep_weekly},
      {"keep-monthly", &c.keep_monthly}, {"keep-yearly", &c.keep_yearly}};
  for (const auto& [name, v] : counts)
    if (*v && **v > 0) parts.push_back(fmt::format("{} {}", name, **v));
  if (c.keep_within_ns) parts.push_back("keep-within " + format_duration(*c.keep_within_ns));
  if (!c.keep_tagged.empty())
    parts.push_back(fmt::format("keep-tagged {}", fmt::join(c.keep_tagged, " ")));
  if (!c.has_retention_rules()) parts.insert(parts.begin(), "no keep rule: every set is kept");
  if (c.incremental_chains) parts.push_back("incremental-chains");
  return fmt::to_string(fmt::join(parts, ", "));
}

Json retention_json(const policy::Class* c) {
  if (!c) return nullptr;
  return Json{{"rule", retention_rule(*c)},
              {"keep_last", or_null(c->keep_last)},
              {"keep_hourly", or_null(c->keep_hourly)},
              {"keep_daily", or_null(c->keep_daily)},
              {"keep_weekly", or_null(c->keep_weekly)},
              {"keep_monthly", or_null(c->keep_monthly)},
              {"keep_yearly", or_null(c->keep_yearly)},
              {"keep_within", duration_or_null(c->keep_within_ns)},
              {"keep_tagged", c->keep_tagged},
              {"incremental_chains", c->incremental_chains}};
}

Json verify_json(const catalog::VerifyRecord& v) {
  return Json{{"time", format_time(v.started_ns)},
              {"kind", catalog::to_string(v.kind)},
              {"set", v.set_id ? Json(v.set_id->hex()) : Json(nullptr)},
              {"target", v.target.empty() ? Json(nullptr) : Json(v.target)},
              {"ok", v.ok},
              {"duration_ms", v.duration_ms},
              {"restore_ms", or_null(v.restore_ms)},
              {"detail", v.detail}};
}

// The audit row's verb: "cairn-restore ..." is restore, "cairn key rotate ..." key.
std::string audit_action(std::string_view command) {
  const auto word = [&](std::size_t at) {
    const auto end = command.find(' ', at);
    return std::string(command.substr(at, end == std::string_view::npos ? end : end - at));
  };
  const std::string first = word(0);
  if (first.starts_with("cairn-")) return first.substr(6);
  if (first == "cairn" && command.size() > 6) return word(6);
  return first;
}

struct Gathered {
  std::vector<catalog::SetRecord> sets;  // every set, oldest first
  std::map<hash::SetId, std::vector<catalog::PlacementRecord>> placements;  // kept sets only
};

// One destination of a class: how many of its kept sets are there, and when they last went.
struct Placed {
  bool in_policy = false;
  std::uint64_t sets = 0;
  std::optional<std::int64_t> last_pushed, last_verified;
};

Json classes_json(const Gathered& g, const policy::Policy* pol) {
  std::set<std::string> names;
  if (pol)
    for (const auto& [name, c] : pol->classes) names.insert(name);
  for (const auto& s : g.sets)
    if (s.status != SetStatus::pruned) names.insert(s.retention_class);
  Json out = Json::array();
  for (const auto& name : names) {
    const policy::Class* c = pol ? pol->find(name) : nullptr;
    std::uint64_t sets = 0, damaged = 0, held = 0, below = 0;
    std::optional<std::uint64_t> fewest;
    std::map<std::string, Placed> where;
    if (c)
      for (const auto& d : c->destinations) where[backend::canonical_name(d)].in_policy = true;
    for (const auto& s : g.sets) {
      if (s.retention_class != name || s.status == SetStatus::pruned) continue;
      ++sets;
      damaged += s.status == SetStatus::damaged;
      held += s.legal_hold;
      const auto& ps = g.placements.at(s.id);
      const std::uint64_t copies = 1 + ps.size();  // the local repository counts as one
      fewest = std::min(fewest.value_or(copies), copies);
      if (c && c->min_copies && copies < *c->min_copies) ++below;
      for (const auto& p : ps) {
        auto& w = where[p.destination];
        ++w.sets;
        if (p.pushed_at_ns) w.last_pushed = std::max(w.last_pushed.value_or(0), *p.pushed_at_ns);
        if (p.verified_at_ns)
          w.last_verified = std::max(w.last_verified.value_or(0), *p.verified_at_ns);
      }
    }
    Json placements = Json::array();
    for (const auto& [dest, w] : where)
      placements.push_back(Json{{"destination", dest},
                                {"in_policy", w.in_policy},
                                {"sets", w.sets},
                                {"last_pushed", time_or_null(w.last_pushed)},
                                {"last_verified", time_or_null(w.last_verified)}});
    Json j{{"name", name}, {"in_policy", c != nullptr}, {"retention", retention_json(c)}};
    j["immutable_days"] = c ? or_null(c->immutable_days) : Json(nullptr);
    j["min_copies"] = c ? or_null(c->min_copies) : Json(nullptr);
    j["destinations"] = c ? Json(c->destinations) : Json::array();
    j["rpo"] = c ? duration_or_null(c->rpo_ns) : Json(nullptr);
    j["rto"] = c ? duration_or_null(c->rto_ns) : Json(nullptr);
    j["verify_every"] = c ? duration_or_null(c->verify_every_ns) : Json(nullptr);
    j["sets"] = sets;
    j["damaged"] = damaged;
    j["held"] = held;
    j["fewest_copies"] = or_null(fewest);
    j["below_min_copies"] = below;
    j["placements"] = std::move(placements);
    out.push_back(std::move(j));
  }
  return out;
}

// Per source: its classes, kept sets, the newest verification (any kind, any target) and the
// newest drill, whatever their results.
Json sources_json(const Gathered& g, const std::vector<catalog::VerifyRecord>& verifies) {
  std::map<hash::SetId, const catalog::SetRecord*> by_id;
  for (const auto& s : g.sets) by_id[s.id] = &s;
  struct Facts {
    std::set<std::string> classes;
    std::uint64_t sets = 0;
    std::optional<std::int64_t> newest;
    const catalog::VerifyRecord *verify = nullptr, *drill = nullptr;
  };
  std::map<std::string, Facts> sources;
  for (const auto& s : g.sets) {
    auto& f = sources[s.source];
    if (s.status == SetStatus::pruned) continue;
    f.classes.insert(s.retention_class);
    ++f.sets;
    f.newest = std::max(f.newest.value_or(s.started_ns), s.started_ns);
  }
  const auto newer = [](const catalog::VerifyRecord* a, const catalog::VerifyRecord& b) {
    return !a || std::tie(b.started_ns, b.id) > std::tie(a->started_ns, a->id);
  };
  for (const auto& v : verifies) {
    if (!v.set_id) continue;
    auto it = by_id.find(*v.set_id);
    if (it == by_id.end()) continue;
    auto& f = sources[it->second->source];
    if (newer(f.verify, v)) f.verify = &v;
    if (v.kind == catalog::VerifyKind::drill && newer(f.drill, v)) f.drill = &v;
  }
  Json out = Json::array();
  for (const auto& [source, f] : sources)
    out.push_back(Json{{"source", source},
                       {"classes", f.classes},
                       {"sets", f.sets},
                       {"newest_set", time_or_null(f.newest)},
                       {"last_verify", f.verify ? verify_json(*f.verify) : Json(nullptr)},
                       {"last_drill", f.drill ? verify_json(*f.drill) : Json(nullptr)}});
  return out;
}

Result<Json> encryption_json(repo::Repository& r, Observer& obs) {
  Json slots = Json::array();
  CAIRN_TRY_ASSIGN(auto names, r.list_keys());
  for (const auto& name : names) {
    Json s{{"slot", name}, {"current", name == r.current_slot()}};
    auto bytes = r.read_object(backend::Key::slot(name));
    auto head = bytes ? crypto::parse_slot_header(*bytes, "keys/" + name)
                      : Result<crypto::SlotHeader>(std::move(bytes).error());
    if (head) {
      s["kdf"] = "Argon2id";
      s["kdf_ops"] = head->kdf.ops;
      s["kdf_mem_bytes"] = head->kdf.mem;
      s["error"] = nullptr;
    } else {
      obs.warning("keys/" + name, head.error());
      s["kdf"] = s["kdf_ops"] = s["kdf_mem_bytes"] = nullptr;
      s["error"] = head.error().message;
    }
    slots.push_back(std::move(s));
  }
  CAIRN_TRY_ASSIGN(const GenerationCounts counts, count_generations(r));
  const auto& gens = r.generations();
  Json generations = Json::array();
  for (std::size_t g = 0; g < gens.size(); ++g) {
    const auto& k = gens[g];
    const bool counted = counts.counted && k.readable;
    generations.push_back(Json{{"generation", g},
                               {"public_key", to_hex(k.pk)},
                               {"since", k.time_ns ? Json(format_time(k.time_ns)) : Json(nullptr)},
                               {"record", k.record.empty() ? "config" : k.record},
                               {"readable", k.readable},
                               {"new_data", g + 1 == gens.size()},
                               {"packs", counted ? Json(counts.packs[g]) : Json(nullptr)},
                               {"sets", counted ? Json(counts.sets[g]) : Json(nullptr)}});
  }
  Json refused = Json::array();
  for (const auto& [name, why] : r.rotation_problems())
    refused.push_back(Json{{"record", name}, {"why", why.message}});
  return Json{{"cipher", "XChaCha20-Poly1305"},
              {"key_agreement", "X25519"},
              {"signatures", "Ed25519"},
              {"chunk_hash", hash::algo_name(r.config().chunk_hash)},
              {"key_slots", std::move(slots)},
              {"generations", std::move(generations)},
              {"unsealed_packs", counts.counted ? Json(counts.unknown_packs) : Json(nullptr)},
              {"unsealed_sets", counts.counted ? Json(counts.unknown_sets) : Json(nullptr)},
              {"refused_rotation_records", std::move(refused)}};
}

// The sets under legal hold now, with the newest hold record of each (who, where, when); a
// write-only key reads no hold records: those stay null.
Result<Json> holds_json(const Gathered& g, repo::Repository& r, Observer& obs) {
  std::map<hash::SetId, repo::HoldRecord> newest;
  if (r.keys().can_read()) {
    CAIRN_TRY_ASSIGN(auto records, readable_holds(r, obs, nullptr));
    for (auto& h : records)
      if (h.hold) newest[h.set] = std::move(h);  // oldest first: the last one wins
  }
  Json out = Json::array();
  for (const auto& s : g.sets) {
    if (!s.legal_hold || s.status == SetStatus::pruned) continue;
    auto it = newest.find(s.id);
    const repo::HoldRecord* h = it == newest.end() ? nullptr : &it->second;
    out.push_back(Json{{"set", s.id.hex()},
                       {"source", s.source},
                       {"class", s.retention_class},
                       {"started", format_time(s.started_ns)},
                       {"status", catalog::to_string(s.status)},
                       {"reason", s.hold_reason},
                       {"held_at", h && h->time_ns ? Json(format_time(h->time_ns)) : Json(nullptr)},
                       {"held_by", h ? Json(h->user) : Json(nullptr)},
                       {"held_on", h ? Json(h->host) : Json(nullptr)}});
  }
  return out;
}

Json audit_json(const std::vector<catalog::AuditRecord>& rows, std::int64_t since) {
  Json out = Json::array();
  for (const auto& a : rows) {
    if (a.at_ns < since) continue;
    out.push_back(Json{{"id", a.id},
                       {"time", format_time(a.at_ns)},
                       {"user", a.user},
                       {"host", a.host},
                       {"action", audit_action(a.command)},
                       {"ok", a.outcome == "ok" || a.outcome.starts_with("ok:")},
                       {"command", a.command},
                       {"outcome", a.outcome}});
  }
  return out;
}

}  // namespace

Result<Outcome> report(const ReportOptions& o, io::Writer& out, Observer& obs) {
  if (o.csv && std::find(std::begin(audit::kReportTables), std::end(audit::kReportTables),
                         *o.csv) == std::end(audit::kReportTables))
    return Error{Errc::usage, fmt::format("--csv '{}' is not a table of the report: give one of {}",
                                          *o.csv, fmt::join(audit::kReportTables, ", "))};
  const std::int64_t now = o.now_ns.value_or(now_ns());
  std::optional<std::int64_t> since;
  if (o.since) {
    CAIRN_TRY_ASSIGN(since, parse_since(*o.since, now));
  }
  // The policy first: a broken or missing named policy fails before anything is read.
  CAIRN_TRY_ASSIGN(std::optional<policy::Policy> pol, policy::load_optional(o.policy));
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo, &obs));
  catalog::Catalog& cat = *ctx.cat;

  Gathered g;
  CAIRN_TRY_ASSIGN(g.sets, cat.list_sets());
  for (const auto& s : g.sets)
    if (s.status != SetStatus::pruned) {
      CAIRN_TRY_ASSIGN(g.placements[s.id], cat.placements_of(s.id));
    }
  CAIRN_TRY_ASSIGN(const auto verifies, cat.verifies());
  const catalog::VerifyRecord* whole = nullptr;  // the newest check of the repository itself
  for (const auto& v : verifies)
    if (!v.set_id && v.target.empty() &&
        (!whole || std::tie(v.started_ns, v.id) > std::tie(whole->started_ns, whole->id)))
      whole = &v;
  CAIRN_TRY_ASSIGN(const auto audit_rows, cat.audit_log(0));

  Json d{{"schema", kSchema},
         {"generated", format_time(now)},
         {"since", time_or_null(since)},
         {"policy", pol ? Json(policy::locate(o.policy).string()) : Json(nullptr)}};
  d["repository"] = Json{{"id", ctx.repo_id_hex()},
                         {"location", std::filesystem::absolute(o.repo.repo).string()},
                         {"catalog", cat.file().string()},
                         {"format", ctx.repo->config().version},
                         {"last_verify", whole ? verify_json(*whole) : Json(nullptr)}};
  CAIRN_TRY_ASSIGN(d["encryption"], encryption_json(*ctx.repo, obs));
  d["classes"] = classes_json(g, pol ? &*pol : nullptr);
  d["sources"] = sources_json(g, verifies);
  CAIRN_TRY_ASSIGN(d["holds"], holds_json(g, *ctx.repo, obs));
  d["audit"] = audit_json(audit_rows, since.value_or(INT64_MIN));

  std::string text;
  if (o.csv)
    text = audit::format_csv(d, *o.csv);
  else if (o.json)
    text = d.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  else
    text = audit::format_text(d);
  CAIRN_TRY(out.write(as_bytes(text)));
  CAIRN_TRY(out.flush());
  return Outcome{};
}

}  // namespace cairn::ops
