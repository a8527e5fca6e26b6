// lib/manifest/manifest.cpp: Entry <-> JSON line, path rules, manifest Writer and Reader.
#include "manifest/manifest.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/text.hpp"

namespace cairn::manifest {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 8> kTypeNames{"file", "dir",    "symlink", "hardlink",
                                                     "fifo", "socket", "chardev", "blockdev"};
constexpr std::array<std::string_view, 5> kChangeNames{"", "added", "modified", "unchanged",
                                                       "deleted"};

void put_key(std::string& out, std::string_view key) {
  out.push_back(',');
  append_json_string(out, key);
  out.push_back(':');
}

template <typename T>
void put_num(std::string& out, std::string_view key, T v) {
  put_key(out, key);
  out += fmt::format("{}", v);
}

// "path":"..." or "path_b64":"..." depending on whether the bytes are UTF-8.
void put_bytes_field(std::string& out, std::string_view key, std::string_view bytes,
                     bool first = false) {
  if (!first) out.push_back(',');
  if (is_utf8(bytes)) {
    append_json_string(out, key);
    out.push_back(':');
    append_json_string(out, bytes);
  } else {
    append_json_string(out, fmt::format("{}_b64", key));
    out.push_back(':');
    append_json_string(out, to_base64(as_bytes(bytes)));
  }
}

Error bad(std::string msg) { return Error{Errc::bad_input, std::move(msg)}; }

// Reads the string field `key` or its "<key>_b64" form; nullopt when neither is present.
Result<std::optional<std::string>> get_bytes_field(const json& j, const std::string& key) {
  auto it = j.find(key);
  if (it != j.end()) {
    if (!it->is_string()) return bad(fmt::format("\"{}\" is not a string", key));
    const auto& s = it->get_ref<const std::string&>();
    return std::optional<std::string>(s);
  }
  auto b = j.find(key + "_b64");
  if (b != j.end()) {
    if (!b->is_string()) return bad(fmt::format("\"{}_b64\" is not a string", key));
    auto raw = from_base64(b->get_ref<const std::string&>());
    if (!raw) return bad(fmt::format("\"{}_b64\" is not valid base64", key));
    return std::optional<std::string>(std::string(as_chars(*raw)));
  }
  return std::optional<std::string>();
}

template <typename T>
Status get_unsigned(const json& j, const char* key, T& out,
                    std::uint64_t max = std::numeric_limits<T>::max()) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() > max)
    return bad(fmt::format("\"{}\" is not an integer in range", key));
  out = static_cast<T>(it->get<std::uint64_t>());
  return {};
}

Status get_signed(const json& j, const char* key, std::int64_t& out) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_number_unsigned()) {
    if (it->get<std::uint64_t>() >
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return bad(fmt::format("\"{}\" is out of range", key));
  } else if (!it->is_number_integer()) {
    return bad(fmt::format("\"{}\" is not an integer", key));
  }
  out = it->get<std::int64_t>();
  return {};
}

Status get_bool(const json& j, const char* key, bool& out) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (!it->is_boolean()) return bad(fmt::format("\"{}\" is not true or false", key));
  out = it->get<bool>();
  return {};
}

Status get_opt_string(const json& j, const char* key, std::optional<std::string>& out) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (!it->is_string()) return bad(fmt::format("\"{}\" is not a string", key));
  out = it->get<std::string>();
  return {};
}

Status get_string(const json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (!it->is_string()) return bad(fmt::format("\"{}\" is not a string", key));
  out = it->get<std::string>();
  return {};
}

