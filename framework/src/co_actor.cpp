#include "troupe/co_actor.hpp"

#include <type_traits>

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/detail/behavior_impl.hpp>
#include <caf/detail/invoke_result_visitor.hpp>
#include <caf/exit_reason.hpp>

#include "detail/deadline.hpp"
#include "troupe/detail/co_actor_impl.hpp"
#include "troupe/error.hpp"
#include "troupe/system.hpp"

namespace troupe {

namespace {

detail::co_actor_impl& impl_of(co_actor& self) {
  return static_cast<detail::co_actor_impl&>(self);
}

const detail::co_actor_impl& impl_of(const co_actor& self) {
  return static_cast<const detail::co_actor_impl&>(self);
}

/// The CAF side of a coroutine actor (its names clash with `co_actor`'s).
caf::event_based_actor& engine_of(co_actor& self) {
  return impl_of(self);
}

const caf::event_based_actor& engine_of(const co_actor& self) {
  return impl_of(self);
}

/// The one behavior of a coroutine actor: it takes every message, so CAF never skips one,
/// and hands it to the coroutine without building a `caf::message` unless it must stash it.
class route_all final : public caf::detail::behavior_impl {
public:
  explicit route_all(detail::co_actor_impl* self) : self_(self) {}

  caf::match_case::result invoke(caf::detail::invoke_result_visitor&,
                                 caf::type_erased_tuple& xs) override {
    self_->on_message(xs);
    return caf::match_case::match;
  }

private:
  detail::co_actor_impl* self_;
};

/// The response handler of a coroutine actor's requests: it resumes the coroutine suspended on
/// the one request it awaits. One per actor, registered anew for each request (a reference
/// count, not an allocation: a coroutine awaits one request at a time).
class route_reply final : public caf::detail::behavior_impl {
public:
  explicit route_reply(detail::co_actor_impl* self) : self_(self) {}

