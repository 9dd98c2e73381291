#pragma once

// The wait limits of a pattern actor whose waiters are served long before their limit, as a
// bounded buffer's are: a timer per wait (detail::timer: two allocations to arm, two frees to
// cancel) cost more than the rest of a put. Here a wait's deadline goes into a binary heap in
// a vector and is never cancelled: the owner says which waits still wait, and the queue drops
// the others when it meets them at the top, or all at once when they outnumber the live ones
// (so memory stays proportional to the waits, and each wait costs O(log n) amortized).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <caf/actor_clock.hpp>

namespace troupe::actors::detail {

/// Deadlines of waits, earliest first; a wait is named by a sequence number of the owner's.
class deadline_queue {
public:
  using time_point = caf::actor_clock::time_point;

  /// Adds the deadline of wait `seq`. `waiting` is how many waits the owner has now: when the
  /// queue holds more than twice that (plus some slack), it keeps only the entries for which
  /// `live(seq)` holds.
  template <class Live>
  void push(time_point when, uint64_t seq, size_t waiting, Live&& live) {
    if (heap_.size() > 2 * waiting + slack) {
      std::erase_if(heap_, [&](const entry& x) { return !live(x.seq); });
      std::make_heap(heap_.begin(), heap_.end(), later);
    }
    heap_.push_back({when, seq});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  /// Calls `expire(seq)` for every entry due at `now` (the owner ignores waits that no longer
  /// wait), drops the entries of finished waits from the top, and returns the earliest deadline
  /// of a wait for which `live(seq)` holds, if any.
  template <class Expire, class Live>
  std::optional<time_point> expire_due(time_point now, Expire&& expire, Live&& live) {
    while (!heap_.empty() && (heap_.front().when <= now || !live(heap_.front().seq))) {
      auto seq = heap_.front().seq;
      auto due = heap_.front().when <= now;
      std::pop_heap(heap_.begin(), heap_.end(), later);
      heap_.pop_back();
      if (due)
        expire(seq);
    }
    if (heap_.empty())
      return std::nullopt;
    return heap_.front().when;
  }

  /// Entries held, finished waits included.
  size_t size() const noexcept { return heap_.size(); }

private:
  struct entry {
    time_point when;
    uint64_t seq;
  };

  /// Orders the heap so that its front is the earliest deadline.
  static bool later(const entry& x, const entry& y) noexcept { return x.when > y.when; }

  /// Entries of finished waits tolerated beyond twice the live ones before a clean-up.
  static constexpr size_t slack = 256;

  std::vector<entry> heap_;
};

} // namespace troupe::actors::detail
