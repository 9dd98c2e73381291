#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/timespan.hpp>

#include "troupe/actors/error.hpp"
#include "troupe/actors/wait_limit.hpp"
#include "troupe/co_actor.hpp"

namespace troupe {
class system;
} // namespace troupe

namespace troupe::actors {

/// What a bounded buffer reports about itself (`bounded_buffer::stats`).
struct buffer_stats {
  /// Items in the buffer now.
  uint64_t size = 0;
  /// The most items the buffer accepts before producers wait.
  uint64_t capacity = 0;
  /// The most items it ever held at once.
  uint64_t high_water = 0;
  /// Items accepted by `put`.
  uint64_t puts = 0;
  /// Items handed out by `take`, redeliveries included.
  uint64_t takes = 0;
  /// Puts that had to wait for room (backpressure at work).
  uint64_t put_waits = 0;
  /// Items handed back because their taker terminated before `task_done`.
  uint64_t redelivered = 0;
  /// Items put and not yet marked done (what `join` waits for).
  uint64_t unfinished = 0;
  /// Whether `close` was called.
  bool closed = false;
};

/// Lets CAF print and serialize `buffer_stats`.
template <class Inspector> typename Inspector::result_type inspect(Inspector& f, buffer_stats& x) {
  return f(caf::meta::type_name("troupe.actors.BufferStats"), x.size, x.capacity, x.high_water,
           x.puts, x.takes, x.put_waits, x.redelivered, x.unfinished, x.closed);
}

/// A bounded FIFO buffer actor with the semantics of Python's `asyncio.Queue(maxsize)`.
///
/// `put` is acknowledged once the item is accepted: while the buffer is full the producer
/// waits (backpressure; nothing is refused or dropped). `take` is served first come, first
/// served. `task_done` and `join` work as in asyncio. After `close`, puts get `closed` and
/// takes drain what is left, then get `end_of_stream`. An item taken and not yet marked done
/// whose taker terminates goes back to the head of the buffer (at-least-once delivery).
///
/// Items are opaque: any value (or several) locally, moved as C++ values, never serialized.
/// Plain CAF clients send `(put_atom, item...)`, `take_atom`, `task_done_atom`, `join_atom`,
/// `close_atom` or `stats_atom` as requests; the replies are an empty message, the item, or
/// `buffer_stats`. A request that waits is answered later; the worker is never blocked.
///
/// Remote clients (other processes, other languages) send the Protobuf requests of
/// proto/troupe/actors/bounded_buffer.proto instead, through troupe::net (see
/// `troupe::actors::register_protocols`); local clients never pay for that.
class bounded_buffer {
public:
  /// `(put_atom, item...)`: puts the item, waiting for room. Reply: empty. Error: `closed`.
  using put_atom = caf::atom_constant<caf::atom("bb_put")>;
  /// `(put_within_atom, timespan, item...)`: `put` that gives up with `timeout` after the span.
  using put_within_atom = caf::atom_constant<caf::atom("bb_putwi")>;
  /// `(put_message_atom, timespan, caf::message)`: `put_within` whose item's values come as one
  /// message, kept as it is: what the typed client sends (the buffer need not split the request).
  using put_message_atom = caf::atom_constant<caf::atom("bb_putmsg")>;
  /// `take_atom`: takes the oldest item, waiting for one. Reply: the item's values.
  /// Error: `end_of_stream` once closed and drained.
  using take_atom = caf::atom_constant<caf::atom("bb_take")>;
  /// `(take_within_atom, timespan)`: `take` that gives up with `timeout` after the span.
  using take_within_atom = caf::atom_constant<caf::atom("bb_takewi")>;
  /// `task_done_atom`: marks the sender's oldest taken item as processed. Error: `nothing_taken`.
  using task_done_atom = caf::atom_constant<caf::atom("bb_done")>;
  /// `join_atom`: replies (empty) once every item put so far was taken and marked done.
  using join_atom = caf::atom_constant<caf::atom("bb_join")>;
  /// `close_atom`: refuses later puts and ends takes once drained. Reply: empty.
  using close_atom = caf::atom_constant<caf::atom("bb_close")>;
  /// `stats_atom`: replies with `buffer_stats`.
  using stats_atom = caf::atom_constant<caf::atom("bb_stats")>;

  /// Spawns a buffer that holds at most `capacity` items. Error: `invalid_argument` for 0.
  static caf::expected<bounded_buffer> spawn(troupe::system& sys, size_t capacity);

  /// A client for an existing buffer actor (local, or a proxy of a remote one).
  explicit bounded_buffer(caf::actor handle) noexcept : handle_(std::move(handle)) {}

  /// The buffer actor.
  const caf::actor& handle() const noexcept { return handle_; }

  /// Awaits room and puts `item` (`co_await buf.put(self, x)` is `expected<void>`), giving up
  /// with `timeout` after `wait` (the item is then not in the buffer; a wait of ten seconds
  /// or more may end up to 36 ms late). Error: `closed`.
  template <class T> auto put(co_actor& self, T&& item, caf::timespan wait) const {
    if constexpr (std::is_same_v<std::decay_t<T>, caf::message>) // one element: a message
      return self.request<>(handle_, wait + wait_grace, put_within_atom::value, wait,
                            std::forward<T>(item));
    else
      return self.request<>(handle_, wait + wait_grace, put_message_atom::value, wait,
                            caf::make_message(std::forward<T>(item)));
  }

  /// `put` with the system's request timeout as the wait limit.
  template <class T> auto put(co_actor& self, T&& item) const {
    return put(self, std::forward<T>(item), default_wait_limit(self));
  }

  /// Awaits the oldest item as a `T` (`expected<T>`), giving up with `timeout` after `wait`.
  /// Errors: `end_of_stream`, `timeout`, `sec::unexpected_response` if the item is no `T`.
  template <class T> auto take(co_actor& self, caf::timespan wait) const {
    return self.request<T>(handle_, wait + wait_grace, take_within_atom::value, wait);
  }

  /// `take` with the system's request timeout as the wait limit.
  template <class T> auto take(co_actor& self) const {
    return take<T>(self, default_wait_limit(self));
  }

  /// Marks the oldest item this actor took as processed. Error: `nothing_taken`.
  auto task_done(co_actor& self) const { return self.request<>(handle_, task_done_atom::value); }

  /// Awaits the moment when every item put so far was taken and marked done.
  auto join(co_actor& self, caf::timespan wait) const {
    return self.request<>(handle_, wait, join_atom::value);
  }

  /// Closes the buffer: later puts get `closed`, takes drain it and then get `end_of_stream`.
  auto close(co_actor& self) const { return self.request<>(handle_, close_atom::value); }

  /// The buffer's counters.
  auto stats(co_actor& self) const {
    return self.request<buffer_stats>(handle_, stats_atom::value);
  }

private:
  caf::actor handle_;
};

} // namespace troupe::actors
