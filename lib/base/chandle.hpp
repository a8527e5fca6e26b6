// lib/base/chandle.hpp: unique_ptr aliases for C library handles (ccache style).
// CHandle<T, &free_fn> frees with free_fn; destructors only clean up, never commit.
#pragma once

#include <memory>

namespace cairn {

template <auto Free>
struct CFree {
  template <typename T>
  void operator()(T* p) const noexcept {
    if (p) Free(p);
  }
};

template <typename T, auto Free>
using CHandle = std::unique_ptr<T, CFree<Free>>;

}  // namespace cairn
