#include "ops/tag.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "base/time.hpp"
#include "model/set.hpp"
#include "ops/hold.hpp"

namespace cairn::ops {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void apply(std::vector<std::string>& tags, const std::vector<std::string>& add,
           const std::vector<std::string>& remove) {
  for (const auto& t : remove) std::erase(tags, t);
  tags.insert(tags.end(), add.begin(), add.end());
  model::normalize_tags(tags);
}

}  // namespace

void apply_tag_records(
    const std::vector<repo::TagRecord>& records,
    std::unordered_map<hash::SetId, std::vector<std::string>, hash::DigestHasher>& tags) {
  for (const auto& r : records) apply(tags[r.set], r.add, r.remove);
}

Result<std::vector<repo::TagRecord>> readable_tag_records(repo::Repository& r, Observer& obs,
                                                          int* warnings) {
  return r.list_tag_records(skip_damaged("tag", obs, warnings));
}

Status audit(catalog::Catalog& cat, std::string command, std::string outcome) {
  if (!cat.read_only().empty()) return {};
  catalog::AuditRecord a;
  a.at_ns = now_ns();
  a.user = current_user();
  a.host = host_name();
  a.command = std::move(command);
  a.outcome = std::move(outcome);
  CAIRN_TRY(cat.append_audit(a));
  return {};
}

Result<Outcome> tag(const TagOptions& o, io::Writer& out, Observer& obs) {
  repo::TagRecord tr;
  for (const auto& c : o.change) {
    if (c.empty() || (c[0] != '+' && c[0] != '-'))
      return Error{Errc::usage, fmt::format("'{}' is not a tag change: give +TAG to add a tag "
                                            "or -TAG to remove one",
                                            c)};
    const std::string t = c.substr(1);
    CAIRN_TRY(model::check_tag(t));
    (c[0] == '+' ? tr.add : tr.remove).push_back(t);
  }
  model::normalize_tags(tr.add);
  model::normalize_tags(tr.remove);
  for (const auto& t : tr.add)
    if (has(tr.remove, t))
      return Error{Errc::usage, fmt::format("tag '{}' is both added and removed: give one", t)};

  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo, &obs));
  catalog::Catalog& cat = *ctx.cat;
  CAIRN_TRY_ASSIGN(catalog::SetRecord rec, catalog::resolve_set(cat, o.set));
  const std::string id = rec.id.hex();
  if (o.change.empty()) {
    for (const auto& t : rec.tags) CAIRN_TRY(out.write(as_bytes(t + "\n")));
    return Outcome{};
  }
  // A write-only key (a backup host) may tag the sets it writes, never change them later: an
  // untag could let a keep-tagged policy drop a set.
  if (!ctx.repo->keys().can_admin())
    return Error{Errc::auth,
                 "changing a set's tags needs a full key: this key is write-only (tag sets "
                 "when they are written, with --tag)"};
  // Only what changes goes into the record.
  std::erase_if(tr.add, [&](const std::string& t) { return has(rec.tags, t); });
  std::erase_if(tr.remove, [&](const std::string& t) { return !has(rec.tags, t); });
  if (tr.add.empty() && tr.remove.empty()) {
    obs.info(fmt::format("set {} already has these tags: nothing to change", id));
    return Outcome{};
  }
  std::vector<std::string> tags = rec.tags;
  apply(tags, tr.add, tr.remove);
  {
    CAIRN_TRY_ASSIGN(auto tx, cat.begin());
    // The repository first: a catalog lost after this point is rebuilt with the change.
    tr.set = rec.id;
    tr.user = current_user();
    tr.host = host_name();
    const std::string summary =
        fmt::format("{}{}{}{}", tr.add.empty() ? "" : "+", fmt::join(tr.add, " +"),
                    tr.add.empty() || tr.remove.empty() ? "" : " ",
                    tr.remove.empty() ? "" : fmt::format("-{}", fmt::join(tr.remove, " -")));
    CAIRN_TRY_ASSIGN(std::string path, ctx.repo->write_tag_record(std::move(tr)));
    CAIRN_TRY(out.write(as_bytes("+" + path + "\n")));
    CAIRN_TRY(cat.set_tags(rec.id, tags));
    CAIRN_TRY(audit(cat, fmt::format("cairn tag {} {}", id, summary), "ok"));
    CAIRN_TRY(tx.commit());
  }
  obs.info(fmt::format("set {} has tags: {}", id,
                       tags.empty() ? "(none)" : fmt::to_string(fmt::join(tags, " "))));
  return Outcome{};
}

Result<Outcome> audit_log(const AuditOptions& o, io::Writer& out) {
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo));
  CAIRN_TRY_ASSIGN(auto rows, ctx.cat->audit_log(0));
  if (!o.json)
    CAIRN_TRY(out.write(as_bytes(fmt::format("{:<20} {:<12} {:<16} {:<8} {}\n", "TIME", "USER",
                                             "HOST", "OUTCOME", "COMMAND"))));
  for (const auto& a : rows) {
    std::string line;
    if (o.json) {
      nlohmann::ordered_json j = {{"schema", "cairn.audit/1"},
                                  {"id", a.id},
                                  {"time", format_time(a.at_ns)},
                                  {"user", a.user},
                                  {"host", a.host},
                                  {"command", a.command},
                                  {"outcome", a.outcome}};
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    } else {
      // The outcome is "ok" or an error line: the column says which, the line ends with it.
      const bool ok = a.outcome == "ok" || a.outcome.starts_with("ok:");
      line = fmt::format("{:<20} {:<12} {:<16} {:<8} {}{}\n", format_time(a.at_ns), a.user, a.host,
                         ok ? "ok" : "failed", a.command,
                         a.outcome == "ok" ? "" : " (" + a.outcome + ")");
    }
    CAIRN_TRY(out.write(as_bytes(line)));
  }
  return Outcome{};
}

}  // namespace cairn::ops
