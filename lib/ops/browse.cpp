#include "ops/browse.hpp"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "base/time.hpp"
#include "catalog/catalog.hpp"
#include "manifest/manifest.hpp"
#include "repo/stored.hpp"
#include "verify/report.hpp"

namespace cairn::ops {
namespace {

using Json = nlohmann::ordered_json;

// "drwxr-xr-x", as ls -l: the type, then rwx per class with s/S and t/T.
std::string mode_string(const manifest::Entry& e) {
  using manifest::Type;
  char t = '-';
  switch (e.type) {
    case Type::dir: t = 'd'; break;
    case Type::symlink: t = 'l'; break;
    case Type::fifo: t = 'p'; break;
    case Type::socket: t = 's'; break;
    case Type::chardev: t = 'c'; break;
    case Type::blockdev: t = 'b'; break;
    case Type::file:
    case Type::hardlink: break;
  }
  std::string s(10, '-');
  s[0] = t;
  const std::uint32_t m = e.mode;
  static constexpr char kRwx[] = "rwx";
  for (int i = 0; i < 9; ++i)
    if (m & (0400u >> i)) s[1 + i] = kRwx[i % 3];
  const auto special = [&](std::uint32_t bit, std::size_t at, char set) {
    if (m & bit) s[at] = s[at] == 'x' ? set : static_cast<char>(set - 'a' + 'A');
  };
  special(S_ISUID, 3, 's');
  special(S_ISGID, 6, 's');
  special(S_ISVTX, 9, 't');
  return s;
}

void put_text(Json& j, const char* key, std::string_view text) {
  if (is_utf8(text))
    j[key] = text;
  else
    j[std::string(key) + "_b64"] = to_base64(as_bytes(text));
}

std::string size_text(std::uint64_t n, bool bytes) {
  return bytes ? std::to_string(n) : format_bytes(n, "");
}

// The size ls shows: a symlink's target length, as ls -l does; else the entry's size.
std::uint64_t shown_size(const manifest::Entry& e) {
  return e.type == manifest::Type::symlink ? e.target.size() : e.size;
}

// PATH as the manifest spells it: relative, no "./", no trailing '/'; "" for the whole set.
std::string manifest_path(std::string p) {
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  while (p.size() >= 2 && p.compare(0, 2, "./") == 0) p.erase(0, 2);
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p == "." ? std::string() : p;
}

bool under(std::string_view path, std::string_view top) {
  return top.empty() || path == top ||
         (path.size() > top.size() && path.compare(0, top.size(), top) == 0 &&
          path[top.size()] == '/');
}

std::string ls_files_line(const manifest::Entry& e, bool bytes) {
  const std::string user = e.user ? *e.user : std::to_string(e.uid);
  const std::string group = e.group ? *e.group : std::to_string(e.gid);
  std::string line = fmt::format("{} {:<8} {:<8} {:>9} {} {}", mode_string(e), user, group,
                                 size_text(shown_size(e), bytes), format_time(e.mtime_ns),
                                 verify::printable_path(e.path));
  if (e.type == manifest::Type::symlink)
    line += " -> " + verify::printable_path(e.target);
  else if (e.type == manifest::Type::hardlink)
    line += " link to " + verify::printable_path(e.link);
  return line + "\n";
}

std::string ls_files_json(const hash::SetId& set, const manifest::Entry& e) {
  Json j = {{"schema", "cairn.ls-files/1"}, {"set", set.hex()}};
  put_text(j, "path", e.path);
  j["type"] = manifest::type_name(e.type);
  j["mode"] = fmt::format("{:04o}", e.mode);
  j["uid"] = e.uid;
  j["gid"] = e.gid;
  j["user"] = e.user ? Json(*e.user) : Json();
  j["group"] = e.group ? Json(*e.group) : Json();
  j["size"] = e.size;
  j["mtime"] = format_time(e.mtime_ns);
  j["mtime_ns"] = e.mtime_ns;
  if (e.type == manifest::Type::symlink) put_text(j, "target", e.target);
  if (e.type == manifest::Type::hardlink) put_text(j, "link", e.link);
  return j.dump() + "\n";
}

bool is_set_form(const std::string& arg) {
  if (arg == "latest" || arg.find('@') != std::string::npos) return true;
  const bool hex = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
  });
  if (hex && arg.size() >= catalog::kMinIdPrefix) return true;
  // A path with a '/' is taken as a (mistaken) set, so that resolve_set says it is a directory;
  // a bare word is a source even when a directory of that name is here: the default source is
  // the backed-up directory's name, so `cd /srv; cairn ls app` must list source app.
  return arg.find('/') != std::string::npos;
}

}  // namespace

Result<std::int64_t> parse_since(std::string_view text, std::int64_t now) {
  if (auto d = parse_duration(text)) return now - *d;
  auto t = parse_time(text);
  if (!t)
    return Error{Errc::usage, fmt::format("--since '{}' is neither a time (2026-11-26T05:00:00Z) "
                                          "nor a duration back from now (7d, 12h)",
                                          text)};
  return *t;
}

