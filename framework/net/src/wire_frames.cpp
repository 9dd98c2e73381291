#include "wire_frames.hpp"

#include "wire_encoding.hpp"

namespace troupe::net::detail {

using kind = wire::Frame::KindCase;

const char* kind_name(kind k) {
  switch (k) {
  case kind::kHello:
    return "Hello";
  case kind::kChallenge:
    return "Challenge";
  case kind::kWelcome:
    return "Welcome";
  case kind::kBatch:
    return "Batch";
  case kind::kError:
    return "Error";
  case kind::kMonitor:
    return "Monitor";
  case kind::kDemonitor:
    return "Demonitor";
  case kind::kDown:
    return "Down";
  case kind::kLookup:
    return "Lookup";
  case kind::kLookupResult:
    return "LookupResult";
  case kind::kHeartbeat:
    return "Heartbeat";
  case kind::kGoodbye:
    return "Goodbye";
  case kind::KIND_NOT_SET:
    break;
  }
  return "a frame without kind";
}

void fill(wire::ErrorValue* out, const error_view& e) {
  out->set_code(e.code);
  out->set_category(to_wire_text(e.category));
  out->set_text(to_wire_text(e.text));
}

bool fit_for_wire(const error_view& e) {
  return e.text.size() <= max_wire_text && is_valid_utf8(e.category) && is_valid_utf8(e.text);
}

void write_frame(const wire::Frame& f, std::vector<char>& dst) {
  auto n = f.ByteSizeLong();
  auto old = dst.size();
  dst.resize(old + 4 + n);
  wire_encoding::put_length_prefix(dst.data() + old, static_cast<uint32_t>(n));
  f.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(dst.data() + old + 4));
}

wire::Frame monitor_frame(const actor_target& target) {
  wire::Frame f;
  fill_target(f.mutable_monitor(), target);
  return f;
}

wire::Frame demonitor_frame(const actor_target& target) {
  wire::Frame f;
  fill_target(f.mutable_demonitor(), target);
  return f;
}

wire::Frame down_frame(const actor_target& actor, const error_view& reason) {
  wire::Frame f;
  auto* d = f.mutable_down();
  d->set_actor_id(actor.id);
  d->set_name(to_wire_text(actor.name));
  fill(d->mutable_reason(), reason);
  return f;
}

wire::Frame lookup_frame(std::string_view name, uint64_t request_id) {
  wire::Frame f;
  f.mutable_lookup()->set_name(to_wire_text(name));
  f.mutable_lookup()->set_request_id(request_id);
  return f;
}

} // namespace troupe::net::detail
