#pragma once
// One project-wide error type. Expected failures travel as values (Result<T>); the category
// maps to an exit code in cli/ and to an HTTP status in api/.
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace autonomy {

enum class ErrorCode {
  kUsage,         // bad flags, bad names, bad input from the operator
  kConfig,        // bad configuration file or key material
  kNetwork,       // connect/reset/timeout: transient
  kAuth,          // 401/403 after the auth flow
  kNotFound,      // repo, tag, manifest or blob absent
  kRegistry,      // the registry answered something we cannot use (4xx/5xx, bad headers)
  kIntegrity,     // digest or size mismatch, unparsable manifest
  kVerification,  // missing, bad or mismatched signature
  kIo,            // local disk
  kCancelled,     // SIGINT / job cancel
  kInternal,
};

std::string_view errorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  bool transient = false;  // worth retrying (network, 5xx, 429)
  // The request field or flag at fault, when there is one ("repos[1]", "to_layout"): the API
  // returns it as error.field. Set where the error is made, never recovered from the message.
  std::string field;

  // Prefix the message with what was being done: "copy fleet/nav:v2: " + message.
  Error context(std::string_view what) const& {
    Error e = *this;
    e.message = std::string(what) + ": " + message;
    return e;
  }
  // The message without its "field: " prefix: what is wrong with the field.
  std::string problem() const {
    if (!field.empty() && message.size() > field.size() + 2 && message.starts_with(field + ": "))
      return message.substr(field.size() + 2);
    return message;
  }
  // The error of a field inside `parent` ("repos[2]" + "semver" = "repos[2].semver"); an error
  // that names no field is blamed on the parent.
  Error within(std::string_view parent) const& {
    Error e = *this;
    if (field.empty()) {
      e.field = std::string(parent);
      e.message = e.field + ": " + message;
    } else {
      e.field = std::string(parent) + "." + field;
      e.message = std::string(parent) + "." + message;  // the message starts with the field
    }
    return e;
  }
};

inline Error makeError(ErrorCode code, std::string message, bool transient = false) {
  return Error{code, std::move(message), transient, {}};
}

// An error about one named field: the message reads "field: problem" and the field travels on.
inline Error fieldError(std::string field, std::string_view problem, ErrorCode code = ErrorCode::kUsage) {
  std::string message = field + ": " + std::string(problem);
  return Error{code, std::move(message), false, std::move(field)};
}

// A minimal expected<T, Error> (C++20 has none).
template <typename T>
class [[nodiscard]] Result {
 public:
  // Default: an internal error (asio's co_spawn needs a default-constructible result).
  Result() : v_(std::in_place_index<1>, Error{ErrorCode::kInternal, "no result", false, {}}) {}
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace autonomy
