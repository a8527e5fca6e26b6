// What a notification says: the summary line, the JSON body, the email and the exec:
// environment, all from one Event.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/time.hpp"
#include "notify/notify.hpp"

namespace cairn::notify {

namespace {

constexpr std::size_t kMaxLine = 998;  // RFC 5322 2.1.1, without the CRLF

// One line for a header: control characters (CR and LF above all) become spaces.
std::string header_value(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

bool ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// A header value that may hold UTF-8: as is when ASCII, else an RFC 2047 encoded-word.
std::string encoded_header(std::string_view s) {
  const std::string v = header_value(s);
  if (ascii(v)) return v;
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b;
  for (std::size_t i = 0; i < v.size(); i += 3) {
    const std::uint32_t n = (static_cast<unsigned char>(v[i]) << 16) |
                            (i + 1 < v.size() ? static_cast<unsigned char>(v[i + 1]) << 8 : 0) |
                            (i + 2 < v.size() ? static_cast<unsigned char>(v[i + 2]) : 0);
    b.push_back(kB64[(n >> 18) & 63]);
    b.push_back(kB64[(n >> 12) & 63]);
    b.push_back(i + 1 < v.size() ? kB64[(n >> 6) & 63] : '=');
    b.push_back(i + 2 < v.size() ? kB64[n & 63] : '=');
  }
  return "=?utf-8?B?" + b + "?=";
}

// Appends `text` to `out` as body lines ending in CRLF, none longer than kMaxLine bytes
// (split before a UTF-8 continuation byte, never inside a character).
void body_lines(std::string& out, std::string_view text) {
  while (true) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (line.size() > kMaxLine) {
      std::size_t cut = kMaxLine;
      while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
      out.append(line.substr(0, cut));
      out.append("\r\n");
      line.remove_prefix(cut);
    }
    out.append(line);
    out.append("\r\n");
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

std::string verb(int code) {
  switch (code) {
    case 0: return "succeeded";
    case 3: return "completed with warnings";
    case 130: return "was interrupted";
    default: return "failed";
  }
}

}  // namespace

std::string_view exit_meaning(int exit_code) {
  switch (static_cast<Exit>(exit_code)) {
    case Exit::ok: return "success";
    case Exit::failure: return "failure";
    case Exit::usage: return "usage error";
    case Exit::partial: return "completed with warnings";
    case Exit::damage: return "damage found";
    case Exit::objective: return "objective violated";
    case Exit::uncataloged: return "committed, catalog not updated";
    case Exit::no_repo: return "no repository";
    case Exit::locked: return "locked";
    case Exit::auth: return "wrong passphrase or key";
    case Exit::network: return "destination unreachable";
    case Exit::interrupted: return "interrupted";
  }
  return "failure";
}

std::string summary(const Event& e) {
  const std::string label =
      e.action == Action::resolve ? "resolved" : std::string(to_string(severity_of(e)));
  std::string s = "[" + label + "] ";
  if (!e.headline.empty())
    s += e.headline;
  else
    s += fmt::format("{} {} on {} with exit status {} ({})", e.tool, verb(e.exit_code), e.host,
                     e.exit_code, exit_meaning(e.exit_code));
  if (!e.message.empty()) s += ": " + e.message;
  return s;
}

std::string subject(const Event& e) {
  const std::string label =
      e.action == Action::resolve ? "resolved" : std::string(to_string(severity_of(e)));
  if (!e.headline.empty()) return fmt::format("cairn: [{}] {}", label, e.headline);
  return fmt::format("cairn: [{}] {} {} on {}", label, e.tool, verb(e.exit_code), e.host);
}

std::string to_json(const Event& e) {
  nlohmann::ordered_json j;
  j["schema"] = kSchema;
  j["text"] = summary(e);
  j["tool"] = e.tool;
  j["host"] = e.host;
  j["exit_code"] = e.exit_code;
  j["status"] = exit_meaning(e.exit_code);
  j["message"] = e.message;
  j["time"] = format_time(e.time_unix * kNsPerSecond);
  j["severity"] = to_string(severity_of(e));
  j["action"] = e.action == Action::resolve ? "resolve" : "trigger";
  j["dedup_key"] = dedup_key(e);
  j["escalated"] = e.escalated;
  if (!e.source.empty()) j["source"] = e.source;
  if (!e.objective.empty()) j["objective"] = e.objective;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string email_message(const Event& e, std::string_view from, const std::vector<std::string>& to,
                          std::string_view message_id) {
  std::string to_list;
  for (const auto& a : to) to_list += (to_list.empty() ? "" : ", ") + header_value(a);
  std::string body = summary(e) + "\n\n";
  body += fmt::format("tool:        {}\n", e.tool);
  body += fmt::format("host:        {}\n", e.host);
  body += fmt::format("exit status: {} ({})\n", e.exit_code, exit_meaning(e.exit_code));
  body += fmt::format("severity:    {}\n", to_string(severity_of(e)));
  body += fmt::format("dedup key:   {}\n", dedup_key(e));
  body += fmt::format("time:        {}\n", format_time(e.time_unix * kNsPerSecond));
  if (!e.message.empty()) body += fmt::format("message:     {}\n", e.message);
  body += "\n-- \nsent by cairn: see --notify in cairn(7)\n";

  std::string m;
  m += "Date: " + format_rfc5322(e.time_unix) + "\r\n";
  m += "From: " + header_value(from) + "\r\n";
  m += "To: " + to_list + "\r\n";
  m += "Subject: " + encoded_header(subject(e)) + "\r\n";
  m += "Message-ID: <" + header_value(message_id) + ">\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += std::string("Content-Transfer-Encoding: ") + (ascii(body) ? "7bit" : "8bit") + "\r\n";
  m += "X-Cairn-Tool: " + header_value(e.tool) + "\r\n";
  m += fmt::format("X-Cairn-Exit-Code: {}\r\n", e.exit_code);
  m += fmt::format("X-Cairn-Severity: {}\r\n", to_string(severity_of(e)));
  m += "\r\n";
  body_lines(m, body.substr(0, body.size() - 1));  // the last "\n" is the final CRLF
  return m;
}

std::vector<std::string> event_env(const Event& e) {
  return {
      fmt::format("CAIRN_EVENT_SCHEMA={}", kSchema),
      "CAIRN_EVENT_TOOL=" + e.tool,
      "CAIRN_EVENT_HOST=" + e.host,
      fmt::format("CAIRN_EVENT_EXIT_CODE={}", e.exit_code),
      fmt::format("CAIRN_EVENT_STATUS={}", exit_meaning(e.exit_code)),
      "CAIRN_EVENT_MESSAGE=" + e.message,
      "CAIRN_EVENT_TEXT=" + summary(e),
      "CAIRN_EVENT_TIME=" + format_time(e.time_unix * kNsPerSecond),
      fmt::format("CAIRN_EVENT_SEVERITY={}", to_string(severity_of(e))),
      std::string("CAIRN_EVENT_ACTION=") + (e.action == Action::resolve ? "resolve" : "trigger"),
      "CAIRN_EVENT_DEDUP_KEY=" + dedup_key(e),
  };
}

}  // namespace cairn::notify