Result<std::vector<catalog::SetRecord>> sets_to_search(
    catalog::Catalog& cat, const std::optional<std::string>& source,
    const std::optional<std::string>& since_arg) {
  std::int64_t since = INT64_MIN;
  if (since_arg) {
    CAIRN_TRY_ASSIGN(since, parse_since(*since_arg, now_ns()));
  }
  CAIRN_TRY_ASSIGN(auto sets, cat.list_sets(source));
  std::erase_if(sets, [&](const catalog::SetRecord& s) {
    return s.status != catalog::SetStatus::committed || s.started_ns < since;
  });
  return sets;
}

Result<bool> names_a_set(catalog::Catalog& cat, const std::string& arg) {
  CAIRN_TRY_ASSIGN(auto known, cat.sources());
  if (std::find(known.begin(), known.end(), arg) != known.end()) return false;
  return is_set_form(arg);
}

Result<Outcome> ls_files(Context& ctx, const LsFilesOptions& o, io::Writer& out) {
  CAIRN_TRY_ASSIGN(auto rec, catalog::resolve_set(*ctx.cat, o.set));
  CAIRN_TRY_ASSIGN(repo::StoredSet set, repo::open_stored_set(*ctx.repo, rec.id));
  CAIRN_TRY(check_catalog_row(rec, set.obj, ctx.cat->file()));
  const std::string top = manifest_path(o.path.value_or(""));
  manifest::Entry e;
  std::uint64_t shown = 0;
  for (;;) {
    CAIRN_TRY_ASSIGN(bool more, set.next(e));
    if (!more) break;
    if (!under(e.path, top)) continue;
    ++shown;
    CAIRN_TRY(out.write(as_bytes(o.json ? ls_files_json(rec.id, e) : ls_files_line(e, o.bytes))));
  }
  if (shown == 0 && !top.empty())
    return Error{Errc::not_found,
                 fmt::format("set {} ({} {}) holds no '{}': list the whole set with 'cairn ls {}'",
                             rec.id.hex().substr(0, 12), rec.source, format_time(rec.started_ns),
                             verify::printable_path(top), o.set)};
  CAIRN_TRY(out.flush());
  return Outcome{};
}

Result<Outcome> find(const FindOptions& o, io::Writer& out, Observer& obs,
                     const CancelToken& cancel) {
  if (o.pattern.empty())
    return Error{Errc::usage, "no PATTERN given: e.g. 'cairn find \"*.conf\"'"};
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo));
  CAIRN_TRY_ASSIGN(auto sets, sets_to_search(*ctx.cat, o.source, o.since));
  // Paths in a set are relative: "/etc/*.conf" is "etc/*.conf".
  std::string pattern = o.pattern;
  while (pattern.size() > 1 && pattern.front() == '/') pattern.erase(0, 1);
  const bool whole = pattern.find('/') != std::string::npos;
  Outcome res;
  manifest::Entry e;
  for (const auto& rec : sets) {
    auto set = repo::open_stored_set(*ctx.repo, rec.id);
    if (set) {
      if (auto st = check_catalog_row(rec, set->obj, ctx.cat->file()); !st) set = st.error();
    }
    if (!set) {
      if (set.error().code == Errc::auth) return set.error();  // a write-only key reads no set
      obs.warning("", set.error());
      ++res.warnings;
      continue;
    }
    const std::string id = rec.id.hex();
    for (;;) {
      if (cancel.cancelled()) return Error{Errc::cancelled, "interrupted"};
      auto more = set->next(e);
      if (!more) {
        obs.warning("", Error{more.error().code,
                              fmt::format("set {}: {}", id.substr(0, 12), more.error().message)});
        ++res.warnings;
        break;
      }
      if (!*more) break;
      const auto slash = e.path.rfind('/');
      const std::string base = slash == std::string::npos ? e.path : e.path.substr(slash + 1);
      if (::fnmatch(pattern.c_str(), whole ? e.path.c_str() : base.c_str(), 0) != 0) continue;
      std::string line;
      if (o.json) {
        Json j = {{"schema", "cairn.find/1"},
                  {"set", id},
                  {"source", rec.source},
                  {"time", format_time(rec.started_ns)}};
        put_text(j, "path", e.path);
        j["type"] = manifest::type_name(e.type);
        j["size"] = e.size;
        j["mtime"] = format_time(e.mtime_ns);
        line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      } else {
        line = fmt::format("{} {:<16} {} {:>9} {}\n", id.substr(0, 12), rec.source,
                           format_time(rec.started_ns), size_text(shown_size(e), o.bytes),
                           verify::printable_path(e.path));
      }
      CAIRN_TRY(out.write(as_bytes(line)));
    }
  }
  CAIRN_TRY(out.flush());
  return res;
}

}  // namespace cairn::ops
