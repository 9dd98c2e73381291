#pragma once

// The replies of a bounded buffer to Protobuf clients (proto/troupe/actors/bounded_buffer.proto).

#include <caf/fwd.hpp>

#include "detail/remote_clients.hpp"

namespace troupe::actors::remote {

/// Take's reply: the item as troupe.actors.Item (see `any_of`). An item that cannot cross is
/// answered with troupe.actors.Error (INVALID_ARGUMENT) and ends the client's stand-in, so the
/// buffer takes the item back as from a taker that terminated (for the next taker).
detail::translated_reply item_reply(caf::message& local_reply);

/// GetStats' reply: troupe.actors.BufferStats.
detail::translated_reply buffer_stats_reply(caf::message& local_reply);

} // namespace troupe::actors::remote
