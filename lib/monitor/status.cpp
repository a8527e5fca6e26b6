#include "monitor/status.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "backend/remote.hpp"
#include "base/bytes.hpp"
#include "base/text.hpp"
#include "base/time.hpp"

namespace cairn::monitor {
namespace {

using Json = nlohmann::ordered_json;
constexpr std::int64_t kSecond = 1'000'000'000;

double seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

// Control characters would break a table line; the JSON output keeps names exact.
std::string shown(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  return out;
}

std::string group_name(const StatusFacts& f) {
  return fmt::format("'{}' ({})", f.source, f.retention_class);
}

std::string restore_time(std::uint64_t ms) {
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000);
  return format_duration_short(static_cast<std::int64_t>(ms) * 1'000'000);
}

ObjectiveResult rpo(const StatusLine& l) {
  ObjectiveResult r{Objective::rpo, ObjectiveState::unset, {}};
  if (!l.rpo_ns) return r;
  r.state = ObjectiveState::violated;
  if (!l.age_ns) {
    r.detail = l.facts.sets > 0 ? "no good set (every set is damaged)" : "no set yet";
  } else if (*l.age_ns > *l.rpo_ns) {
    r.detail = fmt::format("newest good set is {} old, rpo {}", format_duration_short(*l.age_ns),
                           format_duration(*l.rpo_ns));
  } else {
    r.state = ObjectiveState::ok;
  }
  return r;
}

ObjectiveResult rto(const StatusLine& l, std::int64_t now_ns) {
  ObjectiveResult r{Objective::rto, ObjectiveState::unset, {}};
  if (!l.rto_ns) return r;
  const auto& d = l.facts.last_drill;
  if (!d) {
    r.state = ObjectiveState::unknown;
    r.detail = "no restore drill yet";
    if (l.verify_every_ns && l.facts.first_ns && now_ns - *l.facts.first_ns > *l.verify_every_ns) {
      r.state = ObjectiveState::violated;
      r.detail = fmt::format("no restore drill, and the first set is {} old, verify-every {}",
                             format_duration_short(now_ns - *l.facts.first_ns),
                             format_duration(*l.verify_every_ns));
    }
    return r;
  }
  if (!d->ok || !d->restore_ms) {
    r.state = ObjectiveState::violated;
    r.detail = fmt::format("the last restore drill ({}) failed: {}", format_time(d->started_ns),
                           d->detail);
    return r;
  }
  if (static_cast<std::int64_t>(*d->restore_ms) * 1'000'000 > *l.rto_ns) {
    r.state = ObjectiveState::violated;
    r.detail = fmt::format("the last restore drill took {}, rto {}", restore_time(*d->restore_ms),
                           format_duration(*l.rto_ns));
    return r;
  }
  r.state = ObjectiveState::ok;
  return r;
}

ObjectiveResult verify_cadence(const StatusLine& l, std::int64_t now_ns) {
  ObjectiveResult r{Objective::verify, ObjectiveState::unset, {}};
  if (!l.verify_every_ns) return r;
  const std::string every = format_duration(*l.verify_every_ns);
  r.state = ObjectiveState::ok;
  if (l.facts.last_verify) {
    const std::int64_t age = now_ns - l.facts.last_verify->started_ns;
    if (age > *l.verify_every_ns) {
      r.state = ObjectiveState::violated;
      r.detail = fmt::format("last successful verification {} ago, verify-every {}",
                             format_duration_short(age), every);
    }
  } else if (!l.facts.first_ns) {
    r.state = ObjectiveState::unknown;
    r.detail = "no set yet";
  } else if (now_ns - *l.facts.first_ns > *l.verify_every_ns) {
    r.state = ObjectiveState::violated;
    r.detail = fmt::format("never verified, and the first set is {} old, verify-every {}",
                           format_duration_short(now_ns - *l.facts.first_ns), every);
  }
  return r;
}

ObjectiveResult copies(const StatusLine& l) {
  ObjectiveResult r{Objective::copies, ObjectiveState::unset, {}};
  if (!l.min_copies || *l.min_copies == 0) return r;
  r.state = l.copies >= *l.min_copies ? ObjectiveState::ok : ObjectiveState::violated;
  if (r.state == ObjectiveState::violated) {
    if (!l.facts.last_good) {
      r.detail = fmt::format("no good set, min-copies {}", *l.min_copies);
    } else {
      r.detail = fmt::format("the newest good set has {} {}, min-copies {}", l.copies,
                             l.copies == 1 ? "copy" : "copies", *l.min_copies);
      if (!l.missing_destinations.empty()) {
        std::string missing;
        for (const auto& d : l.missing_destinations) missing += (missing.empty() ? "" : ", ") + d;
        r.detail += fmt::format(" (not on {})", missing);
      }
    }
  }
  return r;
}

// The table's cells: "X/LIMIT" with "-" for what is unknown or unset.
std::string pair_cell(const std::optional<std::string>& value,
                      const std::optional<std::int64_t>& limit) {
  return fmt::format("{}/{}", value.value_or("-"), limit ? format_duration(*limit) : "-");
}

template <std::size_t N>
std::string violated_names(const std::array<ObjectiveResult, N>& objectives) {
  std::string bad;
  for (const auto& o : objectives)
    if (o.state == ObjectiveState::violated)
      bad += (bad.empty() ? "" : ",") + std::string(to_string(o.objective));
  return bad;
}

template <std::size_t N>
int count_violated(const std::array<ObjectiveResult, N>& objectives) {
  return static_cast<int>(
      std::count_if(objectives.begin(), objectives.end(),
                    [](const ObjectiveResult& o) { return o.state == ObjectiveState::violated; }));
}

std::string status_cell(const StatusLine& l, const StatusReport& r) {
  const std::string bad = violated_names(l.objectives);
  if (!bad.empty()) return "violated:" + bad;
  if (!r.policy_file) return "no-policy";
  if (!l.class_in_policy) return "no-class";
  return "ok";
}

std::string drill_cell(const catalog::VerifyRecord& d) {
  return d.ok && d.restore_ms ? restore_time(*d.restore_ms) : "failed";
}

std::string destination_name(const DestinationDrill& d) {
  return fmt::format("destination '{}'", d.destination);
}

std::vector<std::string> destination_row(const DestinationDrill& d, const StatusReport& r) {
  std::string set = "-";
  if (d.drill.set_id) {
    set = d.drill.set_id->hex().substr(0, 12);
    if (d.set) set = shown(d.set->source) + "@" + set;
  }
  std::string status = violated_names(d.objectives);
  if (!status.empty())
    status = "violated:" + status;
  else if (!r.policy_file)
    status = "no-policy";
  else if (!d.retention_class)
    status = "no-class";
  else
    status = "ok";
  return {shown(d.destination),
          d.retention_class ? shown(*d.retention_class) : "-",
          set,
          format_time(d.drill.started_ns),
          pair_cell(drill_cell(d.drill), d.rto_ns),
          pair_cell(
              format_duration_short(std::max<std::int64_t>(0, r.generated_ns - d.drill.started_ns)),
              d.verify_every_ns),
          status};
}

// Rows as columns two spaces apart, each as wide as its widest cell (the last not padded).
std::string columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i)
      line += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], width[i]) : row[i];
    out += line + "\n";
  }
  return out;
}

