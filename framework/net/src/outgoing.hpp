#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>

#include "error_value.hpp"
#include "protocol.hpp"

namespace troupe::net::detail {

/// Rebuilds the `caf::error` of wire fields; a malformed one becomes that error instead.
caf::error error_from_view(const error_view& x);

/// A control frame that a thread hands to a peer's link (a Monitor, Demonitor, Down or
/// Lookup): it goes out after every message queued before it. Messages take another path:
/// they are encoded straight into the link's batch (`link_outbox`).
struct outgoing {
  /// Which frame this becomes.
  enum class kind : uint8_t { monitor, demonitor, down, lookup };

  kind what = kind::monitor;
  /// The actor on the peer (monitor, demonitor) or here (down): its id, or its name when
  /// `name` is not empty; the name to look up (lookup).
  uint64_t target_id = 0;
  std::string name;
  /// The wire request id of a lookup.
  uint64_t request_id = 0;
  /// A down reason.
  std::optional<error_fields> error;
};

/// Appends `item` to `sink` as its frame (length prefix included).
void write_control(const outgoing& item, std::vector<char>& sink);

/// A Down item for the actor the peer named by `id` or `name`: it exited with `reason`.
outgoing down_item(uint64_t id, std::string name, const caf::error& reason);

} // namespace troupe::net::detail
