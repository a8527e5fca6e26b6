#include "ops/admin.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "crypto/key_cache.hpp"
#include "ops/browse.hpp"
#include "ops/key_rotation.hpp"
#include "ops/tag.hpp"
#include "repo/parity.hpp"

namespace cairn::ops {

Result<Outcome> init(const RepoOptions& o, const repo::InitOptions& init, io::Writer& out) {
  if (o.repo.empty()) return Error{Errc::usage, "no repository given: use --repo or CAIRN_REPO"};
  CAIRN_TRY(init.chunking.validate());
  if (!init.parity.empty()) CAIRN_TRY(repo::parity::parse_code(init.parity));  // U6: --parity
  // A new repository needs a new catalog: an existing file at an explicitly named catalog
  // path belongs to another repository. Refuse before creating anything.
  if (o.catalog && std::filesystem::exists(*o.catalog))
    return Error{Errc::exists,
                 fmt::format("catalog '{}' already exists (it belongs to another repository): "
                             "choose another --catalog or CAIRN_CATALOG",
                             o.catalog->string())};
  CAIRN_TRY(repo::init(o.repo, o.unlock.passphrase, init));
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o));
  std::string id = ctx.repo_id_hex();
  CAIRN_TRY(out.write(
      as_bytes(fmt::format("created repository {} at '{}'\ncatalog: '{}'\n", id,
                           std::filesystem::absolute(o.repo).string(), ctx.cat->file().string()))));
  return Outcome{};
}

