#include "ops/report.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

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

// --- rendering ---

std::string text_of(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_array()) {
    std::vector<std::string> parts;
    for (const auto& x : v) parts.push_back(text_of(x));
    return fmt::to_string(fmt::join(parts, " "));
  }
  return v.dump();
}

// v at "a/b" (object keys), null when a step is missing or null.
const Json& at_path(const Json& v, std::string_view path) {
  static const Json null;
  const Json* cur = &v;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string key(path.substr(0, slash));
    if (!cur->is_object() || !cur->contains(key)) return null;
    cur = &(*cur)[key];
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return *cur;
}

struct Column {
  std::string_view name, path;
};

// The columns of each --csv table: a name and where its value is in a row of the document.
const std::vector<Column>& columns_of(std::string_view table) {
  static const std::map<std::string_view, std::vector<Column>> cols = {
      {"classes",
       {{"class", "name"},
        {"in_policy", "in_policy"},
        {"retention", "retention/rule"},
        {"keep_last", "retention/keep_last"},
        {"keep_hourly", "retention/keep_hourly"},
        {"keep_daily", "retention/keep_daily"},
        {"keep_weekly", "retention/keep_weekly"},
        {"keep_monthly", "retention/keep_monthly"},
        {"keep_yearly", "retention/keep_yearly"},
        {"keep_within", "retention/keep_within"},
        {"keep_tagged", "retention/keep_tagged"},
        {"immutable_days", "immutable_days"},
        {"min_copies", "min_copies"},
        {"destinations", "destinations"},
        {"rpo", "rpo"},
        {"rto", "rto"},
        {"verify_every", "verify_every"},
        {"sets", "sets"},
        {"damaged", "damaged"},
        {"held", "held"},
        {"fewest_copies", "fewest_copies"},
        {"below_min_copies", "below_min_copies"}}},
      {"placements",
       {{"class", "class"},
        {"destination", "destination"},
        {"in_policy", "in_policy"},
        {"sets", "sets"},
        {"last_pushed", "last_pushed"},
        {"last_verified", "last_verified"}}},
      {"key-slots",
       {{"slot", "slot"},
        {"current", "current"},
        {"kdf", "kdf"},
        {"kdf_ops", "kdf_ops"},
        {"kdf_mem_bytes", "kdf_mem_bytes"},
        {"error", "error"}}},
      {"generations",
       {{"generation", "generation"},
        {"public_key", "public_key"},
        {"since", "since"},
        {"record", "record"},
        {"readable", "readable"},
        {"new_data", "new_data"},
        {"packs", "packs"},
        {"sets", "sets"}}},
      {"checks",
       {{"source", "source"},
        {"classes", "classes"},
        {"sets", "sets"},
        {"newest_set", "newest_set"},
        {"verify_time", "last_verify/time"},
        {"verify_kind", "last_verify/kind"},
        {"verify_target", "last_verify/target"},
        {"verify_set", "last_verify/set"},
        {"verify_ok", "last_verify/ok"},
        {"verify_detail", "last_verify/detail"},
        {"drill_time", "last_drill/time"},
        {"drill_target", "last_drill/target"},
        {"drill_set", "last_drill/set"},
        {"drill_ok", "last_drill/ok"},
        {"drill_restore_ms", "last_drill/restore_ms"},
        {"drill_detail", "last_drill/detail"}}},
      {"holds",
       {{"set", "set"},
        {"source", "source"},
        {"class", "class"},
        {"started", "started"},
        {"status", "status"},
        {"reason", "reason"},
        {"held_at", "held_at"},
        {"held_by", "held_by"},
        {"held_on", "held_on"}}},
      {"audit",
       {{"id", "id"},
        {"time", "time"},
        {"user", "user"},
        {"host", "host"},
        {"action", "action"},
        {"ok", "ok"},
        {"command", "command"},
        {"outcome", "outcome"}}},
  };
  return cols.at(table);
}

// The rows of a --csv table.
Json rows_of(const Json& doc, std::string_view table) {
  if (table == "classes") return doc["classes"];
  if (table == "placements") {
    Json rows = Json::array();
    for (const auto& c : doc["classes"])
      for (auto p : c["placements"]) {
        p["class"] = c["name"];
        rows.push_back(std::move(p));
      }
    return rows;
  }
  if (table == "key-slots") return doc["encryption"]["key_slots"];
  if (table == "generations") return doc["encryption"]["generations"];
  if (table == "checks") return doc["sources"];
  return doc[std::string(table)];  // holds, audit
}

