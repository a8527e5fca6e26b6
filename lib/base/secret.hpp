// lib/base/secret.hpp: SecretText, a passphrase in memory that never reaches a core file.
// Its bytes live in pages of their own (mmap), marked MADV_DONTDUMP (left out of core dumps,
// gcore included) and locked when the limit allows (never swapped); they are wiped
// (explicit_bzero) before the pages go back, and a moved-from SecretText is empty. Unlike
// std::string it has no small-string buffer inside the object, so no copy of a short
// passphrase is left on the stack or in freed heap. For a few short secrets per process (a
// page each), not for bulk data.
// Depends on: std, POSIX (mmap, madvise, mlock). Threads: plain values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cairn {

class SecretText {
 public:
  SecretText() = default;
  // Copies `text` (the caller wipes its own copy); throws std::bad_alloc. Implicit, so that
  // Unlock{"pass", {}} reads as before.
  SecretText(std::string_view text);                                           // NOLINT
  SecretText(const char* text) : SecretText(std::string_view(text)) {}         // NOLINT
  SecretText(const std::string& text) : SecretText(std::string_view(text)) {}  // NOLINT
  SecretText(const SecretText& o) : SecretText(o.view()) {}
  SecretText& operator=(const SecretText& o);
  SecretText(SecretText&& o) noexcept;
  SecretText& operator=(SecretText&& o) noexcept;
  ~SecretText() { clear(); }

  std::string_view view() const { return {p_, n_}; }
  operator std::string_view() const { return view(); }  // NOLINT: used where a view is taken
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  // Wipes and releases the bytes; empty afterwards.
  void clear() noexcept;

  friend bool operator==(const SecretText& a, std::string_view b) { return a.view() == b; }

 private:
  char* p_ = nullptr;
  std::size_t n_ = 0;
  std::size_t mapped_ = 0;
};

}  // namespace cairn
