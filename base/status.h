// qsim's one error model: errors are values. A Status is ok or carries a code
// and a message that says what was wrong and where; StatusOr<T> is a T or a
// non-ok Status. Every layer (scheduler, reconciler, scenario loader, CLI)
// uses these; exceptions from third-party libraries stop at their adapters.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "base/check.h"

namespace qsim {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input or API misuse
  kNotFound,         // a named thing does not exist
  kFailedPrecondition,
  kDataLoss,         // a persistent form that cannot be read back
  kInternal,         // an invariant of qsim itself was broken
  kIoError,          // the environment failed us: a write, a full disk, a child process
};


class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns this status with `context` prepended ("ctx: message"); ok stays ok.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

  // Marks a status as deliberately not acted upon.
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}
inline Status NotFound(std::string message) { return Status(StatusCode::kNotFound, std::move(message)); }
inline Status FailedPrecondition(std::string message) {
  return Status(StatusCode::kFailedPrecondition, std::move(message));
}
inline Status DataLoss(std::string message) { return Status(StatusCode::kDataLoss, std::move(message)); }
inline Status Internal(std::string message) { return Status(StatusCode::kInternal, std::move(message)); }
inline Status IoError(std::string message) { return Status(StatusCode::kIoError, std::move(message)); }

// The exit status a command reports for a non-ok Status: 2 for input the user
// can fix (bad input, a missing input file), 3 when the environment failed
// (a write, a full disk, a child process), 4 for a bug in qsim. 1 is kept for
// "the check or comparison ran and failed", which is not an error at all.
inline int ExitStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kDataLoss: return 2;
    case StatusCode::kIoError: return 3;
    case StatusCode::kInternal: return 4;
  }
  return 4;
}
inline constexpr int kExitInconclusive = 5;  // a gate could not be decided at this n

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status) : value_(std::move(status)) {  // NOLINT: implicit by design
    QSIM_CHECK(!std::get<Status>(value_).ok(), "StatusOr made from an ok Status (it needs a value)");
  }

  bool ok() const { return std::holds_alternative<T>(value_); }
  Status status() const { return ok() ? Status() : std::get<Status>(value_); }

  // REQUIRES: ok(). Reading the value of an error is a bug in the caller,
  // checked in every build type: it names the error that was ignored.
  T& value() & { CheckHasValue(); return std::get<T>(value_); }
  const T& value() const& { CheckHasValue(); return std::get<T>(value_); }
  T&& value() && { CheckHasValue(); return std::get<T>(std::move(value_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void CheckHasValue() const {
    QSIM_CHECK(ok(), "value() of a StatusOr holding an error: %s", std::get<Status>(value_).message().c_str());
  }
  std::variant<Status, T> value_;
};

}  // namespace qsim

// Returns early from a function returning Status or StatusOr when `expr` fails.
#define QSIM_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    ::qsim::Status qsim_status_ = (expr);          \
    if (!qsim_status_.ok()) return qsim_status_;   \
  } while (0)