// A size for the table: for people (1.5MiB) unless `exact` (--bytes).
std::string size_cell(std::uint64_t n, bool exact) {
  return exact ? std::to_string(n) : format_bytes(n, "");
}
std::string rate_cell(const std::optional<double>& rate, bool exact) {
  return rate ? size_cell(static_cast<std::uint64_t>(std::llround(*rate)), exact) + "/s" : "-";
}

std::vector<std::string> table_row(const StatusLine& l, const StatusReport& r, bool exact) {
  const auto size = [exact](std::uint64_t n) { return size_cell(n, exact); };
  const auto& f = l.facts;
  std::optional<std::string> age, verified, drill;
  if (l.age_ns) age = format_duration_short(*l.age_ns);
  if (f.last_verify) verified = format_duration_short(r.generated_ns - f.last_verify->started_ns);
  if (f.last_drill) drill = drill_cell(*f.last_drill);
  return {shown(f.source),
          shown(f.retention_class),
          f.last_good ? format_time(f.last_good->started_ns) : "-",
          pair_cell(age, l.rpo_ns),
          l.success_rate ? fmt::format("{:.0f}%", std::floor(*l.success_rate * 100)) : "-",
          pair_cell(verified, l.verify_every_ns),
          pair_cell(drill, l.rto_ns),
          size(f.bytes_stored),
          l.dedup_ratio ? fmt::format("{:.1f}x", *l.dedup_ratio) : "-",
          size(static_cast<std::uint64_t>(std::llround(l.growth_per_day))),
          f.last_run && f.last_run->metrics.duration_ms
              ? restore_time(*f.last_run->metrics.duration_ms)
              : "-",
          rate_cell(l.throughput, exact),
          fmt::format("{}/{}", l.copies, l.min_copies ? std::to_string(*l.min_copies) : "-"),
          status_cell(l, r)};
}

std::string money(double v) { return fmt::format("{:.2f}", v); }

const CostLine* cost_of(const StatusReport& r, const StatusFacts& f) {
  if (!r.capacity) return nullptr;
  for (const auto& c : r.capacity->costs)
    if (c.source == f.source && c.retention_class == f.retention_class) return &c;
  return nullptr;
}

std::string full_in_cell(const CapacityLine& c) {
  if (c.full_in_ns) return *c.full_in_ns == 0 ? "full" : format_duration_short(*c.full_in_ns);
  return c.size ? "never" : "-";
}

// "filesystem", or with recorded figures "filesystem as of TIME" (and " (stale)").
std::string size_from_cell(const CapacityLine& c) {
  std::string out(to_string(c.size_from));
  if (c.measured_ns) out += " as of " + format_time(*c.measured_ns);
  if (c.stale) out += " (stale)";
  return out;
}

// The capacity table (and the cost table, with a price) of format_status_table.
std::string capacity_tables(const CapacityReport& cap, const StatusReport& r, bool exact) {
  const auto size = [exact](std::optional<std::uint64_t> n) -> std::string {
    if (!n) return "-";
    return exact ? std::to_string(*n) : format_bytes(*n, "");
  };
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"PLACE", "SIZE-FROM", "STORED", "USED", "SIZE", "USE", "GROWTH/DAY", "FULL-IN",
                  "COST/MONTH", "RESTORE", "STATUS"});
  for (const auto& c : cap.places)
    rows.push_back({shown(c.target), size_from_cell(c), size(c.stored), size(c.used), size(c.size),
                    c.used_ratio ? fmt::format("{:.0f}%", std::floor(*c.used_ratio * 100)) : "-",
                    size(static_cast<std::uint64_t>(std::llround(c.growth_per_day))),
                    full_in_cell(c), c.cost_monthly ? money(*c.cost_monthly) : "-",
                    c.restore_cost ? money(*c.restore_cost) : "-",
                    c.warnings.empty() ? "ok" : "warning"});
  std::string out = "\n" + columns(rows);
  if (!cap.priced) return out;
  std::vector<std::vector<std::string>> costs;
  costs.push_back({"SOURCE", "CLASS", "COST/MONTH"});
  for (const auto& l : r.lines) {
    const CostLine* c = cost_of(r, l.facts);
    costs.push_back(
        {shown(l.facts.source), shown(l.facts.retention_class), money(c ? c->monthly : 0)});
  }
  return out + "\n" + columns(costs);
}

Json opt_num(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }
Json opt_seconds(const std::optional<std::int64_t>& ns) {
  return ns ? Json(seconds(*ns)) : Json(nullptr);
}

template <std::size_t N>
Json objectives_json(const std::array<ObjectiveResult, N>& objectives) {
  Json obj = Json::object();
  for (const auto& o : objectives) {
    Json one = {{"state", to_string(o.state)}};
    if (!o.detail.empty()) one["detail"] = o.detail;
    obj[std::string(to_string(o.objective))] = one;
  }
  return obj;
}

