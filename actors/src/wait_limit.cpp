#include "troupe/actors/wait_limit.hpp"

#include "troupe/system.hpp"

namespace troupe::actors {

caf::timespan default_wait_limit(const co_actor& self) noexcept {
  return self.system().cfg().request_timeout;
}

} // namespace troupe::actors
