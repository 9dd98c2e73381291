#include "detail/timer.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/local_actor.hpp>
#include <caf/mailbox_element.hpp>

namespace troupe::actors::detail {

namespace {

/// Forwards expired timers from CAF's clock to pattern actors that still exist.
class timer_relay final : public caf::event_based_actor {
public:
  using caf::event_based_actor::event_based_actor;

  const char* name() const override { return "troupe.actors.timer_relay"; }

  caf::behavior make_behavior() override {
    return {
      [](caf::weak_actor_ptr& target, timer::expire_atom, uint64_t token) {
        if (auto dest = target.lock())
          dest->enqueue(nullptr, caf::make_message_id(),
                        caf::make_message(timer::expire_atom::value, token), nullptr);
      },
    };
  }
};

} // namespace

void wakeup::at(caf::local_actor* self, time_point when) {
  if (armed_ && *armed_ <= when)
    return;
  if (!relay_)
    relay_ = self->home_system().spawn<timer_relay, caf::hidden>();
  armed_ = when;
  auto& clock = self->home_system().clock();
  clock.schedule_message(when, caf::actor_cast<caf::strong_actor_ptr>(relay_),
                         caf::make_mailbox_element(nullptr, caf::make_message_id(), {},
                                                   caf::weak_actor_ptr{self->ctrl()},
                                                   expire_atom::value, ++token_));
}

bool wakeup::take(uint64_t token) noexcept {
  if (!armed_ || token != token_)
    return false;
  armed_.reset();
  return true;
}

void timer::arm(caf::local_actor* self, caf::timespan delay, uint64_t id) {
  auto when = self->home_system().clock().now() + delay;
  by_id_[id] = pending_.emplace(when, id);
  wakeup_.at(self, when);
}

std::vector<uint64_t> timer::due(caf::local_actor* self, uint64_t token) {
  std::vector<uint64_t> result;
  if (!wakeup_.take(token))
    return result;
  auto now = self->home_system().clock().now();
  auto end = pending_.upper_bound(now);
  for (auto i = pending_.begin(); i != end; ++i) {
    result.push_back(i->second);
    by_id_.erase(i->second);
  }
  pending_.erase(pending_.begin(), end);
  if (!pending_.empty())
    wakeup_.at(self, pending_.begin()->first);
  return result;
}

void timer::cancel(uint64_t id) {
  auto i = by_id_.find(id);
  if (i == by_id_.end())
    return;
  pending_.erase(i->second);
  by_id_.erase(i);
}

} // namespace troupe::actors::detail