std::string format_csv(const Json& doc, std::string_view table) {
  const auto& cols = columns_of(table);
  std::vector<std::string> fields;
  for (const auto& c : cols) fields.emplace_back(c.name);
  std::string out = csv_record(fields);
  for (const auto& row : rows_of(doc, table)) {
    fields.clear();
    for (const auto& c : cols) fields.push_back(text_of(at_path(row, c.path)));
    out += csv_record(fields);
  }
  return out;
}

std::string or_dash(const Json& v) {
  const std::string t = text_of(v);
  return t.empty() ? "-" : t;
}

std::string result_of(const Json& v) {
  if (v.is_null()) return "never";
  std::string s = fmt::format("{} {} {}", v["time"].get<std::string>(),
                              v["kind"].get<std::string>(), v["ok"].get<bool>() ? "ok" : "FAILED");
  if (!v["target"].is_null()) s += " at " + v["target"].get<std::string>();
  if (!v["restore_ms"].is_null()) s += fmt::format(", restored in {} ms", v["restore_ms"].dump());
  return s;
}

// "1 set", "3 sets".
std::string sets_word(const Json& n) {
  return fmt::format("{} set{}", n.dump(), n.get<std::uint64_t>() == 1 ? "" : "s");
}

std::string format_text(const Json& d) {
  std::string t;
  const auto& repo = d["repository"];
  t += fmt::format("cairn report of repository {}\n", repo["id"].get<std::string>());
  t += fmt::format("  location   {}\n  catalog    {}\n  policy     {}\n  generated  {}\n",
                   text_of(repo["location"]), text_of(repo["catalog"]),
                   d["policy"].is_null() ? "none" : text_of(d["policy"]), text_of(d["generated"]));
  t += fmt::format("  checked    {}\n", result_of(repo["last_verify"]));

  const auto& e = d["encryption"];
  t += fmt::format(
      "\nENCRYPTION\n  {} per object; data keys sealed with {}; sets and records signed with "
      "{}; chunk ids {}\n",
      text_of(e["cipher"]), text_of(e["key_agreement"]), text_of(e["signatures"]),
      text_of(e["chunk_hash"]));
  t += fmt::format("  {:<34} {:<9} {:>4} {:>10}\n", "SLOT (* opened this report)", "KDF", "OPS",
                   "MEMORY");
  for (const auto& s : e["key_slots"]) {
    const std::string mem = s["kdf_mem_bytes"].is_null()
                                ? "-"
                                : format_bytes(s["kdf_mem_bytes"].get<std::uint64_t>(), "");
    t += fmt::format("  {:<34} {:<9} {:>4} {:>10}{}\n",
                     text_of(s["slot"]) + (s["current"].get<bool>() ? " *" : ""), or_dash(s["kdf"]),
                     or_dash(s["kdf_ops"]), mem,
                     s["error"].is_null() ? "" : "  " + text_of(s["error"]));
  }
  t += fmt::format("  {:<3} {:<16} {:<20} {:>6} {:>6} {}\n", "GEN", "PUBLIC-KEY", "SINCE", "PACKS",
                   "SETS", "RECORD");
  for (const auto& g : e["generations"])
    t += fmt::format("  {:<3} {:<16} {:<20} {:>6} {:>6} {}{}{}\n", g["generation"].dump(),
                     text_of(g["public_key"]).substr(0, 16), or_dash(g["since"]),
                     or_dash(g["packs"]), or_dash(g["sets"]), text_of(g["record"]),
                     g["readable"].get<bool>() ? "" : " unreadable",
                     g["new_data"].get<bool>() ? " (new data)" : "");
  for (const auto& r : e["refused_rotation_records"])
    t += fmt::format("  refused {}: {}\n", text_of(r["record"]), text_of(r["why"]));

  t += "\nCLASSES\n";
  for (const auto& c : d["classes"]) {
    t += fmt::format("  class {}{}\n", text_of(c["name"]),
                     c["in_policy"].get<bool>() ? "" : " (not in the policy)");
    t += fmt::format("    retention     {}\n",
                     c["retention"].is_null() ? "-" : text_of(c["retention"]["rule"]));
    t += fmt::format("    immutable     {}\n",
                     c["immutable_days"].is_null()
                         ? std::string("no")
                         : fmt::format("{} days", c["immutable_days"].dump()));
    t += fmt::format("    copies        at least {}; fewest now {}; {} below the minimum\n",
                     or_dash(c["min_copies"]), or_dash(c["fewest_copies"]),
                     sets_word(c["below_min_copies"]));
    t += fmt::format("    objectives    rpo {}, rto {}, verify every {}\n", or_dash(c["rpo"]),
                     or_dash(c["rto"]), or_dash(c["verify_every"]));
    t += fmt::format("    sets          {} ({} held, {} damaged)\n", c["sets"].dump(),
                     c["held"].dump(), c["damaged"].dump());
    for (const auto& p : c["placements"])
      t += fmt::format("    placement     {}: {}, last pushed {}{}\n", text_of(p["destination"]),
                       sets_word(p["sets"]), or_dash(p["last_pushed"]),
                       p["in_policy"].get<bool>() ? "" : " (not a policy destination)");
  }

  t += "\nCHECKS\n";
  for (const auto& s : d["sources"]) {
    t += fmt::format("  source {} ({}; {})\n", text_of(s["source"]), sets_word(s["sets"]),
                     text_of(s["classes"]));
    t += fmt::format("    last verify   {}\n", result_of(s["last_verify"]));
    t += fmt::format("    last drill    {}\n", result_of(s["last_drill"]));
  }

  t += "\nHOLDS\n";
  if (d["holds"].empty()) t += "  none\n";
  for (const auto& h : d["holds"])
    t += fmt::format("  {} {} {} held {} by {}@{}: {}\n", text_of(h["set"]).substr(0, 12),
                     text_of(h["source"]), text_of(h["class"]), or_dash(h["held_at"]),
                     or_dash(h["held_by"]), or_dash(h["held_on"]), text_of(h["reason"]));

  t += fmt::format("\nAUDIT TRAIL ({})\n",
                   d["since"].is_null() ? "everything" : "since " + text_of(d["since"]));
  t += fmt::format("  {:<20} {:<12} {:<16} {:<8} {:<7} {}\n", "TIME", "USER", "HOST", "ACTION",
                   "OUTCOME", "COMMAND");
  for (const auto& a : d["audit"]) {
    const bool ok = a["ok"].get<bool>();
    const std::string outcome = text_of(a["outcome"]);
    t += fmt::format("  {:<20} {:<12} {:<16} {:<8} {:<7} {}{}\n", text_of(a["time"]),
                     text_of(a["user"]), text_of(a["host"]), text_of(a["action"]),
                     ok ? "ok" : "failed", text_of(a["command"]),
                     outcome == "ok" ? "" : " (" + outcome + ")");
  }
  return t;
}

}  // namespace

