#include "troupe/system.hpp"

#include <future>
#include <latch>
#include <memory>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/detail/behavior_impl.hpp>
#include <caf/detail/invoke_result_visitor.hpp>
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
                          caf::make_message(detail::deadline{note.token}), nullptr);
      },
    };
  }
};

/// Sends one request for a thread outside the actor system and hands the reply (or the error
/// in its place) to a promise. Hidden: CAF does not count it as a running actor, so a pending
/// blocking request never keeps `await_all_actors_done()` waiting.
class blocking_requester : public caf::event_based_actor {
public:
  blocking_requester(caf::actor_config& cfg, caf::actor dest, caf::timespan timeout,
                     caf::message msg, std::promise<caf::message> reply)
    : caf::event_based_actor(cfg), dest_(std::move(dest)), timeout_(timeout),
      msg_(std::move(msg)), reply_(std::move(reply)) {}

  const char* name() const override { return "troupe.blocking_requester"; }

  caf::behavior make_behavior() override {
    auto mid = new_request_id(caf::message_priority::normal);
    dest_->enqueue(ctrl(), mid, std::move(msg_), context());
    dest_ = nullptr;
    caf::behavior::impl_ptr handler = caf::make_counted<take_reply>(this);
    add_multiplexed_response_handler(mid.response_id(), caf::behavior(std::move(handler)));
    request_response_timeout(caf::duration{timeout_}, mid);
    return {}; // CAF keeps the actor alive while the response handler is pending
  }

  void on_exit() override {
    if (!answered_) // killed before any reply (the system is going away)
      deliver(caf::make_message(caf::make_error(caf::sec::request_receiver_down)));
  }

private:
  class take_reply final : public caf::detail::behavior_impl {
  public:
    explicit take_reply(blocking_requester* self) : self_(self) {}
    caf::match_case::result invoke(caf::detail::invoke_result_visitor& f,
                                   caf::type_erased_tuple& xs) override {
      self_->deliver(caf::message::copy(xs));
      f(); // handled: CAF does not report the reply as unexpected
      return caf::match_case::match;
    }

  private:
    blocking_requester* self_;
  };

  void deliver(caf::message x) {
    answered_ = true;
    reply_.set_value(std::move(x));
  }

  caf::actor dest_;
  caf::timespan timeout_;
  caf::message msg_;
  std::promise<caf::message> reply_;
  bool answered_ = false;
};

} // namespace

system::system() : owned_cfg_(std::make_unique<config>()), cfg_(*owned_cfg_), engine_(cfg_) {
  timer_relay_ = caf::actor_cast<caf::strong_actor_ptr>(engine_.spawn<timer_relay_actor, caf::hidden>());
  start_extensions();
}

system::system(config& cfg) : cfg_(cfg), engine_(cfg_) {
  timer_relay_ = caf::actor_cast<caf::strong_actor_ptr>(engine_.spawn<timer_relay_actor, caf::hidden>());
  start_extensions();
}

system::~system() {
  // Running actors may still arm timers: stop the relay only once they are done.
  engine_.await_all_actors_done();
  stop_extensions();
  caf::anon_send_exit(timer_relay_, caf::exit_reason::kill);
  timer_relay_ = nullptr;
}

void system::start_extensions() {
  for (auto& make : cfg_.extensions()) {
    auto ext = make(*this);
    if (!ext)
      continue;
    if (auto* resolver = dynamic_cast<remote_resolver*>(ext.get()); resolver && !resolver_)
      resolver_ = resolver;
    extensions_.push_back(std::move(ext));
  }
}

void system::stop_extensions() noexcept {
  if (std::exchange(extensions_stopped_, true))
    return;
  // The last one added may build on the earlier ones: stop in reverse order.
  for (auto i = extensions_.rbegin(); i != extensions_.rend(); ++i)
    (*i)->stop();
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

caf::expected<caf::actor> system::lookup(std::string_view address) {
  if (auto who = registry_.find(address))
    return caf::actor_cast<caf::actor>(std::move(who));
  auto remote = split_address(address);
  if (!remote || resolver_ == nullptr)
    return std::move(route(address).error());
  auto reply = blocking_request(resolver_->lookup_actor(), cfg_.request_timeout,
                                     caf::make_message(resolve_atom::value,
                                                       std::string{remote->name},
                                                       std::string{remote->endpoint}));
  std::optional<caf::expected<caf::actor>> out;
  detail::reply_pattern<caf::actor>::take(out, reply.content());
  return std::move(*out);
}

caf::expected<caf::actor> system::route(std::string_view address) const {
  auto remote = split_address(address);
  if (!remote)
    return make_error(error_code::unknown_name, std::string{address});
  if (resolver_ == nullptr)
    return make_error(error_code::unknown_name, std::string{address} + ": no network layer");
  return resolver_->route(remote->name, remote->endpoint);
}

caf::expected<caf::actor> system::handle_of(const caf::actor& x) const {
  if (!x)
    return caf::make_error(caf::sec::invalid_argument, "request to a null actor handle");
  return x;
}

caf::expected<caf::actor> system::handle_of(std::string_view address) const {
  if (auto who = registry_.find(address))
    return caf::actor_cast<caf::actor>(std::move(who));
  return route(address);
}

caf::message system::blocking_request(const caf::actor& dest, caf::timespan timeout,
                                      caf::message msg) {
  std::promise<caf::message> promise;
  auto reply = promise.get_future();
  // Held until the reply is in: nothing else may hold the requester (a remote proxy that fails
  // the request at once, say).
  auto requester = engine_.spawn<blocking_requester, caf::hidden>(dest, timeout, std::move(msg),
                                                                  std::move(promise));
  auto result = reply.get();
  requester = nullptr;
  return result;
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
  stop_extensions();
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