namespace {

struct WriterInfo {
  std::uint64_t sets = 0;
  std::int64_t newest_ns = 0;
};

// Every writer that signed a set in the repository, from the set headers (any key reads them).
Result<std::map<std::string, WriterInfo>> writers_of(repo::Repository& r,
                                                     std::vector<hash::SetId>* sets_of = nullptr,
                                                     const std::string& only = {}) {
  std::map<std::string, WriterInfo> out;
  CAIRN_TRY_ASSIGN(auto ids, r.list_sets());
  for (const auto& id : ids) {
    auto s = r.read_set(id);
    if (!s) continue;  // damaged or already refused: nothing to keep
    const std::string w = to_hex(s->header.writer);
    auto& info = out[w];
    ++info.sets;
    info.newest_ns = std::max(info.newest_ns, s->header.time_ns);
    if (sets_of && w == only) sets_of->push_back(id);
  }
  return out;
}

Result<Outcome> list_writers(repo::Repository& r, io::Writer& out) {
  CAIRN_TRY_ASSIGN(auto writers, writers_of(r));
  CAIRN_TRY_ASSIGN(auto revs, r.revocations());
  std::set<std::string> revoked;
  for (const auto& v : revs) revoked.insert(to_hex(v.writer));
  const std::string mine = to_hex(r.keys().writer_id);
  writers.try_emplace(mine);
  for (const auto& v : revoked) writers.try_emplace(v);
  for (const auto& [w, info] : writers) {
    std::string flags;
    if (w == mine) flags += " (current)";
    if (revoked.contains(w)) flags += " (revoked)";
    CAIRN_TRY(
        out.write(as_bytes(fmt::format("{} {} sets, newest {}{}\n", w, info.sets,
                                       info.sets ? format_time(info.newest_ns) : "-", flags))));
  }
  return Outcome{};
}

Result<Outcome> revoke_writer(repo::Repository& r, const KeyOptions& o, io::Writer& out) {
  if (!r.keys().can_admin())
    return Error{Errc::auth, "this key is write-only: only a full key can revoke a writer"};
  auto id = from_hex(o.slot);
  if (!id || id->size() != crypto::kWriterIdSize)
    return Error{
        Errc::usage,
        fmt::format("'{}' is not a writer id (32 hex digits, as 'cairn key writers' shows)",
                    o.slot)};
  if (*id == r.keys().writer_id)
    return Error{Errc::usage,
                 "refusing to revoke the writer of the key in use: unlock with another full key"};
  repo::Revocation rev;
  rev.writer = *id;
  rev.reason = o.reason;
  // The sets it wrote so far stay readable; anything it signs from now on is refused.
  // A writer that has written nothing yet (a key file just handed out) can be revoked too.
  CAIRN_TRY(writers_of(r, &rev.keep, to_hex(*id)));
  CAIRN_TRY_ASSIGN(std::string path, r.write_revocation(rev));
  CAIRN_TRY(out.write(as_bytes(fmt::format("+{}\n", path))));
  return Outcome{};
}

Result<Outcome> key_verb(const KeyOptions& o, repo::Repository* r, io::Writer& out) {
  auto kdf = crypto::KdfParams::fresh();
  switch (o.verb) {
    case KeyVerb::list: {
      CAIRN_TRY_ASSIGN(auto slots, r->list_keys());
      for (auto& s : slots)
        CAIRN_TRY(out.write(
            as_bytes(fmt::format("{}{}\n", s, s == r->current_slot() ? " (current)" : ""))));
      return Outcome{};
    }
    case KeyVerb::add: {
      if (o.new_passphrase.empty())
        return Error{Errc::usage, "no new passphrase: use --new-passphrase-file"};
      CAIRN_TRY(r->add_key(o.new_passphrase, kdf));
      return Outcome{};
    }
    case KeyVerb::passwd: {
      if (o.new_passphrase.empty())
        return Error{Errc::usage, "no new passphrase: use --new-passphrase-file"};
      if (o.repo.unlock.key_file)
        return Error{Errc::usage, "key passwd changes a repository slot: do not use --key-file"};
      std::string old = r->current_slot();
      CAIRN_TRY(r->add_key(o.new_passphrase, kdf));  // written, then re-read and opened
      // The new slot works: only now may the old one go.
      repo::Unlock u{o.new_passphrase, std::nullopt};
      CAIRN_TRY_ASSIGN(auto check, repo::Repository::open(o.repo.repo, u));
      (void)check;
      CAIRN_TRY(r->remove_key(old));
      return Outcome{};
    }
    case KeyVerb::remove: CAIRN_TRY(r->remove_key(o.slot)); return Outcome{};
    case KeyVerb::export_key: {
      if (!o.file) return Error{Errc::usage, "key export needs a FILE"};
      if (o.new_passphrase.empty())
        return Error{Errc::usage, "no passphrase for the exported key: use --new-passphrase-file"};
      CAIRN_TRY_ASSIGN(Bytes slot, r->export_slot(o.new_passphrase, o.write_only, kdf));
      CAIRN_TRY(io::write_file_atomic(*o.file, slot, 0600, true));
      // A write-only export is a writer of its own: 'cairn key writers --key-file FILE' names it.
      return Outcome{};
    }
    case KeyVerb::writers: return list_writers(*r, out);
    case KeyVerb::revoke: return revoke_writer(*r, o, out);
    case KeyVerb::rotate:
      if (o.repo.unlock.key_file)
        return Error{Errc::usage,
                     "key rotate puts the new key into a repository slot: do not use --key-file"};
      return rotate_key(*r, o.repo.unlock.passphrase, out);
    case KeyVerb::generations: return list_generations(*r, out);
  }
  return Error{Errc::internal, "unknown key verb"};
}

// "cairn key add", ... with what it names (never a passphrase), for the audit log.
std::string key_command(const KeyOptions& o, const std::string& old_slot) {
  switch (o.verb) {
    case KeyVerb::add: return "cairn key add";
    case KeyVerb::passwd: return fmt::format("cairn key passwd (slot {})", old_slot);
    case KeyVerb::remove: return fmt::format("cairn key remove {}", o.slot);
    case KeyVerb::export_key:
      return fmt::format("cairn key export{} {}", o.write_only ? " --write-only" : "",
                         o.file ? o.file->string() : "");
    case KeyVerb::revoke: return fmt::format("cairn key revoke {}", o.slot);
    case KeyVerb::rotate: return fmt::format("cairn key rotate (slot {})", old_slot);
    case KeyVerb::generations:
    case KeyVerb::list:
    case KeyVerb::writers: break;
  }
  return {};
}

}  // namespace

Result<Outcome> key(const KeyOptions& o, io::Writer& out) {
  CAIRN_TRY_ASSIGN(auto r, open_repo(o.repo));
  const std::string old_slot = r->current_slot();
  auto done = key_verb(o, r.get(), out);
  const std::string command = key_command(o, old_slot);
  if (command.empty()) return done;
  // Key changes go into the catalog's audit log. The change is made (or refused) by now: a
  // catalog that cannot be opened does not turn it into a failure.
  auto file = catalog::locate(o.repo.catalog, to_hex(r->config().repo_id));
  if (!file) return done;
  auto cat = catalog::Catalog::open(*file, to_hex(r->config().repo_id));
  if (!cat) return done;
  Status st = audit(*cat, command, done ? std::string("ok") : done.error().message);
  if (!st && done) return std::move(st).error();
  return done;
}