Result<Entry> from_json(const json& j) {
  Entry e;
  CAIRN_TRY_ASSIGN(auto path, get_bytes_field(j, "path"));
  if (!path) return bad("entry has no \"path\"");
  e.path = std::move(*path);
  CAIRN_TRY(check_path(e.path));
  auto t = j.find("type");
  if (t == j.end() || !t->is_string())
    return bad(fmt::format("entry '{}' has no \"type\"", e.path));
  auto type = type_from_name(t->get_ref<const std::string&>());
  if (!type)
    return bad(
        fmt::format("entry '{}' has unknown type '{}'", e.path, t->get_ref<const std::string&>()));
  e.type = *type;
  CAIRN_TRY(get_unsigned(j, "mode", e.mode, 07777));
  CAIRN_TRY(get_unsigned(j, "uid", e.uid));
  CAIRN_TRY(get_unsigned(j, "gid", e.gid));
  CAIRN_TRY(get_opt_string(j, "user", e.user));
  CAIRN_TRY(get_opt_string(j, "group", e.group));
  CAIRN_TRY(get_unsigned(j, "size", e.size));
  CAIRN_TRY(get_signed(j, "mtime_ns", e.mtime_ns));
  CAIRN_TRY(get_signed(j, "ctime_ns", e.ctime_ns));
  CAIRN_TRY(get_unsigned(j, "ino", e.ino));
  CAIRN_TRY(get_unsigned(j, "dev", e.dev));
  CAIRN_TRY(get_unsigned(j, "nlink", e.nlink));
  CAIRN_TRY(get_unsigned(j, "rdev_major", e.rdev_major));
  CAIRN_TRY(get_unsigned(j, "rdev_minor", e.rdev_minor));
  CAIRN_TRY_ASSIGN(auto target, get_bytes_field(j, "target"));
  if (target) e.target = std::move(*target);
  if (e.type == Type::symlink && (!target || e.target.empty()))
    return bad(fmt::format("symlink '{}' has no \"target\"", e.path));
  if (e.target.find('\0') != std::string::npos)
    return bad(fmt::format("symlink '{}' has a target with a NUL byte", e.path));
  CAIRN_TRY_ASSIGN(auto link, get_bytes_field(j, "link"));
  if (link) e.link = std::move(*link);
  if (e.type == Type::hardlink) {
    if (!link) return bad(fmt::format("hardlink '{}' has no \"link\"", e.path));
    if (e.link == ".") return bad(fmt::format("hardlink '{}' links to the root", e.path));
    CAIRN_TRY(check_path(e.link));
  }
  if (auto x = j.find("xattrs"); x != j.end()) {
    if (!x->is_object()) return bad(fmt::format("entry '{}': \"xattrs\" is not an object", e.path));
    for (auto it = x->begin(); it != x->end(); ++it) {
      if (!it.value().is_string())
        return bad(fmt::format("entry '{}': xattr '{}' is not a base64 string", e.path, it.key()));
      auto v = from_base64(it.value().get_ref<const std::string&>());
      if (!v)
        return bad(fmt::format("entry '{}': xattr '{}' is not valid base64", e.path, it.key()));
      e.xattrs.push_back(Xattr{it.key(), std::move(*v)});
    }
    std::sort(e.xattrs.begin(), e.xattrs.end(),
              [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
  }
  CAIRN_TRY(get_opt_string(j, "acl_access", e.acl_access));
  CAIRN_TRY(get_opt_string(j, "acl_default", e.acl_default));
  CAIRN_TRY(get_bool(j, "sparse", e.sparse));
  CAIRN_TRY(get_bool(j, "inline", e.inline_content));
  if (auto s = j.find("status"); s != j.end()) {
    auto c = s->is_string() ? change_from_name(s->get_ref<const std::string&>()) : std::nullopt;
    if (!c || *c == Change::none)
      return bad(fmt::format("entry '{}' has an unknown \"status\"", e.path));
    e.status = *c;
  }
  if (auto d = j.find("digest"); d != j.end()) {
    auto dg =
        d->is_string() ? hash::Digest::from_hex(d->get_ref<const std::string&>()) : std::nullopt;
    if (!dg) return bad(fmt::format("entry '{}': \"digest\" is not a 64-digit hex digest", e.path));
    e.digest = *dg;
  }
  if (auto c = j.find("chunks"); c != j.end()) {
    if (!c->is_array()) return bad(fmt::format("entry '{}': \"chunks\" is not an array", e.path));
    e.chunks.reserve(c->size());
    for (const auto& v : *c) {
      auto id =
          v.is_string() ? hash::ChunkId::from_hex(v.get_ref<const std::string&>()) : std::nullopt;
      if (!id) return bad(fmt::format("entry '{}': a chunk id is not a 64-digit hex id", e.path));
      e.chunks.push_back(*id);
    }
  }
  if (auto c = j.find("proofs"); c != j.end()) {
    if (!c->is_array()) return bad(fmt::format("entry '{}': \"proofs\" is not an array", e.path));
    e.proofs.reserve(c->size());
    for (const auto& v : *c) {
      auto d =
          v.is_string() ? hash::Digest::from_hex(v.get_ref<const std::string&>()) : std::nullopt;
      if (!d)
        return bad(fmt::format("entry '{}': a chunk proof is not a 64-digit hex digest", e.path));
      e.proofs.push_back(*d);
    }
    if (e.proofs.size() != e.chunks.size())
      return bad(fmt::format("entry '{}' has {} chunk proofs for {} chunks", e.path,
                             e.proofs.size(), e.chunks.size()));
  }
  return e;
}

Result<SetInfo> set_from_json(const json& h) {
  SetInfo s;
  auto it = h.find("set");
  if (it == h.end()) return s;
  const json& j = *it;
  if (!j.is_object()) return bad("\"set\" is not an object");
  CAIRN_TRY(get_string(j, "source", s.source));
  CAIRN_TRY(get_string(j, "host", s.host));
  CAIRN_TRY(get_string(j, "class", s.retention_class));
  CAIRN_TRY(get_signed(j, "started_ns", s.started_ns));
  if (auto r = j.find("roots"); r != j.end()) {
    if (!r->is_array()) return bad("\"roots\" is not an array");
    for (const auto& v : *r) {
      if (!v.is_string()) return bad("\"roots\" holds a non-string");
      s.roots.push_back(v.get<std::string>());
    }
  }
  return s;
}

}  // namespace

std::string_view type_name(Type t) { return kTypeNames[static_cast<std::size_t>(t)]; }

std::optional<Type> type_from_name(std::string_view s) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i)
    if (kTypeNames[i] == s) return static_cast<Type>(i);
  return std::nullopt;
}

