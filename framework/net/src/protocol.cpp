#include "protocol.hpp"

#include <algorithm>
#include <memory>

#include <google/protobuf/arena.h>

#include "batch_encoder.hpp"
#include "frame_splitter.hpp"
#include "handshake_crypto.hpp"
#include "replay_guard.hpp"
#include "troupe/wire.pb.h"
#include "wire_encoding.hpp"

namespace troupe::net::detail {

namespace pb = troupe::wire;
using kind = pb::Frame::KindCase;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

/// The default frame limit, assumed for a peer that does not announce one.
constexpr uint32_t default_frame_limit = 16 * 1024 * 1024;

/// Parsing a frame allocates from this block first; it is kept across frames.
constexpr std::size_t arena_block_size = 64 * 1024;

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

error_view view_of(const pb::ErrorValue& e) {
  return {e.code(), e.category(), e.text()};
}

void fill(pb::ErrorValue* out, const error_view& e) {
  out->set_code(e.code);
  out->set_category(std::string{e.category});
  out->set_text(std::string{e.text});
}

actor_target target_of(uint64_t id, const std::string& name) {
  return {name.empty() ? id : 0, name};
}

template <class T> void fill_target(T* out, const actor_target& t) {
  if (t.name.empty())
    out->set_actor_id(t.id);
  else
    out->set_name(std::string{t.name});
}

template <class T> bool has_one_target(const T& x) {
  return (x.actor_id() != 0) != !x.name().empty();
}

void write_frame(const pb::Frame& f, std::vector<char>& dst) {
  auto n = f.ByteSizeLong();
  auto old = dst.size();
  dst.resize(old + 4 + n);
  wire_encoding::put_length_prefix(dst.data() + old, static_cast<uint32_t>(n));
  f.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(dst.data() + old + 4));
}

std::string ms_text(protocol_clock::duration d) {
  return std::to_string(duration_cast<milliseconds>(d).count()) + " ms";
}

google::protobuf::ArenaOptions arena_options(char* block) {
  google::protobuf::ArenaOptions opts;
  opts.initial_block = block;
  opts.initial_block_size = arena_block_size;
  return opts;
}

} // namespace

struct protocol::impl {
  impl(role r, protocol_config c, protocol_callee& cb, replay_guard& g)
      : self(r), cfg(std::move(c)), callee(cb), guard(g),
        st(r == role::acceptor ? state::awaiting_hello : state::created),
        splitter(cfg.max_frame_size), batch(cfg.max_batch_bytes, cfg.max_batch_messages),
        arena_block(std::make_unique<char[]>(arena_block_size)),
        arena(arena_options(arena_block.get())), peer_max(default_frame_limit) {}

  // -- state ----------------------------------------------------------------------------------

  role self;
  protocol_config cfg;
  protocol_callee& callee;
  replay_guard& guard;
  state st;
  frame_splitter splitter;
  batch_encoder batch;
  std::unique_ptr<char[]> arena_block; // before `arena`, which uses it
  google::protobuf::Arena arena;
  std::vector<payload_view> payload_scratch;
  std::vector<char> out;  // bytes to write now
  std::vector<char> held; // frames waiting for the handshake
  std::string own_nonce;
  std::string peer_nonce;
  uint64_t peer_incarnation = 0;
  std::string peer_endpoint;
  uint32_t peer_max;
  bool started = false;
  protocol_clock::time_point now{};
  protocol_clock::time_point started_at{};
  protocol_clock::time_point last_received{};
  protocol_clock::time_point next_heartbeat{};

  // -- helpers --------------------------------------------------------------------------------

  bool established() const { return st == state::established; }

  std::vector<char>& data_sink() { return established() ? out : held; }

  uint32_t send_limit() const { return std::min(cfg.max_frame_size, peer_max); }

  handshake_transcript transcript() const {
    bool connector = self == role::connector;
    return {protocol_version, connector ? own_nonce : peer_nonce,
            connector ? peer_nonce : own_nonce, connector ? cfg.incarnation : peer_incarnation,
            connector ? peer_incarnation : cfg.incarnation};
  }

