// lib/cli/stages.hpp: the stages of one pipeline (cairn-snap | cairn-diff | cairn-pack...) share
// the terminal's status line. A stage whose standard output is a pipe publishes its counts in a
// small file, $XDG_RUNTIME_DIR/cairn-progress/<pgid>-<pid> (else ($TMPDIR or /tmp)/
// cairn-progress-<uid>; the directory must be ours and 0700), instead of drawing; the stage that
// draws (the last one) prefixes its line with the counts of the live stages of its process group:
// "snap 1210 items 70.0 MiB | diff 1180 items | cairn-pack: ...". Display only: a torn or stale
// record shows wrong counts for 200 ms. Depends on: base, io. Threads: publish() and other_stages()
// from one thread at a time (TextProgress calls them under its lock).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "io/file.hpp"

namespace cairn::cli {

class StageFile {
 public:
  // This process's record for `tool`; null when the directory cannot be made (then the stage
  // shows nothing, as before).
  static std::unique_ptr<StageFile> create(std::string_view tool);
  ~StageFile();  // removes the record
  StageFile(const StageFile&) = delete;
  StageFile& operator=(const StageFile&) = delete;

  void publish(std::uint64_t items, std::uint64_t bytes);

 private:
  StageFile(io::Fd fd, std::string path, std::string label)
      : fd_(std::move(fd)), path_(std::move(path)), label_(std::move(label)) {}
  io::Fd fd_;
  std::string path_;
  std::string label_;
};

// The records of the other live stages of this process group, oldest process first, each
// followed by " | "; empty when there are none.
std::string other_stages();

}  // namespace cairn::cli
