// The public functions of the protocol, its timers, and writing frames.
#include "protocol.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include "protocol_impl.hpp"
#include "wire_frames.hpp"

namespace troupe::net::detail {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

/// Returns `c` with its frame limit raised to the minimum if it is below.
protocol_config with_limits(protocol_config c) {
  c.max_frame_size = std::max(c.max_frame_size, min_frame_size);
  return c;
}

std::string ms_text(protocol_clock::duration d) {
  return std::to_string(duration_cast<milliseconds>(d).count()) + " ms";
}

} // namespace

// -- impl ---------------------------------------------------------------------------------------

protocol::impl::impl(role r, protocol_config c, protocol_callee& cb, replay_guard& g)
    : self(r), cfg(with_limits(std::move(c))), callee(cb), guard(g),
      st(r == role::acceptor ? state::awaiting_hello : state::created),
      splitter(cfg.max_frame_size), batch(cfg.max_batch_bytes, cfg.max_batch_messages) {}

bool protocol::impl::fail(error_code code, std::string_view text) {
  if (established())
    batch.finish(out); // messages accepted for sending still go out, before the Error
  held.clear();
  wire::Frame f;
  auto* e = f.mutable_error();
  e->set_code(static_cast<uint32_t>(code));
  e->set_text(to_wire_text(text));
  e->set_closing(true);
  write_frame(f, out);
  st = state::closed;
  callee.on_protocol_error(code, text);
  return false;
}

void protocol::impl::send_control(const wire::Frame& f) {
  if (st == state::closed)
    return;
  batch.finish(data_sink()); // control frames keep their order with the messages before
  write_frame(f, data_sink());
}

// -- protocol -----------------------------------------------------------------------------------

protocol::protocol(role r, protocol_config cfg, protocol_callee& callee, replay_guard& guard)
    : impl_(std::make_unique<impl>(r, std::move(cfg), callee, guard)) {}

protocol::~protocol() = default;

void protocol::start(protocol_clock::time_point now) {
  auto& d = *impl_;
  if (d.started || d.st == state::closed)
    return;
  d.started = true;
  d.now = d.started_at = d.last_received = now;
  if (d.self == role::connector)
    d.send_hello();
}

bool protocol::consume(std::span<const char> bytes, protocol_clock::time_point now) {
  auto& d = *impl_;
  if (d.st == state::closed)
    return false;
  if (bytes.empty())
    return true;                 // no byte, no sign of life
  d.now = d.last_received = now; // any byte, even of a partial frame, shows the peer is alive
  using result = frame_splitter::result;
  switch (d.splitter.feed(bytes, [&d](std::span<const char> body) { return d.on_frame(body); })) {
    case result::more:
      return d.st != state::closed;
    case result::stopped:
      return false;
    case result::too_large:
      return d.fail(error_code::frame_too_large,
                    "a frame length of " + std::to_string(d.splitter.last_length()) +
                      " bytes exceeds the limit of " + std::to_string(d.cfg.max_frame_size));
    case result::empty:
      return d.fail(error_code::empty_frame, "a frame length of 0");
  }
  return false;
}

bool protocol::tick(protocol_clock::time_point now) {
  auto& d = *impl_;
  if (d.st == state::closed)
    return false;
  if (!d.started)
    return true;
  d.now = now;
  if (!d.established()) {
    if (now - d.started_at >= d.cfg.handshake_timeout)
      return d.fail(error_code::handshake_timeout,
                    "the handshake did not complete within " + ms_text(d.cfg.handshake_timeout));
    return true;
  }
  if (now - d.last_received >= d.cfg.silence_bound)
    return d.fail(error_code::node_down, "nothing arrived from the peer for " +
                                           ms_text(now - d.last_received) + " (bound " +
                                           ms_text(d.cfg.silence_bound) + ")");
  if (now >= d.next_heartbeat) {
    wire::Frame f;
    f.mutable_heartbeat();
    write_frame(f, d.out); // not after the open batch: heartbeats never wait for messages
    d.next_heartbeat = now + d.cfg.heartbeat_interval;
  }
  return true;
}

void protocol::note_alive(protocol_clock::time_point now) {
  impl_->last_received = std::max(impl_->last_received, now);
}

protocol_clock::time_point protocol::next_deadline() const {
  const auto& d = *impl_;
  if (d.st == state::closed || !d.started)
    return protocol_clock::time_point::max();
  if (!d.established())
    return d.started_at + d.cfg.handshake_timeout;
  return std::min(d.next_heartbeat, d.last_received + d.cfg.silence_bound);
}