  /// Fails the connection: writes a closing Error frame and reports it. Returns false.
  bool fail(error_code code, std::string_view text) {
    if (established())
      batch.finish(out); // messages accepted for sending still go out, before the Error
    held.clear();
    pb::Frame f;
    auto* e = f.mutable_error();
    e->set_code(static_cast<uint32_t>(code));
    e->set_text(std::string{text});
    e->set_closing(true);
    write_frame(f, out);
    st = state::closed;
    callee.on_protocol_error(code, text);
    return false;
  }

  bool unexpected(kind k, std::string_view when) {
    return fail(error_code::unexpected_frame, std::string{kind_name(k)} + " " + std::string{when});
  }

  void send_control(const pb::Frame& f) {
    if (st == state::closed)
      return;
    batch.finish(data_sink()); // control frames keep their order with the messages before
    write_frame(f, data_sink());
  }

  std::optional<std::string> draw_nonce() {
    auto nonce = random_bytes(nonce_size);
    if (nonce)
      guard.admit(*nonce); // a peer that echoes our own nonce back is refused as a replay
    return nonce;
  }

  // -- input ----------------------------------------------------------------------------------

  bool on_frame(std::span<const char> body) {
    auto* f = google::protobuf::Arena::CreateMessage<pb::Frame>(&arena);
    bool go_on =
      f->ParseFromArray(body.data(), static_cast<int>(body.size()))
        ? dispatch(*f)
        : fail(error_code::malformed_frame, "a frame of " + std::to_string(body.size()) +
                                              " bytes does not parse as troupe.wire.Frame");
    arena.Reset();
    return go_on;
  }

  bool dispatch(const pb::Frame& f) {
    switch (f.kind_case()) {
      case kind::kError:
        return on_error(f.error());
      case kind::kGoodbye:
        st = state::closed;
        callee.on_goodbye(f.goodbye().reason());
        return false;
      case kind::KIND_NOT_SET:
        return fail(error_code::unknown_frame_kind,
                    "a frame with no kind known to protocol version 1");
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
        return f.has_welcome() ? on_welcome(f.welcome())
                               : unexpected(f.kind_case(), "before Welcome");
      case state::established:
        return on_data(f);
      case state::created:
        return unexpected(f.kind_case(), "before this side sent Hello");
      case state::closed:
        break;
    }
    return false;
  }

  bool on_error(const pb::Error& e) {
    peer_error err{e.code(), e.text(), e.closing() || !established(), e.request_id(), e.actor_id()};
    if (err.closing)
      st = state::closed; // before the handshake, every Error ends the connection
    callee.on_peer_error(err);
    return st != state::closed;
  }

  // Checks the fields Hello and Challenge share; records the peer's. False: failed.
  template <class T> bool accept_peer_hello(const T& h, const char* what) {
    if (h.version() != protocol_version)
      return fail(error_code::version_mismatch,
                  std::string{"the peer speaks protocol version "} + std::to_string(h.version()) +
                    ", this node speaks " + std::to_string(protocol_version));
    if (h.nonce().size() != nonce_size)
      return fail(error_code::handshake_failed, std::string{what} +
                                                  ".nonce must be 32 bytes, got " +
                                                  std::to_string(h.nonce().size()));
    if (h.incarnation() == 0)
      return fail(error_code::handshake_failed, std::string{what} + ".incarnation must not be 0");
    if (!guard.admit(h.nonce()))
      return fail(error_code::replayed_challenge,
                  std::string{what} + ".nonce was seen before: a replayed handshake");
    peer_nonce = h.nonce();
    peer_incarnation = h.incarnation();
    peer_endpoint = h.endpoint();
    peer_max = h.max_frame_size() != 0 ? h.max_frame_size() : default_frame_limit;
    return true;
  }

  // Checks the peer's proof of the secret (by `side`). False: failed.
  bool check_proof(const std::string& proof, proof_side side) {
    if (cfg.secret.empty()) {
      if (!proof.empty())
        return fail(error_code::authentication_failed,
                    "the peer proves a shared secret but this node has none configured");
      return true;
    }
    if (proof.empty())
      return fail(error_code::authentication_failed,
                  "the peer has no shared secret but this node requires one");
    if (!proofs_equal(proof, handshake_proof(cfg.secret, side, transcript())))
      return fail(error_code::authentication_failed,
                  "the peer's proof does not match this node's shared secret");
    return true;
  }

