// Text helpers shared by the HTTP backends and notify: percent-encoding, a minimal XML reader,
// dates.
#include <ctime>
#include <random>

#include <fmt/format.h>

#include "net/http.hpp"

namespace cairn::net {

namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x110000) {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<std::string> uri_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view name) {
  std::vector<std::string_view> out;
  const std::string open = "<" + std::string(name);
  const std::string close = "</" + std::string(name) + ">";
  std::size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    const std::size_t after = pos + open.size();
    if (after >= xml.size()) break;
    const char next = xml[after];
    if (next != '>' && next != ' ' && next != '/' && next != '\t' && next != '\n' && next != '\r') {
      pos = after;  // a longer name that starts the same
      continue;
    }
    const std::size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) break;
    if (xml[gt - 1] == '/') {  // <Name/>
      out.emplace_back();
      pos = gt + 1;
      continue;
    }
    const std::size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(gt + 1, end - gt - 1));
    pos = end + close.size();
  }
  return out;
}

std::optional<std::string> xml_text(std::string_view xml, std::string_view name) {
  auto all = xml_elements(xml, name);
  if (all.empty()) return std::nullopt;
  return xml_unescape(all.front());
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string xml_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    const std::size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    const std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "lt")
      out.push_back('<');
    else if (ent == "gt")
      out.push_back('>');
    else if (ent == "amp")
      out.push_back('&');
    else if (ent == "quot")
      out.push_back('"');
    else if (ent == "apos")
      out.push_back('\'');
    else if (ent.size() > 1 && ent[0] == '#') {
      std::uint32_t cp = 0;
      const bool hex = ent[1] == 'x' || ent[1] == 'X';
      bool ok = ent.size() > (hex ? 2u : 1u);
      for (char c : ent.substr(hex ? 2 : 1)) {
        const int v = hex ? hex_value(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
        if (v < 0 || cp > 0x10FFFF) {
          ok = false;
          break;
        }
        cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
      }
      if (!ok) {
        out.push_back('&');
        continue;
      }
      append_utf8(out, cp);
    } else {
      out.push_back('&');
      continue;
    }
    i = semi;
  }
  return out;
}

Result<Endpoint> parse_endpoint(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return Error{Errc::usage, fmt::format("invalid endpoint '{}': {}", url, why)};
  };
  std::string_view rest;
  std::string scheme;
  if (url.starts_with("http://"))
    scheme = "http";
  else if (url.starts_with("https://"))
    scheme = "https";
  else
    return bad("it must start with http:// or https://");
  rest = url.substr(scheme.size() + 3);
  if (rest.find_first_of("?#@") != std::string_view::npos)
    return bad("no query, fragment or user allowed");
  const std::size_t slash = rest.find('/');
  Endpoint e;
  e.host = std::string(rest.substr(0, slash));
  if (e.host.empty()) return bad("no host");
  e.origin = scheme + "://" + e.host;
  if (slash != std::string_view::npos) e.path = std::string(rest.substr(slash));
  while (!e.path.empty() && e.path.back() == '/') e.path.pop_back();
  return e;
}

Error http_error(const Response& r, std::string_view what) {
  Errc code = Errc::io;
  if (r.status == 401 || r.status == 403)
    code = Errc::auth;
  else if (r.status == 404)
    code = Errc::not_found;
  else if (r.status == 408 || r.status == 429 || r.status >= 500)
    code = Errc::network;
  std::string detail = fmt::format("HTTP {}", r.status);
  const std::string_view body = as_chars(r.body);
  if (auto c = xml_text(body, "Code")) {
    detail += " " + *c;
    // The bucket or container itself is missing: the destination refuses every request
    // (exit 13), unlike a missing object.
    if (*c == "NoSuchBucket" || *c == "ContainerNotFound") code = Errc::network;
  }
  if (auto m = xml_text(body, "Message")) {
    std::string msg = m->substr(0, m->find('\n'));  // Azure appends RequestId and Time lines
    if (msg.size() > 300) msg.resize(300);
    detail += ": " + msg;
  } else if (code == Errc::auth) {  // a HEAD answer has no body to explain it
    detail +=
        ": access denied (check the credentials: access key and secret, account key or SAS token)";
  }
  return Error{code, fmt::format("{}: {}", what, detail)};
}

std::string random_hex(std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string s;
  s.reserve(n);
  while (s.size() < n) {
    std::uint32_t x = rd();
    for (int i = 0; i < 8 && s.size() < n; ++i, x >>= 4) s.push_back(kHex[x & 15]);
  }
  return s;
}

}  // namespace cairn::net
