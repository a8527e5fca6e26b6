// The policy file: toml++ parses, this file checks every key and value (cairn-policy(5)).
// toml++ reports syntax errors by throwing toml::parse_error; it is caught here and never
// leaves the module.
#include "policy/policy.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include <toml++/toml.h>

#include "base/time.hpp"
#include "base/units.hpp"
#include "compress/zstd.hpp"

namespace cairn::policy {
namespace {

int line_of(const toml::source_region& r) { return static_cast<int>(r.begin.line); }

std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

bool valid_class_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// The price keys of a place: where each goes, and what it is the price of.
std::optional<std::pair<std::optional<double> Storage::*, std::string_view>> price_key(
    std::string_view key) {
  if (key == "price-gb-month")
    return std::pair{&Storage::price_gb_month, "the price of a GiB stored for a month"};
  if (key == "price-put-1000")
    return std::pair{&Storage::price_put_1000, "the price of 1000 uploads"};
  if (key == "price-get-1000")
    return std::pair{&Storage::price_get_1000, "the price of 1000 downloads"};
  if (key == "price-gb-out") return std::pair{&Storage::price_gb_out, "the price of a GiB read"};
  return std::nullopt;
}

class Checker {
 public:
  explicit Checker(std::string_view origin) : origin_(origin) {}

  Error error(int line, std::string_view what) const {
    return Error{Errc::bad_input, fmt::format("policy '{}' line {}: {}", origin_, line, what)};
  }

  Result<std::uint32_t> count(const toml::key& k, const toml::node& v, std::string_view where,
                              std::uint32_t max) const {
    const auto* i = v.as_integer();
    if (!i)
      return error(line_of(v.source()), fmt::format("'{}' in {} must be an integer, not {}",
                                                    k.str(), where, type_name(v.type())));
    const std::int64_t n = i->get();
    if (n < 0 || n > static_cast<std::int64_t>(max))
      return error(line_of(v.source()), fmt::format("'{}' in {} must be between 0 and {}, not {}",
                                                    k.str(), where, max, n));
    return static_cast<std::uint32_t>(n);
  }

  Result<std::int64_t> duration(const toml::key& k, const toml::node& v,
                                std::string_view where) const {
    const auto* s = v.as_string();
    if (!s)
      return error(line_of(v.source()),
                   fmt::format("'{}' in {} must be a duration string such as \"30d\", not {}",
                               k.str(), where, type_name(v.type())));
    auto d = parse_duration(s->get());
    if (!d)
      return error(line_of(v.source()),
                   fmt::format("'{}' in {}: {}", k.str(), where, d.error().message));
    return *d;
  }

  Result<std::vector<std::string>> strings(const toml::key& k, const toml::node& v,
                                           std::string_view where) const {
    const auto* a = v.as_array();
    if (!a)
      return error(line_of(v.source()),
                   fmt::format("'{}' in {} must be an array of strings, not {}", k.str(), where,
                               type_name(v.type())));
    std::vector<std::string> out;
    for (const auto& e : *a) {
      const auto* s = e.as_string();
      if (!s)
        return error(line_of(e.source()), fmt::format("'{}' in {} must hold strings only, not {}",
                                                      k.str(), where, type_name(e.type())));
      if (s->get().empty())
        return error(line_of(e.source()), fmt::format("'{}' in {}: empty string", k.str(), where));
      out.push_back(s->get());
    }
    return out;
  }