  bool on_hello(const pb::Hello& h) {
    if (!accept_peer_hello(h, "Hello"))
      return false;
    auto nonce = draw_nonce();
    if (!nonce)
      return fail(error_code::handshake_failed, "RAND_bytes failed to draw a nonce");
    own_nonce = std::move(*nonce);
    pb::Frame f;
    auto* c = f.mutable_challenge();
    c->set_version(protocol_version);
    c->set_incarnation(cfg.incarnation);
    c->set_endpoint(cfg.endpoint);
    c->set_nonce(own_nonce);
    c->set_max_frame_size(cfg.max_frame_size);
    if (!cfg.secret.empty())
      c->set_proof(handshake_proof(cfg.secret, proof_side::acceptor, transcript()));
    write_frame(f, out);
    st = state::awaiting_welcome;
    return true;
  }

  bool on_challenge(const pb::Challenge& c) {
    if (!accept_peer_hello(c, "Challenge") || !check_proof(c.proof(), proof_side::acceptor))
      return false;
    pb::Frame f;
    if (!cfg.secret.empty())
      f.mutable_welcome()->set_proof(
        handshake_proof(cfg.secret, proof_side::connector, transcript()));
    else
      f.mutable_welcome();
    write_frame(f, out);
    return establish();
  }

  bool on_welcome(const pb::Welcome& w) {
    if (!check_proof(w.proof(), proof_side::connector))
      return false;
    return establish();
  }

  bool establish() {
    st = state::established;
    next_heartbeat = now + cfg.heartbeat_interval;
    out.insert(out.end(), held.begin(), held.end());
    held.clear();
    callee.on_handshake_done(peer_incarnation, peer_endpoint);
    return st != state::closed;
  }

  bool on_data(const pb::Frame& f) {
    switch (f.kind_case()) {
      case kind::kBatch:
        return on_batch(f.batch());
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

  // Returns why `b` is malformed, or an empty string. Checked before any message is delivered,
  // so that a batch is taken whole or not at all.
  static std::string check_batch(const pb::Batch& b) {
    for (int i = 0; i < b.messages_size(); ++i) {
      const auto& m = b.messages(i);
      auto where = [i](const char* what) {
        return "message " + std::to_string(i) + " of the batch: " + what;
      };
      if (m.target_name() > static_cast<uint32_t>(b.target_names_size()))
        return where("target_name is past the target_names table");
      if (m.sender() > static_cast<uint32_t>(b.sender_ids_size()))
        return where("sender is past the sender_ids table");
      for (const auto& p : m.payload())
        if (p.type() >= static_cast<uint32_t>(b.type_urls_size()))
          return where("a payload's type is past the type_urls table");
      if (m.reply_to() == 0 && m.target_name() == 0 && m.target_id() == 0)
        return where("it has neither a target nor reply_to");
      if (m.reply_to() != 0 && m.request_id() != 0)
        return where("it has both request_id and reply_to");
      if (m.has_error() && (m.reply_to() == 0 || m.payload_size() != 0))
        return where("an error is only allowed on a reply without payload");
    }
    return {};
  }

  bool on_batch(const pb::Batch& b) {
    if (auto why = check_batch(b); !why.empty())
      return fail(error_code::malformed_frame, why);
    for (const auto& m : b.messages()) {
      payload_scratch.clear();
      for (const auto& p : m.payload())
        payload_scratch.push_back({b.type_urls(static_cast<int>(p.type())), p.value()});
      message_view v;
      if (m.target_name() != 0)
        v.target.name = b.target_names(static_cast<int>(m.target_name() - 1));
      else
        v.target.id = m.target_id();
      v.sender_id = m.sender() != 0 ? b.sender_ids(static_cast<int>(m.sender() - 1)) : 0;
      v.request_id = m.request_id();
      v.reply_to = m.reply_to();
      v.payload = payload_scratch;
      error_view err;
      if (m.has_error()) {
        err = view_of(m.error());
        v.error = &err;
      }
      if (v.reply_to != 0)
        callee.on_reply(v);
      else
        callee.on_message(v);
      if (st == state::closed)
        return false;
    }
    return true;
  }
};

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
  if (d.self != role::connector)
    return;
  auto nonce = d.draw_nonce();
  if (!nonce) {
    d.fail(error_code::handshake_failed, "RAND_bytes failed to draw a nonce");
    return;
  }
  d.own_nonce = std::move(*nonce);
  pb::Frame f;
  auto* h = f.mutable_hello();
  h->set_version(protocol_version);
  h->set_incarnation(d.cfg.incarnation);
  h->set_endpoint(d.cfg.endpoint);
  h->set_nonce(d.own_nonce);
  h->set_max_frame_size(d.cfg.max_frame_size);
  write_frame(f, d.out);
  d.st = state::awaiting_challenge;
}

bool protocol::consume(std::span<const char> bytes, protocol_clock::time_point now) {
  auto& d = *impl_;
  if (d.st == state::closed)
    return false;
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
    pb::Frame f;
    f.mutable_heartbeat();
    write_frame(f, d.out); // not after the open batch: heartbeats never wait for messages
    d.next_heartbeat = now + d.cfg.heartbeat_interval;
  }
  return true;
}

