#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>

#include <caf/actor_control_block.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/message_id.hpp>
#include <caf/response_promise.hpp>

#include "troupe/detail/message_pattern.hpp"

namespace troupe::detail {

/// What a suspended coroutine waits for: a receive or a request's reply.
struct wait_slot {
  /// The awaiter object, passed back to `take` and `match`.
  void* awaiter = nullptr;
  /// Moves the value out of a matching message into the awaiter; false if it does not match.
  bool (*take)(void* awaiter, caf::type_erased_tuple& xs) = nullptr;
  /// Tells whether a message matches, without taking it.
  bool (*match)(const caf::type_erased_tuple& xs) = nullptr;
  /// The signatures a receive accepts (unused for requests).
  key_set keys;
  /// The coroutine to resume.
  std::coroutine_handle<> handle;
  /// How long the receive or request waits; `nullopt` waits forever.
  std::optional<std::chrono::nanoseconds> timeout;
  /// A request's response ID, whose handler goes when the request times out; a receive's is
  /// no response ID.
  caf::message_id reply_id;
};

/// A message that arrived while the coroutine awaited something else.
struct stashed {
  uint64_t seq;
  caf::message content;
  caf::strong_actor_ptr sender;
  caf::response_promise request;
};

/// The messages a coroutine actor has not received yet, in arrival order.
///
/// Messages are queued by signature (their element types), so a receive looks only at the
/// queues of the types it accepts: its cost does not grow with the number of waiting messages
/// of other types, unlike CAF's `skip`, which re-scans every skipped message after each one.
class stash {
public:
  bool empty() const noexcept { return size_ == 0; }
  size_t size() const noexcept { return size_; }

  /// Appends a message that no receive took.
  void push(caf::message content, caf::strong_actor_ptr sender, caf::response_promise request);

  /// Removes the oldest message that `slot` accepts and lets `slot.take` unpack it.
  /// Returns the removed entry (its content already taken), or nullopt if none matched.
  std::optional<stashed> take_oldest(wait_slot& slot);

  /// Answers every stashed request with `reason` and drops all messages (the actor exits).
  void fail_and_clear(const caf::error& reason);

private:
  /// Finds the first entry of `queue` that `slot` accepts.
  static std::deque<stashed>::iterator first_match(std::deque<stashed>& queue,
                                                   const wait_slot& slot);

  std::unordered_map<uint64_t, std::deque<stashed>> queues_;
  uint64_t next_seq_ = 0;
  size_t size_ = 0;
};

} // namespace troupe::detail
