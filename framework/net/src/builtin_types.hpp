#pragma once

#include <cstdint>
#include <vector>

#include "type_table.hpp"

namespace troupe::net::detail {

/// A type every node knows, with its CAF type number.
struct builtin_type {
  uint16_t type_number;
  type_entry entry;
};

/// The scalars (as google.protobuf wrapper types), `std::string` (StringValue) and
/// `caf::error` (troupe.wire.ErrorValue).
std::vector<builtin_type> builtin_types();

} // namespace troupe::net::detail
