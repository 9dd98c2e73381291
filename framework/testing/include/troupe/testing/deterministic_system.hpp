#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/message.hpp>
#include <caf/timespan.hpp>

#include "troupe/config.hpp"
#include "troupe/system.hpp"

namespace troupe::testing {

namespace detail {

/// Holds the configuration of a `deterministic_system` that was not given one, so that it is
/// built before (and outlives) the system that refers to it.
struct owned_config {
  troupe::config owned_settings;
};

/// Reads a message as `T`: one element of type `T`, or for `std::tuple<Ts...>` the elements
/// `Ts...`.
template <class T> struct message_as {
  static std::optional<T> read(const caf::message& msg) {
    if (!msg.match_elements<T>())
      return std::nullopt;
    return msg.get_as<T>(0);
  }
};

template <class... Ts> struct message_as<std::tuple<Ts...>> {
  static std::optional<std::tuple<Ts...>> read(const caf::message& msg) {
    if (!msg.match_elements<Ts...>())
      return std::nullopt;
    return read(msg, std::index_sequence_for<Ts...>{});
  }
  template <size_t... Is>
  static std::tuple<Ts...> read(const caf::message& msg, std::index_sequence<Is...>) {
    return std::tuple<Ts...>{msg.get_as<Ts>(Is)...};
  }
};

} // namespace detail

/// A troupe system on CAF's deterministic scheduler and virtual clock, for tests.
///
/// Nothing runs until the test says so: `run()` runs actors until none has a message left,
/// `run_one()` hands one message to one actor, `advance_time()` moves the virtual clock so
/// that receive timeouts and request timeouts fire at once. Without a seed, ready actors run
/// in the order they became ready (CAF's `test_coordinator`); with a seed, each step picks the
/// next ready actor at random from that seed, so one seed is one reproducible interleaving.
/// Every message handed to an actor is recorded: `received()` shows them.
///
/// Everything runs on the calling thread. Blocking calls of the real system hang here:
/// `caf::scoped_actor` and `system::await_all_actors_done` (this class's `shutdown` and
/// destructor run the actors instead of waiting for them).
class deterministic_system : private detail::owned_config, public troupe::system {
public:
  /// A system with troupe's default configuration; `seed` chooses a random order of ready
  /// actors, none keeps the order in which they became ready.
  explicit deterministic_system(std::optional<uint64_t> seed = std::nullopt);

  /// A system with the settings of `cfg` (which must outlive it) but CAF's test scheduler.
  explicit deterministic_system(troupe::config& cfg, std::optional<uint64_t> seed = std::nullopt);

  /// Stops every actor troupe knows of, runs them until they have exited, and fails loudly
  /// (std::terminate with a message) if other actors still run, instead of hanging.
  ~deterministic_system();

  // -- running ------------------------------------------------------------------------------

  /// Hands one message to one ready actor (or starts a new actor). False if none was ready.
  bool run_one();

  /// Runs ready actors until none is ready, or `limit` steps ran; returns the steps run.
  size_t run(size_t limit = SIZE_MAX);

  /// The number of actors that have messages waiting (or have yet to start).
  size_t ready() const noexcept;

  // -- virtual time -------------------------------------------------------------------------

  /// Moves the virtual clock forward by `d` and delivers every timer due by then (receive
  /// timeouts, request timeouts, delayed sends); does not run the actors. Returns the number
  /// of timers delivered.
  size_t advance_time(caf::timespan d);

  /// Delivers the earliest pending timer, moving the clock to its time; false if none.
  bool fire_next_timer();

  /// Whether a timer is pending.
  bool has_pending_timers() const noexcept;

  /// The virtual time elapsed since the system started.
  caf::timespan elapsed() const noexcept;

  // -- inspection ---------------------------------------------------------------------------

  /// The seed of this run's order, if it has one.
  std::optional<uint64_t> seed() const noexcept { return seed_; }

  /// Every message handed to `who` so far, in the order it got them (system messages such as
  /// exit and down messages included).
  std::vector<caf::message> received(const caf::actor& who) const;

  /// Every message handed so far to the actor registered as `name` now; empty if none is.
  std::vector<caf::message> received(std::string_view name) const;

  /// The messages handed to `who` (a handle or a name) that hold exactly one `T`, or for
  /// `T = std::tuple<Ts...>` exactly the elements `Ts...`, in order.
  template <class T, class Who> std::vector<T> received_of(const Who& who) const {
    std::vector<T> result;
    for (const caf::message& msg : received(who))
      if (auto x = detail::message_as<T>::read(msg))
        result.push_back(std::move(*x));
    return result;
  }

  /// An actor that takes every message and does nothing else: a place to send results to,
  /// read back with `received(handle)` or `received_of<T>(handle)`.
  caf::actor sink();

  // -- lifetime -----------------------------------------------------------------------------

  /// Sends `user_shutdown` to every named and every coroutine actor, then runs the system
  /// (firing timers as they come due) until nothing is left to run. Hides `system::shutdown`,
  /// which would wait for actors that only this thread can run.
  void shutdown();

private:
  struct state;
  void record_next(size_t job_index);

  std::optional<uint64_t> seed_;
  std::unique_ptr<state> state_;
};

} // namespace troupe::testing
