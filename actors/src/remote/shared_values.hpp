#pragma once

// Values and errors of the shared dictionary and list as their Protobuf clients see them
// (proto/troupe/actors/shared_dict.proto). Neither keeps anything per client, so their shards
// answer Protobuf requests directly, without stand-ins.

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>

#include "troupe/actors/shared_dict.pb.h"
#include "troupe/actors/value.hpp"
#include "troupe/protobuf.hpp"

namespace troupe::actors::remote {

/// The value a troupe.actors.Value holds. Error: `shared_error::invalid_argument` if no kind
/// is set.
caf::expected<value> from_proto(const Value& x);

/// The troupe.actors.Value of `x`.
Value to_proto(const value& x);

/// The reply for a local error: troupe.actors.SharedError for a `shared_error`, the error
/// itself otherwise.
caf::message shared_error_reply(const caf::error& err);

} // namespace troupe::actors::remote