Result<Outcome> forget_keys(Observer& obs) {
  const std::size_t n = crypto::forget_cached_keys({}, std::nullopt);
  obs.info(fmt::format("{} key{} dropped from the kernel keyring", n, n == 1 ? "" : "s"));
  return Outcome{};
}

// cairn ls's table: ENTRIES counts what the set holds (files, directories, links...), READ is
// what the set read from its source (an incremental reads only what changed), NEW what it
// added to the repository before compression, STORED what that took.
constexpr std::string_view kLsRow =
    "{:<12} {:<20} {:<16} {:<16} {:<12} {:<8} {:<9} {:>8} {:>10} {:>10} {:>10} {}\n";

namespace {

// The kind the table shows: a set that builds on no earlier set (the first of its source) is
// shown as full whatever kind was asked for; --json keeps the recorded kind and the parent.
std::string_view shown_kind(const catalog::SetRecord& s) {
  return s.parent ? model::to_string(s.kind) : model::to_string(model::SetKind::full);
}

}  // namespace

Result<Outcome> ls(const LsOptions& o, io::Writer& out) {
  CAIRN_TRY_ASSIGN(Context ctx, open_context(o.repo));
  if (o.tag) CAIRN_TRY(model::check_tag(*o.tag));
  bool set = false;
  if (o.source) {
    CAIRN_TRY_ASSIGN(set, names_a_set(*ctx.cat, *o.source));
  }
  if (set) return ls_files(ctx, {*o.source, o.path, o.json, o.bytes}, out);
  if (o.path)
    return Error{Errc::usage,
                 fmt::format("'{}' is a source, not a set: to list files give a set, e.g. "
                             "'cairn ls {}@latest {}'",
                             *o.source, *o.source, *o.path)};
  CAIRN_TRY_ASSIGN(auto sets, ctx.cat->list_sets(o.source));
  if (o.tag)
    std::erase_if(sets, [&](const catalog::SetRecord& s) {
      return std::find(s.tags.begin(), s.tags.end(), *o.tag) == s.tags.end();
    });
  if (!o.json)
    CAIRN_TRY(
        out.write(as_bytes(fmt::format(kLsRow, "ID", "TIME", "SOURCE", "HOST", "KIND", "CLASS",
                                       "STATUS", "ENTRIES", "READ", "NEW", "STORED", "HOLD"))));
  const auto size = [&](std::uint64_t n) {
    return o.bytes ? std::to_string(n) : format_bytes(n, "");
  };
  for (const auto& s : sets) {
    if (s.status == catalog::SetStatus::pruned) continue;
    std::string line;
    if (o.json) {
      nlohmann::ordered_json j = {
          {"schema", "cairn.ls/1"},
          {"id", s.id.hex()},
          {"time", format_time(s.started_ns)},
          {"source", s.source},
          {"host", s.host},
          {"kind", model::to_string(s.kind)},
          {"parent", s.parent ? nlohmann::ordered_json(s.parent->hex()) : nlohmann::ordered_json()},
          {"seq", s.seq},
          {"class", s.retention_class},
          {"status", catalog::to_string(s.status)},
          {"files", s.files},
          {"bytes_read", s.bytes_read},
          {"bytes_new", s.bytes_new},
          {"bytes_stored", s.bytes_stored},
          {"legal_hold", s.legal_hold},
          {"hold_reason", s.hold_reason},
          {"tags", s.tags}};
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    } else {
      line = fmt::format(kLsRow, s.id.hex().substr(0, 12), format_time(s.started_ns), s.source,
                         s.host, shown_kind(s), s.retention_class, catalog::to_string(s.status),
                         s.files, size(s.bytes_read), size(s.bytes_new), size(s.bytes_stored),
                         s.legal_hold ? "held" : "-");
    }
    CAIRN_TRY(out.write(as_bytes(line)));
  }
  return Outcome{};
}

}  // namespace cairn::ops