Json status_json(const StatusLine& l, const StatusReport& r) {
  const auto& f = l.facts;
  Json j;
  j["schema"] = "cairn.status/1";
  j["source"] = f.source;
  j["class"] = f.retention_class;
  j["policy"] = r.policy_file ? Json(r.policy_file->string()) : Json(nullptr);
  j["class_in_policy"] = l.class_in_policy;
  j["sets"] = f.sets;
  j["damaged_sets"] = f.damaged;
  j["last_set"] = f.last_good ? Json{{"id", f.last_good->id.hex()},
                                     {"time", format_time(f.last_good->started_ns)},
                                     {"age_seconds", seconds(*l.age_ns)}}
                              : Json(nullptr);
  j["rpo_seconds"] = opt_seconds(l.rpo_ns);
  j["runs_30d"] = {{"ok", f.runs.ok},
                   {"warnings", f.runs.warnings},
                   {"failed", f.runs.failed},
                   {"abandoned", f.runs.abandoned},
                   {"running", f.runs.running}};
  j["success_rate"] = opt_num(l.success_rate);
  j["last_verify"] =
      f.last_verify ? Json{{"time", format_time(f.last_verify->started_ns)},
                           {"kind", catalog::to_string(f.last_verify->kind)},
                           {"age_seconds", seconds(r.generated_ns - f.last_verify->started_ns)}}
                    : Json(nullptr);
  j["verify_every_seconds"] = opt_seconds(l.verify_every_ns);
  if (f.last_drill) {
    const auto& d = *f.last_drill;
    j["last_drill"] = {
        {"time", format_time(d.started_ns)},
        {"set", d.set_id ? Json(d.set_id->hex()) : Json(nullptr)},
        {"ok", d.ok},
        {"restore_seconds",
         d.restore_ms ? Json(static_cast<double>(*d.restore_ms) / 1000) : Json(nullptr)}};
  } else {
    j["last_drill"] = nullptr;
  }
  j["rto_seconds"] = opt_seconds(l.rto_ns);
  j["stored_bytes"] = f.bytes_stored;
  j["read_bytes"] = f.bytes_read;
  j["dedup_ratio"] = opt_num(l.dedup_ratio);
  j["growth_bytes_per_day"] = l.growth_per_day;
  j["copies"] = l.copies;
  j["min_copies"] = l.min_copies ? Json(*l.min_copies) : Json(nullptr);
  j["destinations"] = f.destinations;
  j["missing_destinations"] = l.missing_destinations;
  j["objectives"] = objectives_json(l.objectives);
  j["status"] = l.violated() > 0 ? "violated" : "ok";
  if (r.capacity && r.capacity->priced) {
    const CostLine* c = cost_of(r, f);
    j["cost_monthly"] = c ? c->monthly : 0.0;
  }
  j["last_run"] = nullptr;
  if (f.last_run) {
    const auto& m = f.last_run->metrics;
    const auto opt_count = [](const std::optional<std::uint64_t>& v) {
      return v ? Json(*v) : Json(nullptr);
    };
    j["last_run"] = {
        {"time", format_time(f.last_run->started_ns)},
        {"tool", f.last_run->tool},
        {"exit_code", f.last_run->exit_code ? Json(*f.last_run->exit_code) : Json(nullptr)},
        {"set", f.last_run->set_id ? Json(f.last_run->set_id->hex()) : Json(nullptr)},
        {"duration_seconds",
         m.duration_ms ? Json(static_cast<double>(*m.duration_ms) / 1000) : Json(nullptr)},
        {"files", opt_count(m.files)},
        {"bytes_read", opt_count(m.bytes)},
        {"bytes_new", opt_count(m.bytes_new)},
        {"bytes_stored", opt_count(m.bytes_stored)},
        {"throughput_bytes_per_second", opt_num(l.throughput)},
        {"median_duration_seconds", l.baseline.median_ms
                                        ? Json(static_cast<double>(*l.baseline.median_ms) / 1000)
                                        : Json(nullptr)},
        {"baseline_runs", l.baseline.runs},
        {"slow", !l.slow.empty()},
        {"warnings", l.slow}};
  }
  return j;
}

Json capacity_json(const CapacityLine& c, const StatusReport& r) {
  const auto opt_bytes = [](const std::optional<std::uint64_t>& n) {
    return n ? Json(*n) : Json(nullptr);
  };
  Json j;
  j["schema"] = "cairn.status.capacity/1";
  j["place"] = c.repository ? "repository" : "destination";
  j["target"] = c.target;
  j["size_from"] = to_string(c.size_from);
  j["size_bytes"] = opt_bytes(c.size);
  j["used_bytes"] = opt_bytes(c.used);
  j["free_bytes"] = opt_bytes(c.free);
  j["measured_time"] = c.measured_ns ? Json(format_time(*c.measured_ns)) : Json(nullptr);
  j["measured_stale"] = c.stale;
  j["stored_bytes"] = c.stored;
  j["used_ratio"] = opt_num(c.used_ratio);
  j["growth_bytes_per_day"] = c.growth_per_day;
  j["full_seconds"] = opt_seconds(c.full_in_ns);
  j["full_time"] = c.full_in_ns ? Json(format_time(r.generated_ns + *c.full_in_ns)) : Json(nullptr);
  j["warn_ratio"] = c.warn_percent ? Json(*c.warn_percent / 100) : Json(nullptr);
  j["warn_within_seconds"] = opt_seconds(c.warn_within_ns);
  j["price_gb_month"] = opt_num(c.price_gb_month);
  j["price_put_1000"] = opt_num(c.price_put_1000);
  j["price_get_1000"] = opt_num(c.price_get_1000);
  j["price_gb_out"] = opt_num(c.price_gb_out);
  j["objects"] = c.objects;
  j["puts_per_month"] = c.puts_per_month;
  j["cost_monthly"] = opt_num(c.cost_monthly);
  j["restore_cost"] = opt_num(c.restore_cost);
  j["warnings"] = c.warnings;
  j["status"] = c.warnings.empty() ? "ok" : "warning";
  return j;
}

// The performance warning of the newest transfer `t`, when it was slow.
const PerformanceWarning* slow_transfer(const StatusReport& r, const catalog::LastTransfer& t) {
  const std::string key = fmt::format("performance/destination/{}/{}", t.transfer.destination,
                                      catalog::to_string(t.transfer.direction));
  for (const auto& w : r.performance)
    if (w.key == key) return &w;
  return nullptr;
}

