// Reading: frame bodies parsed and validated, then reported to the callee.
#include "parse_arena.hpp"
#include "protocol_impl.hpp"
#include "wire_frames.hpp"

namespace troupe::net::detail {

using kind = wire::Frame::KindCase;

bool protocol::impl::on_frame(std::span<const char> body) {
  // Batches, the bulk of the traffic, are read by hand where Protobuf would read the same.
  if (established() && reader.read(body))
    return on_batch();
  arena_lease lease;
  auto* f = google::protobuf::Arena::CreateMessage<wire::Frame>(&lease.arena());
  if (!f->ParseFromArray(body.data(), static_cast<int>(body.size())))
    return fail(error_code::malformed_frame, "a frame of " + std::to_string(body.size()) +
                                               " bytes does not parse as troupe.wire.Frame");
  return dispatch(*f); // the callee's views point into the arena: valid until the lease ends
}

bool protocol::impl::dispatch(const wire::Frame& f) {
  switch (f.kind_case()) {
  case kind::kError:
    return on_error(f.error());
  case kind::kGoodbye:
    st = state::closed;
    callee.on_goodbye(f.goodbye().reason());
    return false;
  case kind::KIND_NOT_SET:
    return fail(error_code::unknown_frame_kind, "a frame with no kind known to protocol version 1");
  default:
    break;
  }
  switch (st) {
  case state::awaiting_hello:
    return f.has_hello() ? on_hello(f.hello()) : unexpected(f.kind_case(), "before Hello");
  case state::awaiting_challenge:
    return f.has_challenge() ? on_challenge(f.challenge())
                             : unexpected(f.kind_case(), "before Challenge");
  case state::awaiting_welcome:
    return f.has_welcome() ? on_welcome(f.welcome()) : unexpected(f.kind_case(), "before Welcome");
  case state::established:
    return on_data(f);
  case state::created:
    return unexpected(f.kind_case(), "before this side sent Hello");
  case state::closed:
    break;
  }
  return false;
}

bool protocol::impl::unexpected(kind k, std::string_view when) {
  return fail(error_code::unexpected_frame, std::string{kind_name(k)} + " " + std::string{when});
}

bool protocol::impl::on_error(const wire::Error& e) {
  peer_error err{e.code(), e.text(), e.closing() || !established(), e.request_id(), e.actor_id()};
  if (err.closing)
    st = state::closed; // before the handshake, every Error ends the connection
  callee.on_peer_error(err);
  return st != state::closed;
}

bool protocol::impl::on_data(const wire::Frame& f) {
  switch (f.kind_case()) {
  case kind::kBatch:
    reader.assign(f.batch());
    return on_batch();
  case kind::kMonitor:
    if (!has_one_target(f.monitor()))
      return fail(error_code::malformed_frame, "Monitor needs exactly one of actor_id, name");
    callee.on_monitor(target_of(f.monitor().actor_id(), f.monitor().name()));
    break;
  case kind::kDemonitor:
    if (!has_one_target(f.demonitor()))
      return fail(error_code::malformed_frame, "Demonitor needs exactly one of actor_id, name");
    callee.on_demonitor(target_of(f.demonitor().actor_id(), f.demonitor().name()));
    break;
  case kind::kDown: {
    const auto& d = f.down();
    if (d.actor_id() == 0 && d.name().empty())
      return fail(error_code::malformed_frame, "Down needs an actor_id or a name");
    callee.on_down({d.actor_id(), d.name()}, view_of(d.reason()));
    break;
  }
  case kind::kLookup:
    if (f.lookup().request_id() == 0)
      return fail(error_code::malformed_frame, "Lookup needs a non-zero request_id");
    callee.on_lookup(f.lookup().name(), f.lookup().request_id());
    break;
  case kind::kLookupResult: {
    const auto& r = f.lookup_result();
    callee.on_lookup_result(r.request_id(), r.actor_id(), view_of(r.error()));
    break;
  }
  case kind::kHeartbeat:
    callee.on_heartbeat();
    break;
  default:
    return unexpected(f.kind_case(), "after the handshake");
  }
  return st != state::closed;
}

bool protocol::impl::on_batch() {
  // Checked whole before any message is delivered: a batch is taken whole or not at all.
  if (auto why = reader.why_malformed(); !why.empty())
    return fail(error_code::malformed_frame, why);
  for (std::size_t i = 0; i < reader.size(); ++i) {
    error_view err;
    auto v = reader.view(i, payload_scratch, err);
    if (v.reply_to != 0)
      callee.on_reply(v);
    else
      callee.on_message(v);
    if (st == state::closed)
      return false;
  }
  return true;
}

} // namespace troupe::net::detail
