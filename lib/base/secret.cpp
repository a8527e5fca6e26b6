#include "base/secret.hpp"

#include <string.h>  // explicit_bzero
#include <sys/mman.h>
#include <unistd.h>

#include <new>
#include <utility>

namespace cairn {

SecretText::SecretText(std::string_view text) {
  if (text.empty()) return;
  const long page = ::sysconf(_SC_PAGESIZE);
  const std::size_t pg = page > 0 ? static_cast<std::size_t>(page) : 4096;
  const std::size_t len = (text.size() + pg - 1) / pg * pg;
  void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_DONTDUMP
  (void)::madvise(p, len, MADV_DONTDUMP);  // before the secret is written
#endif
#ifdef MADV_WIPEONFORK
  (void)::madvise(p, len, MADV_WIPEONFORK);  // a forked child (an exec: alert) gets zeros
#endif
  (void)::mlock(p, len);  // best effort: RLIMIT_MEMLOCK may refuse
  p_ = static_cast<char*>(p);
  mapped_ = len;
  n_ = text.size();
  for (std::size_t i = 0; i < n_; ++i) p_[i] = text[i];
}

SecretText& SecretText::operator=(const SecretText& o) {
  if (this != &o) *this = SecretText(o.view());
  return *this;
}

SecretText::SecretText(SecretText&& o) noexcept
    : p_(std::exchange(o.p_, nullptr)),
      n_(std::exchange(o.n_, 0)),
      mapped_(std::exchange(o.mapped_, 0)) {}

SecretText& SecretText::operator=(SecretText&& o) noexcept {
  if (this != &o) {
    clear();
    p_ = std::exchange(o.p_, nullptr);
    n_ = std::exchange(o.n_, 0);
    mapped_ = std::exchange(o.mapped_, 0);
  }
  return *this;
}

void SecretText::clear() noexcept {
  if (p_ == nullptr) return;
  ::explicit_bzero(p_, mapped_);
  (void)::munlock(p_, mapped_);
  (void)::munmap(p_, mapped_);
  p_ = nullptr;
  n_ = 0;
  mapped_ = 0;
}

}  // namespace cairn
