#include "ops/parity.hpp"

#include <fmt/format.h>

#include <set>

#include "repo/parity.hpp"

namespace cairn::ops {

namespace {

Result<std::vector<std::string>> cover(repo::Repository& r, std::vector<repo::parity::Member> packs,
                                       const repo::parity::Code& code) {
  if (packs.empty()) return std::vector<std::string>{};
  return repo::parity::build(r, std::move(packs), code);
}

}  // namespace

Result<Outcome> parity_build(const ParityOptions& o, io::Writer& out, Observer& obs) {
  CAIRN_TRY_ASSIGN(auto repo, open_repo(o.repo));
  const std::string text = o.code.empty() ? repo->config().parity : o.code;
  if (text.empty())
    return Error{Errc::usage,
                 "this repository has no parity code: give one with --code K+M (e.g. 8+2)"};
  CAIRN_TRY_ASSIGN(auto code, repo::parity::parse_code(text));
  std::set<hash::PackId> covered;
  CAIRN_TRY_ASSIGN(auto groups,
                   repo::parity::list_groups(*repo, [&](const std::string& name, Error why) {
                     obs.warning("parity/" + name, std::move(why));
                   }));
  for (const auto& g : groups)
    for (const auto& p : g.h.packs) covered.insert(p.id);
  std::vector<repo::parity::Member> todo;
  std::uint64_t bytes = 0;
  CAIRN_TRY(repo->list_objects(backend::Kind::pack, [&](const backend::ObjectInfo& i) -> Status {
    auto id = hash::PackId::from_hex(i.key.name);
    if (id && !covered.contains(*id)) {
      todo.push_back({*id, i.size});
      bytes += i.size;
    }
    return {};
  }));
  CAIRN_TRY_ASSIGN(auto written, cover(*repo, std::move(todo), code));
  for (const auto& p : written) CAIRN_TRY(out.write(as_bytes("+" + p + "\n")));
  CAIRN_TRY(out.flush());
  obs.info(fmt::format("{} parity objects ({}) over {} bytes of packs not covered before",
                       written.size(), code.text(), bytes));
  return Outcome{};
}

Result<std::vector<std::string>> parity_for_session(repo::Repository& r,
                                                    const std::vector<std::string>& objects) {
  if (r.config().parity.empty()) return std::vector<std::string>{};
  CAIRN_TRY_ASSIGN(auto code, repo::parity::parse_code(r.config().parity));
  std::vector<repo::parity::Member> packs;
  for (const auto& path : objects) {
    auto key = backend::Key::from_path(path);
    if (!key || key->kind != backend::Kind::pack) continue;
    CAIRN_TRY_ASSIGN(auto info, r.stat_object(*key));
    if (info) packs.push_back({*hash::PackId::from_hex(key->name), info->size});
  }
  return cover(r, std::move(packs), code);
}

}  // namespace cairn::ops