  Result<Class> klass(const toml::key& name, const toml::node& node) const {
    const std::string where = fmt::format("[class.{}]", name.str());
    const auto* t = node.as_table();
    if (!t)
      return error(line_of(node.source()), fmt::format("'class.{}' must be a table, not {}",
                                                       name.str(), type_name(node.type())));
    if (!valid_class_name(name.str()))
      return error(line_of(name.source()),
                   fmt::format("class name '{}' may hold only letters, digits, '-', '_' and '.'",
                               name.str()));
    Class c;
    c.name = std::string(name.str());
    c.line = line_of(name.source());
    constexpr std::uint32_t kMaxCount = 1'000'000;
    for (const auto& [k, v] : *t) {
      const std::string_view key = k.str();
      if (key == "keep-last") {
        CAIRN_TRY_ASSIGN(c.keep_last, count(k, v, where, kMaxCount));
      } else if (key == "keep-hourly") {
        CAIRN_TRY_ASSIGN(c.keep_hourly, count(k, v, where, kMaxCount));
      } else if (key == "keep-daily") {
        CAIRN_TRY_ASSIGN(c.keep_daily, count(k, v, where, kMaxCount));
      } else if (key == "keep-weekly") {
        CAIRN_TRY_ASSIGN(c.keep_weekly, count(k, v, where, kMaxCount));
      } else if (key == "keep-monthly") {
        CAIRN_TRY_ASSIGN(c.keep_monthly, count(k, v, where, kMaxCount));
      } else if (key == "keep-yearly") {
        CAIRN_TRY_ASSIGN(c.keep_yearly, count(k, v, where, kMaxCount));
      } else if (key == "keep-within") {
        CAIRN_TRY_ASSIGN(c.keep_within_ns, duration(k, v, where));
      } else if (key == "rpo") {
        CAIRN_TRY_ASSIGN(c.rpo_ns, duration(k, v, where));
      } else if (key == "rto") {
        CAIRN_TRY_ASSIGN(c.rto_ns, duration(k, v, where));
      } else if (key == "verify-every") {
        CAIRN_TRY_ASSIGN(c.verify_every_ns, duration(k, v, where));
      } else if (key == "min-copies") {
        CAIRN_TRY_ASSIGN(c.min_copies, count(k, v, where, 100));
      } else if (key == "immutable-days") {
        CAIRN_TRY_ASSIGN(c.immutable_days, count(k, v, where, 36500));
      } else if (key == "incremental-chains") {
        const auto* b = v.as_boolean();
        if (!b)
          return error(line_of(v.source()), fmt::format("'{}' in {} must be true or false, not {}",
                                                        key, where, type_name(v.type())));
        c.incremental_chains = b->get();
      } else if (key == "compression") {
        // A zstd level (an integer or its text), "auto" or "off".
        std::string text;
        if (const auto* i = v.as_integer())
          text = std::to_string(i->get());
        else if (const auto* s = v.as_string())
          text = s->get();
        auto setting = compress::parse_setting(text);
        if (!setting || (!v.as_integer() && !v.as_string()))
          return error(line_of(v.source()),
                       fmt::format("'{}' in {} must be a zstd level from 1 to 19, \"auto\" or "
                                   "\"off\"",
                                   key, where));
        c.compression = setting->name();
      } else if (key == "destinations") {
        CAIRN_TRY_ASSIGN(c.destinations, strings(k, v, where));
      } else if (key == "keep-tagged") {
        CAIRN_TRY_ASSIGN(c.keep_tagged, strings(k, v, where));
      } else if (key == "slow-run") {
        CAIRN_TRY_ASSIGN(c.slow_run, factor(k, v, where));
      } else if (key == "min-throughput") {
        CAIRN_TRY_ASSIGN(c.min_throughput, rate(k, v, where));
      } else if (key == "notify") {
        CAIRN_TRY_ASSIGN(Notify n,
                         notify(k, v, fmt::format("[class.{}.notify]", name.str()), false));
        c.notify = static_cast<Routes>(n);
      } else {
        return error(line_of(k.source()), fmt::format("unknown key '{}' in {}", key, where));
      }
    }
    return c;
  }

  // slow-run: a number above 1 and at most 1000 (how many times the median).
  Result<double> factor(const toml::key& k, const toml::node& v, std::string_view where) const {
    const auto d = v.value<double>();
    if (!d || v.is_boolean() || v.is_string() || !(*d > 1) || !(*d <= 1000))
      return error(line_of(v.source()),
                   fmt::format("'{}' in {} must be a number above 1 and at most 1000 (how many "
                               "times the median duration), such as 3",
                               k.str(), where));
    return *d;
  }

