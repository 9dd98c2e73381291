#pragma once

// The replies with values of the semaphore, barrier, event, rw_guard and banker to Protobuf
// clients (proto/troupe/actors/*.proto); their empty replies are `empty_as<Reply>`.

#include <caf/fwd.hpp>

#include "detail/remote_clients.hpp"

namespace troupe::actors::remote {

/// TryAcquire's reply: troupe.actors.TryAcquired.
detail::translated_reply try_acquired_reply(caf::message& local_reply);

/// GetSemaphoreStats' reply: troupe.actors.SemaphoreStats.
detail::translated_reply semaphore_stats_reply(caf::message& local_reply);

/// ArriveAndWait's reply: troupe.actors.Passed with the arrival index.
detail::translated_reply passed_reply(caf::message& local_reply);

/// IsSet's reply: troupe.actors.EventState.
detail::translated_reply event_state_reply(caf::message& local_reply);

/// GetRwStats' reply: troupe.actors.RwStats.
detail::translated_reply rw_stats_reply(caf::message& local_reply);

/// GetSnapshot's reply: troupe.actors.BankerSnapshot.
detail::translated_reply banker_snapshot_reply(caf::message& local_reply);

} // namespace troupe::actors::remote
