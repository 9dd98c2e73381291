#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace troupe {

/// Errors that troupe itself reports. They travel as `caf::error` values in the
/// category `troupe_error_category`, so they cross actor and process boundaries as codes.
enum class error_code : uint8_t {
  /// A name is already taken by a live actor.
  duplicate_name = 1,
  /// A name is empty, longer than 255 bytes, not valid UTF-8 or contains '@'.
  invalid_name,
  /// No live actor is registered under the name.
  unknown_name,
  /// A request was consumed by a coroutine that neither replied nor kept the promise.
  unanswered_request,
  /// `reply` was called while the current message is not a request.
  not_a_request,
  /// A coroutine actor's body threw an exception; the text holds `what()`.
  coroutine_exception,
};

/// The CAF error category of `error_code`.
constexpr caf::atom_value troupe_error_category = caf::atom("troupe");

/// Returns the name of `x`, e.g. "unknown_name".
std::string to_string(error_code x);

/// Wraps `x` into a `caf::error` (found by CAF through argument-dependent lookup).
caf::error make_error(error_code x);

/// Wraps `x` into a `caf::error` with a context message, e.g. the offending name.
caf::error make_error(error_code x, std::string context);

/// Renders an error as `name (context)`, the shape every troupe error renderer shares (CAF
/// calls them through `add_error_category`): `name` is e.g. "troupe::unknown_name", the
/// context a single string in parentheses, or CAF's rendering of any other context.
std::string render_error(std::string name, const caf::message& context);

} // namespace troupe