  // A rate: a size a second ("20MiB/s", "500K/s"), above 0.
  Result<std::uint64_t> rate(const toml::key& k, const toml::node& v,
                             std::string_view where) const {
    const auto* s = v.as_string();
    std::optional<std::uint64_t> bytes;
    if (s && s->get().ends_with("/s"))
      if (auto n = parse_size(std::string_view(s->get()).substr(0, s->get().size() - 2)); n && *n)
        bytes = *n;
    if (!bytes)
      return error(line_of(v.source()),
                   fmt::format("'{}' in {} must be a rate such as \"20MiB/s\" (a size a second, "
                               "above 0)",
                               k.str(), where));
    return *bytes;
  }

  Result<Performance> performance(const toml::key& name, const toml::node& node) const {
    constexpr std::string_view where = "[performance]";
    const auto* t = node.as_table();
    if (!t)
      return error(line_of(node.source()),
                   fmt::format("'performance' must be a table, not {}", type_name(node.type())));
    Performance p;
    p.line = line_of(name.source());
    for (const auto& [k, v] : *t) {
      const std::string_view key = k.str();
      if (key == "slow-run") {
        CAIRN_TRY_ASSIGN(p.slow_run, factor(k, v, where));
      } else if (key == "min-throughput") {
        CAIRN_TRY_ASSIGN(p.min_throughput, rate(k, v, where));
      } else if (key == "min-transfer-rate") {
        CAIRN_TRY_ASSIGN(p.min_transfer_rate, rate(k, v, where));
      } else if (key == "min-duration") {
        CAIRN_TRY_ASSIGN(p.min_duration_ns, duration(k, v, where));
      } else {
        return error(line_of(k.source()),
                     fmt::format("unknown key '{}' in {} (only 'slow-run', 'min-throughput', "
                                 "'min-transfer-rate' and 'min-duration')",
                                 key, where));
      }
    }
    return p;
  }

  // A list of notify targets: strings that start with a scheme lib/notify knows.
  Result<std::vector<std::string>> targets(const toml::key& k, const toml::node& v,
                                           std::string_view where) const {
    CAIRN_TRY_ASSIGN(auto out, strings(k, v, where));
    for (const auto& e : *v.as_array()) {
      std::string_view target = e.as_string()->get();
      for (std::string_view t : {"slack+", "pagerduty+", "opsgenie+", "json+"})
        if (target.starts_with(t) && (target.substr(t.size()).starts_with("http://") ||
                                      target.substr(t.size()).starts_with("https://")))
          target.remove_prefix(t.size());
      const bool known = target.starts_with("http://") || target.starts_with("https://") ||
                         target.starts_with("mailto:") || target.starts_with("exec:");
      if (!known)
        return error(line_of(e.source()),
                     "a notify target must start with http://, https://, mailto: or exec: "
                     "(a webhook may have a slack+, pagerduty+, opsgenie+ or json+ prefix)");
    }
    return out;
  }

  // [notify] (`top`: it may hold [notify.escalation]) or [class.NAME.notify].
  Result<Notify> notify(const toml::key& name, const toml::node& node, std::string_view where,
                        bool top) const {
    const auto* t = node.as_table();
    if (!t)
      return error(line_of(node.source()),
                   fmt::format("'{}' must be a table, not {}", name.str(), type_name(node.type())));
    Notify n;
    n.line = line_of(name.source());
    for (const auto& [k, v] : *t) {
      const std::string_view key = k.str();
      if (key == "targets") {
        CAIRN_TRY_ASSIGN(n.targets, targets(k, v, where));
      } else if (key == "critical") {
        CAIRN_TRY_ASSIGN(n.critical, targets(k, v, where));
      } else if (key == "warning") {
        CAIRN_TRY_ASSIGN(n.warning, targets(k, v, where));
      } else if (key == "info") {
        CAIRN_TRY_ASSIGN(n.info, targets(k, v, where));
      } else if (key == "escalation" && top) {
        CAIRN_TRY_ASSIGN(n.escalation, escalation(k, v));
      } else {
        return error(line_of(k.source()),
                     fmt::format("unknown key '{}' in {} (only 'targets', 'critical', 'warning', "
                                 "'info'{})",
                                 key, where, top ? " and [notify.escalation]" : ""));
      }
    }
    return n;
  }

