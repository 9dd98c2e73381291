#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>

#include "error_value.hpp"
#include "protocol.hpp"

namespace troupe::net::detail {

/// Rebuilds the `caf::error` of wire fields; a malformed one becomes that error instead.
caf::error error_from_view(const error_view& x);

/// One thing a sender thread hands to the broker for a peer, in the order it must go out:
/// a message (or reply), or a Monitor, Demonitor, Down or Lookup frame.
struct outgoing {
  /// Which frame this becomes.
  enum class kind : uint8_t { message, monitor, demonitor, down, lookup };

  kind what = kind::message;
  /// The target on the peer: its actor id, or its name when `name` is not empty.
  uint64_t target_id = 0;
  std::string name;
  /// The sending actor's id here (0 if none); it was exported to the peer.
  uint64_t sender_id = 0;
  /// The wire request id (requests, lookups) or 0.
  uint64_t request_id = 0;
  /// The wire request id this replies to, or 0.
  uint64_t reply_to = 0;
  /// The payload elements: type URLs (views of the node's type registry) and the values'
  /// bytes back to back, `ends[i]` the end of value i.
  std::vector<std::string_view> type_urls;
  std::vector<uint32_t> ends;
  std::string bytes;
  /// An error reply, a down reason or a failed lookup.
  std::optional<error_fields> error;
  /// Who to tell if the message cannot go out (null for anonymous sends and control frames).
  caf::strong_actor_ptr sender;

  /// Bytes this item holds in memory while queued (the send window counts these).
  size_t weight() const noexcept {
    auto heap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() : 0; };
    return sizeof(outgoing) + heap(name) + heap(bytes) +
           type_urls.capacity() * sizeof(std::string_view) + ends.capacity() * sizeof(uint32_t);
  }
};

/// The protocol's view of the message `item` (of kind `message`); `payload` and `err` receive
/// what the view points to and, like `item`, must outlive its use.
message_view view_of(const outgoing& item, std::vector<payload_view>& payload, error_view& err);

class type_table;

/// Encodes the elements of `content` into `item`'s payload (on the sender's thread).
/// Errors: `cannot_cross`.
caf::error encode_into(outgoing& item, const type_table& types,
                       const caf::type_erased_tuple& content);

} // namespace troupe::net::detail
