// lib/manifest/manifest.cpp: Entry <-> JSON line, path rules, manifest Writer and Reader.
#include "manifest/manifest.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <type_traits>

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

// A string literal, appended without strlen (std::string's operator+=(const char*) is not
// inlined: it measured 5% of cairn-pack's and cairn-diff's CPU time on unchanged entries).
template <std::size_t N>
void put_lit(std::string& out, const char (&s)[N]) {
  out.append(s, N - 1);
}

// Keys are fixed ASCII names: no escapes.
void put_key(std::string& out, std::string_view key) {
  put_lit(out, ",\"");
  out.append(key);
  put_lit(out, "\":");
}

template <typename T>
void put_num(std::string& out, std::string_view key, T v) {
  put_key(out, key);
  fmt::format_int digits(v);
  out.append(digits.data(), digits.size());
}

// A JSON string: bytes that need no escape are copied at once.
void put_string(std::string& out, std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == '"' || c == '\\') return append_json_string(out, s);
  }
  out.push_back('"');
  out.append(s);
  out.push_back('"');
}

void put_hex(std::string& out, const hash::Digest& d) {
  constexpr std::string_view kHex = "0123456789abcdef";
  char text[2 * hash::kDigestSize + 2];
  text[0] = text[sizeof text - 1] = '"';
  for (std::size_t i = 0; i < d.b.size(); ++i) {
    text[1 + 2 * i] = kHex[d.b[i] >> 4];
    text[2 + 2 * i] = kHex[d.b[i] & 15];
  }
  out.append(text, sizeof text);
}
template <typename Tag>
void put_hex(std::string& out, const hash::Id<Tag>& id) {
  put_hex(out, id.d);
}

