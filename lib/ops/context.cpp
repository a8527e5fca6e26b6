#include "ops/context.hpp"

#include <unistd.h>

#include <algorithm>
#include <unordered_map>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <tuple>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>

#include "backend/cache.hpp"
#include "backend/remote.hpp"

namespace cairn::ops {

std::string Context::repo_id_hex() const { return to_hex(repo->config().repo_id); }

namespace {

// A directory under $TMPDIR, removed with everything in it when dropped.
struct ScratchDir {
  std::filesystem::path dir;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Result<std::shared_ptr<ScratchDir>> make_scratch() {
  std::error_code ec;
  auto base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string tmpl = (base / "cairn-from-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    return errno_error(errno, fmt::format("cannot create a temporary directory in '{}'", base.string()));
  auto s = std::make_shared<ScratchDir>();
  s->dir = tmpl;
  return s;
}

Result<std::unique_ptr<repo::Repository>> open_from(const std::string& url, const repo::Unlock& u,
                                                    const std::filesystem::path& tmp_dir) {
  CAIRN_TRY_ASSIGN(auto storage, backend::open_url(url, backend::RemoteOptions::from_env()));
  if (!storage->properties().local) {  // chunk-sized reads served from whole packs fetched once
    CAIRN_TRY_ASSIGN(storage, backend::with_pack_cache(std::move(storage), tmp_dir));
  }
  return repo::Repository::open(std::move(storage), u, tmp_dir);
}

// The catalog rows of every set object `r` holds (a repository restored alone).
Status fill_catalog(repo::Repository& r, catalog::Catalog& cat) {
  if (!r.keys().can_read())
    return Error{Errc::auth, "reading a destination needs a full key: a write-only key cannot read set bodies"};
  CAIRN_TRY_ASSIGN(auto ids, r.list_sets());
  std::vector<repo::SetObject> objs;
  for (const auto& id : ids) {
    auto obj = r.read_set(id);
    if (!obj) {
      if (obj.error().code == Errc::not_found) continue;
      return obj.error();
    }
    if (!obj->body) return Error{Errc::auth, fmt::format("the body of set '{}' cannot be read", id.hex())};
    objs.push_back(std::move(*obj));
  }
  std::sort(objs.begin(), objs.end(), [](const repo::SetObject& a, const repo::SetObject& b) {
    return std::tie(a.header.seq, a.header.time_ns, a.id) < std::tie(b.header.seq, b.header.time_ns, b.id);
  });
  // Holds placed after a set was written live in hold records (cairn-repository(5)).
  // A damaged (or newer-format) hold record must not stop a disaster recovery: holds do not
  // matter to a restore, and cairn-verify reports the record. This catalog is scratch.
  auto listed = r.list_holds();
  const std::vector<repo::HoldRecord> holds = listed ? std::move(*listed) : std::vector<repo::HoldRecord>{};
  std::unordered_map<hash::SetId, const repo::HoldRecord*, hash::DigestHasher> newest_hold;
  for (const auto& h : holds) newest_hold[h.set] = &h;  // oldest first: the last one wins
  CAIRN_TRY_ASSIGN(auto tx, cat.begin());
  for (const auto& obj : objs) {
    catalog::SetRecord rec = set_record(obj);
    if (auto h = newest_hold.find(obj.id); h != newest_hold.end()) {
      rec.legal_hold = h->second->hold;
      rec.hold_reason = h->second->hold ? h->second->reason : std::string();
    }
    CAIRN_TRY(cat.insert_set(rec, obj.body->packs));
  }
  return tx.commit();
}

}  // namespace

Result<std::unique_ptr<repo::Repository>> open_repo(const RepoOptions& o) {
  if (o.from) {
    std::error_code ec;
    auto tmp = std::filesystem::temp_directory_path(ec);
    return open_from(*o.from, o.unlock, ec ? std::filesystem::path("/tmp") : tmp);
  }
  if (o.repo.empty()) return Error{Errc::usage, "no repository given: use --repo or CAIRN_REPO"};
  return repo::Repository::open(o.repo, o.unlock);
}

Result<Context> open_context(const RepoOptions& o) {
  Context c;
  if (o.from) {
    CAIRN_TRY_ASSIGN(auto scratch, make_scratch());
    c.scratch = scratch;
    CAIRN_TRY_ASSIGN(c.repo, open_from(*o.from, o.unlock, scratch->dir));
    CAIRN_TRY_ASSIGN(auto cat, catalog::Catalog::open(scratch->dir / "catalog.db", c.repo_id_hex()));
    CAIRN_TRY(fill_catalog(*c.repo, cat));
    c.cat = std::make_shared<catalog::Catalog>(std::move(cat));
    return c;
  }
  CAIRN_TRY_ASSIGN(c.repo, open_repo(o));
  CAIRN_TRY_ASSIGN(auto file, catalog::locate(o.catalog, c.repo_id_hex()));
  CAIRN_TRY_ASSIGN(auto cat, catalog::Catalog::open(file, c.repo_id_hex()));
  c.cat = std::make_shared<catalog::Catalog>(std::move(cat));
  if (o.run) CAIRN_TRY(o.run->begin(c.cat));
  return c;
}

catalog::SetRecord set_record(const repo::SetObject& obj) {
  const repo::SetBody& b = *obj.body;
  catalog::SetRecord rec;
  rec.id = obj.id;
  rec.seq = obj.header.seq;
  rec.source = b.source;
  rec.host = b.host;
  rec.kind = catalog::parse_set_kind(b.kind).value_or(catalog::SetKind::incremental);
  rec.parent = b.parent;
  rec.retention_class = b.retention_class;
  rec.legal_hold = b.legal_hold;
  rec.hold_reason = b.hold_reason;
  rec.started_ns = b.started_ns;
  rec.ended_ns = b.ended_ns;
  rec.files = b.files;
  rec.bytes_read = b.bytes_read;
  rec.bytes_new = b.bytes_new;
  rec.bytes_stored = b.bytes_stored;
  rec.duration_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, b.ended_ns - b.started_ns) / 1'000'000);
  return rec;
}

Status check_catalog_row(const catalog::SetRecord& rec, const repo::SetObject& obj,
                         const std::filesystem::path& catalog_file) {
  if (!obj.body) return {};
  const repo::SetBody& b = *obj.body;
  const auto differ = [&](std::string_view field, const std::string& cat, const std::string& set) {
    return Error{Errc::corrupt,
                 fmt::format("catalog '{}' disagrees with the signed set {}: {} {} in the catalog, {} in the set "
                             "object; the catalog is damaged or was edited: run 'cairn catalog rebuild'",
                             catalog_file.string(), rec.id.hex(), field, cat, set)};
  };
  const auto quoted = [](std::string_view v) { return fmt::format("'{}'", v); };
  const auto when = [](std::int64_t ns) { return fmt::format("{} ({} ns)", format_time(ns), ns); };
  if (rec.id != obj.id) return differ("id", rec.id.hex(), obj.id.hex());
  if (rec.source != b.source) return differ("source", quoted(rec.source), quoted(b.source));
  if (rec.host != b.host) return differ("host", quoted(rec.host), quoted(b.host));
  if (rec.started_ns != b.started_ns) return differ("time", when(rec.started_ns), when(b.started_ns));
  if (rec.seq != obj.header.seq)
    return differ("sequence number", std::to_string(rec.seq), std::to_string(obj.header.seq));
  if (rec.retention_class != b.retention_class)
    return differ("class", quoted(rec.retention_class), quoted(b.retention_class));
  if (rec.kind != catalog::parse_set_kind(b.kind).value_or(catalog::SetKind::incremental))
    return differ("kind", quoted(catalog::to_string(rec.kind)), quoted(b.kind));
  return {};
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

Result<std::int64_t> parse_time(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  std::string str(s);
  int n = 0;
  if (std::sscanf(str.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
    return Error{Errc::usage, fmt::format("cannot read time '{}': use ISO 8601, e.g. 2026-11-26T05:00:00Z", s)};
  std::size_t pos = 10;
  long offset_s = 0;
  if (pos < str.size() && (str[pos] == 'T' || str[pos] == ' ')) {
    int m2 = 0;
    if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d%n", &h, &mi, &m2) != 2)
      return Error{Errc::usage, fmt::format("cannot read time '{}': expected HH:MM after the date", s)};
    pos += 1 + static_cast<std::size_t>(m2);
    if (pos < str.size() && str[pos] == ':') {
      int m3 = 0;
      if (std::sscanf(str.c_str() + pos + 1, "%2d%n", &sec, &m3) != 1)
        return Error{Errc::usage, fmt::format("cannot read time '{}': bad seconds", s)};
      pos += 1 + static_cast<std::size_t>(m3);
    }
  }
  if (pos < str.size()) {
    if (str[pos] == 'Z' && pos + 1 == str.size()) {
      pos++;
    } else if ((str[pos] == '+' || str[pos] == '-') && pos + 6 == str.size() && str[pos + 3] == ':') {
      int oh = 0, om = 0;
      if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2)
        return Error{Errc::usage, fmt::format("cannot read time '{}': bad offset", s)};
      offset_s = (oh * 3600L + om * 60L) * (str[pos] == '+' ? 1 : -1);
      pos = str.size();
    } else {
      return Error{Errc::usage, fmt::format("cannot read time '{}': unexpected '{}'", s, str.substr(pos))};
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return Error{Errc::usage, fmt::format("cannot read time '{}': out of range", s)};
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  std::time_t t = ::timegm(&tm);
  return (static_cast<std::int64_t>(t) - offset_s) * 1'000'000'000LL;
}

std::string format_time(std::int64_t ns) {
  std::time_t t = static_cast<std::time_t>(ns / 1'000'000'000LL);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<catalog::SetRecord> resolve_set(catalog::Catalog& cat, std::string_view ref) {
  auto at = ref.find('@');
  if (ref == "latest" || at != std::string_view::npos) {
    std::string source = at == std::string_view::npos ? std::string() : std::string(ref.substr(0, at));
    std::string_view when = at == std::string_view::npos ? ref : ref.substr(at + 1);
    std::optional<catalog::SetRecord> found;
    if (when == "latest") {
      if (source.empty()) {
        CAIRN_TRY_ASSIGN(found, cat.at_or_before(std::nullopt, INT64_MAX));
      } else {
        CAIRN_TRY_ASSIGN(found, cat.latest(source));
      }
    } else {
      CAIRN_TRY_ASSIGN(std::int64_t t, parse_time(when));
      std::optional<std::string> src;
      if (!source.empty()) src = source;
      CAIRN_TRY_ASSIGN(found, cat.at_or_before(src, t));
    }
    if (!found) {
      // Damaged sets are never "latest"; say so rather than suggest there is nothing at all.
      CAIRN_TRY_ASSIGN(auto all, cat.list_sets(source.empty() ? std::nullopt : std::optional<std::string>(source)));
      const auto damaged = std::count_if(all.begin(), all.end(), [](const catalog::SetRecord& r) {
        return r.status == catalog::SetStatus::damaged;
      });
      if (damaged > 0)
        return Error{Errc::not_found,
                     fmt::format("no good backup set matches '{}': {} damaged set{} (cairn-verify found them); list "
                                 "them with 'cairn ls{}' and restore one by id to get what is intact",
                                 ref, damaged, damaged == 1 ? "" : "s", source.empty() ? "" : " " + source)};
      return Error{Errc::not_found, fmt::format("no backup set matches '{}'", ref)};
    }
    return *found;
  }
  CAIRN_TRY_ASSIGN(auto matches, cat.find_by_prefix(ref));
  std::vector<catalog::SetRecord> live;
  for (auto& m : matches)
    if (m.status != catalog::SetStatus::pruned) live.push_back(m);
  if (live.empty()) return Error{Errc::not_found, fmt::format("no backup set matches '{}'", ref)};
  if (live.size() > 1)
    return Error{Errc::usage, fmt::format("set prefix '{}' is ambiguous ({} sets): give more digits", ref, live.size())};
  return live.front();
}

}  // namespace cairn::ops
