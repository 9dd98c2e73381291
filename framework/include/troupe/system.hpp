#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/mailbox_element.hpp>

#include "troupe/config.hpp"
#include "troupe/detail/co_actor_impl.hpp"
#include "troupe/detail/live_actors.hpp"
#include "troupe/detail/message_pattern.hpp"
#include "troupe/detail/wait_clock.hpp"
#include "troupe/error.hpp"
#include "troupe/extension.hpp"
#include "troupe/registry.hpp"
#include "troupe/task.hpp"

namespace troupe {

/// A running troupe: CAF's actor system (its scheduler, clock and mailboxes) plus troupe's
/// name registry and coroutine actors.
///
/// Destroying the system waits until every actor has terminated; `shutdown()` first asks
/// every actor that troupe knows of (named actors and coroutine actors) to stop.
class system {
public:
  /// Starts a system with troupe's default configuration.
  system();

  /// Starts a system from `cfg`, typically after `cfg.parse(argc, argv)`. `cfg` must outlive
  /// the system, as with `caf::actor_system`.
  explicit system(config& cfg);

  ~system();
  system(const system&) = delete;
  system& operator=(const system&) = delete;

  // -- spawning -----------------------------------------------------------------------------

  /// Spawns a coroutine actor running `fun(self, xs...)`, where `fun` returns `troupe::task`
  /// and takes `co_actor&` first.
  template <class F, class... Ts>
  caf::actor spawn(F fun, Ts&&... xs) {
    return spawn_on(nullptr, std::move(fun), std::forward<Ts>(xs)...);
  }

  /// Spawns a coroutine actor registered as `name` before it first runs, so that it and
  /// others can reach it by name at once. Errors: `invalid_name`, `duplicate_name` (nothing
  /// is spawned then). An exception from copying an argument propagates; the name stays free.
  template <class F, class... Ts>
  caf::expected<caf::actor> spawn_named(std::string_view name, F fun, Ts&&... xs) {
    return spawn_named_on(nullptr, name, std::move(fun), std::forward<Ts>(xs)...);
  }

  // -- names --------------------------------------------------------------------------------

  /// Registers an existing actor (any CAF actor) as `name`; the name is freed when it exits.
  /// Errors: `invalid_name`, `duplicate_name`.
  caf::error register_name(std::string_view name, const caf::actor& who);

  /// Removes `name`; false if it was not registered.
  bool unregister_name(std::string_view name);

  /// The actor at `address`. A local name: the actor registered as it. `name@endpoint`: asks
  /// that node (blocking the calling thread up to `troupe.request-timeout`, so never call it
  /// from an actor: use `co_await self.resolve(address)` there) for a handle bound to the actor
  /// that holds the name now. Errors: `unknown_name`, and the network layer's errors.
  caf::expected<caf::actor> lookup(std::string_view address);

  /// All registered names, sorted.
  std::vector<std::string> names() const;

  /// Sends `xs...` anonymously to the actor at `address`: a local name, or `name@endpoint`
  /// (routed by name on that node; never blocks). Error: `unknown_name` for a local name
  /// nobody holds, or the network layer's error for a remote one.
  template <class... Ts>
  caf::error send(std::string_view address, Ts&&... xs) {
    auto dest = registry_.find(address);
    if (!dest) {
      auto remote = route(address);
      if (!remote)
        return std::move(remote.error());
      dest = caf::actor_cast<caf::strong_actor_ptr>(std::move(*remote));
    }
    dest->enqueue(nullptr, caf::make_message_id(), caf::make_message(std::forward<Ts>(xs)...),
                  nullptr);
    return caf::none;
  }

  /// Sends a request from outside any actor and blocks the calling thread until its reply:
  /// `caf::expected<R>` for one reply type, `expected<std::tuple<Rs...>>` for several,
  /// `expected<void>` for none. `dest` is a handle, a local name or `name@endpoint`. Errors:
  /// the receiver's error reply, `sec::request_timeout`, `sec::request_receiver_down`,
  /// `sec::unexpected_response`, `unknown_name`. Never call it from an actor (it would block a
  /// worker); it needs no `caf::scoped_actor`, so it never keeps `shutdown()` waiting.
  template <class... Rs, class Dest, class Rep, class Period, class... Ts>
  typename detail::reply_pattern<Rs...>::result_type
  request(const Dest& dest, std::chrono::duration<Rep, Period> timeout, Ts&&... xs) {
    using pattern = detail::reply_pattern<Rs...>;
    auto target = handle_of(dest);
    if (!target)
      return std::move(target.error());
    auto reply = blocking_request(*target, std::chrono::duration_cast<caf::timespan>(timeout),
                                  caf::make_message(std::forward<Ts>(xs)...));
    std::optional<typename pattern::result_type> out;
    pattern::take(out, reply.content());
    return std::move(*out);
  }

  /// The name registry itself.
  troupe::registry& registry() noexcept { return registry_; }

  // -- lifetime -----------------------------------------------------------------------------

  /// Blocks until every actor has terminated (never call it from an actor, nor while a
  /// `caf::scoped_actor` of this system is alive: it counts as a running actor).
  void await_all_actors_done() const;

  /// Sends an exit message with reason `user_shutdown` to every named actor and every running
  /// coroutine actor, then waits for all actors to terminate. A coroutine actor spawned while
  /// this runs (by another thread, or by an actor) is stopped before its body runs. A
  /// `caf::scoped_actor` counts as a running actor in CAF 0.17 (it cannot be hidden): call
  /// this after it went out of scope.
  void shutdown();

