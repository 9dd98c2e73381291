// Test harness of the wire protocol state machine: a callee that records what it is told, two
// protocol objects wired back to back without sockets, and helpers to build and read raw frames.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "protocol.hpp"
#include "replay_guard.hpp"
#include "troupe/wire.pb.h"

namespace troupe::net::test {

using detail::protocol;
using detail::protocol_clock;
using namespace std::chrono_literals;

/// The start of every fake timeline.
inline const protocol_clock::time_point t0{};

/// An error value as recorded (owned copy of error_view).
struct recorded_error {
  uint32_t code = 0;
  std::string category;
  std::string text;
  bool operator==(const recorded_error&) const = default;
};

/// A message as recorded (owned copy of message_view).
struct recorded_message {
  uint64_t target_id = 0;
  std::string target_name;
  uint64_t sender_id = 0;
  uint64_t request_id = 0;
  uint64_t reply_to = 0;
  std::vector<std::pair<std::string, std::string>> payload;
  std::optional<recorded_error> error;
  bool operator==(const recorded_message&) const = default;
};

inline recorded_error record(const detail::error_view& e) {
  return {e.code, std::string{e.category}, std::string{e.text}};
}

inline recorded_message record(const detail::message_view& m) {
  recorded_message r{
    m.target.id, std::string{m.target.name}, m.sender_id, m.request_id, m.reply_to, {},
    std::nullopt};
  for (const auto& p : m.payload)
    r.payload.emplace_back(p.type_url, p.value);
  if (m.error != nullptr)
    r.error = record(*m.error);
  return r;
}

/// Records every callback as one line of text (for order checks) and keeps the details.
/// With `known_names` set, messages to other names are rejected with unknown_target, as a node
/// does; `owner` is the protocol to reject through.
struct recorder : detail::protocol_callee {
  std::vector<std::string> events;
  std::vector<recorded_message> messages;
  std::vector<detail::peer_error> peer_errors; // text views are dropped: see peer_error_texts
  std::vector<std::string> peer_error_texts;
  std::optional<std::pair<error_code, std::string>> protocol_error;
  uint64_t peer_incarnation = 0;
  std::string peer_endpoint;
  std::optional<std::set<std::string>> known_names;
  protocol* owner = nullptr;
  std::function<void()> after_message; // runs after each recorded message, if set

  void on_handshake_done(uint64_t inc, std::string_view ep) override {
    peer_incarnation = inc;
    peer_endpoint = ep;
    events.push_back("handshake_done");
  }
  void on_message(const detail::message_view& m) override {
    if (known_names && !m.target.name.empty() &&
        !known_names->contains(std::string{m.target.name})) {
      events.push_back("rejected " + std::string{m.target.name});
      owner->reject(m, error_code::unknown_target, "no actor named " + std::string{m.target.name});
      return;
    }
    messages.push_back(record(m));
    events.push_back("message");
    if (after_message)
      after_message();
  }
  void on_reply(const detail::message_view& m) override {
    messages.push_back(record(m));
    events.push_back("reply " + std::to_string(m.reply_to));
  }
  void on_monitor(const detail::actor_target& t) override {
    events.push_back("monitor " + std::to_string(t.id) + " " + std::string{t.name});
  }
  void on_demonitor(const detail::actor_target& t) override {
    events.push_back("demonitor " + std::to_string(t.id) + " " + std::string{t.name});
  }
  void on_down(const detail::actor_target& t, const detail::error_view& reason) override {
    events.push_back("down " + std::to_string(t.id) + " " + std::string{t.name} + " " +
                     std::to_string(reason.code) + " " + std::string{reason.category} + " " +
                     std::string{reason.text});
  }
  void on_lookup(std::string_view name, uint64_t request_id) override {
    events.push_back("lookup " + std::string{name} + " " + std::to_string(request_id));
  }
  void on_lookup_result(uint64_t request_id, uint64_t actor_id,
                        const detail::error_view& e) override {
    events.push_back("lookup_result " + std::to_string(request_id) + " " +
                     std::to_string(actor_id) + " " + std::to_string(e.code) + " " +
                     std::string{e.category});
  }
  void on_peer_error(const detail::peer_error& e) override {
    peer_errors.push_back(e);
    peer_errors.back().text = {};
    peer_error_texts.emplace_back(e.text);
    events.push_back("peer_error " + std::to_string(e.code) + (e.closing ? " closing" : ""));
  }
  void on_heartbeat() override { events.push_back("heartbeat"); }
  void on_goodbye(std::string_view reason) override {
    events.push_back("goodbye " + std::string{reason});
  }
  void on_protocol_error(error_code code, std::string_view text) override {
    protocol_error.emplace(code, std::string{text});
    events.push_back("protocol_error " + to_string(code));
  }
};

/// Settings for one side; `secret` empty means none.
inline detail::protocol_config config(uint64_t incarnation, std::string endpoint = {},
                                      std::string secret = {}) {
  detail::protocol_config cfg;
  cfg.incarnation = incarnation;
  cfg.endpoint = std::move(endpoint);
  cfg.secret = std::move(secret);
  return cfg;
}

/// One side of a connection: its callee, its node's replay guard and its protocol.
struct side {
  recorder rec;
  detail::replay_guard own_guard;
  protocol proto;
  std::string sent; // every byte this side wrote, for inspection