caf::error add_checked(batch_encoder& batch, const message_view& msg, uint32_t limit,
                       std::vector<char>& sink) {
  if (msg.reply_to == 0 && msg.target.id == 0 && msg.target.name.empty())
    return make_error(error_code::malformed_frame, "a message needs a target or reply_to");
  if (msg.reply_to != 0 && msg.request_id != 0)
    return make_error(error_code::malformed_frame, "a message is a request or a reply, not both");
  if (msg.error != nullptr && (msg.reply_to == 0 || !msg.payload.empty()))
    return make_error(error_code::malformed_frame,
                      "an error is only allowed on a reply without payload");
  if (msg.error != nullptr && !fit_for_wire(*msg.error)) {
    // Rare (an error reply whose text is not UTF-8 or very long): encode a repaired copy.
    auto category = to_wire_text(msg.error->category);
    auto text = to_wire_text(msg.error->text);
    error_view repaired{msg.error->code, category, text};
    auto copy = msg;
    copy.error = &repaired;
    return batch.add(copy, limit, sink);
  }
  return batch.add(msg, limit, sink);
}

caf::error protocol::add_message(const message_view& msg) {
  auto& d = *impl_;
  if (d.st == state::closed)
    return make_error(error_code::unexpected_frame, "the connection is closed");
  return add_checked(d.batch, msg, d.send_limit(), d.data_sink());
}

caf::error encode_alone(batch_encoder& encoder, const message_view& msg, uint32_t limit,
                        std::vector<char>& sink) {
  if (auto err = add_checked(encoder, msg, limit, sink))
    return err;
  encoder.finish(sink);
  return caf::none;
}

void protocol::flush() {
  if (impl_->st != state::closed)
    impl_->batch.finish(impl_->data_sink());
}

void protocol::send_monitor(const actor_target& target) {
  impl_->send_control(monitor_frame(target));
}

void protocol::send_demonitor(const actor_target& target) {
  impl_->send_control(demonitor_frame(target));
}

void protocol::send_down(const actor_target& actor, const error_view& reason) {
  impl_->send_control(down_frame(actor, reason));
}

void protocol::send_lookup(std::string_view name, uint64_t request_id) {
  impl_->send_control(lookup_frame(name, request_id));
}

void protocol::send_lookup_result(uint64_t request_id, uint64_t actor_id, const error_view& error) {
  wire::Frame f;
  auto* r = f.mutable_lookup_result();
  r->set_request_id(request_id);
  r->set_actor_id(actor_id);
  if (actor_id == 0)
    fill(r->mutable_error(), error);
  impl_->send_control(f);
}

void protocol::send_error(error_code code, std::string_view text, uint64_t request_id,
                          uint64_t actor_id) {
  wire::Frame f;
  auto* e = f.mutable_error();
  e->set_code(static_cast<uint32_t>(code));
  e->set_text(to_wire_text(text));
  e->set_request_id(request_id);
  e->set_actor_id(actor_id);
  impl_->send_control(f);
}

void protocol::reject(const message_view& msg, error_code code, std::string_view text) {
  send_error(code, text, msg.request_id, msg.sender_id);
}

void protocol::send_goodbye(std::string_view reason) {
  auto& d = *impl_;
  if (d.st == state::closed)
    return;
  if (d.established())
    d.batch.finish(d.out);
  d.held.clear();
  wire::Frame f;
  f.mutable_goodbye()->set_reason(to_wire_text(reason));
  write_frame(f, d.out);
  d.st = state::closed;
}

void protocol::say_goodbye(std::string_view reason) {
  auto& d = *impl_;
  if (!d.established())
    return;
  d.batch.finish(d.out);
  wire::Frame f;
  f.mutable_goodbye()->set_reason(to_wire_text(reason));
  write_frame(f, d.out);
}

std::vector<char>& protocol::output() {
  return impl_->out;
}

std::size_t protocol::held_bytes() const {
  return impl_->held.size();
}

std::vector<char> protocol::take_held() {
  return std::exchange(impl_->held, {});
}

void protocol::write_frames(std::span<const char> frames) {
  auto& d = *impl_;
  if (d.st == state::closed || frames.empty())
    return;
  d.batch.finish(d.data_sink()); // after the messages added before, as control frames are
  auto& sink = d.data_sink();
  sink.insert(sink.end(), frames.begin(), frames.end());
}

protocol::state protocol::current_state() const {
  return impl_->st;
}

uint64_t protocol::peer_incarnation() const {
  return impl_->peer_incarnation;
}

std::string_view protocol::peer_endpoint() const {
  return impl_->peer_endpoint;
}

uint32_t protocol::send_limit() const {
  return impl_->send_limit();
}

} // namespace troupe::net::detail
