// lib/stream/stream.cpp: header check, records, frames and the digest trailer.
#include "stream/stream.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cairn::stream {
namespace {

using nlohmann::json;

// "a manifest stream", "an objects stream".
std::string with_article(std::string_view kind) {
  bool vowel = !kind.empty() && std::string_view("aeiou").find(kind[0]) != std::string_view::npos;
  return fmt::format("{} {} stream", vowel ? "an" : "a", kind);
}

// Parses a frame length line: 1..18 decimal digits, no sign, no leading zero (except "0").
std::optional<std::size_t> parse_length(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  std::size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  return v;
}

const char kNewline = '\n';

}  // namespace

Status check_header(const json& h, const Format& want, std::string_view source) {
  auto got = [&]() -> std::string {
    if (!h.is_object()) return "a JSON value that is not a cairn stream header";
    auto it = h.find("cairn");
    if (it == h.end() || !it->is_string()) return "a JSON object that is not a cairn stream header";
    return with_article(it->get_ref<const std::string&>());
  };
  if (!h.is_object() || !h.contains("cairn") || !h["cairn"].is_string() ||
      h["cairn"].get_ref<const std::string&>() != want.kind)
    return Error{Errc::bad_input,
                 fmt::format("expected {} on {}, got {}", with_article(want.kind), source, got())};
  auto v = h.find("version");
  auto small = [](const json& n) {
    return n.is_number_integer() && n.get<std::int64_t>() >= 0 && n.get<std::int64_t>() <= 1000000;
  };
  if (v == h.end() || !v->is_array() || v->size() != 2 || !small((*v)[0]) || !small((*v)[1]))
    return Error{Errc::bad_input,
                 fmt::format("{} on {} has no valid version", with_article(want.kind), source)};
  int major = (*v)[0].get<int>(), minor = (*v)[1].get<int>();
  if (std::find(want.readable_majors.begin(), want.readable_majors.end(), major) ==
      want.readable_majors.end()) {
    std::string majors;
    for (int m : want.readable_majors)
      majors += fmt::format("{}{}.x", majors.empty() ? "" : ", ", m);
    return Error{Errc::unsupported_format,
                 fmt::format("{} format {}.{} is not supported by this cairn (reads {})", want.kind,
                             major, minor, majors)};
  }
  return {};
}

// ---- Writer ---------------------------------------------------------------------------------

Status Writer::put(ByteView b) {
  digest_.update(b);
  return out_.write(b);
}

Status Writer::header(const json& extra) {
  if (started_) return Error{Errc::internal, "stream header written twice"};
  // "cairn" and "version" first (a json object would sort its keys), then the extra members.
  std::string line =
      fmt::format("{{\"cairn\":{},\"version\":[{},{}]", json(std::string(format_.kind)).dump(),
                  format_.major, format_.minor);
  if (extra.is_object() && !extra.empty()) {
    std::string members;
    try {
      members = extra.dump(-1, ' ', false, json::error_handler_t::replace);
    } catch (const std::exception& e) {
      return Error{Errc::internal, fmt::format("cannot encode stream header: {}", e.what())};
    }
    line.push_back(',');
    line.append(members, 1, members.size() - 2);
  }
  line.push_back('}');
  line.push_back('\n');
  started_ = true;
  return put(as_bytes(line));
}

Status Writer::record(std::string_view json_line) {
  if (!started_ || finished_)
    return Error{Errc::internal, "stream record outside header and trailer"};
  if (json_line.find('\n') != std::string_view::npos)
    return Error{Errc::internal, "stream record contains a newline"};
  in_frames_ = false;
  ++records_;
  CAIRN_TRY(put(as_bytes(json_line)));
  return put(ByteView(reinterpret_cast<const std::uint8_t*>(&kNewline), 1));
}

Status Writer::frame(ByteView data) {
  if (data.empty()) return {};
  if (!started_ || finished_ || records_ == 0)
    return Error{Errc::internal, "stream frame without a record"};
  in_frames_ = true;
  while (!data.empty()) {
    std::size_t n = std::min(data.size(), kMaxFrame);
    auto len = fmt::format("{}\n", n);
    CAIRN_TRY(put(as_bytes(len)));
    CAIRN_TRY(put(data.first(n)));
    data = data.subspan(n);
  }
  return {};
}

Status Writer::end_frames() {
  if (!started_ || finished_ || records_ == 0)
    return Error{Errc::internal, "stream frames end without a record"};
  in_frames_ = false;
  return put(as_bytes("0\n"));
}

Status Writer::finish() {
  if (!started_ || finished_)
    return Error{Errc::internal, "stream finished twice or never started"};
  finished_ = true;
  auto line = fmt::format("{{\"end\":true,\"entries\":{},\"digest\":\"{}\"}}\n", records_,
                          digest_.finish().hex());
  CAIRN_TRY(out_.write(as_bytes(line)));
  return out_.flush();
}

// ---- Reader ---------------------------------------------------------------------------------

Reader::Reader(io::Reader& in, const Format& want, std::string source)
    : lines_(in, kMaxLine), want_(want), source_(std::move(source)) {}

Error Reader::line_error(std::string_view what) const {
  return Error{Errc::bad_input, fmt::format("{} line {}: {}", want_.kind, line_, what)};
}

