#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace troupe::actors {

/// Errors of the shared dictionary and list, in the category `shared_error_category`.
enum class shared_error : uint8_t {
  /// An argument is out of range (zero shards).
  invalid_argument = 1,
  /// A list index is not in 0..size-1.
  index_out_of_range,
  /// `pop` from an empty list.
  empty_list,
};

/// The CAF error category of `shared_error`.
constexpr caf::atom_value shared_error_category = caf::atom("shared");

/// Returns the name of `x`, e.g. "index_out_of_range".
std::string to_string(shared_error x);

/// Wraps `x` into a `caf::error` (found by CAF through argument-dependent lookup).
caf::error make_error(shared_error x);

/// Wraps `x` into a `caf::error` with a context message that explains it.
caf::error make_error(shared_error x, std::string context);

/// Whether `err` is the shared-data error `x`.
bool is(const caf::error& err, shared_error x) noexcept;

} // namespace troupe::actors
