#pragma once

#include <cstdint>
#include <tuple>
#include <utility>

#include <caf/event_based_actor.hpp>

#include "troupe/co_actor.hpp"
#include "troupe/detail/deadline_timer.hpp"
#include "troupe/detail/live_actors.hpp"
#include "troupe/task.hpp"

namespace troupe::detail {

/// The CAF actor behind a `co_actor`: it owns the coroutine, routes every message into it
/// through one catch-all behavior, and turns the coroutine's end into the actor's exit.
///
/// `co_actor` comes first among the bases on purpose: CAF's worker runs
/// `dynamic_cast<abstract_actor*>` on every actor it resumes (Debian's CAF logs actor ids), and
/// that walk visits the bases from the last one; with `event_based_actor` last it finds its
/// answer at once (callgrind: 1,530 instructions per resume instead of 1,640). `co_actor` is not
/// polymorphic, so `event_based_actor` stays the primary base at offset 0, where CAF's actor
/// storage expects the `abstract_actor`.
class co_actor_impl : public co_actor, public caf::event_based_actor {
public:
  co_actor_impl(caf::actor_config& cfg, troupe::system& sys);
  ~co_actor_impl() override;

  const char* name() const override { return "troupe.co_actor"; }

  /// @private Routes an incoming message (the current mailbox element) into the coroutine.
  void on_message(caf::type_erased_tuple& xs);
  /// @private Routes a reply into the coroutine suspended on its request.
  void on_reply(caf::type_erased_tuple& xs);
  /// @private Routes a system message (down, exit, error) like an ordinary one.
  void on_system_message(caf::message msg);

protected:
  caf::behavior make_behavior() override;
  void on_exit() override;

  /// Calls the user's body; implemented by `co_body`.
  virtual task start() = 0;

private:
  friend class troupe::co_actor;

  void resume(std::coroutine_handle<> h);
  void finish();
  void on_deadline(uint64_t token);
  /// Starts the deadline of the wait on `slot` (its `timeout`).
  void start_deadline(wait_slot& slot);
  /// Puts a deadline event for this actor on CAF's clock.
  void schedule(const deadline_timer::event& ev);
  /// The sender of `elem`; for a request, also its response promise in `request`.
  caf::strong_actor_ptr take_sender(caf::mailbox_element& elem, caf::response_promise& request);

  task body_;
  live_actors::hook hook_;
  deadline_timer deadline_;
  /// The receive or request whose deadline `deadline_` keeps; null if none.
  wait_slot* timed_ = nullptr;
  /// This actor itself, while a wait with a deadline is pending (see `start_deadline`).
  caf::strong_actor_ptr timer_hold_;
  /// The response handler of every request (made at the first).
  caf::behavior reply_route_;
  /// The request the coroutine awaits; null if none.
  wait_slot* reply_slot_ = nullptr;
};

/// A coroutine actor running `F(self, Ts...)`; it keeps `F` and the arguments alive for as
/// long as the coroutine frame may refer to them.
template <class F, class... Ts>
class co_body final : public co_actor_impl {
public:
  static_assert(std::is_invocable_r_v<task, F&, co_actor&, Ts&...>,
                "a coroutine actor is a function (co_actor&, args...) -> troupe::task");

  template <class... Us>
  co_body(caf::actor_config& cfg, troupe::system& sys, F fun, Us&&... xs)
    : co_actor_impl(cfg, sys), fun_(std::move(fun)), args_(std::forward<Us>(xs)...) {}

protected:
  task start() override {
    return std::apply([this](Ts&... xs) { return fun_(static_cast<co_actor&>(*this), xs...); },
                      args_);
  }

private:
  F fun_;
  std::tuple<Ts...> args_;
};

} // namespace troupe::detail
