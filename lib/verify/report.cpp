#include "verify/report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/time.hpp"
#include "verify/engine.hpp"

namespace cairn::verify {

namespace {

using Json = nlohmann::ordered_json;

Json record(std::string_view type) {
  Json j;
  j["schema"] = kSchema;
  j["type"] = type;
  return j;
}

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

void put_path(Json& j, std::string_view path) {
  if (is_utf8(path))
    j["path"] = path;
  else
    j["path_b64"] = to_base64(as_bytes(path));
}

}  // namespace

std::string printable_path(std::string_view path) {
  std::string shown;
  shown.reserve(path.size());
  for (unsigned char ch : path) {
    if (ch < 0x20 || ch == 0x7f || ch == '\\')
      shown += fmt::format("\\x{:02x}", ch);
    else
      shown += static_cast<char>(ch);
  }
  return shown;
}

std::string set_prefix(const hash::SetId& id) { return id.hex().substr(0, 12); }

Status Report::line(std::string text) {
  text += '\n';
  return out_.write(as_bytes(text));
}

Status Report::object(std::string_view state, std::string_view object, std::string_view id,
                      std::string_view reason) {
  if (!json_) return line(fmt::format("{} {} {}: {}", state, object, id, reason));
  Json j = record(state);
  j["object"] = object;
  j["id"] = id;
  j["reason"] = reason;
  return line(dump(j));
}

Status Report::affected_set(const hash::SetId& id, std::string_view source,
                            std::int64_t started_ns) {
  if (!json_)
    return line(fmt::format("affected set {} ({} {})", id.hex(), source, format_time(started_ns)));
  Json j = record("affected_set");
  j["set"] = id.hex();
  j["source"] = source;
  j["started"] = format_time(started_ns);
  return line(dump(j));
}

Status Report::affected_file(const hash::SetId& id, std::string_view path) {
  if (!json_) return line(fmt::format("affected file {} {}", set_prefix(id), printable_path(path)));
  Json j = record("affected_file");
  j["set"] = id.hex();
  put_path(j, path);
  return line(dump(j));
}

Status Report::warning(std::string_view message) {
  if (!json_) return line(fmt::format("warning: {}", message));
  Json j = record("warning");
  j["message"] = message;
  return line(dump(j));
}

Status Report::note(std::string_view message) {
  if (!json_) return line(fmt::format("note: {}", message));
  Json j = record("note");
  j["message"] = message;
  return line(dump(j));
}

Status Report::drill(const DrillLine& d) {
  if (!json_) {
    std::string head =
        fmt::format("drill {} ({} {})", d.set.hex(), d.source, format_time(d.started_ns));
    if (!d.ok) return line(fmt::format("{}: failed: {}", head, d.detail));
    std::string text =
        fmt::format("{}: ok, {} {}, {} bytes restored in {} ms, checked in {} ms", head, d.files,
                    d.files == 1 ? "file" : "files", d.bytes, d.restore_ms, d.check_ms);
    if (d.app_check_ms) text += fmt::format(", application check passed in {} ms", *d.app_check_ms);
    return line(std::move(text));
  }
  Json j = record("drill");
  j["set"] = d.set.hex();
  j["source"] = d.source;
  j["started"] = format_time(d.started_ns);
  j["ok"] = d.ok;
  if (!d.ok) j["reason"] = d.detail;
  j["files"] = d.files;
  j["bytes"] = d.bytes;
  j["restore_ms"] = d.restore_ms;
  j["check_ms"] = d.check_ms;
  if (d.app_check_ms) j["app_check_ms"] = *d.app_check_ms;
  return line(dump(j));
}

Status Report::drill_file(const hash::SetId& id, std::string_view path, std::string_view reason) {
  if (!json_)
    return line(
        fmt::format("drill mismatch {} {}: {}", set_prefix(id), printable_path(path), reason));
  Json j = record("drill_mismatch");
  j["set"] = id.hex();
  put_path(j, path);
  j["reason"] = reason;
  return line(dump(j));
}

Status Report::stale(std::string_view source, std::optional<std::int64_t> age_ns,
                     std::string_view max) {
  if (!json_) {
    if (source.empty()) return line(fmt::format("stale: the catalog has no sets (max {})", max));
    if (!age_ns) return line(fmt::format("stale source '{}': no good set (max {})", source, max));
    return line(fmt::format("stale source '{}': newest set is {} old (max {})", source,
                            format_duration_short(*age_ns, " ", true), max));
  }
  Json j = record("stale");
  j["source"] = source;
  if (age_ns) j["age_s"] = *age_ns / 1'000'000'000;
  j["max"] = max;
  return line(dump(j));
}

Status Report::summary(const Summary& s) {
  const std::uint64_t packs = s.read_data ? s.packs_read : s.packs_checked;
  if (!json_) {
    std::string text =
        fmt::format("checked {} sets, {} packs ({} bytes read): {} damaged, {} garbage", s.sets,
                    packs, s.bytes_read, s.damaged, s.garbage);
    if (s.warnings > 0) text += fmt::format(", {} warnings", s.warnings);
    return line(std::move(text));
  }
  Json j = record("summary");
  j["sets"] = s.sets;
  j["packs_checked"] = s.packs_checked;
  j["packs_read"] = s.packs_read;
  j["bytes_read"] = s.bytes_read;
  j["damaged"] = s.damaged;
  j["garbage"] = s.garbage;
  j["garbage_bytes"] = s.garbage_bytes;
  j["warnings"] = s.warnings;
  return line(dump(j));
}

}  // namespace cairn::verify
