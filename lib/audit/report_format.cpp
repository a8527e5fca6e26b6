// The rendering of the cairn.report/1 document (see report_format.hpp).
#include "audit/report_format.hpp"

#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/text.hpp"

namespace cairn::audit {
namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

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

}  // namespace cairn::audit
