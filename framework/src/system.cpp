#include "troupe/system.hpp"

#include <latch>
#include <memory>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "detail/deadline.hpp"

namespace troupe {

namespace {

/// Forwards deadlines from CAF's clock to coroutine actors that still exist.
class timer_relay_actor : public caf::event_based_actor {
public:
  using caf::event_based_actor::event_based_actor;

  const char* name() const override { return "troupe.timer_relay"; }

  caf::behavior make_behavior() override {
    return {
      [](detail::deadline_note& note) {
        if (auto target = note.target.lock())
          target->enqueue(nullptr, caf::make_message_id(),
                          caf::make_message(detail::deadline{note.seq}), nullptr);
      },
    };
  }
};

} // namespace

system::system() : owned_cfg_(std::make_unique<config>()), cfg_(*owned_cfg_), engine_(cfg_) {
  timer_relay_ = caf::actor_cast<caf::strong_actor_ptr>(engine_.spawn<timer_relay_actor, caf::hidden>());
}

system::system(config& cfg) : cfg_(cfg), engine_(cfg_) {
  timer_relay_ = caf::actor_cast<caf::strong_actor_ptr>(engine_.spawn<timer_relay_actor, caf::hidden>());
}

system::~system() {
  // Running actors may still arm timers: stop the relay only once they are done.
  engine_.await_all_actors_done();
  caf::anon_send_exit(timer_relay_, caf::exit_reason::kill);
  timer_relay_ = nullptr;
}

caf::execution_unit* system::host_or_dummy(caf::execution_unit* host) noexcept {
  return host != nullptr ? host : engine_.dummy_execution_unit();
}

caf::error system::register_name(std::string_view name, const caf::actor& who) {
  if (!who)
    return caf::make_error(caf::sec::invalid_argument, "register_name with a null actor");
  return registry_.add(name, caf::actor_cast<caf::strong_actor_ptr>(who));
}

bool system::unregister_name(std::string_view name) {
  return registry_.remove(name);
}

caf::expected<caf::actor> system::lookup(std::string_view name) const {
  if (auto who = registry_.find(name))
    return caf::actor_cast<caf::actor>(std::move(who));
  return make_error(error_code::unknown_name, std::string{name});
}

std::vector<std::string> system::names() const {
  return registry_.names();
}

void system::await_all_actors_done() const {
  engine_.await_all_actors_done();
  // CAF counts an actor as done before it marks it terminated and runs its exit hooks, which
  // free its names: wait for those hooks too, so that no name of an exited actor outlives this
  // call. Hidden actors are not counted by CAF, so they may still be running: skip them.
  auto named = registry_.actors();
  std::erase_if(named, [](const caf::strong_actor_ptr& who) {
    return who->get()->getf(caf::abstract_actor::is_hidden_flag);
  });
  auto exited = std::make_shared<std::latch>(static_cast<std::ptrdiff_t>(named.size()));
  for (auto& who : named)
    who->get()->attach_functor([exited] { exited->count_down(); });
  exited->wait();
}

void system::shutdown() {
  begin_shutdown();
  await_all_actors_done();
  end_shutdown();
}

void system::begin_shutdown() {
  // Raised before the snapshot: an actor missing from it was constructed after it, so its
  // first activation (which checks the flag) comes later still and stops it.
  ++shutting_down_;
  auto targets = live_.snapshot();
  for (auto& who : registry_.actors())
    targets.push_back(std::move(who));
  for (auto& who : targets)
    caf::anon_send_exit(who, caf::exit_reason::user_shutdown);
}

void system::end_shutdown() noexcept {
  --shutting_down_;
}

} // namespace troupe
