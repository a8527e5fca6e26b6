// Notify targets: parsing (strict: a typo must be a usage error, not a lost alert),
// redaction for messages, and the CAIRN_NOTIFY list.
#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "net/http.hpp"
#include "notify/notify.hpp"

namespace cairn::notify {

namespace {

constexpr std::array<std::string_view, 8> kSchemes = {
    "http://",   "https://",   "mailto:",        "exec:",
    "json+http", "slack+http", "pagerduty+http", "opsgenie+http"};

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// RFC 3986 percent-decoding, shared with the backends' URL parsing.
std::optional<std::string> percent_decode(std::string_view s) { return net::uri_decode(s); }

// local@domain in printable ASCII, without the characters that would let an address break
// out of an SMTP command or a header: space, <, >, (, ), comma, semicolon, quotes, backslash.
bool valid_address(std::string_view a) {
  if (a.size() > 254) return false;
  const auto at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == a.size()) return false;
  for (char c : a) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    if (std::string_view("<>(),;:\"\\[]").find(c) != std::string_view::npos) return false;
  }
  return a.find('@') == at;
}

// scheme://[userinfo@]host[:port][/path][?query][#fragment] split at its parts.
struct UrlParts {
  std::string_view scheme;    // "https://"
  std::string_view userinfo;  // without the '@'
  bool has_userinfo = false;
  std::string_view host;   // host[:port]
  std::string_view path;   // "/..." or ""
  std::string_view query;  // without the '?'
  bool has_query = false;
  std::string_view fragment;
  bool has_fragment = false;
};

std::optional<UrlParts> split_url(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  UrlParts p;
  p.scheme = url.substr(0, sep + 3);
  std::string_view rest = url.substr(sep + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) {
    p.fragment = rest.substr(hash + 1);
    p.has_fragment = true;
    rest = rest.substr(0, hash);
  }
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    p.query = rest.substr(q + 1);
    p.has_query = true;
    rest = rest.substr(0, q);
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) p.path = rest.substr(slash);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    p.userinfo = authority.substr(0, at);
    p.has_userinfo = true;
    authority = authority.substr(at + 1);
  }
  p.host = authority;
  return p;
}

bool valid_host(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

std::string redact_url(std::string_view url, bool keep_path) {
  auto p = split_url(url);
  if (!p) {
    const auto q = url.find('?');
    return q == std::string_view::npos ? std::string(url) : std::string(url.substr(0, q)) + "?***";
  }
  std::string out(p->scheme);
  if (p->has_userinfo) out += "***@";
  out += p->host;
  if (keep_path) {
    out += p->path;
  } else if (!p->path.empty()) {
    const auto second = p->path.find('/', 1);
    if (second == std::string_view::npos || second + 1 == p->path.size()) {
      out += p->path;
    } else {
      out += p->path.substr(0, second);
      out += "/***";
    }
  }
  if (p->has_query) out += "?***";
  if (p->has_fragment) out += "#***";
  return out;
}

Error invalid(std::string_view spec, std::string_view why) {
  return Error{Errc::usage, fmt::format("invalid notify target '{}': {}", redact(spec), why)};
}

Result<Target> parse_webhook(std::string_view spec) {
  auto p = split_url(spec);
  if (!p || !valid_host(p->host))
    return invalid(spec, "a webhook URL needs a host: http(s)://HOST[:PORT]/PATH");
  for (char c : spec) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f)
      return invalid(spec, "spaces and control characters must be percent-encoded");
  }
  Target t;
  t.kind = Kind::webhook;
  t.url = std::string(spec);
  return t;
}

Result<Target> parse_mailto(std::string_view spec) {
  std::string_view rest = spec.substr(7);  // "mailto:"
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  Target t;
  t.kind = Kind::email;
  auto add_addresses = [&](std::string_view encoded) -> Status {
    auto list = percent_decode(encoded);
    if (!list) return invalid(spec, "a malformed %-escape");
    std::string_view l = *list;
    while (!l.empty()) {
      const auto comma = l.find(',');
      std::string_view a = l.substr(0, comma);
      while (!a.empty() && space(a.front())) a.remove_prefix(1);
      while (!a.empty() && space(a.back())) a.remove_suffix(1);
      if (!valid_address(a))
        return invalid(spec, fmt::format("'{}' is not an email address (local@domain)", a));
      t.to.emplace_back(a);
      if (comma == std::string_view::npos) break;
      l.remove_prefix(comma + 1);
    }
    return {};
  };
  CAIRN_TRY(add_addresses(rest));
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view field = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (field.empty()) continue;
    const auto eq = field.find('=');
    if (eq == std::string_view::npos)
      return invalid(spec, fmt::format("'{}' has no value (NAME=VALUE)", field));
    const std::string_view name = field.substr(0, eq);
    if (name == "to") {
      CAIRN_TRY(add_addresses(field.substr(eq + 1)));
      continue;
    }
    auto value = percent_decode(field.substr(eq + 1));
    if (!value) return invalid(spec, "a malformed %-escape");
    if (name == "from") {
      if (!valid_address(*value))
        return invalid(spec, fmt::format("from '{}' is not an email address", *value));
      t.from = *value;
    } else if (name == "smtp") {
      auto p = split_url(*value);
      if (!p || (p->scheme != "smtp://" && p->scheme != "smtps://"))
        return invalid(spec, "smtp= takes smtp://HOST[:PORT] or smtps://HOST[:PORT]");
      if (p->has_userinfo)
        return invalid(
            spec, "no credentials in the target: set CAIRN_SMTP_USER and CAIRN_SMTP_PASSWORD_FILE");
      if (!valid_host(p->host)) return invalid(spec, "the smtp= URL has no host");
      if (p->has_query || p->has_fragment || (!p->path.empty() && p->path != "/"))
        return invalid(spec, "the smtp= URL takes no path, query or fragment");
      t.smtp = std::string(p->scheme) + std::string(p->host);
    } else {
      return invalid(spec,
                     fmt::format("unknown field '{}' (mailto: takes smtp=, from= and to=)", name));
    }
  }
  if (t.to.empty()) return invalid(spec, "no recipient: mailto:ADDRESS[?smtp=URL]");
  return t;
}

