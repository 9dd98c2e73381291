#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>

#include "protocol.hpp"

namespace troupe::net::detail {

/// A `caf::error` in the fields of the wire's `ErrorValue` (code, category name, text).
struct error_fields {
  uint32_t code = 0;
  std::string category;
  std::string text;

  /// Views of the fields, valid while this object lives unchanged.
  error_view view() const noexcept { return {code, category, text}; }
};

/// Describes `x` for the wire: code, category atom as text, and the context as text (the
/// string itself when the context is one string, CAF's rendering otherwise). `caf::none`
/// gives code 0 and an empty category.
error_fields to_error_fields(const caf::error& x);

/// Rebuilds in `result` the `caf::error` of the wire fields `x`; a non-empty text becomes its
/// context (one string). Returns `malformed_payload` if the code exceeds 255 or the category is
/// empty or longer than a CAF atom (10 characters) while the code is not 0 (`result` is then
/// unchanged). An out-parameter because `caf::expected<caf::error>` cannot be built from either.
caf::error from_error_view(const error_view& x, caf::error& result);

} // namespace troupe::net::detail