std::string_view change_name(Change c) { return kChangeNames[static_cast<std::size_t>(c)]; }

std::optional<Change> change_from_name(std::string_view s) {
  for (std::size_t i = 0; i < kChangeNames.size(); ++i)
    if (kChangeNames[i] == s) return static_cast<Change>(i);
  return std::nullopt;
}

Status check_path(std::string_view path) {
  auto quoted = [&] { return is_utf8(path) ? std::string(path) : to_base64(as_bytes(path)); };
  if (path == ".") return {};
  if (path.empty()) return bad("entry has an empty path");
  if (path.find('\0') != std::string_view::npos)
    return bad(fmt::format("path '{}' contains a NUL byte", quoted()));
  if (path.front() == '/') return bad(fmt::format("path '{}' is absolute", quoted()));
  std::size_t start = 0;
  for (;;) {
    std::size_t end = path.find('/', start);
    auto comp =
        path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (comp.empty()) return bad(fmt::format("path '{}' has an empty component", quoted()));
    if (comp == "." || comp == "..")
      return bad(fmt::format("path '{}' has a '{}' component", quoted(), comp));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return {};
}

bool path_less(std::string_view a, std::string_view b) {
  if (a == b) return false;
  if (a == ".") return true;
  if (b == ".") return false;
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    auto ca = static_cast<unsigned char>(a[i]), cb = static_cast<unsigned char>(b[i]);
    if (ca == cb) continue;
    if (ca == '/') return true;  // '/' sorts before every other byte
    if (cb == '/') return false;
    return ca < cb;
  }
  return a.size() < b.size();
}

