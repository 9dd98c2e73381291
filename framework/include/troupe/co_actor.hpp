#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <variant>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message.hpp>
#include <caf/response_promise.hpp>
#include <caf/sec.hpp>
#include <caf/detail/type_erased_tuple_view.hpp>
#include <caf/make_message.hpp>
#include <caf/type_erased_tuple.hpp>

#include "troupe/detail/message_pattern.hpp"
#include "troupe/extension.hpp"
#include "troupe/detail/name_cache.hpp"
#include "troupe/detail/stash.hpp"
#include "troupe/task.hpp"

namespace troupe {

class system;

namespace detail {
class co_actor_impl;
} // namespace detail

/// The face of a coroutine actor, handed to its body as `co_actor& self`.
///
/// The body reads like a generator actor (`msg = yield`): `co_await self.receive<int>()`
/// suspends the actor until an `int` arrives. Messages that the current receive does not
/// match wait in the actor's stash, in arrival order, for a later receive. A suspended
/// coroutine holds no thread; it is resumed by the actor's own message handler on CAF's pool.
class co_actor {
public:
  /// How long `request` waits when the caller names no timeout.
  using timespan = std::chrono::nanoseconds;

  co_actor(const co_actor&) = delete;
  co_actor& operator=(const co_actor&) = delete;

  // -- receiving ----------------------------------------------------------------------------

  template <bool Timed, class... Ts>
  class receive_awaiter;

  /// Awaits the oldest message of one of the types `Ts` and returns it: a `T` for one type,
  /// a `std::variant<Ts...>` for several. `std::tuple<A, B>` matches a two-element message,
  /// `caf::message` matches anything, `caf::down_msg` a down message of a monitored actor.
  template <class... Ts>
  receive_awaiter<false, Ts...> receive() {
    static_assert(sizeof...(Ts) > 0, "receive needs at least one type");
    return receive_awaiter<false, Ts...>{*this, std::nullopt};
  }

  /// Like `receive()`, but gives up after `timeout`: the result is then `std::nullopt`. A
  /// timeout of ten seconds or more may end up to 36 ms late (`detail::wait_clock`).
  template <class... Ts, class Rep, class Period>
  receive_awaiter<true, Ts...> receive(std::chrono::duration<Rep, Period> timeout) {
    static_assert(sizeof...(Ts) > 0, "receive needs at least one type");
    return receive_awaiter<true, Ts...>{*this, std::chrono::duration_cast<timespan>(timeout)};
  }

  /// The sender of the message that the last receive returned (null for anonymous sends).
  const caf::strong_actor_ptr& sender() const noexcept { return current_sender_; }

  /// Replies to the request that the last receive returned (`reply()` sends the empty reply
  /// that `request<>` awaits). Returns `not_a_request` if that message was not a request or
  /// was already answered.
  template <class... Ts>
  caf::error reply(Ts&&... xs) {
    if (!current_request_.pending())
      return not_a_request();
    if constexpr (sizeof...(Ts) == 0)
      current_request_.deliver(caf::unit);
    else
      current_request_.deliver(std::forward<Ts>(xs)...);
    return caf::none;
  }

  /// Takes over the reply to the request that the last receive returned, to deliver it later
  /// (for example once a resource frees up). Without `reply` or this call, the requester
  /// gets `unanswered_request` when the coroutine next suspends.
  caf::response_promise take_reply_promise() noexcept { return std::move(current_request_); }

  // -- sending ------------------------------------------------------------------------------

  /// Sends `xs...` to `dest` with this actor as the sender.
  template <class... Ts>
  void send(const caf::actor& dest, Ts&&... xs) {
    if (dest)
      enqueue(caf::actor_cast<caf::abstract_actor*>(dest),
              caf::make_mailbox_element(ctrl(), caf::make_message_id(), {},
                                        std::forward<Ts>(xs)...));
  }

  /// Sends `xs...` to the actor at `address`: a local name or `name@endpoint` (routed by name
  /// on that node; never blocks). Returns `unknown_name` if no local actor has the name, or the
  /// network layer's error for a remote address it cannot route.
  template <class... Ts>
  caf::error send(std::string_view address, Ts&&... xs) {
    auto* dest = cached_lookup(address);
    if (!dest)
      return send_failure(address);
    enqueue(dest, caf::make_mailbox_element(ctrl(), caf::make_message_id(), {},
                                                  std::forward<Ts>(xs)...));
    return caf::none;
  }

