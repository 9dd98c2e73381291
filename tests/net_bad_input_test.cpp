// Hostile and broken input from a raw-socket client against a node in another process: each
// protocol violation closes that one connection with an Error frame; each failed message is
// answered with an Error frame and the connection lives; and afterwards the node still serves
// a normal client.

#include <string>

#include <caf/all.hpp>

#include "net/node_fixture.hpp"
#include "net/raw_client.hpp"
#include "test_helpers.hpp"
#include "troupe/net/error.hpp"

using namespace std::chrono_literals;
using troupe::net::error_code;
using troupe::test::net_system;
using troupe::test::patience;
using troupe::test::raw_client;
using troupe::test::start_node;

namespace {

uint32_t code(error_code x) {
  return static_cast<uint32_t>(x);
}

/// A node with a short handshake timeout, so the silent-peer case stays quick.
troupe::test::remote_node hostile_target() {
  return start_node("127.0.0.1:0", {"--troupe.net.handshake-timeout=300ms"});
}

/// Checks that a normal troupe client is still served by the node at `endpoint`.
void still_serves(const std::string& endpoint) {
  net_system local;
  auto reply = local.sys.request<int32_t>("echo@" + endpoint, patience, int32_t{99});
  REQUIRE(reply);
  CHECK(*reply == 99);
}

/// Sends `bytes` on a fresh connection and expects a closing Error frame with `expected`.
void expect_refusal(const std::string& endpoint, const std::string& bytes, error_code expected,
                    bool after_handshake = false) {
  raw_client client{endpoint};
  if (after_handshake)
    REQUIRE(client.handshake());
  client.write_raw(bytes);
  auto frame = client.read_non_heartbeat(patience);
  REQUIRE(frame.has_value());
  REQUIRE(frame->has_error());
  CHECK(frame->error().code() == code(expected));
  CHECK(frame->error().closing());
  CHECK(client.closed_by_peer(patience));
}

} // namespace

TEST_CASE("bad_input: each protocol violation closes only its own connection") {
  auto node = hostile_target();
  auto& ep = node.endpoint;
  SUBCASE("noise bytes") {
    expect_refusal(ep, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", error_code::frame_too_large);
  }
  SUBCASE("a length prefix over the frame limit") {
    expect_refusal(ep, raw_client::length_prefix(0x7FFFFFFF), error_code::frame_too_large);
  }
  SUBCASE("a frame that does not parse") {
    expect_refusal(ep, raw_client::length_prefix(4) + "\xFF\xFF\xFF\xFF",
                   error_code::malformed_frame);
  }
  SUBCASE("an empty frame") {
    expect_refusal(ep, raw_client::length_prefix(0), error_code::empty_frame);
  }
  SUBCASE("an unknown frame kind") {
    // Field 99, varint 1: a valid Protobuf message with no known kind set.
    std::string body{"\x98\x06\x01", 3};
    expect_refusal(ep, raw_client::length_prefix(3) + body, error_code::unknown_frame_kind);
  }
  SUBCASE("data before the handshake") {
    expect_refusal(ep, raw_client::encode(raw_client::request_frame("echo", 1, 1)),
                   error_code::unexpected_frame);
  }
  SUBCASE("a wrong protocol version") {
    raw_client client{ep};
    CHECK(!client.handshake(99));
    CHECK(client.closed_by_peer(patience));
  }
  SUBCASE("a peer that connects and sends nothing") {
    raw_client client{ep};
    CHECK(client.closed_by_peer(patience));
  }
  still_serves(ep);
}

TEST_CASE("bad_input: thousands of connections opened and dropped leave the node serving") {
  auto node = hostile_target();
  for (int i = 0; i < 2000; ++i) {
    raw_client client{node.endpoint};
    if (i % 2 == 0)
      client.write_raw("x");
  }
  still_serves(node.endpoint);
}

TEST_CASE("bad_input: a failed message gets an error frame and the connection lives") {
  auto node = hostile_target();
  raw_client client{node.endpoint};
  REQUIRE(client.handshake());
  auto expect_error = [&](error_code expected, uint64_t request_id) {
    auto frame = client.read_non_heartbeat(patience);
    REQUIRE(frame.has_value());
    REQUIRE(frame->has_error());
    CHECK(frame->error().code() == code(expected));
    CHECK(!frame->error().closing());
    CHECK(frame->error().request_id() == request_id);
  };
  client.write_frame(raw_client::request_frame("nobody", 1, 11));
  expect_error(error_code::unknown_target, 11);
  client.write_frame(raw_client::request_frame("echo", 1, 12, "type.googleapis.com/no.Such"));
  expect_error(error_code::unknown_type, 12);
  troupe::wire::Frame stray_reply;
  auto* msg = stray_reply.mutable_batch()->add_messages();
  msg->set_reply_to(777);
  client.write_frame(stray_reply);
  auto frame = client.read_non_heartbeat(patience);
  REQUIRE(frame.has_value());
  REQUIRE(frame->has_error());
  CHECK(frame->error().code() == code(error_code::unknown_request));
  CHECK(!frame->error().closing());
  // Still open: a valid request, written one byte at a time, is answered.
  client.write_bytewise(raw_client::encode(raw_client::request_frame("echo", 5, 13)));
  auto reply = client.read_non_heartbeat(patience);
  REQUIRE(reply.has_value());
  REQUIRE(reply->has_batch());
  REQUIRE(reply->batch().messages_size() == 1);
  CHECK(reply->batch().messages(0).reply_to() == 13);
  still_serves(node.endpoint);
}

TEST_CASE("bad_input: a peer that sends its handshake one byte at a time is served") {
  auto node = hostile_target();
  raw_client client{node.endpoint};
  troupe::wire::Frame hello;
  auto* h = hello.mutable_hello();
  h->set_version(1);
  h->set_incarnation(raw_client::random64());
  h->set_nonce(raw_client::random_bytes(32));
  h->set_max_frame_size(1 << 20);
  client.write_bytewise(raw_client::encode(hello));
  auto challenge = client.read_non_heartbeat(patience);
  REQUIRE(challenge.has_value());
  REQUIRE(challenge->has_challenge());
  troupe::wire::Frame welcome;
  welcome.mutable_welcome();
  client.write_bytewise(raw_client::encode(welcome));
  client.write_bytewise(raw_client::encode(raw_client::request_frame("echo", 8, 1)));
  auto reply = client.read_non_heartbeat(patience);
  REQUIRE(reply.has_value());
  REQUIRE(reply->has_batch());
  CHECK(reply->batch().messages(0).reply_to() == 1);
}
