#pragma once

namespace caf {
class scheduled_actor;
} // namespace caf

namespace troupe::net::detail {

/// Closes and drains the mailbox of `self` (from its own thread) as CAF's
/// `scheduled_actor::cleanup` does: later messages are dropped at once, waiting requests are
/// answered with an error. For brokers, whose cleanup in CAF 0.17 skips this.
void close_mailbox(caf::scheduled_actor& self);

} // namespace troupe::net::detail