Json transfer_json(const catalog::LastTransfer& t, const StatusReport& r) {
  Json j;
  j["schema"] = "cairn.status.transfer/1";
  j["destination"] = t.transfer.destination;
  j["direction"] = catalog::to_string(t.transfer.direction);
  j["time"] = format_time(t.started_ns);
  j["tool"] = t.tool;
  j["exit_code"] = t.exit_code ? Json(*t.exit_code) : Json(nullptr);
  j["bytes"] = t.transfer.bytes;
  j["duration_seconds"] = static_cast<double>(t.transfer.duration_ms) / 1000;
  j["rate_bytes_per_second"] = opt_num(rate_per_second(t.transfer.bytes, t.transfer.duration_ms));
  const PerformanceWarning* slow = slow_transfer(r, t);
  j["slow"] = slow != nullptr;
  j["warning"] = slow ? Json(slow->message) : Json(nullptr);
  return j;
}

Json destination_json(const DestinationDrill& d, const StatusReport& r) {
  const auto& v = d.drill;
  Json j;
  j["schema"] = "cairn.status.destination/1";
  j["destination"] = d.destination;
  j["policy"] = r.policy_file ? Json(r.policy_file->string()) : Json(nullptr);
  j["class"] = d.retention_class ? Json(*d.retention_class) : Json(nullptr);
  j["last_drill"] = {
      {"time", format_time(v.started_ns)},
      {"age_seconds", seconds(std::max<std::int64_t>(0, r.generated_ns - v.started_ns))},
      {"set", v.set_id ? Json(v.set_id->hex()) : Json(nullptr)},
      {"source", d.set ? Json(d.set->source) : Json(nullptr)},
      {"ok", v.ok},
      {"restore_seconds",
       v.restore_ms ? Json(static_cast<double>(*v.restore_ms) / 1000) : Json(nullptr)},
      {"detail", v.detail}};
  j["rto_seconds"] = opt_seconds(d.rto_ns);
  j["verify_every_seconds"] = opt_seconds(d.verify_every_ns);
  j["objectives"] = objectives_json(d.objectives);
  j["status"] = d.violated() > 0 ? "violated" : "ok";
  return j;
}

// ---- Prometheus --------------------------------------------------------------------------

struct Family {
  const char* name;
  const char* type;
  const char* help;
  std::string samples;
};

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string labels(const StatusFacts& f, std::string_view extra_name = {},
                   std::string_view extra = {}) {
  std::string s = fmt::format("{{source=\"{}\",class=\"{}\"", prometheus_label_value(f.source),
                              prometheus_label_value(f.retention_class));
  if (!extra_name.empty())
    s += fmt::format(",{}=\"{}\"", extra_name, prometheus_label_value(extra));
  return s + "}";
}

void sample(Family& fam, const std::string& label_set, double v) {
  fam.samples += fmt::format("{}{} {}\n", fam.name, label_set, number(v));
}

}  // namespace

std::string_view to_string(Objective o) {
  switch (o) {
    case Objective::rpo: return "rpo";
    case Objective::rto: return "rto";
    case Objective::verify: return "verify";
    case Objective::copies: return "copies";
  }
  return "rpo";
}

std::string_view to_string(ObjectiveState s) {
  switch (s) {
    case ObjectiveState::unset: return "unset";
    case ObjectiveState::ok: return "ok";
    case ObjectiveState::unknown: return "unknown";
    case ObjectiveState::violated: return "violated";
  }
  return "unset";
}

int StatusLine::violated() const { return count_violated(objectives); }

int DestinationDrill::violated() const { return count_violated(objectives); }

int StatusReport::warned() const {
  return static_cast<int>(performance.size()) + (capacity ? capacity->warnings() : 0);
}

int StatusReport::violated() const {
  int n = 0;
  for (const auto& l : lines) n += l.violated();
  for (const auto& d : destinations) n += d.violated();
  return n;
}

