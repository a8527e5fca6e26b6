#include "base/tempdir.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace cairn {

Result<TempDir> TempDir::create(std::string_view prefix, const std::filesystem::path& parent,
                                std::string_view what) {
  std::filesystem::path base = parent;
  if (base.empty()) {
    std::error_code ec;
    base = std::filesystem::temp_directory_path(ec);  // $TMPDIR, else /tmp
    if (ec) base = "/tmp";
  }
  std::string tmpl = (base / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    return errno_error(errno, fmt::format("cannot create {} in '{}'", what, base.string()));
  return TempDir(std::filesystem::path(std::move(tmpl)));
}

TempDir::TempDir(TempDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& o) noexcept {
  if (this != &o) {
    remove();
    path_ = std::exchange(o.path_, {});
  }
  return *this;
}

TempDir::~TempDir() { remove(); }

std::filesystem::path TempDir::release() { return std::exchange(path_, {}); }

void TempDir::remove() noexcept {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

}  // namespace cairn
