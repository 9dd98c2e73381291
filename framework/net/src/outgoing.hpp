#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/error.hpp>

namespace troupe::net::detail {

/// A `caf::error` in the form the wire carries it (ErrorValue), owning its strings.
struct wire_error {
  uint32_t code = 0;
  std::string category;
  std::string text;
};

/// Converts `err` to its wire form (code 0 and no category for "no error").
wire_error to_wire(const caf::error& err);

/// Converts a wire error back (`caf::none` for code 0).
caf::error from_wire(uint32_t code, std::string_view category, std::string_view text);

/// One thing a sender thread hands to the broker for a peer, in the order it must go out:
/// a message (or reply), or a monitor, demonitor, down or lookup frame.
struct outgoing {
  /// Which frame this becomes.
  enum class kind : uint8_t { message, monitor, demonitor, down, lookup, lookup_result };

  kind what = kind::message;
  /// The target on the peer: its actor id, or its name when `name` is not empty.
  uint64_t target_id = 0;
  std::string name;
  /// The sending actor's id here (0 if none); it was exported to the peer.
  uint64_t sender_id = 0;
  /// The wire request id (requests, lookups, lookup results) or 0.
  uint64_t request_id = 0;
  /// The wire request id this replies to, or 0.
  uint64_t reply_to = 0;
  /// The payload elements: (type URL, serialized value).
  std::vector<std::pair<std::string, std::string>> payload;
  /// An error reply, a down reason or a failed lookup.
  std::optional<wire_error> error;
  /// Who to tell if the message cannot go out (null for anonymous sends and control frames).
  caf::strong_actor_ptr sender;

  /// Bytes this item costs in the send window (its payload and names).
  size_t weight() const noexcept {
    size_t n = name.size() + 32;
    for (auto& [url, value] : payload)
      n += url.size() + value.size() + 8;
    return n;
  }
};

} // namespace troupe::net::detail
