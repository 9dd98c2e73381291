#pragma once

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "batch_encoder.hpp"
#include "batch_reader.hpp"
#include "frame_splitter.hpp"
#include "handshake_crypto.hpp"
#include "protocol.hpp"
#include "troupe/wire.pb.h"

// The state of one connection's protocol, shared by protocol.cpp (the public functions),
// protocol_input.cpp (reading frames) and protocol_handshake.cpp.

namespace troupe::net::detail {

/// The frame limit assumed for a peer that does not announce one.
constexpr uint32_t default_frame_limit = 16 * 1024 * 1024;

struct protocol::impl {
  impl(role r, protocol_config c, protocol_callee& cb, replay_guard& g);

  // -- state ----------------------------------------------------------------------------------

  role self;
  protocol_config cfg;
  protocol_callee& callee;
  replay_guard& guard;
  state st;
  frame_splitter splitter;
  batch_encoder batch;
  batch_reader reader;                       // the batch being delivered
  std::vector<payload_view> payload_scratch; // views of one received message's payload
  std::vector<char> out;                     // bytes to write now
  std::vector<char> held;                    // frames waiting for the handshake
  std::string own_nonce;
  std::string peer_nonce;
  uint64_t peer_incarnation = 0;
  std::string peer_endpoint;
  uint32_t peer_max = default_frame_limit;
  bool started = false;
  protocol_clock::time_point now{};
  protocol_clock::time_point started_at{};
  protocol_clock::time_point last_received{};
  protocol_clock::time_point next_heartbeat{};

  // -- helpers (protocol.cpp) -----------------------------------------------------------------

  bool established() const { return st == state::established; }

  /// Where data frames go: out once the handshake is done, held before.
  std::vector<char>& data_sink() { return established() ? out : held; }

  uint32_t send_limit() const { return std::min(cfg.max_frame_size, peer_max); }

  /// Fails the connection: writes a closing Error frame and reports it. Returns false.
  bool fail(error_code code, std::string_view text);

  /// Writes a control frame after the open batch (keeping its order with the messages).
  void send_control(const wire::Frame& f);

  // -- input (protocol_input.cpp) -------------------------------------------------------------

  /// Parses and handles one frame body; false when the connection must close.
  bool on_frame(std::span<const char> body);
  bool dispatch(const wire::Frame& f);
  bool unexpected(wire::Frame::KindCase k, std::string_view when);
  bool on_error(const wire::Error& e);
  bool on_data(const wire::Frame& f);
  /// Delivers the batch in `reader`.
  bool on_batch();

  // -- handshake (protocol_handshake.cpp) -----------------------------------------------------

  /// The connector's first step: draws its nonce and writes Hello.
  void send_hello();
  bool on_hello(const wire::Hello& h);
  bool on_challenge(const wire::Challenge& c);
  bool on_welcome(const wire::Welcome& w);
  template <class T> bool accept_peer_hello(const T& h, const char* what);
  bool check_proof(const std::string& proof, proof_side side);
  handshake_transcript transcript() const;
  std::optional<std::string> draw_nonce();
  bool establish();
};

} // namespace troupe::net::detail
