#include "detail/timer.hpp"

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/local_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/send.hpp>

namespace troupe::actors::detail {

namespace {

/// Forwards expired timers from CAF's clock to pattern actors that still exist.
class timer_relay final : public caf::event_based_actor {
public:
  using caf::event_based_actor::event_based_actor;

  const char* name() const override { return "troupe.actors.timer_relay"; }

  caf::behavior make_behavior() override {
    return {
      [](caf::weak_actor_ptr& target, timer::expire_atom, uint64_t id) {
        if (auto dest = target.lock())
          dest->enqueue(nullptr, caf::make_message_id(),
                        caf::make_message(timer::expire_atom::value, id), nullptr);
      },
    };
  }
};

} // namespace

timer::~timer() {
  if (relay_)
    caf::anon_send_exit(relay_, caf::exit_reason::user_shutdown);
}

void timer::arm(caf::local_actor* self, caf::timespan delay, uint64_t id) {
  if (!relay_)
    relay_ = self->home_system().spawn<timer_relay, caf::hidden>();
  auto& clock = self->home_system().clock();
  clock.schedule_message(clock.now() + delay, caf::actor_cast<caf::strong_actor_ptr>(relay_),
                         caf::make_mailbox_element(nullptr, caf::make_message_id(), {},
                                                   caf::weak_actor_ptr{self->ctrl()},
                                                   expire_atom::value, id));
}

} // namespace troupe::actors::detail