namespace {

// A field a spreadsheet would take for a formula (=, +, -, @, a tab or a carriage return
// first), unless it is a plain number: an audit trail's command holds paths and names a
// local user chose, and "=HYPERLINK(...)" must stay text when an auditor opens the file.
bool formula_like(std::string_view f) {
  if (f.empty() || std::string_view("=+-@\t\r").find(f.front()) == std::string_view::npos)
    return false;
  const std::string_view rest = f.substr(1);
  const bool number = (f.front() == '-' || f.front() == '+') && !rest.empty() &&
                      rest.find_first_not_of("0123456789.") == std::string_view::npos;
  return !number;
}

}  // namespace

std::string csv_record(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    const std::string f = formula_like(fields[i]) ? "'" + fields[i] : fields[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out += f;
      continue;
    }
    out += '"';
    for (const char ch : f) {
      if (ch == '"') out += '"';
      out += ch;
    }
    out += '"';
  }
  return out + "\r\n";
}

Result<Outcome> report(const ReportOptions& o, io::Writer& out, Observer& obs) {
  if (o.csv && std::find(std::begin(kReportTables), std::end(kReportTables), *o.csv) ==
                   std::end(kReportTables))
    return Error{Errc::usage, fmt::format("--csv '{}' is not a table of the report: give one of {}",
                                          *o.csv, fmt::join(kReportTables, ", "))};
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
    text = format_csv(d, *o.csv);
  else if (o.json)
    text = d.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  else
    text = format_text(d);
  CAIRN_TRY(out.write(as_bytes(text)));
  CAIRN_TRY(out.flush());
  return Outcome{};
}

}  // namespace cairn::ops