std::string prometheus_label_value(std::string_view v) {
  // The format is UTF-8: a name that is not (paths are bytes) loses its other bytes to '?'.
  const bool utf8 = is_utf8(v);
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (!utf8 && static_cast<unsigned char>(c) >= 0x80)
      out += '?';
    else if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::optional<double> rate_per_second(std::optional<std::uint64_t> bytes,
                                      std::optional<std::uint64_t> duration_ms) {
  if (!bytes || !duration_ms || *duration_ms == 0) return std::nullopt;
  return static_cast<double>(*bytes) * 1000 / static_cast<double>(*duration_ms);
}

StatusLine evaluate_status(StatusFacts f, const policy::Class* cls, std::int64_t now_ns,
                           const policy::Performance& perf) {
  StatusLine l;
  l.facts = std::move(f);
  const StatusFacts& x = l.facts;
  if (cls) {
    l.class_in_policy = true;
    l.rpo_ns = cls->rpo_ns;
    l.rto_ns = cls->rto_ns;
    l.verify_every_ns = cls->verify_every_ns;
    l.min_copies = cls->min_copies;
    // Placements are recorded under backend::canonical_name ("file:///abs" for a directory),
    // so the policy's spelling ("/mnt/nas/cairn", "./dest") is compared the same way.
    for (const auto& d : cls->destinations)
      if (!std::binary_search(x.destinations.begin(), x.destinations.end(),
                              backend::canonical_name(d)) &&
          !std::binary_search(x.destinations.begin(), x.destinations.end(), d))
        l.missing_destinations.push_back(d);
  }
  if (x.last_good) {
    // From when a reader first saw it, if earlier than the time its writer claims.
    l.age_ns = std::max<std::int64_t>(0, now_ns - catalog::age_base_ns(*x.last_good));
    l.copies = 1 + static_cast<std::uint32_t>(x.destinations.size());
  }
  const std::uint64_t good = x.runs.ok + x.runs.warnings;
  const std::uint64_t finished = good + x.runs.failed + x.runs.abandoned;
  if (finished > 0) l.success_rate = static_cast<double>(good) / static_cast<double>(finished);
  if (x.bytes_stored > 0)
    l.dedup_ratio = static_cast<double>(x.bytes_read) / static_cast<double>(x.bytes_stored);
  l.growth_per_day = growth_per_day(x.window_stored, x.first_ns, now_ns);
  if (x.last_run) {
    l.throughput = rate_per_second(x.last_run->metrics.bytes, x.last_run->metrics.duration_ms);
    l.baseline = run_baseline(x.earlier_ms);
    l.slow = run_warnings(*x.last_run, l.baseline, perf,
                          fmt::format("{} of {}", x.last_run->tool, group_name(x)));
  }
  l.objectives = {rpo(l), rto(l, now_ns), verify_cadence(l, now_ns), copies(l)};
  return l;
}

DestinationDrill evaluate_destination(catalog::VerifyRecord drill,
                                      std::optional<catalog::SetRecord> set,
                                      const policy::Policy* pol, std::int64_t now_ns) {
  DestinationDrill d;
  d.destination = drill.target;
  d.drill = std::move(drill);
  d.set = std::move(set);
  const policy::Class* cls = nullptr;
  if (pol && d.set) cls = pol->find(d.set->retention_class);
  if (pol && !cls)
    for (const auto& [name, c] : pol->classes) {
      // Recorded under backend::canonical_name, as placements are (evaluate_status).
      if (std::any_of(c.destinations.begin(), c.destinations.end(), [&](const std::string& u) {
            return u == d.destination || backend::canonical_name(u) == d.destination;
          })) {
        cls = &c;
        break;
      }
    }
  if (cls) {
    d.retention_class = cls->name;
    d.rto_ns = cls->rto_ns;
    d.verify_every_ns = cls->verify_every_ns;
  }
  const auto& v = d.drill;
  const std::string last =
      fmt::format("the last restore drill there ({})", format_time(v.started_ns));
  ObjectiveResult rto_r{Objective::rto, ObjectiveState::unset, {}};
  if (d.rto_ns) {
    rto_r.state = ObjectiveState::violated;
    if (!v.ok || !v.restore_ms)
      rto_r.detail = fmt::format("{} failed: {}", last, v.detail);
    else if (static_cast<std::int64_t>(*v.restore_ms) * 1'000'000 > *d.rto_ns)
      rto_r.detail = fmt::format("{} took {}, rto {}", last, restore_time(*v.restore_ms),
                                 format_duration(*d.rto_ns));
    else
      rto_r.state = ObjectiveState::ok;
  }
  ObjectiveResult verify_r{Objective::verify, ObjectiveState::unset, {}};
  if (d.verify_every_ns) {
    const std::int64_t age = now_ns - v.started_ns;
    verify_r.state = ObjectiveState::ok;
    if (age > *d.verify_every_ns) {
      verify_r.state = ObjectiveState::violated;
      verify_r.detail =
          fmt::format("{} is {} old, verify-every {}", last, format_duration_short(age),
                      format_duration(*d.verify_every_ns));
    }
  }
  d.objectives = {rto_r, verify_r};
  return d;
}

Result<StatusReport> gather_status(catalog::Catalog& cat, const policy::Policy* pol,
                                   std::int64_t now_ns) {
  using Key = std::pair<std::string, std::string>;
  std::map<Key, StatusFacts> groups;
  const auto group = [&](const std::string& source, const std::string& cls) -> StatusFacts& {
    auto [it, fresh] = groups.try_emplace(Key{source, cls});
    if (fresh) {
      it->second.source = source;
      it->second.retention_class = cls;
    }
    return it->second;
  };
  const std::int64_t window_start = now_ns - kStatusWindowNs;

  std::vector<std::string> r_warnings;
  CAIRN_TRY_ASSIGN(auto sets, cat.list_sets());
  for (const auto& s : sets) {
    StatusFacts& f = group(s.source, s.retention_class);
    f.first_ns = std::min(f.first_ns.value_or(s.started_ns), s.started_ns);
    if (s.started_ns >= window_start) f.window_stored += s.bytes_stored;
    if (s.status == catalog::SetStatus::pruned) continue;
    ++f.sets;
    f.bytes_read += s.bytes_read;
    f.bytes_stored += s.bytes_stored;
    if (s.status == catalog::SetStatus::damaged) ++f.damaged;
    if (s.status == catalog::SetStatus::committed && catalog::from_the_future(s, now_ns)) {
      // A writer chose this time: it never becomes the newest good set (cairn-catalog(5)).
      r_warnings.push_back(
          fmt::format("set {} of source '{}' claims a snapshot time of {}, more than 1h ahead of "
                      "this clock: not counted as its newest good set",
                      s.id.hex().substr(0, 12), s.source, format_time(s.started_ns)));
      continue;
    }
    if (s.status == catalog::SetStatus::committed &&
        (!f.last_good ||
         std::tie(s.started_ns, s.seq) >= std::tie(f.last_good->started_ns, f.last_good->seq)))
      f.last_good = s;
  }
  // Sources whose every set was pruned are gone, unless they still run.
  std::erase_if(groups, [](const auto& kv) { return kv.second.sets == 0; });
  CAIRN_TRY_ASSIGN(auto runs, cat.run_tallies(window_start, now_ns - kAbandonedRunNs));
  for (const auto& t : runs)
    if (t.tool == "cairn-pack" && !t.source.empty()) group(t.source, t.retention_class).runs = t;
  // The newest run of each group, then the ones before it: its baseline.
  CAIRN_TRY_ASSIGN(auto last_runs, cat.last_runs("cairn-pack", kBaselineRuns + 1));
  for (auto& run : last_runs) {
    auto it = groups.find(Key{run.source, run.retention_class});
    if (it == groups.end()) continue;
    StatusFacts& f = it->second;
    if (!f.last_run) {
      f.last_run = std::move(run);
    } else if (run.exit_code && (*run.exit_code == 0 || *run.exit_code == 3)) {
      f.earlier_ms.push_back(*run.metrics.duration_ms);  // last_runs: every one has it
    }
  }
  CAIRN_TRY_ASSIGN(auto verifies, cat.verify_summaries());
  for (auto& v : verifies) {
    auto it = groups.find(Key{v.source, v.retention_class});
    if (it == groups.end()) continue;
    it->second.last_verify = std::move(v.last_ok);
    it->second.last_drill = std::move(v.last_drill);
  }

  StatusReport r;
  r.generated_ns = now_ns;
  r.warnings = std::move(r_warnings);
  for (auto& [key, f] : groups) {
    if (f.last_good) {
      CAIRN_TRY_ASSIGN(auto placed, cat.placements_of(f.last_good->id));
      for (const auto& p : placed)
        if (p.pushed_at_ns) f.destinations.push_back(p.destination);
      std::sort(f.destinations.begin(), f.destinations.end());
    }
    const policy::Class* cls = pol ? pol->find(key.second) : nullptr;
    if (pol && !cls)
      r.warnings.push_back(
          fmt::format("class '{}' of source '{}' is not in policy '{}': no objectives checked",
                      key.second, key.first, pol->origin));
    r.lines.push_back(evaluate_status(std::move(f), cls, now_ns,
                                      pol ? pol->performance_for(cls) : policy::Performance{}));
    const StatusLine& l = r.lines.back();
    for (const auto& w : l.slow)
      r.performance.push_back(
          {fmt::format("performance/{}/{}", key.first, key.second), key.first, key.second, "", w});
  }

  CAIRN_TRY_ASSIGN(auto drills, cat.destination_drills());
  for (auto& d : drills) {
    std::optional<catalog::SetRecord> set;
    if (d.set_id) {
      CAIRN_TRY_ASSIGN(set, cat.get_set(*d.set_id));
    }
    r.destinations.push_back(evaluate_destination(std::move(d), std::move(set), pol, now_ns));
  }

  CAIRN_TRY_ASSIGN(r.transfers, cat.last_transfers());
  if (pol)
    for (const auto& t : r.transfers)
      if (auto w = transfer_warning(t, pol->performance))
        r.performance.push_back(
            {fmt::format("performance/destination/{}/{}", t.transfer.destination,
                         catalog::to_string(t.transfer.direction)),
             "", "", t.transfer.destination, std::move(*w)});
  CAIRN_TRY_ASSIGN(auto all_runs, cat.run_tallies(INT64_MIN, now_ns - kAbandonedRunNs));
  for (const auto& t : all_runs) {
    if (r.runs_total.empty() || r.runs_total.back().tool != t.tool) {
      r.runs_total.emplace_back();
      r.runs_total.back().tool = t.tool;
    }
    auto& sum = r.runs_total.back();
    sum.ok += t.ok;
    sum.warnings += t.warnings;
    sum.failed += t.failed;
    sum.abandoned += t.abandoned;
    sum.running += t.running;
  }
  return r;
}

std::string format_status_table(const StatusReport& r, bool exact_bytes) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"SOURCE", "CLASS", "LAST-SET", "AGE/RPO", "RATE", "VERIFIED/EVERY", "DRILL/RTO",
                  "STORED", "DEDUP", "GROWTH/DAY", "DURATION", "THROUGHPUT", "COPIES", "STATUS"});
  for (const auto& l : r.lines) rows.push_back(table_row(l, r, exact_bytes));
  std::string out;
  if (!r.policy_file)
    out += fmt::format("no policy: '{}' does not exist, so no objectives are checked\n",
                       policy::kDefaultFile);
  out += columns(rows);
  if (!r.destinations.empty()) {
    std::vector<std::vector<std::string>> drills;
    drills.push_back(
        {"DESTINATION", "CLASS", "SET", "LAST-DRILL", "DRILL/RTO", "AGE/EVERY", "STATUS"});
    for (const auto& d : r.destinations) drills.push_back(destination_row(d, r));
    out += "\n" + columns(drills);
  }
  if (!r.transfers.empty()) {  // rows begin with the direction: $1 of a drill row stays unique
    std::vector<std::vector<std::string>> moved;
    moved.push_back({"DIRECTION", "DESTINATION", "LAST-RUN", "BYTES", "DURATION", "RATE"});
    for (const auto& t : r.transfers) {
      const auto rate = rate_per_second(t.transfer.bytes, t.transfer.duration_ms);
      moved.push_back({std::string(catalog::to_string(t.transfer.direction)),
                       shown(t.transfer.destination), format_time(t.started_ns),
                       size_cell(t.transfer.bytes, exact_bytes),
                       restore_time(t.transfer.duration_ms), rate_cell(rate, exact_bytes)});
    }
    out += "\n" + columns(moved);
  }
  if (r.capacity) out += capacity_tables(*r.capacity, r, exact_bytes);
  for (const auto& l : r.lines)
    for (const auto& o : l.objectives)
      if (o.state == ObjectiveState::violated)
        out += fmt::format("violated: {} of {}: {}\n", to_string(o.objective),
                           shown(group_name(l.facts)), shown(o.detail));
  for (const auto& d : r.destinations)
    for (const auto& o : d.objectives)
      if (o.state == ObjectiveState::violated)
        out += fmt::format("violated: {} of {}: {}\n", to_string(o.objective),
                           shown(destination_name(d)), shown(o.detail));
  for (const auto& w : r.warnings) out += fmt::format("warning: {}\n", shown(w));
  for (const auto& w : r.performance) out += fmt::format("warning: {}\n", shown(w.message));
  if (r.capacity)
    for (const auto& c : r.capacity->places)
      for (const auto& w : c.warnings) out += fmt::format("warning: {}\n", shown(w));
  const int n = r.violated();
  out += fmt::format("{} {} violated\n", n, n == 1 ? "objective" : "objectives");
  return out;
}