  caf::match_case::result invoke(caf::detail::invoke_result_visitor& f,
                                 caf::type_erased_tuple& xs) override {
    self_->on_reply(xs);
    f(); // marks the reply as handled, so CAF does not report it as unexpected
    return caf::match_case::match;
  }

private:
  detail::co_actor_impl* self_;
};

} // namespace

// -- co_actor ---------------------------------------------------------------------------------

caf::strong_actor_ptr co_actor::ctrl() const noexcept {
  return caf::strong_actor_ptr{engine_of(*this).ctrl()};
}

caf::execution_unit* co_actor::context() const noexcept {
  return engine_of(*this).context();
}

void co_actor::enqueue(caf::abstract_actor* dest, caf::mailbox_element_ptr x) {
  dest->enqueue(std::move(x), context());
}

caf::actor co_actor::handle() const noexcept {
  return caf::actor_cast<caf::actor>(engine_of(*this).ctrl());
}

caf::actor co_actor::lookup(std::string_view name) const {
  return caf::actor_cast<caf::actor>(system_->registry().find(name));
}

caf::abstract_actor* co_actor::cached_lookup(std::string_view address) {
  return names_.find(address, system_->registry(), system_->resolver());
}

caf::error co_actor::send_failure(std::string_view address) const {
  // Rare: ask again to learn why (the network layer's error for a remote address).
  auto dest = destination(address);
  return dest ? unknown_name(address) : std::move(dest.error());
}

caf::expected<caf::actor> co_actor::destination(const caf::actor& x) const {
  if (!x)
    return caf::make_error(caf::sec::invalid_argument, "request to a null actor handle");
  return x;
}

caf::expected<caf::actor> co_actor::destination(std::string_view address) const {
  if (auto who = lookup(address))
    return who;
  return system_->route(address);
}

co_actor::request_awaiter<caf::actor> co_actor::resolve(std::string_view address) {
  return resolve_within(address, default_request_timeout());
}

co_actor::request_awaiter<caf::actor> co_actor::resolve_within(std::string_view address,
                                                               timespan timeout) {
  if (auto who = lookup(address))
    return {*this, caf::expected<caf::actor>{std::move(who)}};
  auto remote = split_address(address);
  auto* resolver = system_->resolver();
  if (!remote || resolver == nullptr)
    return {*this, caf::expected<caf::actor>{std::move(system_->route(address).error())}};
  return {*this, resolver->lookup_actor(), timeout,
          request_element(resolve_atom::value, std::string{remote->name},
                          std::string{remote->endpoint})};
}

void co_actor::monitor(const caf::actor& x) {
  engine_of(*this).monitor(x);
}

void co_actor::demonitor(const caf::actor& x) {
  engine_of(*this).demonitor(x);
}

void co_actor::link_to(const caf::actor& x) {
  engine_of(*this).link_to(x);
}

void co_actor::trap_exit(bool on) {
  auto& self = impl_of(*this);
  if (on)
    self.set_exit_handler([&self](caf::scheduled_actor*, caf::exit_msg& x) {
      self.on_system_message(caf::make_message(std::move(x)));
    });
  else
    self.set_exit_handler(caf::scheduled_actor::exit_handler{});
}

co_actor::timespan co_actor::default_request_timeout() const noexcept {
  return system_->cfg().request_timeout;
}

caf::error co_actor::not_a_request() {
  return make_error(error_code::not_a_request);
}

caf::error co_actor::unknown_name(std::string_view name) {
  return make_error(error_code::unknown_name, std::string{name});
}

void co_actor::settle_request() {
  current_request_.deliver(make_error(error_code::unanswered_request));
}

bool co_actor::take_stashed(detail::wait_slot& slot) {
  auto entry = stash_.take_oldest(slot);
  if (!entry)
    return false;
  current_sender_ = std::move(entry->sender);
  current_request_ = std::move(entry->request);
  return true;
}

void co_actor::wait(detail::wait_slot& slot) {
  waiting_ = &slot;
  if (slot.timeout)
    impl_of(*this).start_deadline(slot);
}

void co_actor::send_request(const caf::actor& dest, timespan timeout,
                            caf::mailbox_element_ptr elem, detail::wait_slot& slot) {
  auto& self = impl_of(*this);
  auto& engine = engine_of(*this);
  auto mid = engine.new_request_id(caf::message_priority::normal);
  elem->sender = caf::strong_actor_ptr{engine.ctrl()};
  elem->mid = mid;
  dest->enqueue(std::move(elem), engine.context());
  if (!self.reply_route_) {
    caf::behavior::impl_ptr route = caf::make_counted<route_reply>(&self);
    self.reply_route_ = caf::behavior{std::move(route)};
  }
  self.reply_slot_ = &slot;
  engine.add_multiplexed_response_handler(mid.response_id(), self.reply_route_);
  // Not through CAF's request timeout: CAF 0.17 arms that one on its clock for every request
  // and never cancels it when the reply comes (see detail::deadline_timer).
  slot.timeout = timeout;
  slot.reply_id = mid.response_id();
  self.start_deadline(slot);
}

// -- send_awaiter -----------------------------------------------------------------------------

bool co_actor::send_awaiter::await_ready() {
  if (!dest_) {
    result_ = std::move(dest_.error());
    done_ = true;
    return true;
  }
  auto* resolver = self_.system_->resolver();
  if (resolver == nullptr) {
    deliver();
    return true;
  }
  switch (resolver->send_paced(*dest_, self_.ctrl(), *content_)) {
    case remote_resolver::paced::sent:
      done_ = true;
      return true;
    case remote_resolver::paced::not_mine:
      deliver();
      return true;
    default:
      return room_.await_ready(); // a notice already waiting in the stash: send at once
  }
}

caf::error co_actor::send_awaiter::await_resume() {
  if (done_)
    return std::move(result_);
  if (!room_.await_resume())
    return caf::make_error(caf::sec::request_timeout, "no room at the destination in time");
  // Room came (or the node was lost: then the send fails at the sender as any send does).
  deliver();
  return std::move(result_);
}

void co_actor::send_awaiter::deliver() {
  done_ = true;
  self_.enqueue(caf::actor_cast<caf::abstract_actor*>(*dest_),
                caf::make_mailbox_element(self_.ctrl(), caf::make_message_id(), {},
                                          to_message_(*this)));
}

// -- co_actor_impl ----------------------------------------------------------------------------

namespace detail {

co_actor_impl::co_actor_impl(caf::actor_config& cfg, troupe::system& sys)
  : co_actor(sys), caf::event_based_actor(cfg) {
  static_assert(!std::is_polymorphic_v<co_actor>,
                "co_actor must not become the primary base of co_actor_impl");
  sys.live().add(hook_, caf::event_based_actor::ctrl(), id());
}

co_actor_impl::~co_actor_impl() {
  system_->live().remove(hook_);
}

caf::behavior co_actor_impl::make_behavior() {
  set_down_handler([this](caf::scheduled_actor*, caf::down_msg& x) {
    on_system_message(caf::make_message(std::move(x)));
  });
  set_error_handler([this](caf::scheduled_actor*, caf::error& x) {
    on_system_message(caf::make_message(std::move(x)));
  });
  // Spawned while the system shuts down, after its snapshot of the actors to stop: the
  // shutdown waits for this actor, so stop it before its body runs.
  if (system_->shutting_down()) {
    quit(caf::exit_reason::user_shutdown);
    return {};
  }
  body_ = start();
  resume(body_.handle());
  if (body_.handle().done())
    return {};
  caf::behavior::impl_ptr routing = caf::make_counted<route_all>(this);
  return caf::behavior(std::move(routing));
}

void co_actor_impl::on_message(caf::type_erased_tuple& xs) {
  // Deadlines are ours, never the coroutine's, even when it receives any message.
  auto is_deadline = [&] { return holds<deadline>(xs); };
  // Deadlines and room notices are the actor's own business, never a `receive<caf::message>`'s.
  auto is_internal = [&] { return is_deadline() || holds<room_notice>(xs); };
  auto* elem = current_mailbox_element();
  if (waiting_ != nullptr && !(waiting_->keys.any && is_internal())
      && waiting_->take(waiting_->awaiter, xs)) {
    current_sender_ = take_sender(*elem, current_request_);
    resume(std::exchange(waiting_, nullptr)->handle);
    return;
  }
  if (is_deadline()) {
    on_deadline(xs.get_as<deadline>(0).token);
    return;
  }
  if (holds<room_notice>(xs))
    return; // late: the send that waited for it has timed out or gone ahead
  caf::response_promise request;
  auto sender = take_sender(*elem, request);
  stash_.push(elem->move_content_to_message(), std::move(sender), std::move(request));
}

caf::strong_actor_ptr co_actor_impl::take_sender(caf::mailbox_element& elem,
                                                 caf::response_promise& request) {
  if (!elem.mid.is_request())
    return std::move(elem.sender);
  // CAF's response promise takes the element's sender: keep a copy for `sender()`.
  auto sender = elem.sender;
  request = make_response_promise();
  return sender;
}

void co_actor_impl::on_system_message(caf::message msg) {
  if (waiting_ != nullptr && waiting_->take(waiting_->awaiter, msg.content())) {
    current_sender_ = nullptr;
    resume(std::exchange(waiting_, nullptr)->handle);
    return;
  }
  stash_.push(std::move(msg), nullptr, {});
}

void co_actor_impl::on_reply(caf::type_erased_tuple& xs) {
  auto* slot = std::exchange(reply_slot_, nullptr);
  if (slot == nullptr)
    return; // cannot happen: the handler is registered only while a request waits
  slot->take(slot->awaiter, xs);
  resume(slot->handle);
}

void co_actor_impl::start_deadline(wait_slot& slot) {
  auto now = system_->deadline_clock().start_of(*slot.timeout);
  if (*slot.timeout >= deadline_timer::time_point::max() - now)
    return; // a deadline beyond the clock's range never comes: the wait has none
  timed_ = &slot;
  if (auto ev = deadline_.start(now + *slot.timeout))
    schedule(*ev);
  // The clock holds this actor only weakly, so that a killed actor is freed at once; while it
  // waits, it holds itself (as CAF's `after` does), or an actor nobody else refers to would be
  // destroyed as unreachable before its timeout. `resume` and `on_exit` let go.
  if (!timer_hold_)
    timer_hold_ = caf::event_based_actor::ctrl();
}

void co_actor_impl::schedule(const deadline_timer::event& ev) {
  auto& clock = home_system().clock();
  clock.schedule_message(ev.when, system_->timer_relay(),
                         caf::make_mailbox_element(
                           nullptr, caf::make_message_id(), {},
                           deadline_note{caf::weak_actor_ptr{caf::event_based_actor::ctrl()},
                                         ev.token}));
}

void co_actor_impl::on_deadline(uint64_t token) {
  auto fired = deadline_.fire(token, home_system().clock().now());
  if (fired.rearm)
    schedule(*fired.rearm);
  if (!fired.expired)
    return; // stale, or the wait ends later
  auto* slot = std::exchange(timed_, nullptr);
  if (slot->reply_id.is_response()) {
    // As CAF's own request timeout: the handler goes, so a late reply is dropped.
    multiplexed_responses_.erase(slot->reply_id);
    reply_slot_ = nullptr;
    auto timeout = caf::make_message(caf::make_error(caf::sec::request_timeout));
    slot->take(slot->awaiter, timeout.content());
  } else {
    waiting_ = nullptr;
  }
  resume(slot->handle);
}

void co_actor_impl::resume(std::coroutine_handle<> h) {
  // Whatever resumes the coroutine ends its wait; it may start the next one before returning.
  deadline_.stop();
  timed_ = nullptr;
  h.resume();
  // The hold goes unless the coroutine waits with a deadline again, as a client does from
  // request to request: two atomic updates of the reference count fewer per request. Safe: CAF
  // holds the actor while it handles a message.
  if (timed_ == nullptr)
    timer_hold_ = nullptr;
  if (body_.handle().done())
    finish();
}

void co_actor_impl::finish() {
  auto escaped = body_.handle().promise().escaped;
  if (!escaped) {
    if (current_request_.pending())
      settle_request();
    quit();
    return;
  }
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(escaped);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  // As Erlang's gen_server:call reports the callee's crash: the request being handled, and
  // those waiting in the stash, fail with why the actor died.
  auto reason = make_error(error_code::coroutine_exception, std::move(what));
  if (current_request_.pending())
    current_request_.deliver(reason);
  if (!stash_.empty())
    stash_.fail_and_clear(reason);
  quit(std::move(reason));
}

void co_actor_impl::on_exit() {
  waiting_ = nullptr;
  timed_ = nullptr;
  reply_slot_ = nullptr;
  reply_route_ = caf::behavior{};
  // A caf::error allocates: build it only for an actor that leaves requests behind.
  if (!stash_.empty())
    stash_.fail_and_clear(caf::make_error(caf::sec::request_receiver_down));
  if (current_request_.pending())
    current_request_.deliver(caf::make_error(caf::sec::request_receiver_down));
  current_sender_ = nullptr;
  names_.clear();
  timer_hold_ = nullptr;
  body_.reset();
  system_->live().remove(hook_);
}

} // namespace detail

} // namespace troupe