  Result<Escalation> escalation(const toml::key& name, const toml::node& node) const {
    constexpr std::string_view where = "[notify.escalation]";
    const auto* t = node.as_table();
    if (!t)
      return error(
          line_of(node.source()),
          fmt::format("'notify.escalation' must be a table, not {}", type_name(node.type())));
    Escalation e;
    e.line = line_of(name.source());
    for (const auto& [k, v] : *t) {
      const std::string_view key = k.str();
      if (key == "after-failures") {
        CAIRN_TRY_ASSIGN(e.after_failures, count(k, v, where, 1000));
        if (*e.after_failures == 0)
          return error(line_of(v.source()),
                       "'after-failures' in [notify.escalation] must be at least 1");
      } else if (key == "after") {
        CAIRN_TRY_ASSIGN(e.after_ns, duration(k, v, where));
      } else if (key == "targets") {
        CAIRN_TRY_ASSIGN(e.targets, targets(k, v, where));
      } else {
        return error(line_of(k.source()),
                     fmt::format("unknown key '{}' in {} (only 'after-failures', 'after' and "
                                 "'targets')",
                                 key, where));
      }
    }
    if (e.targets.empty())
      return error(e.line, "[notify.escalation] needs 'targets' (where escalations go)");
    if (!e.after_failures && !e.after_ns)
      return error(e.line, "[notify.escalation] needs 'after-failures', 'after' or both");
    return e;
  }

  // [capacity] (quota and price not allowed), [repository] or [destination."URL"].
  Result<Storage> storage(const toml::key& name, const toml::node& node, std::string_view where,
                          bool thresholds_only) const {
    const auto* t = node.as_table();
    if (!t)
      return error(line_of(node.source()),
                   fmt::format("'{}' must be a table, not {}", where, type_name(node.type())));
    Storage st;
    st.line = line_of(name.source());
    for (const auto& [k, v] : *t) {
      const std::string_view key = k.str();
      const int line = line_of(v.source());
      if (key == "warn") {
        const auto* s = v.as_string();
        std::optional<double> pct;
        if (s && s->get().size() > 1 && s->get().back() == '%') {
          const std::string num = s->get().substr(0, s->get().size() - 1);
          char* end = nullptr;
          const double d = std::strtod(num.c_str(), &end);
          if (end == num.c_str() + num.size() &&
              num.find_first_not_of("0123456789.") == std::string::npos && d > 0 && d <= 100)
            pct = d;
        }
        if (!pct)
          return error(line, fmt::format("'warn' in {} must be a share of the size such as "
                                         "\"80%\", above 0% and at most 100%",
                                         where));
        st.warn_percent = pct;
      } else if (key == "warn-within") {
        CAIRN_TRY_ASSIGN(st.warn_within_ns, duration(k, v, where));
      } else if (key == "quota" && !thresholds_only) {
        const auto* s = v.as_string();
        auto size = s ? parse_size(s->get()) : Result<std::uint64_t>(Error{Errc::usage, ""});
        if (!size || *size == 0)
          return error(line, fmt::format("'quota' in {} must be a size such as \"500G\"", where));
        st.quota = *size;
      } else if (const auto price = price_key(key); price && !thresholds_only) {
        const auto d = v.value<double>();
        if (!d || !(*d >= 0) || !std::isfinite(*d) || v.is_boolean() || v.is_string())
          return error(line, fmt::format("'{}' in {} must be a number of at least 0 ({})", key,
                                         where, price->second));
        st.*(price->first) = *d;
      } else {
        return error(line_of(k.source()),
                     fmt::format("unknown key '{}' in {} (only {})", key, where,
                                 thresholds_only ? "'warn' and 'warn-within'"
                                                 : "'quota', 'warn', 'warn-within', "
                                                   "'price-gb-month', 'price-put-1000', "
                                                   "'price-get-1000' and 'price-gb-out'"));
      }
    }
    return st;
  }

