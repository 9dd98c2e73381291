#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace troupe::actors {

/// Errors of supervisors. They travel as `caf::error` values in the category
/// `supervisor_error_category`, so they cross actor and process boundaries as codes.
enum class supervisor_error : uint8_t {
  /// More restarts than the supervisor's intensity within its period: it stopped all its
  /// children and exited with this reason (the context names the last child and its reason).
  restart_intensity_exceeded = 1,
  /// A child's start function failed (the context holds the child's id and the error).
  start_failed,
  /// No child has this id.
  unknown_child,
  /// A child with this id exists already.
  duplicate_child,
  /// The child is running, and the operation needs it stopped.
  child_running,
  /// A child spec or supervisor flags are unusable (the context says why).
  invalid_child_spec,
};

/// The CAF error category of `supervisor_error`.
constexpr caf::atom_value supervisor_error_category = caf::atom("supervisor");

/// Returns the name of `x`, e.g. "unknown_child".
std::string to_string(supervisor_error x);

/// Wraps `x` into a `caf::error` (found by CAF through argument-dependent lookup).
caf::error make_error(supervisor_error x);

/// Wraps `x` into a `caf::error` with a context message that explains it.
caf::error make_error(supervisor_error x, std::string context);

/// Whether `err` is the supervisor error `x`.
bool is(const caf::error& err, supervisor_error x) noexcept;

} // namespace troupe::actors