  class send_awaiter;
  template <class... Ts>
  class send_paced_awaiter;

  /// Like `send`, but waits while the destination cannot take more: a remote actor whose
  /// node's send window is full (the network layer's backpressure). The coroutine is suspended
  /// meanwhile and holds no thread; local destinations never wait. Yields the send's error,
  /// or `sec::request_timeout` when no room came within `troupe.request-timeout`.
  template <class... Ts>
  auto send_paced(std::string_view address, Ts&&... xs);
  template <class... Ts>
  auto send_paced(const caf::actor& dest, Ts&&... xs);

  template <class... Rs>
  class request_awaiter;

  /// Sends a request and awaits its reply: `caf::expected<R>` for one reply type,
  /// `expected<std::tuple<Rs...>>` for several, `expected<void>` for none. The error is the
  /// receiver's error reply, `sec::request_timeout`, `sec::request_receiver_down`,
  /// `sec::unexpected_response` or `unknown_name`. Other messages wait in the stash meanwhile.
  /// A timeout of ten seconds or more may end up to 36 ms late (`detail::wait_clock`).
  template <class... Rs, class Dest, class Rep, class Period, class... Ts>
  request_awaiter<Rs...> request(const Dest& dest, std::chrono::duration<Rep, Period> timeout,
                                 Ts&&... xs) {
    return request_awaiter<Rs...>{*this, destination(dest),
                                  std::chrono::duration_cast<timespan>(timeout),
                                  request_element(std::forward<Ts>(xs)...)};
  }

  /// `request` with the system's default timeout (setting `troupe.request-timeout`).
  template <class... Rs, class Dest, class T, class... Ts>
    requires(!detail::is_duration<std::decay_t<T>>)
  request_awaiter<Rs...> request(const Dest& dest, T&& x, Ts&&... xs) {
    return request_awaiter<Rs...>{*this, destination(dest), default_request_timeout(),
                                  request_element(std::forward<T>(x), std::forward<Ts>(xs)...)};
  }

  // -- monitoring, links, exits -------------------------------------------------------------

  /// Monitors `x`: when it terminates, a `caf::down_msg` arrives for `receive<caf::down_msg>()`.
  void monitor(const caf::actor& x);

  /// Stops monitoring `x`.
  void demonitor(const caf::actor& x);

  /// Links this actor to `x`: when either fails, the other receives an exit message.
  void link_to(const caf::actor& x);

  /// With `true`, exit messages from linked actors arrive for `receive<caf::exit_msg>()`
  /// instead of terminating this actor when their reason is not `normal`.
  void trap_exit(bool on);

  // -- identity and spawning ----------------------------------------------------------------

  /// A handle to this actor.
  caf::actor handle() const noexcept;

  /// The troupe system this actor runs in.
  troupe::system& system() const noexcept { return *system_; }

  /// Spawns a coroutine actor on this actor's worker, like `system::spawn`.
  template <class F, class... Ts>
  caf::actor spawn(F fun, Ts&&... xs);

  /// Spawns a named coroutine actor, like `system::spawn_named`.
  template <class F, class... Ts>
  caf::expected<caf::actor> spawn_named(std::string_view name, F fun, Ts&&... xs);

  /// The actor registered as `name` in this process, or a null handle.
  caf::actor lookup(std::string_view name) const;

  /// Awaits the actor at `address`: a local name (no suspension), or `name@endpoint`, whose
  /// node is asked for a handle bound to the actor that holds the name now (monitoring it
  /// observes that incarnation). Errors: `unknown_name`, the network layer's errors,
  /// `sec::request_timeout` after `timeout` (default `troupe.request-timeout`).
  request_awaiter<caf::actor> resolve(std::string_view address);
  template <class Rep, class Period>
  request_awaiter<caf::actor> resolve(std::string_view address,
                                      std::chrono::duration<Rep, Period> timeout);

protected:
  explicit co_actor(troupe::system& sys) noexcept : system_(&sys) {}
  ~co_actor() = default;

