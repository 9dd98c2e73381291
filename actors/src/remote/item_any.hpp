#pragma once

// Items of a bounded buffer as remote clients send and receive them: google.protobuf.Any.

#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <google/protobuf/any.pb.h>

namespace troupe::actors::remote {

/// The `google.protobuf.Any` that carries `item` (the values of one local put) to a remote
/// taker: an item put remotely is its Any as it came; a generated Protobuf message is packed
/// (type URL "type.googleapis.com/<full name>"); int32_t, int64_t, uint32_t, uint64_t, double,
/// float, bool and std::string are packed as their google.protobuf wrapper types, as troupe's
/// wire protocol maps them. Error: `invalid_argument` for anything else (another C++ type, or
/// an item of several values), which cannot cross.
caf::expected<google::protobuf::Any> any_of(const caf::message& item);

} // namespace troupe::actors::remote
