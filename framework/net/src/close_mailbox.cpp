// Compiled without UBSan's vptr check under TROUPE_SANITIZE (see CMakeLists.txt).
#include "close_mailbox.hpp"

#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scheduled_actor.hpp>

namespace troupe::net::detail {

void close_mailbox(caf::scheduled_actor& self) {
  if (self.mailbox().closed())
    return;
  self.mailbox().close();
  self.get_normal_queue().flush_cache();
  self.get_urgent_queue().flush_cache();
  caf::detail::sync_request_bouncer bounce{caf::exit_reason::user_shutdown};
  while (self.mailbox().queue().new_round(1000, bounce).consumed_items) {
    // Each round drops up to 1000 messages.
  }
}

} // namespace troupe::net::detail
