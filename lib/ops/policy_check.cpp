#include "ops/policy_check.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/time.hpp"

namespace cairn::ops {
namespace {

std::string plural(std::uint32_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep,
                 std::string_view last_sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += i + 1 == parts.size() ? last_sep : sep;
    out += parts[i];
  }
  return out;
}

std::optional<std::string> dur(const std::optional<std::int64_t>& ns) {
  if (!ns) return std::nullopt;
  return format_duration(*ns);
}

std::vector<std::string> objectives(const policy::Class& c) {
  std::vector<std::string> out;
  if (c.rpo_ns) out.push_back("rpo " + *dur(c.rpo_ns));
  if (c.rto_ns) out.push_back("rto " + *dur(c.rto_ns));
  if (c.verify_every_ns) out.push_back("verify every " + *dur(c.verify_every_ns));
  return out;
}

nlohmann::json class_json(const policy::Class& c) {
  nlohmann::json keep = nlohmann::json::object();
  const auto put = [&](const char* k, const std::optional<std::uint32_t>& v) {
    if (v) keep[k] = *v;
  };
  put("last", c.keep_last);
  put("hourly", c.keep_hourly);
  put("daily", c.keep_daily);
  put("weekly", c.keep_weekly);
  put("monthly", c.keep_monthly);
  put("yearly", c.keep_yearly);
  if (c.keep_within_ns) keep["within"] = *dur(c.keep_within_ns);
  if (!c.keep_tagged.empty()) keep["tagged"] = c.keep_tagged;
  nlohmann::json j = {{"schema", "cairn.policy/1"},
                      {"class", c.name},
                      {"line", c.line},
                      {"keep", keep},
                      {"keeps", describe_keep(c)},
                      {"destinations", c.destinations}};
  if (c.rpo_ns) j["rpo"] = *dur(c.rpo_ns);
  if (c.rto_ns) j["rto"] = *dur(c.rto_ns);
  if (c.verify_every_ns) j["verify_every"] = *dur(c.verify_every_ns);
  if (c.min_copies) j["min_copies"] = *c.min_copies;
  if (c.immutable_days) j["immutable_days"] = *c.immutable_days;
  j["incremental_chains"] = c.incremental_chains;
  return j;
}

}  // namespace

std::string describe_keep(const policy::Class& c) {
  if (!c.has_retention_rules()) return "every set (no retention rules)";
  std::vector<std::string> parts;
  if (c.keep_last && *c.keep_last > 0)
    parts.push_back(*c.keep_last == 1 ? "the newest set"
                                      : fmt::format("the {} newest sets", *c.keep_last));
  bool calendar = false;
  const auto period = [&](const std::optional<std::uint32_t>& n, std::string_view one,
                          std::string_view many) {
    if (!n || *n == 0) return;
    calendar = true;
    parts.push_back(
        *n == 1 ? fmt::format("the newest set of the newest {} with a set", one)
                : fmt::format("the newest set of each of the {} newest {} with a set", *n, many));
  };
  period(c.keep_hourly, "hour", "hours");
  period(c.keep_daily, "day", "days");
  period(c.keep_weekly, "ISO week", "ISO weeks");
  period(c.keep_monthly, "month", "months");
  period(c.keep_yearly, "year", "years");
  if (calendar) parts.back() += " (UTC)";
  if (c.keep_within_ns)
    parts.push_back(fmt::format("every set less than {} older than the newest",
                                format_duration(*c.keep_within_ns)));
  if (!c.keep_tagged.empty())
    parts.push_back(fmt::format("every set tagged {}", join(c.keep_tagged, ", ", " or ")));
  return join(parts, "; ", "; ");
}

Result<Outcome> policy_check(const PolicyCheckOptions& o, io::Writer& out) {
  const std::filesystem::path file = policy::locate(o.file);
  CAIRN_TRY_ASSIGN(policy::Policy p, policy::load(file));
  std::string text;
  if (!o.json)
    text += fmt::format("policy '{}': {}\n", file.string(),
                        plural(static_cast<std::uint32_t>(p.classes.size()), "class", "classes"));
  for (const auto& [name, c] : p.classes) {
    if (o.json) {
      text += class_json(c).dump() + "\n";
      continue;
    }
    text += fmt::format("class {} (line {})\n", name, c.line);
    text += fmt::format("  keeps: {}\n", describe_keep(c));
    if (c.incremental_chains)
      text += "  chains: a kept incremental set keeps its parents, up to a full set\n";
    if (auto obj = objectives(c); !obj.empty())
      text += fmt::format("  objectives: {}\n", join(obj, ", ", ", "));
    if (c.min_copies || !c.destinations.empty()) {
      std::string copies = c.min_copies ? plural(*c.min_copies, "copy", "copies") : "copies";
      if (!c.destinations.empty()) copies += " on " + join(c.destinations, ", ", ", ");
      text += fmt::format("  copies: {}\n", copies);
    }
    if (c.immutable_days)
      text += fmt::format("  immutable: {}\n", plural(*c.immutable_days, "day", "days"));
  }
  CAIRN_TRY(out.write(as_bytes(text)));
  CAIRN_TRY(out.flush());
  return Outcome{};
}

}  // namespace cairn::ops