Result<Target> parse_exec(std::string_view spec) {
  const std::string_view path = spec.substr(5);  // "exec:"
  if (path.empty() || path.front() != '/')
    return invalid(spec, "exec: takes an absolute path to a command (no shell, no arguments)");
  Target t;
  t.kind = Kind::exec;
  t.command = std::filesystem::path(path);
  return t;
}

constexpr std::array<std::pair<std::string_view, Format>, 4> kFormats = {{
    {"json+", Format::json},
    {"slack+", Format::slack},
    {"pagerduty+", Format::pagerduty},
    {"opsgenie+", Format::opsgenie},
}};

// The FORMAT+ prefix of a webhook target, when `spec` starts with one.
std::optional<std::pair<std::string_view, Format>> format_prefix(std::string_view spec) {
  for (const auto& f : kFormats)
    if (spec.starts_with(f.first)) return f;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Format f) {
  switch (f) {
    case Format::json: return "json";
    case Format::slack: return "slack";
    case Format::pagerduty: return "pagerduty";
    case Format::opsgenie: return "opsgenie";
  }
  return "json";
}

Result<Target> parse_target(std::string_view spec) {
  if (const auto f = format_prefix(spec)) {
    const std::string_view url = spec.substr(f->first.size());
    if (!url.starts_with("http://") && !url.starts_with("https://"))
      return invalid(spec, fmt::format("the {} prefix takes a webhook: {}https://HOST/PATH",
                                       f->first, f->first));
    CAIRN_TRY_ASSIGN(Target t, parse_webhook(url));
    t.format = f->second;
    return t;
  }
  if (spec.starts_with("http://") || spec.starts_with("https://")) return parse_webhook(spec);
  if (spec.starts_with("mailto:")) return parse_mailto(spec);
  if (spec.starts_with("exec:")) return parse_exec(spec);
  return invalid(spec,
                 "it must start with http://, https://, mailto: or exec: (a webhook may have a "
                 "slack+, pagerduty+, opsgenie+ or json+ prefix)");
}

std::string redact(std::string_view spec) {
  if (spec.starts_with("exec:")) return std::string(spec);
  if (const auto f = format_prefix(spec))
    return std::string(f->first) + redact_url(spec.substr(f->first.size()), false);
  if (spec.starts_with("mailto:")) {
    const auto q = spec.find('?');
    if (q == std::string_view::npos) return std::string(spec);
    // The addresses and from= stay (they are what a reader needs); smtp= loses userinfo.
    std::string out(spec.substr(0, q + 1));
    std::string_view query = spec.substr(q + 1);
    bool first = true;
    while (!query.empty() || first) {
      const auto amp = query.find('&');
      const std::string_view field = query.substr(0, amp);
      if (!first) out += '&';
      first = false;
      if (field.starts_with("smtp=")) {
        const auto value = percent_decode(field.substr(5));
        out += "smtp=" + (value ? redact_url(*value, true) : std::string("***"));
      } else if (field.starts_with("from=") || field.starts_with("to=")) {
        out += field;
      } else {
        const auto eq = field.find('=');
        out += eq == std::string_view::npos ? std::string(field)
                                            : std::string(field.substr(0, eq)) + "=***";
      }
      if (amp == std::string_view::npos) break;
      query = query.substr(amp + 1);
    }
    return out;
  }
  return redact_url(spec, false);
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && (space(list[i]) || list[i] == ',')) ++i;
    if (i >= list.size()) break;
    std::size_t j = i;
    while (j < list.size() && !space(list[j])) {
      if (list[j] == ',') {
        const std::string_view next = list.substr(j + 1);
        const bool starts_target =
            std::any_of(kSchemes.begin(), kSchemes.end(),
                        [&](std::string_view s) { return next.starts_with(s); });
        if (starts_target || next.empty() || space(next.front()) || next.front() == ',') break;
      }
      ++j;
    }
    out.emplace_back(list.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace cairn::notify
