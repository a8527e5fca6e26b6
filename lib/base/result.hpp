// lib/base/result.hpp: Result<T> (a small std::expected<T, Error>) and Status = Result<void>.
// GCC 12 has no std::expected in C++20; member names match it so C++23 is a search-and-replace.
// Depends on: base/error. Threads: plain values.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "base/error.hpp"

namespace cairn {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}      // NOLINT: implicit on purpose
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
           !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Result>)
      Result(U&& u)
      : v_(std::in_place_index<0>, T(std::forward<U>(u))) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& {
    assert(!has_value());
    return std::get<1>(v_);
  }
  Error& error() & {
    assert(!has_value());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : e_(std::move(e)), ok_(false) {}  // NOLINT
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_); }
  const Error& error() const& {
    assert(!ok_);
    return e_;
  }
  Error& error() & {
    assert(!ok_);
    return e_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(e_);
  }

 private:
  Error e_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace cairn

#define CAIRN_CONCAT_(a, b) a##b
#define CAIRN_CONCAT(a, b) CAIRN_CONCAT_(a, b)

// CAIRN_TRY(expr): return the error of a Result/Status expression, else continue.
#define CAIRN_TRY(expr)                                                    \
  do {                                                                     \
    auto&& cairn_try_r_ = (expr);                                          \
    if (!cairn_try_r_.has_value()) return std::move(cairn_try_r_).error(); \
  } while (0)

// CAIRN_TRY_ASSIGN(decl, expr): `decl = std::move(*expr)` or return its error.
#define CAIRN_TRY_ASSIGN(decl, expr) \
  CAIRN_TRY_ASSIGN_(CAIRN_CONCAT(cairn_try_v_, __LINE__), decl, expr)
#define CAIRN_TRY_ASSIGN_(tmp, decl, expr)             \
  auto tmp = (expr);                                   \
  if (!tmp.has_value()) return std::move(tmp).error(); \
  decl = std::move(tmp).value()
