#pragma once

#include <chrono>

#include <caf/timespan.hpp>

namespace troupe {
class co_actor;
} // namespace troupe

namespace troupe::actors {

/// How much longer than a wait limit a client waits for the pattern actor's answer. The
/// actor itself answers `timeout` when the limit passes, so it alone decides whether an item
/// moved or a permit was granted; the client's request never times out first.
inline constexpr std::chrono::seconds wait_grace{1};

/// The wait limit of a client call that names none: the system's `troupe.request-timeout`.
caf::timespan default_wait_limit(const co_actor& self) noexcept;

} // namespace troupe::actors