std::string encode_entry(const Entry& e) {
  std::string out;
  out.reserve(256 + e.chunks.size() * 67 + e.proofs.size() * 67);
  out.push_back('{');
  put_bytes_field(out, "path", e.path, true);
  put_key(out, "type");
  append_json_string(out, type_name(e.type));
  put_num(out, "mode", e.mode);
  put_num(out, "uid", e.uid);
  put_num(out, "gid", e.gid);
  if (e.user && is_utf8(*e.user)) {
    put_key(out, "user");
    append_json_string(out, *e.user);
  }
  if (e.group && is_utf8(*e.group)) {
    put_key(out, "group");
    append_json_string(out, *e.group);
  }
  put_num(out, "size", e.size);
  put_num(out, "mtime_ns", e.mtime_ns);
  put_num(out, "ctime_ns", e.ctime_ns);
  put_num(out, "ino", e.ino);
  put_num(out, "dev", e.dev);
  put_num(out, "nlink", e.nlink);
  if (e.type == Type::chardev || e.type == Type::blockdev || e.rdev_major || e.rdev_minor) {
    put_num(out, "rdev_major", e.rdev_major);
    put_num(out, "rdev_minor", e.rdev_minor);
  }
  if (e.type == Type::symlink || !e.target.empty()) put_bytes_field(out, "target", e.target);
  if (e.type == Type::hardlink || !e.link.empty()) put_bytes_field(out, "link", e.link);
  bool any_xattr = false;
  for (const auto& x : e.xattrs) {
    if (!is_utf8(x.name)) continue;
    out += any_xattr ? "," : ",\"xattrs\":{";
    any_xattr = true;
    append_json_string(out, x.name);
    out.push_back(':');
    append_json_string(out, to_base64(x.value));
  }
  if (any_xattr) out.push_back('}');
  if (e.acl_access && is_utf8(*e.acl_access)) {
    put_key(out, "acl_access");
    append_json_string(out, *e.acl_access);
  }
  if (e.acl_default && is_utf8(*e.acl_default)) {
    put_key(out, "acl_default");
    append_json_string(out, *e.acl_default);
  }
  if (e.sparse) out += ",\"sparse\":true";
  if (e.inline_content) out += ",\"inline\":true";
  if (e.status != Change::none) {
    put_key(out, "status");
    append_json_string(out, change_name(e.status));
  }
  if (e.digest) {
    put_key(out, "digest");
    append_json_string(out, e.digest->hex());
  }
  // ,"key":["hex",...] for chunk ids and proofs alike
  const auto hex_array = [&out](std::string_view key, const auto& items) {
    out += ",\"";
    out += key;
    out += "\":[";
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out.push_back(',');
      out.push_back('"');
      out += items[i].hex();
      out.push_back('"');
    }
    out.push_back(']');
  };
  if (e.digest || !e.chunks.empty()) hex_array("chunks", e.chunks);
  if (!e.proofs.empty()) hex_array("proofs", e.proofs);
  out.push_back('}');
  return out;
}

Result<Entry> decode_entry(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("manifest entry: not a JSON object");
  auto e = from_json(j);
  if (!e) return std::move(e.error().wrap("manifest entry"));
  return e;
}

// ---- Writer ---------------------------------------------------------------------------------

Status Writer::header(const SetInfo& set) {
  json s = json::object();
  s["source"] = set.source;
  s["host"] = set.host;
  s["class"] = set.retention_class;
  s["started_ns"] = set.started_ns;
  s["roots"] = set.roots;
  json extra = json::object();
  extra["set"] = std::move(s);
  return w_.header(extra);
}

Status Writer::entry(const Entry& e) {
  if (in_frames_) return Error{Errc::internal, "manifest entry written before end_frames()"};
  CAIRN_TRY(check_path(e.path));
  if (e.type == Type::hardlink) CAIRN_TRY(check_path(e.link));
  CAIRN_TRY(w_.record(encode_entry(e)));
  in_frames_ = e.inline_content;
  return {};
}

Status Writer::frame(ByteView data) {
  if (!in_frames_) return Error{Errc::internal, "manifest frame after an entry that is not inline"};
  return w_.frame(data);
}

Status Writer::end_frames() {
  if (!in_frames_)
    return Error{Errc::internal, "manifest end_frames() after an entry that is not inline"};
  in_frames_ = false;
  return w_.end_frames();
}

Status Writer::finish() {
  if (in_frames_) return Error{Errc::internal, "manifest finished before end_frames()"};
  return w_.finish();
}

// ---- Reader ---------------------------------------------------------------------------------

Status Reader::open() {
  json h;
  CAIRN_TRY(r_.header(h));
  auto s = set_from_json(h);
  if (!s) return std::move(s.error().wrap("manifest line 1"));
  set_ = std::move(*s);
  return {};
}

Result<bool> Reader::next(Entry& e) {
  json j;
  frames_ = false;
  CAIRN_TRY_ASSIGN(bool more, r_.next(j));
  if (!more) return false;
  auto d = from_json(j);
  if (!d) return std::move(d.error().wrap(fmt::format("manifest line {}", r_.line())));
  e = std::move(*d);
  if (e.inline_content) {
    r_.expect_frames();
    frames_ = true;
  }
  return true;
}

Result<std::size_t> Reader::read_frame(Bytes& buf) {
  if (!frames_) {
    buf.clear();
    return std::size_t{0};
  }
  CAIRN_TRY_ASSIGN(std::size_t n, r_.read_frame(buf));
  if (n == 0) frames_ = false;
  return n;
}

}  // namespace cairn::manifest