// "path":"..." or "path_b64":"..." depending on whether the bytes are UTF-8.
void put_bytes_field(std::string& out, std::string_view key, std::string_view bytes,
                     bool first = false) {
  if (!first) out.push_back(',');
  if (is_utf8(bytes)) {
    out.push_back('"');
    out.append(key);
    put_lit(out, "\":");
    put_string(out, bytes);
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
  if (auto t = j.find("tags"); t != j.end()) {
    if (!t->is_array()) return bad("\"tags\" is not an array");
    for (const auto& v : *t) {
      if (!v.is_string()) return bad("\"tags\" holds a non-string");
      s.tags.push_back(v.get<std::string>());
    }
  }
  return s;
}

// ---- the fast reader ------------------------------------------------------------------------
// Fills an Entry straight from a line as encode_entry writes it (any key order, keys it does
// not know with scalar values), without building a JSON value. It takes a line only when the
// full parser (nlohmann::json, then from_json) would accept it and give the same Entry; any
// other line (whitespace, escapes, non-scalar unknown values, duplicate keys, the trailer's
// "end", a value from_json refuses) makes it return false, and the full parser decides, with
// its messages. So what is accepted, and every error, stays exactly as before.
class FastLine {
 public:
  explicit FastLine(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool parse(Entry& e) {
    reset(e);
    std::uint32_t seen = 0;
    int hint = 0;  // keys usually come in encode_entry's order
    if (!lit('{')) return false;
    if (lit('}')) return false;  // no path: the full parser says so
    for (;;) {
      std::string_view key;
      if (!str(key) || !lit(':')) return false;
      const int k = key_index(key, hint);
      if (k >= 0) {
        if (seen & (1u << k)) return false;
        seen |= 1u << k;
        if (!value(static_cast<Key>(k), e)) return false;
      } else if (key == "end" || !skip_scalar()) {
        return false;
      }
      if (lit('}')) break;
      if (!lit(',')) return false;
    }
    if (p_ != end_) return false;
    return check(e, seen);
  }

 private:
  enum Key : int {
    kPath,
    kPathB64,
    kType,
    kMode,
    kUid,
    kGid,
    kUser,
    kGroup,
    kSize,
    kMtime,
    kCtime,
    kIno,
    kDev,
    kNlink,
    kRdevMajor,
    kRdevMinor,
    kTarget,
    kTargetB64,
    kLink,
    kLinkB64,
    kXattrs,
    kAclAccess,
    kAclDefault,
    kSparse,
    kInline,
    kStatus,
    kDigest,
    kChunks,
    kProofs,
    kKeys
  };
  static constexpr std::array<std::string_view, kKeys> kNames{
      "path",   "path_b64", "type",       "mode",       "uid",         "gid",
      "user",   "group",    "size",       "mtime_ns",   "ctime_ns",    "ino",
      "dev",    "nlink",    "rdev_major", "rdev_minor", "target",      "target_b64",
      "link",   "link_b64", "xattrs",     "acl_access", "acl_default", "sparse",
      "inline", "status",   "digest",     "chunks",     "proofs"};

  // Inline: keys are a few bytes, and a call to memcmp per key was 3-4% of a stage's CPU.
  static bool same(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i]) return false;
    return true;
  }

  static int key_index(std::string_view k, int& hint) {
    for (int n = 0; n < kKeys; ++n) {
      const int i = (hint + n) % kKeys;
      if (same(kNames[static_cast<std::size_t>(i)], k)) {
        hint = i + 1;
        return i;
      }
    }
    return -1;
  }

  // Keeps the capacity of e's strings and vectors.
  static void reset(Entry& e) {
    e.path.clear();
    e.type = Type::file;
    e.mode = e.uid = e.gid = 0;
    e.user.reset();
    e.group.reset();
    e.size = 0;
    e.mtime_ns = e.ctime_ns = 0;
    e.ino = e.dev = e.nlink = 0;
    e.rdev_major = e.rdev_minor = 0;
    e.target.clear();
    e.link.clear();
    e.xattrs.clear();
    e.acl_access.reset();
    e.acl_default.reset();
    e.sparse = e.inline_content = false;
    e.status = Change::none;
    e.chunks.clear();
    e.proofs.clear();
    e.digest.reset();
  }

  bool lit(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool word(std::string_view w) {
    if (static_cast<std::size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w)
      return false;
    p_ += w.size();
    return true;
  }
  // A string without escapes or control bytes, valid UTF-8 (as the full parser demands).
  bool str(std::string_view& out) {
    static constexpr auto kStop = [] {
      std::array<bool, 256> t{};
      for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = true;
      t['"'] = t['\\'] = true;
      return t;
    }();
    if (!lit('"')) return false;
    const char* s = p_;
    unsigned high = 0;
    for (; p_ != end_ && !kStop[static_cast<unsigned char>(*p_)]; ++p_)
      high |= static_cast<unsigned char>(*p_);
    if (p_ == end_ || *p_ != '"') return false;
    out = std::string_view(s, static_cast<std::size_t>(p_ - s));
    ++p_;
    return high < 0x80 || is_utf8(out);
  }
  bool str(std::string& out) {
    std::string_view v;
    if (!str(v)) return false;
    out.assign(v);
    return true;
  }
  bool str(std::optional<std::string>& out) {
    std::string_view v;
    if (!str(v)) return false;
    out.emplace(v);
    return true;
  }
  bool b64(std::string& out) {
    std::string_view v;
    if (!str(v)) return false;
    auto raw = from_base64(v);
    if (!raw) return false;
    out.assign(as_chars(*raw));
    return true;
  }
  // A JSON integer the full parser stores as unsigned: digits, no leading zero, no fraction or
  // exponent, at most 2^64-1.
  bool uint(std::uint64_t& v) {
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0' && p_ + 1 != end_ && p_[1] >= '0' && p_[1] <= '9') return false;
    v = 0;
    for (; p_ != end_ && *p_ >= '0' && *p_ <= '9'; ++p_) {
      auto d = static_cast<std::uint64_t>(*p_ - '0');
      if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return false;
      v = v * 10 + d;
    }
    return p_ == end_ || (*p_ != '.' && *p_ != 'e' && *p_ != 'E');
  }
  template <typename T>
  bool unsig(T& out, std::uint64_t max = std::numeric_limits<T>::max()) {
    std::uint64_t v;
    if (!uint(v) || v > max) return false;
    out = static_cast<T>(v);
    return true;
  }
  bool sig(std::int64_t& out) {
    bool neg = lit('-');
    std::uint64_t v;
    if (!uint(v)) return false;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (v > kMax + (neg ? 1 : 0)) return false;
    out = neg ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
    return true;
  }
  bool boolean(bool& out) {
    if (word("true")) {
      out = true;
    } else if (word("false")) {
      out = false;
    } else {
      return false;
    }
    return true;
  }
  bool skip_scalar() {
    std::string_view s;
    std::int64_t i;
    bool b;
    if (p_ == end_) return false;
    if (*p_ == '"') return str(s);
    if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return sig(i);
    return word("null") || boolean(b);
  }
  // As hash::Digest::from_hex, without its allocation.
  static bool digest(std::string_view s, hash::Digest& d) {
    static constexpr auto kVal = [] {
      std::array<std::int8_t, 256> t{};
      t.fill(-1);
      for (int c = 0; c < 10; ++c)
        t[static_cast<std::size_t>('0' + c)] = static_cast<std::int8_t>(c);
      for (int c = 0; c < 6; ++c) {
        t[static_cast<std::size_t>('a' + c)] = static_cast<std::int8_t>(10 + c);
        t[static_cast<std::size_t>('A' + c)] = static_cast<std::int8_t>(10 + c);
      }
      return t;
    }();
    if (s.size() != 2 * d.b.size()) return false;
    int bad = 0;
    for (std::size_t i = 0; i < d.b.size(); ++i) {
      const int hi = kVal[static_cast<unsigned char>(s[2 * i])];
      const int lo = kVal[static_cast<unsigned char>(s[2 * i + 1])];
      bad |= hi | lo;  // -1 sets the sign bit
      d.b[i] =
          static_cast<std::uint8_t>(static_cast<unsigned>(hi) << 4 | static_cast<unsigned>(lo));
    }
    return bad >= 0;
  }
  template <typename Id>
  bool hex_array(std::vector<Id>& out) {
    if (!lit('[')) return false;
    if (lit(']')) return true;
    for (;;) {
      std::string_view s;
      hash::Digest d;
      if (!str(s) || !digest(s, d)) return false;
      if constexpr (std::is_same_v<Id, hash::Digest>)
        out.push_back(d);
      else
        out.push_back(Id{d});
      if (lit(']')) return true;
      if (!lit(',')) return false;
    }
  }
  bool xattrs(std::vector<Xattr>& out) {
    if (!lit('{')) return false;
    if (!lit('}')) {
      for (;;) {
        std::string_view name, value;
        if (!str(name) || !lit(':') || !str(value)) return false;
        auto v = from_base64(value);
        if (!v) return false;
        out.push_back(Xattr{std::string(name), std::move(*v)});
        if (lit('}')) break;
        if (!lit(',')) return false;
      }
    }
    std::sort(out.begin(), out.end(),
              [](const Xattr& a, const Xattr& b) { return a.name < b.name; });
    // The full parser keeps the last of duplicate names: leave that to it.
    return std::adjacent_find(out.begin(), out.end(), [](const Xattr& a, const Xattr& b) {
             return a.name == b.name;
           }) == out.end();
  }

  bool value(Key k, Entry& e) {
    std::string_view s;
    switch (k) {
      case kPath: return str(e.path);
      case kPathB64: return b64(e.path);
      case kType: {
        if (!str(s)) return false;
        auto t = type_from_name(s);
        if (!t) return false;
        e.type = *t;
        return true;
      }
      case kMode: return unsig(e.mode, 07777);
      case kUid: return unsig(e.uid);
      case kGid: return unsig(e.gid);
      case kUser: return str(e.user);
      case kGroup: return str(e.group);
      case kSize: return unsig(e.size);
      case kMtime: return sig(e.mtime_ns);
      case kCtime: return sig(e.ctime_ns);
      case kIno: return unsig(e.ino);
      case kDev: return unsig(e.dev);
      case kNlink: return unsig(e.nlink);
      case kRdevMajor: return unsig(e.rdev_major);
      case kRdevMinor: return unsig(e.rdev_minor);
      case kTarget: return str(e.target);
      case kTargetB64: return b64(e.target);
      case kLink: return str(e.link);
      case kLinkB64: return b64(e.link);
      case kXattrs: return xattrs(e.xattrs);
      case kAclAccess: return str(e.acl_access);
      case kAclDefault: return str(e.acl_default);
      case kSparse: return boolean(e.sparse);
      case kInline: return boolean(e.inline_content);
      case kStatus: {
        if (!str(s)) return false;
        auto c = change_from_name(s);
        if (!c || *c == Change::none) return false;
        e.status = *c;
        return true;
      }
      case kDigest: {
        hash::Digest d;
        if (!str(s) || !digest(s, d)) return false;
        e.digest = d;
        return true;
      }
      case kChunks: return hex_array(e.chunks);
      case kProofs: return hex_array(e.proofs);
      case kKeys: break;
    }
    return false;
  }

  // from_json's rules on the whole entry; any doubt goes to the full parser.
  static bool check(const Entry& e, std::uint32_t seen) {
    const auto has = [seen](Key k) { return (seen & (1u << k)) != 0; };
    // One form of each bytes field: with both, the full parser reads the plain one only.
    if (has(kPath) == has(kPathB64) || (has(kTarget) && has(kTargetB64)) ||
        (has(kLink) && has(kLinkB64)) || !has(kType))
      return false;
    if (!check_path(e.path)) return false;
    if (e.type == Type::symlink && e.target.empty()) return false;
    if (e.target.find('\0') != std::string::npos) return false;
    if (e.type == Type::hardlink &&
        (!(has(kLink) || has(kLinkB64)) || e.link == "." || !check_path(e.link)))
      return false;
    return !has(kProofs) || e.proofs.size() == e.chunks.size();
  }

  const char* p_;
  const char* end_;
};

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
  append_entry(out, e);
  return out;
}

