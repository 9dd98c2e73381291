#pragma once

#include <cstdint>

#include <caf/actor_control_block.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/meta/type_name.hpp>

namespace troupe::detail {

/// Tells a coroutine actor that the receive with timeout number `seq` timed out.
/// A stale one (the receive already got its message) is dropped by the actor.
struct deadline {
  uint64_t seq;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deadline& x) {
  return f(caf::meta::type_name("troupe.deadline"), x.seq);
}

/// What the clock delivers to the timer relay: a deadline for an actor held only weakly,
/// so that a pending timer never keeps a finished actor alive.
struct deadline_note {
  caf::weak_actor_ptr target;
  uint64_t seq;
};

} // namespace troupe::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::detail::deadline_note)