  /// @private First half of `shutdown`: from now on new coroutine actors stop before they
  /// run; every named and coroutine actor is sent `user_shutdown`. Pair with `end_shutdown`.
  void begin_shutdown();

  /// @private Second half of `shutdown`: new coroutine actors run again.
  void end_shutdown() noexcept;

  /// @private Whether a shutdown is under way (new coroutine actors stop before they run).
  bool shutting_down() const noexcept { return shutting_down_.load() > 0; }

  // -- extensions -------------------------------------------------------------------------

  /// The extension of type `T` that this system created (see `config::add_extension`), or null.
  template <class T>
  T* find_extension() const noexcept {
    for (auto& ext : extensions_)
      if (auto* x = dynamic_cast<T*>(ext.get()))
        return x;
    return nullptr;
  }

  /// The extension that resolves `name@endpoint` addresses, or null if none was added.
  remote_resolver* resolver() const noexcept { return resolver_; }

  // -- access to the engine -----------------------------------------------------------------

  /// CAF's actor system, for everything troupe does not wrap.
  caf::actor_system& engine() noexcept { return engine_; }

  /// The configuration this system runs with.
  const config& cfg() const noexcept { return cfg_; }

  /// @private Spawns on `host` (the spawning actor's worker, or null from outside).
  template <class F, class... Ts>
  caf::actor spawn_on(caf::execution_unit* host, F fun, Ts&&... xs) {
    auto [handle, impl] = make<F, Ts...>(host, std::move(fun), std::forward<Ts>(xs)...);
    impl->launch(host_or_dummy(host), false, false);
    return handle;
  }

  /// @private Spawns a named actor on `host`.
  template <class F, class... Ts>
  caf::expected<caf::actor> spawn_named_on(caf::execution_unit* host, std::string_view name,
                                           F fun, Ts&&... xs) {
    if (auto err = registry_.reserve(name))
      return err;
    caf::actor handle;
    detail::co_actor_impl* impl = nullptr;
    try {
      std::tie(handle, impl) = make<F, Ts...>(host, std::move(fun), std::forward<Ts>(xs)...);
    } catch (...) {
      // Copying an argument may throw (bad_alloc, a user's copy): the name must not stay taken.
      registry_.cancel(name);
      throw;
    }
    registry_.commit(name, caf::actor_cast<caf::strong_actor_ptr>(handle));
    impl->launch(host_or_dummy(host), false, false);
    return handle;
  }

  /// @private The actor that turns timer events into deadline messages.
  const caf::strong_actor_ptr& timer_relay() const noexcept { return timer_relay_; }

  /// @private Where coroutine actors' deadlines start from.
  const detail::wait_clock& deadline_clock() const noexcept { return deadline_clock_; }

  /// @private A handle that forwards to the remote `name@endpoint` (see
  /// `remote_resolver::route`). Error: `unknown_name` for a local name or without a resolver.
  caf::expected<caf::actor> route(std::string_view address) const;

  /// @private Coroutine actors that have not exited yet.
  detail::live_actors& live() noexcept { return live_; }

private:
  template <class F, class... Ts>
  auto make(caf::execution_unit* host, F fun, Ts&&... xs) {
    using impl_type = detail::co_body<F, std::decay_t<Ts>...>;
    caf::actor_config actor_cfg{host_or_dummy(host)};
    auto handle = caf::make_actor<impl_type, caf::actor>(
      engine_.next_actor_id(), engine_.node(), &engine_, actor_cfg, *this, std::move(fun),
      std::forward<Ts>(xs)...);
    auto* impl = static_cast<impl_type*>(caf::actor_cast<caf::abstract_actor*>(handle));
    return std::pair{std::move(handle), impl};
  }

  caf::execution_unit* host_or_dummy(caf::execution_unit* host) noexcept;

  caf::expected<caf::actor> handle_of(const caf::actor& x) const;
  caf::expected<caf::actor> handle_of(std::string_view address) const;
  /// The reply to `msg` sent to `dest` (an error reply or a timeout as a `caf::error` in it).
  caf::message blocking_request(const caf::actor& dest, caf::timespan timeout, caf::message msg);
  void start_extensions();
  void stop_extensions() noexcept;

  std::unique_ptr<config> owned_cfg_;
  config& cfg_;
  // Declared before the engine: actors' exit hooks use them until the engine is gone.
  troupe::registry registry_;
  detail::live_actors live_;
  caf::actor_system engine_;
  caf::strong_actor_ptr timer_relay_;
  detail::wait_clock deadline_clock_{engine_.clock()};
  /// The number of `shutdown` calls under way.
  std::atomic<int> shutting_down_{0};

  // After the engine: extensions are stopped (and destroyed) before it goes.
  std::vector<std::unique_ptr<extension>> extensions_;
  remote_resolver* resolver_ = nullptr;
  bool extensions_stopped_ = false;
};

// -- co_actor members that need the system ---------------------------------------------------

template <class F, class... Ts>
caf::actor co_actor::spawn(F fun, Ts&&... xs) {
  return system_->spawn_on(context(), std::move(fun), std::forward<Ts>(xs)...);
}

template <class F, class... Ts>
caf::expected<caf::actor> co_actor::spawn_named(std::string_view name, F fun, Ts&&... xs) {
  return system_->spawn_named_on(context(), name, std::move(fun), std::forward<Ts>(xs)...);
}

} // namespace troupe
