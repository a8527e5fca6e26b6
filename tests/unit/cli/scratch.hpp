// tests/unit/cli/scratch.hpp: a throwaway directory per test, and fd capture for the tests
// that run a whole Tool.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "base/tempdir.hpp"

namespace cairn::test {

class ScratchDir {
 public:
  const std::filesystem::path& path() const { return tmp_.path(); }
  std::filesystem::path write(const std::string& name, const std::string& content,
                              int mode = 0644) const {
    auto p = path() / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    ::chmod(p.c_str(), static_cast<mode_t>(mode));
    return p;
  }

 private:
  TempDir tmp_ = TempDir::create("cairn-cli-test-").value();
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Points `fd` at a file for the object's lifetime; text() reads what was written.
class Capture {
 public:
  Capture(int fd, const std::filesystem::path& file) : fd_(fd), file_(file) {
    // What Catch2 buffered so far ("Filters: ...") belongs to the real stdout.
    std::cout.flush();
    std::fflush(nullptr);
    saved_ = ::dup(fd_);
    const int f = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(f, fd_);
    ::close(f);
  }
  ~Capture() { restore(); }
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;
  void restore() {
    if (saved_ < 0) return;
    ::dup2(saved_, fd_);
    ::close(saved_);
    saved_ = -1;
  }
  std::string text() {
    restore();
    return slurp(file_);
  }

 private:
  int fd_;
  int saved_ = -1;
  std::filesystem::path file_;
};

}  // namespace cairn::test
