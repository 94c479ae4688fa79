// Result<T>: the value of a fallible library call, or an Error a user can act on.
//
// Every engine/machine function that can fail because of its input (a kernel file, a
// configuration value) returns a Result instead of throwing. The message is one line
// that names the offending thing and says what is wrong with it; the CLI prints it on
// stderr and exits non-zero. `code` is an errno value (ENOENT, EINVAL, ENOEXEC, ...)
// so that a front end can tell classes of failure apart without parsing text.
#pragma once

#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vmlab::machine {

struct Error {
  std::string message;
  int code = EINVAL;
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace vmlab::machine
