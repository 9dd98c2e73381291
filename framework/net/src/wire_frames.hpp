#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol.hpp"
#include "troupe/wire.pb.h"
#include "utf8.hpp"

// Between the generated troupe.wire classes and the protocol's views: conversions, the checks
// a received frame must pass, and writing a frame with its length prefix.

namespace troupe::net::detail {

/// Returns the schema name of a frame kind ("Hello", "Batch", ...), for error texts.
const char* kind_name(wire::Frame::KindCase k);

/// Returns a view of a received error value.
inline error_view view_of(const wire::ErrorValue& e) {
  return {e.code(), e.category(), e.text()};
}

/// Fills `out` with `e`, its texts made fit for a string field (to_wire_text).
void fill(wire::ErrorValue* out, const error_view& e);

/// True if `e` can go into a frame as it is (valid UTF-8, text within max_wire_text).
bool fit_for_wire(const error_view& e);

/// Returns the target of a received Monitor, Demonitor (id, or name when it is set).
inline actor_target target_of(uint64_t id, const std::string& name) {
  return {name.empty() ? id : 0, name};
}

/// Sets the actor_id or name of a Monitor or Demonitor.
template <class T> void fill_target(T* out, const actor_target& t) {
  if (t.name.empty())
    out->set_actor_id(t.id);
  else
    out->set_name(to_wire_text(t.name));
}

/// True if a received Monitor or Demonitor names exactly one of actor_id, name.
template <class T> bool has_one_target(const T& x) {
  return (x.actor_id() != 0) != !x.name().empty();
}

/// Appends `f` to `dst` as a frame: 4-byte big-endian length, then its bytes.
void write_frame(const wire::Frame& f, std::vector<char>& dst);

// Control frames. Their texts and names are made valid UTF-8 (ill-formed bytes replaced by
// U+FFFD) and texts are cut to 4 KiB, so that the peer never refuses a frame for them.

/// Returns a Monitor frame for `target` (by id, or by name when it is set).
wire::Frame monitor_frame(const actor_target& target);

/// Returns a Demonitor frame for `target`.
wire::Frame demonitor_frame(const actor_target& target);

/// Returns a Down frame: `actor` exited with `reason`.
wire::Frame down_frame(const actor_target& actor, const error_view& reason);

/// Returns a Lookup frame asking the peer who holds `name`.
wire::Frame lookup_frame(std::string_view name, uint64_t request_id);

} // namespace troupe::net::detail
