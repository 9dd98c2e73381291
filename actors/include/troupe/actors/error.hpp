#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>

namespace troupe::actors {

/// Errors that the pattern actors report. They travel as `caf::error` values in the category
/// `actors_error_category`, so they cross actor and process boundaries as codes.
enum class actors_error : uint8_t {
  /// A bounded buffer was closed: no more puts are accepted.
  closed = 1,
  /// A closed bounded buffer is drained: nothing is left to take.
  end_of_stream,
  /// `task_done` came from an actor that holds no item taken from the buffer.
  nothing_taken,
  /// A request waited longer than the wait limit it named.
  timeout,
  /// An argument is out of range (a capacity or count of zero, a negative claim, ...).
  invalid_argument,
  /// A release came from an actor that holds nothing to release.
  not_holder,
  /// A barrier broke (a party terminated, a wait timed out or it was reset) before it tripped.
  broken_barrier,
  /// A banker's request exceeds the client's declared maximum claim.
  over_claim,
  /// A banker's claim exceeds the total of a resource.
  over_total,
  /// A banker's client made a request before declaring its claim.
  unknown_client,
  /// A rw_guard lease expired before it was released.
  lease_expired,
};

/// The CAF error category of `actors_error`.
constexpr caf::atom_value actors_error_category = caf::atom("troupe_act");

/// Returns the name of `x`, e.g. "end_of_stream".
std::string to_string(actors_error x);

/// Wraps `x` into a `caf::error` (found by CAF through argument-dependent lookup).
caf::error make_error(actors_error x);

/// Wraps `x` into a `caf::error` with a context message that explains it.
caf::error make_error(actors_error x, std::string context);

/// Whether `err` is the pattern error `x`.
bool is(const caf::error& err, actors_error x) noexcept;

/// Teaches `cfg` the names of `actors_error`, so that `engine().render(err)` prints
/// "troupe::actors::end_of_stream (context)" instead of a bare code. Call it before the system
/// starts (e.g. in the constructor of a `troupe::config` subclass).
void add_error_names(caf::actor_system_config& cfg);

} // namespace troupe::actors
