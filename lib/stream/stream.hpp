// lib/stream/stream.hpp: the generic framing shared by every inter-tool stream (cairn-manifest(5)).
// Depends on: base, io, hash (BLAKE2b for the trailer digest), nlohmann/json (parsing lines).
// Threads: Writer and Reader are thread-compatible (one user at a time).
//
// A stream is:
//   line 1   {"cairn":"<kind>","version":[major,minor], ...kind-specific header keys...}
//   records  one JSON object a line; after a record, optional content frames:
//            repeated  <ASCII decimal length> '\n' <that many raw bytes>   (1..kMaxFrame bytes)
//            ended by  "0\n"
//   last     {"end":true,"entries":N,"digest":"<hex BLAKE2b-256 of every byte before this line>"}
// A minor bump may add keys (readers ignore keys they do not know); anything else needs a major
// bump. Writers emit the newest version; readers accept every major in readable_majors.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "hash/hash.hpp"
#include "io/file.hpp"

namespace cairn::stream {

// A stream kind and the versions this build writes and reads.
struct Format {
  std::string_view kind;  // the "cairn" key of the header: "manifest"
  int major = 1;
  int minor = 0;
  std::span<const int> readable_majors;
};

inline constexpr std::array<int, 1> kManifestReadableMajors{1};
inline constexpr Format kManifest{"manifest", 1, 0, kManifestReadableMajors};

inline constexpr std::size_t kMaxFrame = 16u << 20;  // 16 MiB: a reader refuses bigger frames
inline constexpr std::size_t kMaxLine = 64u << 20;   // a JSON line longer than this is refused

struct Version {
  int major = 0;
  int minor = 0;
};

// Checks a parsed header line against the wanted format. `source` names where the stream came
// from in messages ("stdin"): "expected a manifest stream on stdin, got an objects stream".
Status check_header(const nlohmann::json& header, const Format& want, std::string_view source);

// Offered each record line by Reader::next before it is parsed as JSON: take() returns true when
// it took the line as a record (then no JSON value is built), false to leave it to the parser.
// It must refuse what the parser would not accept as a record (the trailer among them).
class LineTaker {
 public:
  virtual bool take(std::string_view line) = 0;

 protected:
  ~LineTaker() = default;
};

class Writer {
 public:
  Writer(io::Writer& out, const Format& format) : out_(out), format_(format) {}
  // Writes line 1: {"cairn":kind,"version":[major,minor]} plus the members of `extra` (an object).
  Status header(const nlohmann::json& extra);
  // Writes one record line (no '\n' inside; the writer appends it) and counts it.
  Status record(std::string_view json_line);
  // Writes one content frame (an empty view writes nothing) / the "0\n" end of frames.
  Status frame(ByteView data);
  Status end_frames();
  // Writes the trailer and flushes the underlying writer. The writer is finished afterwards.
  Status finish();
  std::uint64_t records() const { return records_; }

 private:
  Status put(ByteView b);
  io::Writer& out_;
  Format format_;
  hash::Blake2b digest_;
  std::uint64_t records_ = 0;
  bool started_ = false, in_frames_ = false, finished_ = false;
};

class Reader {
 public:
  Reader(io::Reader& in, const Format& want, std::string source = "stdin");

  // Reads and checks line 1; `header` receives the whole parsed object.
  Status header(nlohmann::json& header);
  Version version() const { return version_; }
  // Reads the next record into `record` (a JSON object). Returns false after the trailer was
  // read and verified (count, digest, nothing after it). Frames not read are skipped. A line
  // that `fast` takes leaves `record` alone.
  Result<bool> next(nlohmann::json& record, LineTaker* fast = nullptr);
  // Reads the next content frame of the current record into `buf` (resized). Returns 0 at the
  // end of the frames. Only call it after a record that announces frames.
  Result<std::size_t> read_frame(Bytes& buf);
  // Marks that the record just returned is followed by frames (next() skips unread ones).
  void expect_frames() { frames_pending_ = true; }
  // For bytes already authenticated as a whole (a MAC checked before parsing, as the files
  // cache does): the trailer's digest is not computed nor compared; its count still is. Call
  // before header().
  void skip_digest() { check_digest_ = false; }
  std::uint64_t records() const { return records_; }
  std::uint64_t line() const { return line_; }  // 1-based number of the last JSON line read

 private:
  Status skip_frames();
  Result<bool> take_record();  // counts and digests the record line in buf_
  Error line_error(std::string_view what) const;
  io::LineReader lines_;
  Format want_;
  std::string source_;
  std::string buf_;
  Bytes scratch_;
  hash::Blake2b digest_;
  Version version_;
  std::uint64_t records_ = 0, line_ = 0;
  bool frames_pending_ = false, done_ = false, started_ = false, check_digest_ = true;
};

}  // namespace cairn::stream