Status Reader::header(json& header) {
  if (started_) return Error{Errc::internal, "stream header read twice"};
  started_ = true;
  auto got = lines_.next(buf_);
  if (!got && got.error().code != Errc::bad_input) return std::move(got).error();
  if (!got) {
    return Error{Errc::bad_input,
                 fmt::format("expected {} on {}, got {}", with_article(want_.kind), source_,
                             got.error().message.find("longer") != std::string::npos
                                 ? "an overlong first line"
                                 : "an incomplete first line")};
  }
  if (!*got)
    return Error{Errc::bad_input, fmt::format("expected {} on {}, got empty input",
                                              with_article(want_.kind), source_)};
  line_ = 1;
  header = json::parse(buf_, nullptr, false);
  if (header.is_discarded())
    return Error{Errc::bad_input, fmt::format("expected {} on {}, got data that is not JSON",
                                              with_article(want_.kind), source_)};
  CAIRN_TRY(check_header(header, want_, source_));
  version_ = {header["version"][0].get<int>(), header["version"][1].get<int>()};
  buf_.push_back('\n');
  if (check_digest_) digest_.update(as_bytes(buf_));
  return {};
}

Status Reader::skip_frames() {
  while (frames_pending_) {
    CAIRN_TRY_ASSIGN(std::size_t n, read_frame(scratch_));
    (void)n;
  }
  return {};
}

Result<bool> Reader::next(json& record, LineTaker* fast) {
  if (!started_) return Error{Errc::internal, "stream read before its header"};
  if (done_) return false;
  CAIRN_TRY(skip_frames());
  auto got = lines_.next(buf_);
  if (!got) {
    auto e = std::move(got).error();
    if (e.code != Errc::bad_input) return e;
    if (e.message.find("longer than") != std::string::npos)
      return Error{Errc::bad_input, fmt::format("{} line {}: longer than {} bytes", want_.kind,
                                                line_ + 1, kMaxLine)};
    return Error{Errc::bad_input, fmt::format("{} stream is truncated: no trailer after {} entries",
                                              want_.kind, records_)};
  }
  if (!*got)
    return Error{Errc::bad_input, fmt::format("{} stream is truncated: no trailer after {} entries",
                                              want_.kind, records_)};
  ++line_;
  if (fast && fast->take(buf_)) return take_record();
  record = json::parse(buf_, nullptr, false);
  if (record.is_discarded()) return line_error("not valid JSON");
  if (!record.is_object()) return line_error("not a JSON object");
  if (record.contains("end")) {
    // The trailer.
    const auto& end = record["end"];
    if (!end.is_boolean() || !end.get<bool>())
      return line_error("malformed trailer (\"end\" is not true)");
    auto n = record.find("entries");
    auto d = record.find("digest");
    if (n == record.end() || !n->is_number_unsigned() || d == record.end() || !d->is_string())
      return line_error("malformed trailer (needs \"entries\" and \"digest\")");
    if (n->get<std::uint64_t>() != records_)
      return line_error(fmt::format("trailer counts {} entries but the stream has {}",
                                    n->get<std::uint64_t>(), records_));
    auto want = hash::Digest::from_hex(d->get_ref<const std::string&>());
    auto have = check_digest_ ? digest_.finish() : want.value_or(hash::Digest{});
    if (!want || *want != have)
      return line_error(fmt::format(
          "trailer digest mismatch (stream altered or damaged): computed {}", have.hex()));
    done_ = true;
    // Nothing may follow the trailer.
    auto extra = lines_.next(buf_);
    if (!extra && extra.error().code != Errc::bad_input) return std::move(extra).error();
    if (!extra || *extra)
      return Error{Errc::bad_input,
                   fmt::format("{} stream has data after its trailer", want_.kind)};
    return false;
  }
  return take_record();
}

Result<bool> Reader::take_record() {
  buf_.push_back('\n');
  if (check_digest_) digest_.update(as_bytes(buf_));
  ++records_;
  return true;
}

Result<std::size_t> Reader::read_frame(Bytes& buf) {
  if (!frames_pending_) return std::size_t{0};
  auto got = lines_.next(buf_);
  if (!got && got.error().code != Errc::bad_input) return std::move(got).error();
  if (!got || !*got) {
    frames_pending_ = false;
    return Error{Errc::bad_input,
                 fmt::format("{} stream is truncated: inside the content of entry {}", want_.kind,
                             records_)};
  }
  auto n = parse_length(buf_);
  if (!n) {
    frames_pending_ = false;
    return Error{Errc::bad_input, fmt::format("{} stream: bad content frame length after entry {}",
                                              want_.kind, records_)};
  }
  if (*n > kMaxFrame) {
    frames_pending_ = false;
    return Error{Errc::bad_input,
                 fmt::format("{} stream: content frame of {} bytes after entry {} exceeds the {} "
                             "byte limit",
                             want_.kind, *n, records_, kMaxFrame)};
  }
  buf_.push_back('\n');
  if (check_digest_) digest_.update(as_bytes(buf_));
  buf.resize(*n);
  if (*n == 0) {
    frames_pending_ = false;
    return std::size_t{0};
  }
  auto st = lines_.read_exact(buf);
  if (!st && st.error().code != Errc::bad_input) return std::move(st).error();
  if (!st) {
    frames_pending_ = false;
    return Error{Errc::bad_input,
                 fmt::format("{} stream is truncated: inside the content of entry {}", want_.kind,
                             records_)};
  }
  if (check_digest_) digest_.update(buf);
  return *n;
}

}  // namespace cairn::stream