  // Hooks implemented by detail::co_actor_impl, where the CAF actor lives.
  caf::strong_actor_ptr ctrl() const noexcept;
  caf::execution_unit* context() const noexcept;
  void enqueue(caf::abstract_actor* dest, caf::mailbox_element_ptr x);

  /// Suspends on `slot` after the stash had nothing for it.
  void wait(detail::wait_slot& slot);
  /// The mailbox element of a request, its values stored inline (as CAF's own `request` does:
  /// one allocation, not a message and a wrapper); `send_request` fills in sender and ID.
  template <class... Ts>
  static caf::mailbox_element_ptr request_element(Ts&&... xs) {
    return caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, std::forward<Ts>(xs)...);
  }
  /// Sends the request `elem` whose reply resumes the coroutine through `slot`.
  void send_request(const caf::actor& dest, timespan timeout, caf::mailbox_element_ptr elem,
                    detail::wait_slot& slot);
  /// Answers a request that the coroutine consumed without replying.
  void settle_request();

  timespan default_request_timeout() const noexcept;
  static caf::error not_a_request();
  static caf::error unknown_name(std::string_view name);

  /// The actor at `address` (local or remote), through this actor's cache of recent names.
  caf::abstract_actor* cached_lookup(std::string_view address);
  /// Why a send to `address` found no actor.
  caf::error send_failure(std::string_view address) const;

  caf::expected<caf::actor> destination(const caf::actor& x) const;
  caf::expected<caf::actor> destination(std::string_view address) const;
  request_awaiter<caf::actor> resolve_within(std::string_view address, timespan timeout);

  /// Takes the oldest stashed message that `slot` accepts, making it the current message.
  bool take_stashed(detail::wait_slot& slot);

  troupe::system* system_;
  detail::stash stash_;
  detail::name_cache names_;
  /// The receive or request the coroutine is suspended on; null while it runs.
  detail::wait_slot* waiting_ = nullptr;
  caf::strong_actor_ptr current_sender_;
  caf::response_promise current_request_;

  friend class detail::co_actor_impl;
  friend class send_awaiter;
};

// -- awaiters ---------------------------------------------------------------------------------

/// Awaiter of `receive<Ts...>()`; its result is the message's value (optional when timed).
template <bool Timed, class... Ts>
class co_actor::receive_awaiter {
public:
  using pattern = detail::message_pattern<Ts...>;
  using value_type = typename pattern::value_type;

  receive_awaiter(co_actor& self, std::optional<timespan> timeout) noexcept
    : self_(self), timeout_(timeout) {}

  bool await_ready() {
    slot_.awaiter = this;
    slot_.take = &take;
    slot_.match = &pattern::match;
    slot_.keys = pattern::keys();
    if (self_.current_request_.pending())
      self_.settle_request();
    return !self_.stash_.empty() && self_.take_stashed(slot_);
  }

  void await_suspend(std::coroutine_handle<> h) {
    slot_.handle = h;
    slot_.timeout = timeout_;
    self_.wait(slot_);
  }

  auto await_resume() {
    if constexpr (Timed)
      return std::move(value_);
    else
      return std::move(*value_);
  }

private:
  static bool take(void* self, caf::type_erased_tuple& xs) {
    return pattern::take(static_cast<receive_awaiter*>(self)->value_, xs);
  }

  co_actor& self_;
  std::optional<timespan> timeout_;
  detail::wait_slot slot_;
  std::optional<value_type> value_;
};

/// Awaiter of `send_paced(...)`; its result is the send's `caf::error`. The values stay in
/// the awaiter: a remote destination encodes them from there (no `caf::message` is built),
/// a local one gets them as a message.
class co_actor::send_awaiter {
public:
  bool await_ready();
  void await_suspend(std::coroutine_handle<> h) { room_.await_suspend(h); }
  caf::error await_resume();

protected:
  /// `content` views the values; `to_message` moves them into a message.
  send_awaiter(co_actor& self, caf::expected<caf::actor> dest,
               caf::message (*to_message)(send_awaiter&))
    : self_(self), dest_(std::move(dest)), to_message_(to_message),
      room_(self, self.default_request_timeout()) {}

