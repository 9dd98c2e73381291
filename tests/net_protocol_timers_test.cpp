// The wire protocol state machine without sockets: heartbeats, the silence bound and the
// handshake timeout, on a made-up clock.
#include <doctest/doctest.h>

#include "net_protocol_harness.hpp"

using namespace troupe::net;
using namespace troupe::net::test;
using detail::protocol;

namespace {

int heartbeats_in(const std::string& bytes) {
  int n = 0;
  for (const auto& f : parse_frames(bytes))
    n += f.has_heartbeat() ? 1 : 0;
  return n;
}

} // namespace

TEST_CASE("protocol: a heartbeat is written every interval once the handshake is done") {
  connection c;
  CHECK(c.connector.proto.tick(t0 + 2s)); // no heartbeats before the handshake
  auto before = parse_frames(c.connector.peek());
  REQUIRE(before.size() == 1);
  CHECK(before[0].has_hello());
  c.pump(t0 + 2s);
  CHECK(c.connector.proto.next_deadline() == t0 + 3s);
  CHECK(c.connector.proto.tick(t0 + 2999ms));
  CHECK(heartbeats_in(c.connector.take()) == 0);
  CHECK(c.connector.proto.tick(t0 + 3s));
  CHECK(heartbeats_in(c.connector.take()) == 1);
  CHECK(c.connector.proto.next_deadline() == t0 + 4s);
  CHECK(c.connector.proto.tick(t0 + 3500ms));
  CHECK(heartbeats_in(c.connector.take()) == 0);
}

TEST_CASE("protocol: a heartbeat is not held back by the open batch") {
  connection c;
  c.pump();
  detail::payload_view p[] = {{"type.googleapis.com/google.protobuf.Int32Value", "\x08\x07"}};
  detail::message_view m;
  m.target.id = 1;
  m.payload = p;
  REQUIRE(!c.connector.proto.add_message(m));
  CHECK(c.connector.proto.tick(t0 + 1s));
  auto frames = parse_frames(c.connector.take());
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].has_heartbeat());
}

TEST_CASE("protocol: a silent peer is detected after the silence bound and not before") {
  auto cfg = config(22);
  cfg.heartbeat_interval = 1s;
  cfg.silence_bound = 4s;
  connection c{config(11), cfg};
  c.pump(t0); // the acceptor last heard from the connector at t0
  auto& a = c.acceptor.proto;
  CHECK(a.next_deadline() == t0 + 1s);
  for (auto t = t0 + 1s; t < t0 + 4s; t += 1s)
    CHECK(a.tick(t));
  CHECK(a.next_deadline() == t0 + 4s);
  CHECK(a.tick(t0 + 3999ms));
  CHECK(a.current_state() == protocol::state::established);
  CHECK_FALSE(a.tick(t0 + 4s));
  CHECK(c.acceptor.rec.protocol_error->first == error_code::node_down);
  CHECK(c.acceptor.rec.protocol_error->second ==
        "nothing arrived from the peer for 4000 ms (bound 4000 ms)");
  auto frames = parse_frames(c.acceptor.take());
  REQUIRE(!frames.empty());
  CHECK(frames.back().error().code() == static_cast<uint32_t>(error_code::node_down));
  CHECK(frames.back().error().closing());
  CHECK(a.next_deadline() == detail::protocol_clock::time_point::max());
}

TEST_CASE("protocol: any byte from the peer, even of a partial frame, shows it is alive") {
  connection c;
  c.pump(t0);
  auto& a = c.acceptor.proto;
  // The connector's heartbeat arrives in two parts, the first at 3 s.
  CHECK(c.connector.proto.tick(t0 + 3s));
  auto hb = c.connector.take();
  CHECK(feed(a, hb.substr(0, 2), t0 + 3s));
  CHECK(a.tick(t0 + 6999ms));
  CHECK(feed(a, hb.substr(2), t0 + 6999ms));
  CHECK(c.acceptor.rec.events.back() == "heartbeat");
  CHECK(a.tick(t0 + 10998ms));
  CHECK_FALSE(a.tick(t0 + 10999ms));
  CHECK(c.acceptor.rec.protocol_error->first == error_code::node_down);
}

TEST_CASE("protocol: reading nothing is no sign of life") {
  connection c;
  c.pump(t0);
  CHECK(c.acceptor.proto.consume({}, t0 + 3s));
  CHECK_FALSE(c.acceptor.proto.tick(t0 + 4s));
  CHECK(c.acceptor.rec.protocol_error->first == error_code::node_down);
}

TEST_CASE("protocol: two sides exchanging heartbeats stay connected however long") {
  connection c;
  c.pump(t0);
  for (auto t = t0 + 500ms; t < t0 + 60s; t += 500ms) {
    REQUIRE(c.connector.proto.tick(t));
    REQUIRE(c.acceptor.proto.tick(t));
    c.pump(t);
  }
  CHECK(c.connector.proto.current_state() == protocol::state::established);
  CHECK(c.acceptor.proto.current_state() == protocol::state::established);
  CHECK(std::count(c.acceptor.rec.events.begin(), c.acceptor.rec.events.end(), "heartbeat") == 59);
}

TEST_CASE("protocol: a peer that connects and sends nothing is dropped at the handshake timeout") {
  auto cfg = config(22);
  cfg.handshake_timeout = 5s;
  side a{protocol::role::acceptor, cfg};
  a.proto.start(t0);
  CHECK(a.proto.next_deadline() == t0 + 5s);
  CHECK(a.proto.tick(t0 + 4999ms));
  CHECK_FALSE(a.proto.tick(t0 + 5s));
  CHECK(a.rec.protocol_error->first == error_code::handshake_timeout);
  auto frames = parse_frames(a.take());
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].error().code() == static_cast<uint32_t>(error_code::handshake_timeout));
}

TEST_CASE("protocol: a handshake that trickles in still times out at the bound") {
  side a{protocol::role::acceptor, config(22)};
  a.proto.start(t0);
  auto hello = frame_bytes(hello_frame(11, std::string(32, 'z')));
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(feed(a.proto, hello.substr(i, 1), t0 + std::chrono::seconds(i)));
  CHECK_FALSE(a.proto.tick(t0 + 5s)); // bytes arrived, but no handshake within 5 s
  CHECK(a.rec.protocol_error->first == error_code::handshake_timeout);
}