void append_entry(std::string& out, const Entry& e) {
  out.push_back('{');
  put_bytes_field(out, "path", e.path, true);
  put_key(out, "type");
  put_string(out, type_name(e.type));
  put_num(out, "mode", e.mode);
  put_num(out, "uid", e.uid);
  put_num(out, "gid", e.gid);
  if (e.user && is_utf8(*e.user)) {
    put_key(out, "user");
    put_string(out, *e.user);
  }
  if (e.group && is_utf8(*e.group)) {
    put_key(out, "group");
    put_string(out, *e.group);
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
    if (any_xattr)
      out.push_back(',');
    else
      put_lit(out, ",\"xattrs\":{");
    any_xattr = true;
    append_json_string(out, x.name);
    out.push_back(':');
    append_json_string(out, to_base64(x.value));
  }
  if (any_xattr) out.push_back('}');
  if (e.acl_access && is_utf8(*e.acl_access)) {
    put_key(out, "acl_access");
    put_string(out, *e.acl_access);
  }
  if (e.acl_default && is_utf8(*e.acl_default)) {
    put_key(out, "acl_default");
    put_string(out, *e.acl_default);
  }
  if (e.sparse) put_lit(out, ",\"sparse\":true");
  if (e.inline_content) put_lit(out, ",\"inline\":true");
  if (e.status != Change::none) {
    put_key(out, "status");
    put_string(out, change_name(e.status));
  }
  if (e.digest) {
    put_key(out, "digest");
    put_hex(out, *e.digest);
  }
  // ,"key":["hex",...] for chunk ids and proofs alike
  const auto hex_array = [&out](std::string_view key, const auto& items) {
    put_lit(out, ",\"");
    out.append(key);
    put_lit(out, "\":[");
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out.push_back(',');
      put_hex(out, items[i]);
    }
    out.push_back(']');
  };
  if (e.digest || !e.chunks.empty()) hex_array("chunks", e.chunks);
  if (!e.proofs.empty()) hex_array("proofs", e.proofs);
  out.push_back('}');
}

Result<Entry> decode_entry(std::string_view line) {
  Entry fast;
  if (FastLine(line).parse(fast)) return fast;
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
  if (!set.tags.empty()) s["tags"] = set.tags;
  json extra = json::object();
  extra["set"] = std::move(s);
  return w_.header(extra);
}

Status Writer::entry(const Entry& e) {
  if (in_frames_) return Error{Errc::internal, "manifest entry written before end_frames()"};
  CAIRN_TRY(check_path(e.path));
  if (e.type == Type::hardlink) CAIRN_TRY(check_path(e.link));
  line_.clear();
  append_entry(line_, e);
  CAIRN_TRY(w_.record(line_));
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
  struct Taker final : stream::LineTaker {
    explicit Taker(Entry& x) : e(x) {}
    bool take(std::string_view line) override { return took = FastLine(line).parse(e); }
    Entry& e;
    bool took = false;
  } fast(e);
  json j;
  frames_ = false;
  CAIRN_TRY_ASSIGN(bool more, r_.next(j, &fast));
  if (!more) return false;
  if (!fast.took) {
    auto d = from_json(j);
    if (!d) return std::move(d.error().wrap(fmt::format("manifest line {}", r_.line())));
    e = std::move(*d);
  }
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