  send_awaiter(const send_awaiter&) = delete;
  send_awaiter& operator=(const send_awaiter&) = delete;

  /// Set by the derived awaiter once its values exist.
  const caf::type_erased_tuple* content_ = nullptr;

private:
  void deliver();

  co_actor& self_;
  caf::expected<caf::actor> dest_;
  caf::message (*to_message_)(send_awaiter&);
  receive_awaiter<true, room_notice> room_;
  caf::error result_;
  bool done_ = false;
};

namespace detail {

/// The type `caf::make_message` stores for an argument of type `T` (a string literal becomes
/// a `std::string`, an atom constant an atom value).
template <class T>
using stored_type = typename caf::unbox_message_element<
  typename caf::detail::strip_and_convert<T>::type>::type;

} // namespace detail

/// `send_awaiter` holding the values of one `send_paced` call.
template <class... Ts>
class co_actor::send_paced_awaiter final : public send_awaiter {
public:
  template <class... Us>
  send_paced_awaiter(co_actor& self, caf::expected<caf::actor> dest, Us&&... xs)
    : send_awaiter(self, std::move(dest), &to_message), values_(std::forward<Us>(xs)...),
      view_(std::apply([](Ts&... ys) { return caf::detail::type_erased_tuple_view<Ts...>{ys...}; },
                       values_)) {
    content_ = &view_;
  }

private:
  static caf::message to_message(send_awaiter& base) {
    auto& self = static_cast<send_paced_awaiter&>(base);
    return std::apply([](Ts&... ys) { return caf::make_message(std::move(ys)...); },
                      self.values_);
  }

  std::tuple<Ts...> values_;
  caf::detail::type_erased_tuple_view<Ts...> view_;
};

template <class... Ts>
auto co_actor::send_paced(std::string_view address, Ts&&... xs) {
  return send_paced_awaiter<detail::stored_type<Ts>...>{*this, destination(address),
                                                         std::forward<Ts>(xs)...};
}

template <class... Ts>
auto co_actor::send_paced(const caf::actor& dest, Ts&&... xs) {
  return send_paced_awaiter<detail::stored_type<Ts>...>{*this, destination(dest),
                                                         std::forward<Ts>(xs)...};
}

/// Awaiter of `request<Rs...>(...)`; its result is `caf::expected<...>`.
template <class... Rs>
class co_actor::request_awaiter {
public:
  using reply_pattern = detail::reply_pattern<Rs...>;
  using result_type = typename reply_pattern::result_type;

  request_awaiter(co_actor& self, caf::expected<caf::actor> dest, timespan timeout,
                  caf::mailbox_element_ptr elem)
    : self_(self), dest_(std::move(dest)), timeout_(timeout), elem_(std::move(elem)) {}

  /// An awaiter whose result is known without asking anyone: it does not suspend.
  request_awaiter(co_actor& self, result_type ready)
    : self_(self), dest_(caf::actor{}), timeout_(0), result_(std::move(ready)) {}

  bool await_ready() {
    if (self_.current_request_.pending())
      self_.settle_request();
    if (result_)
      return true;
    if (dest_)
      return false;
    result_.emplace(std::move(dest_.error()));
    return true;
  }

  void await_suspend(std::coroutine_handle<> h) {
    slot_.awaiter = this;
    slot_.take = &take;
    slot_.handle = h;
    self_.send_request(*dest_, timeout_, std::move(elem_), slot_);
  }

  result_type await_resume() { return std::move(*result_); }

private:
  static bool take(void* self, caf::type_erased_tuple& xs) {
    reply_pattern::take(static_cast<request_awaiter*>(self)->result_, xs);
    return true;
  }

  co_actor& self_;
  caf::expected<caf::actor> dest_;
  timespan timeout_;
  caf::mailbox_element_ptr elem_;
  detail::wait_slot slot_;
  std::optional<result_type> result_;
};

template <class Rep, class Period>
co_actor::request_awaiter<caf::actor>
co_actor::resolve(std::string_view address, std::chrono::duration<Rep, Period> timeout) {
  return resolve_within(address, std::chrono::duration_cast<timespan>(timeout));
}

} // namespace troupe
