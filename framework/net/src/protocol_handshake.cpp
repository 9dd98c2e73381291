// The handshake: Hello, Challenge, Welcome; versions, nonces, replays, HMAC proofs.
#include "protocol_impl.hpp"
#include "replay_guard.hpp"
#include "wire_frames.hpp"

namespace troupe::net::detail {

namespace {

/// Sets the fields Hello and Challenge share: this side's version, incarnation, endpoint, nonce
/// and frame limit.
template <class T> void fill_greeting(T* g, const protocol_config& cfg, const std::string& nonce) {
  g->set_version(protocol_version);
  g->set_incarnation(cfg.incarnation);
  g->set_endpoint(to_wire_text(cfg.endpoint));
  g->set_nonce(nonce);
  g->set_max_frame_size(cfg.max_frame_size);
}

} // namespace

handshake_transcript protocol::impl::transcript() const {
  bool connector = self == role::connector;
  return {protocol_version, connector ? own_nonce : peer_nonce, connector ? peer_nonce : own_nonce,
          connector ? cfg.incarnation : peer_incarnation,
          connector ? peer_incarnation : cfg.incarnation};
}

std::optional<std::string> protocol::impl::draw_nonce() {
  auto nonce = random_bytes(nonce_size);
  if (nonce)
    guard.admit(*nonce); // a peer that echoes our own nonce back is refused as a replay
  return nonce;
}

void protocol::impl::send_hello() {
  auto nonce = draw_nonce();
  if (!nonce) {
    fail(error_code::handshake_failed, "RAND_bytes failed to draw a nonce");
    return;
  }
  own_nonce = std::move(*nonce);
  wire::Frame f;
  fill_greeting(f.mutable_hello(), cfg, own_nonce);
  write_frame(f, out);
  st = state::awaiting_challenge;
}

// Checks the fields Hello and Challenge share and records the peer's. False: failed.
template <class T> bool protocol::impl::accept_peer_hello(const T& h, const char* what) {
  auto field = [what](const char* name) { return std::string{what} + "." + name; };
  if (h.version() != protocol_version)
    return fail(error_code::version_mismatch,
                "the peer speaks protocol version " + std::to_string(h.version()) +
                  ", this node speaks " + std::to_string(protocol_version));
  if (h.nonce().size() != nonce_size)
    return fail(error_code::handshake_failed,
                field("nonce") + " must be 32 bytes, got " + std::to_string(h.nonce().size()));
  if (h.incarnation() == 0)
    return fail(error_code::handshake_failed, field("incarnation") + " must not be 0");
  if (h.max_frame_size() != 0 && h.max_frame_size() < min_frame_size)
    return fail(error_code::handshake_failed, field("max_frame_size") + " must be 0 or at least " +
                                                std::to_string(min_frame_size) + ", got " +
                                                std::to_string(h.max_frame_size()));
  if (!guard.admit(h.nonce()))
    return fail(error_code::replayed_challenge,
                field("nonce") + " was seen before: a replayed handshake");
  peer_nonce = h.nonce();
  peer_incarnation = h.incarnation();
  peer_endpoint = h.endpoint();
  peer_max = h.max_frame_size() != 0 ? h.max_frame_size() : default_frame_limit;
  return true;
}

bool protocol::impl::check_proof(const std::string& proof, proof_side side) {
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

bool protocol::impl::on_hello(const wire::Hello& h) {
  if (!accept_peer_hello(h, "Hello"))
    return false;
  auto nonce = draw_nonce();
  if (!nonce)
    return fail(error_code::handshake_failed, "RAND_bytes failed to draw a nonce");
  own_nonce = std::move(*nonce);
  wire::Frame f;
  auto* c = f.mutable_challenge();
  fill_greeting(c, cfg, own_nonce);
  if (!cfg.secret.empty())
    c->set_proof(handshake_proof(cfg.secret, proof_side::acceptor, transcript()));
  write_frame(f, out);
  st = state::awaiting_welcome;
  return true;
}

bool protocol::impl::on_challenge(const wire::Challenge& c) {
  if (!accept_peer_hello(c, "Challenge") || !check_proof(c.proof(), proof_side::acceptor))
    return false;
  wire::Frame f;
  auto* w = f.mutable_welcome();
  if (!cfg.secret.empty())
    w->set_proof(handshake_proof(cfg.secret, proof_side::connector, transcript()));
  write_frame(f, out);
  return establish();
}

bool protocol::impl::on_welcome(const wire::Welcome& w) {
  return check_proof(w.proof(), proof_side::connector) && establish();
}

bool protocol::impl::establish() {
  st = state::established;
  next_heartbeat = now + cfg.heartbeat_interval;
  out.insert(out.end(), held.begin(), held.end()); // after Welcome, in the order they were sent
  held.clear();
  callee.on_handshake_done(peer_incarnation, peer_endpoint);
  return st != state::closed;
}

} // namespace troupe::net::detail