protocol_clock::time_point protocol::next_deadline() const {
  const auto& d = *impl_;
  if (d.st == state::closed || !d.started)
    return protocol_clock::time_point::max();
  if (!d.established())
    return d.started_at + d.cfg.handshake_timeout;
  return std::min(d.next_heartbeat, d.last_received + d.cfg.silence_bound);
}

caf::error protocol::add_message(const message_view& msg) {
  auto& d = *impl_;
  if (d.st == state::closed)
    return make_error(error_code::unexpected_frame, "the connection is closed");
  if (msg.reply_to == 0 && msg.target.id == 0 && msg.target.name.empty())
    return make_error(error_code::malformed_frame, "a message needs a target or reply_to");
  if (msg.reply_to != 0 && msg.request_id != 0)
    return make_error(error_code::malformed_frame, "a message is a request or a reply, not both");
  if (msg.error != nullptr && (msg.reply_to == 0 || !msg.payload.empty()))
    return make_error(error_code::malformed_frame,
                      "an error is only allowed on a reply without payload");
  return d.batch.add(msg, d.send_limit(), d.data_sink());
}

void protocol::flush() {
  if (impl_->st != state::closed)
    impl_->batch.finish(impl_->data_sink());
}

void protocol::send_monitor(const actor_target& target) {
  pb::Frame f;
  fill_target(f.mutable_monitor(), target);
  impl_->send_control(f);
}

void protocol::send_demonitor(const actor_target& target) {
  pb::Frame f;
  fill_target(f.mutable_demonitor(), target);
  impl_->send_control(f);
}

void protocol::send_down(const actor_target& actor, const error_view& reason) {
  pb::Frame f;
  auto* d = f.mutable_down();
  d->set_actor_id(actor.id);
  d->set_name(std::string{actor.name});
  fill(d->mutable_reason(), reason);
  impl_->send_control(f);
}

void protocol::send_lookup(std::string_view name, uint64_t request_id) {
  pb::Frame f;
  f.mutable_lookup()->set_name(std::string{name});
  f.mutable_lookup()->set_request_id(request_id);
  impl_->send_control(f);
}

void protocol::send_lookup_result(uint64_t request_id, uint64_t actor_id, const error_view& error) {
  pb::Frame f;
  auto* r = f.mutable_lookup_result();
  r->set_request_id(request_id);
  r->set_actor_id(actor_id);
  if (actor_id == 0)
    fill(r->mutable_error(), error);
  impl_->send_control(f);
}

void protocol::send_error(error_code code, std::string_view text, uint64_t request_id,
                          uint64_t actor_id) {
  pb::Frame f;
  auto* e = f.mutable_error();
  e->set_code(static_cast<uint32_t>(code));
  e->set_text(std::string{text});
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
  pb::Frame f;
  f.mutable_goodbye()->set_reason(std::string{reason});
  write_frame(f, d.out);
  d.st = state::closed;
}

std::vector<char>& protocol::output() {
  return impl_->out;
}

std::size_t protocol::held_bytes() const {
  return impl_->held.size();
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
