#pragma once

#include <cstdint>

#include <caf/actor_control_block.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/meta/type_name.hpp>

namespace troupe::detail {

/// Tells a coroutine actor that its clock event `token` fired (see `deadline_timer`).
/// A stale one (superseded by an earlier event) is dropped by the actor.
struct deadline {
  uint64_t token;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deadline& x) {
  return f(caf::meta::type_name("troupe.deadline"), x.token);
}

/// What the clock delivers to the timer relay: a deadline for an actor held only weakly,
/// so that a pending timer never keeps a finished actor alive.
struct deadline_note {
  caf::weak_actor_ptr target;
  uint64_t token;
};

} // namespace troupe::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::detail::deadline_note)