 private:
  std::string_view origin_;
};

}  // namespace

bool Class::has_retention_rules() const {
  for (const auto& n : {keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly, keep_yearly})
    if (n && *n > 0) return true;
  return keep_within_ns.has_value() || !keep_tagged.empty();
}

bool Policy::has_capacity() const {
  return capacity.line > 0 || repository.line > 0 || !destinations.empty();
}

Performance Policy::performance_for(const Class* cls) const {
  Performance p = performance;
  if (cls && cls->slow_run) p.slow_run = cls->slow_run;
  if (cls && cls->min_throughput) p.min_throughput = cls->min_throughput;
  return p;
}

const Class* Policy::find(std::string_view name) const {
  auto it = classes.find(std::string(name));
  return it == classes.end() ? nullptr : &it->second;
}

Result<Policy> parse(std::string_view text, std::string_view origin) {
  Checker check(origin);
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return check.error(line_of(e.source()), std::string(e.description()));
  }
  Policy p;
  p.origin = std::string(origin);
  for (const auto& [k, v] : root) {
    if (k.str() == "notify") {
      CAIRN_TRY_ASSIGN(p.notify, check.notify(k, v, "[notify]", true));
      continue;
    }
    if (k.str() == "capacity" || k.str() == "repository") {
      const bool cap = k.str() == "capacity";
      Storage& st = cap ? p.capacity : p.repository;
      CAIRN_TRY_ASSIGN(st, check.storage(k, v, cap ? "[capacity]" : "[repository]", cap));
      continue;
    }
    if (k.str() == "performance") {
      CAIRN_TRY_ASSIGN(p.performance, check.performance(k, v));
      continue;
    }
    if (k.str() == "destination") {
      const auto* dests = v.as_table();
      if (!dests)
        return check.error(line_of(v.source()), fmt::format("'destination' must be a table of "
                                                            "[destination.\"URL\"] tables, not {}",
                                                            type_name(v.type())));
      for (const auto& [url, node] : *dests) {
        CAIRN_TRY_ASSIGN(
            Storage st,
            check.storage(url, node, fmt::format("[destination.\"{}\"]", url.str()), false));
        st.name = std::string(url.str());
        p.destinations.emplace(st.name, std::move(st));
      }
      continue;
    }
    if (k.str() != "class")
      return check.error(
          line_of(k.source()),
          fmt::format("unknown key '{}' (only [class.NAME], [notify], [capacity], [repository], "
                      "[destination.\"URL\"] and [performance] tables belong here)",
                      k.str()));
    const auto* classes = v.as_table();
    if (!classes)
      return check.error(line_of(v.source()),
                         fmt::format("'class' must be a table, not {}", type_name(v.type())));
    for (const auto& [name, node] : *classes) {
      CAIRN_TRY_ASSIGN(Class c, check.klass(name, node));
      p.classes.emplace(c.name, std::move(c));
    }
  }
  return p;
}

Result<Policy> load(const std::filesystem::path& file) {
  // Plain stdio: the policy module depends on base only, and a policy file is small.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f) {
    const int err = errno;
    if (err == ENOENT)
      return Error{Errc::not_found,
                   fmt::format("policy file '{}' does not exist (use --policy or CAIRN_POLICY)",
                               file.string())};
    return errno_error(err, fmt::format("cannot open policy file '{}'", file.string()));
  }
  constexpr std::size_t kMaxPolicy = 4u << 20;
  std::string text;
  char buf[8192];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
    text.append(buf, n);
    if (text.size() > kMaxPolicy)
      return Error{Errc::bad_input,
                   fmt::format("policy file '{}' is larger than 4 MiB", file.string())};
    if (n < sizeof buf) {
      if (std::ferror(f.get()))
        return errno_error(errno, fmt::format("cannot read policy file '{}'", file.string()));
      break;
    }
  }
  return parse(text, file.string());
}

std::filesystem::path locate(const std::optional<std::filesystem::path>& flag,
                             const GetEnv& getenv) {
  if (flag && !flag->empty()) return *flag;
  if (auto env = getenv("CAIRN_POLICY"); env && !env->empty()) return *env;
  return std::filesystem::path(kDefaultFile);
}

Result<std::optional<Policy>> load_optional(const std::optional<std::filesystem::path>& flag,
                                            const GetEnv& getenv) {
  const std::filesystem::path file = locate(flag, getenv);
  auto loaded = load(file);
  if (loaded) return std::optional<Policy>(std::move(*loaded));
  const bool named = (flag && !flag->empty()) || file != std::filesystem::path(kDefaultFile);
  if (loaded.error().code == Errc::not_found && !named) return std::optional<Policy>();
  return std::move(loaded).error();
}

}  // namespace cairn::policy