  side(protocol::role r, detail::protocol_config cfg, detail::replay_guard* guard = nullptr)
      : proto(r, std::move(cfg), rec, guard != nullptr ? *guard : own_guard) {
    rec.owner = &proto;
  }

  /// Takes the pending output (and remembers it in `sent`).
  std::string take() {
    auto& out = proto.output();
    std::string bytes{out.begin(), out.end()};
    out.clear();
    sent += bytes;
    return bytes;
  }

  /// Returns a copy of the pending output, leaving it in place.
  std::string peek() { return {proto.output().begin(), proto.output().end()}; }

  bool closed() const { return proto.current_state() == protocol::state::closed; }
};

/// Feeds `bytes` to `to` in pieces of `chunk` bytes; returns what the last consume returned.
inline bool feed(protocol& to, const std::string& bytes, protocol_clock::time_point now,
                 std::size_t chunk = SIZE_MAX) {
  bool open = true;
  for (std::size_t i = 0; i < bytes.size(); i += chunk) {
    auto n = std::min(chunk, bytes.size() - i);
    open = to.consume(std::span<const char>{bytes.data() + i, n}, now);
  }
  return open;
}

/// Moves output between `a` and `b` (in pieces of `chunk` bytes) until neither has any.
inline void pump(side& a, side& b, protocol_clock::time_point now, std::size_t chunk = SIZE_MAX) {
  for (int round = 0; round < 100; ++round) {
    auto ab = a.take();
    auto ba = b.take();
    if (ab.empty() && ba.empty())
      return;
    feed(b.proto, ab, now, chunk);
    feed(a.proto, ba, now, chunk);
  }
}

/// A connector and an acceptor (separate nodes) after `start`, before any byte moved.
struct connection {
  side connector;
  side acceptor;

  connection(detail::protocol_config c, detail::protocol_config a)
      : connector(protocol::role::connector, std::move(c)),
        acceptor(protocol::role::acceptor, std::move(a)) {
    connector.proto.start(t0);
    acceptor.proto.start(t0);
  }

  /// Two sides with the default settings and no secret (incarnations 11 and 22).
  connection() : connection(config(11, "127.0.0.1:1"), config(22, "127.0.0.1:2")) {}

  void pump(protocol_clock::time_point now = t0, std::size_t chunk = SIZE_MAX) {
    test::pump(connector, acceptor, now, chunk);
  }
};

/// Returns `body` with a length prefix.
inline std::string frame_of(const std::string& body) {
  auto n = static_cast<uint32_t>(body.size());
  return std::string{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)} +
         body;
}

/// Returns `f` as a frame on the wire (length prefix + body).
inline std::string frame_bytes(const wire::Frame& f) {
  return frame_of(f.SerializeAsString());
}

/// Splits `bytes` into frames and parses each (fails the test on a bad one).
inline std::vector<wire::Frame> parse_frames(const std::string& bytes) {
  std::vector<wire::Frame> frames;
  std::size_t i = 0;
  while (i + 4 <= bytes.size()) {
    auto b = [&](std::size_t k) {
      return static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + k]));
    };
    uint32_t n = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
    wire::Frame f;
    if (i + 4 + n > bytes.size() || !f.ParseFromArray(bytes.data() + i + 4, static_cast<int>(n)))
      throw std::runtime_error("parse_frames: a bad frame in the output");
    frames.push_back(std::move(f));
    i += 4 + n;
  }
  if (i != bytes.size())
    throw std::runtime_error("parse_frames: trailing bytes in the output");
  return frames;
}

/// Type URLs of the payloads the protocol tests send.
inline const std::string int32_url = "type.googleapis.com/google.protobuf.Int32Value";
inline const std::string string_url = "type.googleapis.com/google.protobuf.StringValue";

/// A message to the actor named `name` on the peer, from `sender` (0: none).
inline detail::message_view
to_name(std::string_view name, std::span<const detail::payload_view> payload, uint64_t sender = 0) {
  detail::message_view m;
  m.target.name = name;
  m.sender_id = sender;
  m.payload = payload;
  return m;
}

/// A Hello as a connector of `incarnation` would send it, with the given nonce.
inline wire::Frame hello_frame(uint64_t incarnation, std::string nonce, uint32_t version = 1) {
  wire::Frame f;
  auto* h = f.mutable_hello();
  h->set_version(version);
  h->set_incarnation(incarnation);
  h->set_nonce(std::move(nonce));
  return f;
}

} // namespace troupe::net::test
