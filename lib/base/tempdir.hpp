// lib/base/tempdir.hpp: TempDir, a fresh private directory (mkdtemp) removed with everything
// in it when the TempDir goes. In base, not io: the scratch directories of ops and backend and
// the unit tests of every module (each test binary links only its own module, catalog and
// policy included) all use this one.
// Depends on: std, POSIX (mkdtemp). Threads: plain values.
#pragma once

#include <filesystem>
#include <string_view>

#include "base/result.hpp"

namespace cairn {

class TempDir {
 public:
  // Creates `parent`/`prefix`XXXXXX (mode 0700); `parent` defaults to $TMPDIR, else /tmp.
  // An errno error "cannot create WHAT in 'PARENT'" when it cannot.
  static Result<TempDir> create(std::string_view prefix, const std::filesystem::path& parent = {},
                                std::string_view what = "a temporary directory");

  TempDir() = default;
  TempDir(TempDir&& o) noexcept;
  TempDir& operator=(TempDir&& o) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  // Gives the directory up: it is no longer removed; its path.
  std::filesystem::path release();

 private:
  explicit TempDir(std::filesystem::path p) : path_(std::move(p)) {}
  void remove() noexcept;
  std::filesystem::path path_;  // empty: none
};

}  // namespace cairn