std::string format_status_json(const StatusReport& r) {
  std::string out;
  for (const auto& l : r.lines)
    out += status_json(l, r).dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  for (const auto& d : r.destinations)
    out += destination_json(d, r).dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  for (const auto& t : r.transfers)
    out += transfer_json(t, r).dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  if (r.capacity)
    for (const auto& c : r.capacity->places)
      out += capacity_json(c, r).dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  return out;
}

std::string format_status_prometheus(const StatusReport& r) {
  std::vector<Family> fams = {
      {"cairn_status_generated_timestamp_seconds",
       "gauge",
       "When cairn status wrote these metrics.",
       {}},
      {"cairn_sets", "gauge", "Backup sets of a source and class that are not pruned.", {}},
      {"cairn_damaged_sets",
       "gauge",
       "Backup sets of a source and class that verification found damaged.",
       {}},
      {"cairn_last_success_timestamp_seconds",
       "gauge",
       "Snapshot time of the newest good set.",
       {}},
      {"cairn_last_set_age_seconds", "gauge", "Age of the newest good set.", {}},
      {"cairn_rpo_seconds", "gauge", "Recovery point objective of the class.", {}},
      {"cairn_success_ratio",
       "gauge",
       "Share of cairn-pack runs of the last 30 days that succeeded.",
       {}},
      {"cairn_last_verify_timestamp_seconds",
       "gauge",
       "Start of the newest successful verification of a set.",
       {}},
      {"cairn_verify_every_seconds", "gauge", "Verification cadence of the class.", {}},
      {"cairn_last_drill_timestamp_seconds", "gauge", "Start of the newest restore drill.", {}},
      {"cairn_last_drill_success", "gauge", "1 if the newest restore drill succeeded, else 0.", {}},
      {"cairn_last_drill_restore_seconds",
       "gauge",
       "Measured restore time of the newest restore drill.",
       {}},
      {"cairn_rto_seconds", "gauge", "Recovery time objective of the class.", {}},
      {"cairn_stored_bytes", "gauge", "Bytes the sets not pruned added to the repository.", {}},
      {"cairn_dedup_ratio",
       "gauge",
       "Bytes read from the source over bytes stored, for the sets not pruned.",
       {}},
      {"cairn_growth_bytes_per_day", "gauge", "Bytes stored per day over the last 30 days.", {}},
      {"cairn_copies",
       "gauge",
       "Copies of the newest good set: the local repository and each destination.",
       {}},
      {"cairn_min_copies", "gauge", "Minimum copies the class requires.", {}},
      {"cairn_objective_violated",
       "gauge",
       "1 if the objective is violated, else 0 (objectives the class sets).",
       {}},
      {"cairn_runs_total",
       "counter",
       "Finished runs of a tool by result; unfinished after 24h counts as failed.",
       {}},
      {"cairn_capacity_used_bytes",
       "gauge",
       "Bytes used where sets are stored: the file system's, or what cairn stored under a quota.",
       {}},
      {"cairn_capacity_total_bytes",
       "gauge",
       "Size of where sets are stored: the file system's, or the policy's quota.",
       {}},
      {"cairn_capacity_free_bytes", "gauge", "Bytes left where sets are stored.", {}},
      {"cairn_capacity_measured_timestamp_seconds",
       "gauge",
       "When a push last measured the free space of a destination it is read from.",
       {}},
      {"cairn_capacity_growth_bytes_per_day",
       "gauge",
       "Bytes a day the sets stored there grew by over the last 30 days.",
       {}},
      {"cairn_capacity_full_seconds",
       "gauge",
       "Seconds until full at that growth rate; +Inf when it does not grow.",
       {}},
      {"cairn_capacity_warning",
       "gauge",
       "1 if a capacity threshold (warn, warn-within) is crossed, else 0.",
       {}},
      {"cairn_restore_cost",
       "gauge",
       "What reading everything stored there once costs at the policy's prices.",
       {}},
      {"cairn_cost_monthly",
       "gauge",
       "Monthly cost of the sets not pruned of a source and class at the policy's prices.",
       {}},
      {"cairn_last_run_timestamp_seconds",
       "gauge",
       "Start of the newest finished cairn-pack run (or cairn backup) of a source and class.",
       {}},
      {"cairn_last_run_duration_seconds", "gauge", "Duration of that run.", {}},
      {"cairn_last_run_files", "gauge", "Entries that run read.", {}},
      {"cairn_last_run_bytes_read", "gauge", "Bytes that run read from the source.", {}},
      {"cairn_last_run_bytes_new",
       "gauge",
       "Bytes of that run's set not in the repository before.",
       {}},
      {"cairn_last_run_bytes_stored", "gauge", "Bytes that run added to the repository.", {}},
      {"cairn_last_run_throughput_bytes_per_second", "gauge", "Bytes that run read a second.", {}},
      {"cairn_last_run_median_duration_seconds",
       "gauge",
       "Median duration of the successful runs before it (its slow-run baseline).",
       {}},
      {"cairn_last_run_slow",
       "gauge",
       "1 when that run was slow ([performance] slow-run or min-throughput), else 0.",
       {}},
      {"cairn_destination_last_push_timestamp_seconds",
       "gauge",
       "Start of the newest cairn-push run that copied to the destination.",
       {}},
      {"cairn_destination_last_push_bytes", "gauge", "Bytes that push sent there.", {}},
      {"cairn_destination_last_push_duration_seconds",
       "gauge",
       "From that push's first upload there to its last.",
       {}},
      {"cairn_destination_last_push_rate_bytes_per_second",
       "gauge",
       "Bytes that push sent there a second.",
       {}},
      {"cairn_destination_last_push_slow",
       "gauge",
       "1 when that push was slower than [performance] min-transfer-rate, else 0.",
       {}},
      {"cairn_destination_last_restore_timestamp_seconds",
       "gauge",
       "Start of the newest cairn-restore --from the destination.",
       {}},
      {"cairn_destination_last_restore_bytes", "gauge", "Bytes that restore wrote.", {}},
      {"cairn_destination_last_restore_duration_seconds", "gauge", "Duration of that restore.", {}},
      {"cairn_destination_last_restore_rate_bytes_per_second",
       "gauge",
       "Bytes that restore wrote a second.",
       {}},
      {"cairn_destination_last_restore_slow",
       "gauge",
       "1 when that restore was slower than [performance] min-transfer-rate, else 0.",
       {}},
  };
  const auto fam = [&](std::string_view name) -> Family& {
    for (auto& f : fams)
      if (name == f.name) return f;
    return fams.front();  // not reached: every name used below is in the list
  };
  sample(fam("cairn_status_generated_timestamp_seconds"), "", seconds(r.generated_ns));
  for (const auto& l : r.lines) {
    const auto& f = l.facts;
    const std::string ls = labels(f);
    sample(fam("cairn_sets"), ls, static_cast<double>(f.sets));
    sample(fam("cairn_damaged_sets"), ls, static_cast<double>(f.damaged));
    if (f.last_good) {
      sample(fam("cairn_last_success_timestamp_seconds"), ls, seconds(f.last_good->started_ns));
      sample(fam("cairn_last_set_age_seconds"), ls, seconds(*l.age_ns));
    }
    if (l.rpo_ns) sample(fam("cairn_rpo_seconds"), ls, seconds(*l.rpo_ns));
    if (l.success_rate) sample(fam("cairn_success_ratio"), ls, *l.success_rate);
    if (f.last_verify)
      sample(fam("cairn_last_verify_timestamp_seconds"), ls, seconds(f.last_verify->started_ns));
    if (l.verify_every_ns)
      sample(fam("cairn_verify_every_seconds"), ls, seconds(*l.verify_every_ns));
    if (f.last_drill) {
      sample(fam("cairn_last_drill_timestamp_seconds"), ls, seconds(f.last_drill->started_ns));
      sample(fam("cairn_last_drill_success"), ls, f.last_drill->ok ? 1 : 0);
      if (f.last_drill->ok && f.last_drill->restore_ms)
        sample(fam("cairn_last_drill_restore_seconds"), ls,
               static_cast<double>(*f.last_drill->restore_ms) / 1000);
    }
    if (l.rto_ns) sample(fam("cairn_rto_seconds"), ls, seconds(*l.rto_ns));
    sample(fam("cairn_stored_bytes"), ls, static_cast<double>(f.bytes_stored));
    if (l.dedup_ratio) sample(fam("cairn_dedup_ratio"), ls, *l.dedup_ratio);
    sample(fam("cairn_growth_bytes_per_day"), ls, l.growth_per_day);
    sample(fam("cairn_copies"), ls, l.copies);
    if (l.min_copies) sample(fam("cairn_min_copies"), ls, *l.min_copies);
    for (const auto& o : l.objectives)
      if (o.state != ObjectiveState::unset)
        sample(fam("cairn_objective_violated"), labels(f, "objective", to_string(o.objective)),
               o.state == ObjectiveState::violated ? 1 : 0);
  }
  for (const auto& l : r.lines) {
    if (!l.facts.last_run) continue;
    const auto& run = *l.facts.last_run;
    const std::string ls = labels(l.facts);
    const auto count = [&](std::string_view name, const std::optional<std::uint64_t>& v) {
      if (v) sample(fam(name), ls, static_cast<double>(*v));
    };
    sample(fam("cairn_last_run_timestamp_seconds"), ls, seconds(run.started_ns));
    if (run.metrics.duration_ms)
      sample(fam("cairn_last_run_duration_seconds"), ls,
             static_cast<double>(*run.metrics.duration_ms) / 1000);
    count("cairn_last_run_files", run.metrics.files);
    count("cairn_last_run_bytes_read", run.metrics.bytes);
    count("cairn_last_run_bytes_new", run.metrics.bytes_new);
    count("cairn_last_run_bytes_stored", run.metrics.bytes_stored);
    if (l.throughput) sample(fam("cairn_last_run_throughput_bytes_per_second"), ls, *l.throughput);
    if (l.baseline.median_ms)
      sample(fam("cairn_last_run_median_duration_seconds"), ls,
             static_cast<double>(*l.baseline.median_ms) / 1000);
    sample(fam("cairn_last_run_slow"), ls, l.slow.empty() ? 0 : 1);
  }
  for (const auto& t : r.transfers) {
    const std::string ls =
        fmt::format("{{destination=\"{}\"}}", prometheus_label_value(t.transfer.destination));
    const std::string prefix =
        fmt::format("cairn_destination_last_{}_", catalog::to_string(t.transfer.direction));
    sample(fam(prefix + "timestamp_seconds"), ls, seconds(t.started_ns));
    sample(fam(prefix + "bytes"), ls, static_cast<double>(t.transfer.bytes));
    sample(fam(prefix + "duration_seconds"), ls,
           static_cast<double>(t.transfer.duration_ms) / 1000);
    if (auto rate = rate_per_second(t.transfer.bytes, t.transfer.duration_ms))
      sample(fam(prefix + "rate_bytes_per_second"), ls, *rate);
    sample(fam(prefix + "slow"), ls, slow_transfer(r, t) ? 1 : 0);
  }
  for (const auto& t : r.runs_total) {
    const auto run_labels = [&](std::string_view result) {
      return fmt::format("{{tool=\"{}\",result=\"{}\"}}", prometheus_label_value(t.tool), result);
    };
    sample(fam("cairn_runs_total"), run_labels("ok"), static_cast<double>(t.ok));
    sample(fam("cairn_runs_total"), run_labels("warnings"), static_cast<double>(t.warnings));
    sample(fam("cairn_runs_total"), run_labels("failed"),
           static_cast<double>(t.failed + t.abandoned));
  }
  if (r.capacity) {
    for (const auto& c : r.capacity->places) {
      const std::string ls = fmt::format("{{target=\"{}\"}}", prometheus_label_value(c.target));
      if (c.used) sample(fam("cairn_capacity_used_bytes"), ls, static_cast<double>(*c.used));
      if (c.size) sample(fam("cairn_capacity_total_bytes"), ls, static_cast<double>(*c.size));
      if (c.free) sample(fam("cairn_capacity_free_bytes"), ls, static_cast<double>(*c.free));
      if (c.measured_ns)
        sample(fam("cairn_capacity_measured_timestamp_seconds"), ls, seconds(*c.measured_ns));
      sample(fam("cairn_capacity_growth_bytes_per_day"), ls, c.growth_per_day);
      if (c.size)
        sample(fam("cairn_capacity_full_seconds"), ls,
               c.full_in_ns ? seconds(*c.full_in_ns) : HUGE_VAL);
      sample(fam("cairn_capacity_warning"), ls, c.warnings.empty() ? 0 : 1);
      if (c.restore_cost) sample(fam("cairn_restore_cost"), ls, *c.restore_cost);
    }
    for (const auto& c : r.capacity->costs)
      sample(fam("cairn_cost_monthly"),
             fmt::format("{{source=\"{}\",class=\"{}\"}}", prometheus_label_value(c.source),
                         prometheus_label_value(c.retention_class)),
             c.monthly);
  }
  std::string out;
  for (const auto& f : fams)
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{}", f.name, f.help, f.name, f.type, f.samples);
  return out;
}

std::string violations_summary(const StatusReport& r) {
  const int n = r.violated();
  std::string which;
  for (const auto& l : r.lines)
    for (const auto& ob : l.objectives)
      if (ob.state == ObjectiveState::violated)
        which += fmt::format("{}{} of {}", which.empty() ? "" : ", ", to_string(ob.objective),
                             group_name(l.facts));
  for (const auto& d : r.destinations)
    for (const auto& ob : d.objectives)
      if (ob.state == ObjectiveState::violated)
        which += fmt::format("{}{} of {}", which.empty() ? "" : ", ", to_string(ob.objective),
                             destination_name(d));
  return fmt::format("{} {} violated: {}", n, n == 1 ? "objective" : "objectives", which);
}

}  // namespace cairn::monitor
