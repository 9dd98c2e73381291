#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/error.hpp>

#include "batch_encoder.hpp"
#include "outgoing.hpp"
#include "protocol.hpp"

namespace troupe::net::detail {

/// What a peer's link has ready for its connection, already in wire format: each message is
/// encoded on its sender's thread straight into the open batch (tables per frame, as
/// `batch_encoder` builds them), control frames close the batch and follow it, and the broker
/// takes everything as finished frames to hand to the socket. A message that the peer would
/// refuse (over the frame limit, a name that is not UTF-8) fails here, at its sender.
/// Not thread-safe: the owning `peer_link` holds its mutex around every call.
class link_outbox {
public:
  /// A sender of plain messages and how many of its messages in a row wait here.
  struct sender_run {
    caf::strong_actor_ptr sender;
    std::size_t messages = 0;
  };

  /// Batches close at `max_batch_bytes` or `max_batch_messages` (see `batch_encoder`); a frame's
  /// body may take at most `frame_limit` bytes.
  link_outbox(std::size_t max_batch_bytes, std::size_t max_batch_messages, uint32_t frame_limit);

  /// Encodes `msg` into the open batch. `sender` (may be null) is told if the message never
  /// leaves (`take_lost`): give it for plain messages only (a request fails by its id).
  /// Errors: those of `add_checked` (`frame_too_large`, `cannot_cross`, `malformed_frame`);
  /// then nothing was added.
  caf::error add_message(const message_view& msg, const caf::strong_actor_ptr& sender);

  /// Appends the frame of `item` after the messages added before it.
  void add_control(const outgoing& item);

  /// Moves everything out as complete frames (the open batch closed) to the end of `out`.
  void take(std::vector<char>& out);

  /// Forgets everything and returns the senders of the plain messages that were still here, in
  /// order, to tell them that their messages never left.
  std::vector<sender_run> take_lost();

  /// Sets the largest frame body the peer accepts (known once the handshake is done).
  void set_frame_limit(uint32_t limit) noexcept { limit_ = limit; }

  /// The frame limit messages are checked against.
  uint32_t frame_limit() const noexcept { return limit_; }

  /// Bytes waiting here (finished frames and the open batch).
  std::size_t bytes() const noexcept { return frames_.size() + batch_.bytes(); }

  /// True if nothing waits here.
  bool empty() const noexcept { return frames_.empty() && batch_.messages() == 0; }

private:
  batch_encoder batch_;
  std::vector<char> frames_;
  uint32_t limit_;
  std::vector<sender_run> senders_;
};

} // namespace troupe::net::detail
