#include "ops/hold.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "ops/tag.hpp"

namespace cairn::ops {
namespace {}  // namespace

std::string current_user() {
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[4096];
  if (::getpwuid_r(::getuid(), &pw, buf, sizeof buf, &found) == 0 && found && found->pw_name)
    return found->pw_name;
  return fmt::format("uid {}", ::getuid());
}

namespace {

// A set by reference; unlike resolve_set, a full id or prefix may name a pruned set too.
Result<catalog::SetRecord> find_set(catalog::Catalog& cat, std::string_view ref) {
  auto r = catalog::resolve_set(cat, ref);
  if (r || r.error().code != Errc::not_found || ref.find('@') != std::string_view::npos ||
      ref == "latest")
    return r;
  auto all = cat.find_by_prefix(ref);
  if (!all || all->size() != 1) return r;
  return all->front();
}

}  // namespace

Result<Outcome> hold(const HoldOptions& o, io::Writer& out, Observer& obs) {
  if (o.hold && o.reason.empty())
    return Error{Errc::usage, "a legal hold needs a reason: use --reason"};
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo));
  catalog::Catalog& cat = *ctx.cat;
  // A write-only key (a backup host) may add sets but must not lift a hold that keeps one.
  if (!ctx.repo->keys().can_read())
    return Error{Errc::auth, "legal holds need a full key: this key is write-only"};
  CAIRN_TRY_ASSIGN(catalog::SetRecord rec, find_set(cat, o.set));
  const std::string id = rec.id.hex();

  if (!o.hold && !rec.legal_hold) {
    obs.info(fmt::format("set {} is not under legal hold", id));
    return Outcome{};
  }
  {
    CAIRN_TRY_ASSIGN(auto tx, cat.begin());
    if (o.hold && rec.status == catalog::SetStatus::pruned) {
      CAIRN_TRY_ASSIGN(const bool there, ctx.repo->has_set(rec.id));
      if (!there)
        return Error{Errc::not_found,
                     fmt::format("set '{}' was pruned and is no longer in the repository", id)};
      CAIRN_TRY(cat.set_status(rec.id, catalog::SetStatus::committed));
      obs.info(fmt::format(
          "set {} was marked pruned but is still in the repository: committed again", id));
    }
    // The repository first: a catalog lost after this point is rebuilt with the hold.
    repo::HoldRecord hr;
    hr.set = rec.id;
    hr.hold = o.hold;
    hr.reason = o.hold ? o.reason : std::string();
    hr.user = current_user();
    hr.host = host_name();
    CAIRN_TRY_ASSIGN(std::string path, ctx.repo->write_hold(std::move(hr)));
    CAIRN_TRY(out.write(as_bytes("+" + path + "\n")));
    CAIRN_TRY(cat.set_hold(rec.id, o.hold, o.reason));
    CAIRN_TRY(audit(cat,
                    o.hold ? fmt::format("cairn hold {} --reason {}", id, o.reason)
                           : fmt::format("cairn release {}", id),
                    "ok"));
    CAIRN_TRY(tx.commit());
  }
  obs.info(o.hold ? fmt::format("set {} is under legal hold: {}", id, o.reason)
                  : fmt::format("set {} is released (it was held: {})", id, rec.hold_reason));
  // stdout carries only the "+holds/<id>" line, so that `cairn hold ... | cairn-push DEST` works.
  return Outcome{};
}

Result<std::vector<repo::HoldRecord>> readable_holds(repo::Repository& r, Observer& obs,
                                                     int* warnings) {
  return r.list_holds(skip_damaged("hold", obs, warnings));
}

repo::Repository::SkipRecord skip_damaged(std::string label, Observer& obs, int* warnings) {
  return [label = std::move(label), &obs, warnings](const std::string& name, Error e) {
    e.message =
        fmt::format("{}; the record is skipped (remove holds/{} once checked)", e.message, name);
    obs.warning(fmt::format("{} record {}", label, name), e);
    if (warnings) ++*warnings;
  };
}

std::unordered_map<hash::SetId, HoldState, hash::DigestHasher> hold_states(
    const std::vector<repo::HoldRecord>& records) {
  std::unordered_map<hash::SetId, HoldState, hash::DigestHasher> out;
  for (const auto& r : records)
    out[r.set] = HoldState{r.hold, r.hold ? r.reason : std::string()};  // oldest first
  return out;
}

}  // namespace cairn::ops
