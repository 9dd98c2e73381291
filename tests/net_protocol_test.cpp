// The wire protocol state machine without sockets: handshake, authentication, and the bad
// input that must close a connection (docs/wire-protocol.md).
#include <doctest/doctest.h>

#include "handshake_crypto.hpp"
#include "net_protocol_harness.hpp"

using namespace troupe::net;
using namespace troupe::net::test;
using detail::protocol;
using state = protocol::state;

namespace {

// Checks that `s` refused the connection with `code`: reported it, wrote a closing Error frame
// with that code, and is closed.
void check_refused(side& s, error_code code) {
  REQUIRE(s.rec.protocol_error.has_value());
  CHECK(s.rec.protocol_error->first == code);
  CHECK(s.closed());
  s.take();
  auto frames = parse_frames(s.sent);
  REQUIRE(!frames.empty());
  const auto& last = frames.back();
  REQUIRE(last.has_error());
  CHECK(last.error().code() == static_cast<uint32_t>(code));
  CHECK(last.error().closing());
  CHECK(!last.error().text().empty());
}

// Feeds the acceptor a Hello and returns its Challenge.
troupe::wire::Challenge challenge_for(side& acceptor, const std::string& nonce,
                                      uint64_t incarnation) {
  REQUIRE(feed(acceptor.proto, frame_bytes(hello_frame(incarnation, nonce)), t0));
  auto frames = parse_frames(acceptor.take());
  REQUIRE(frames.size() == 1);
  REQUIRE(frames[0].has_challenge());
  return frames[0].challenge();
}

} // namespace

TEST_CASE("protocol: a handshake without a secret connects both sides and tells each the other") {
  connection c;
  CHECK(c.connector.proto.current_state() == state::awaiting_challenge);
  CHECK(c.acceptor.proto.current_state() == state::awaiting_hello);
  c.pump();
  for (auto* s : {&c.connector, &c.acceptor}) {
    CHECK(s->proto.current_state() == state::established);
    CHECK(s->rec.events == std::vector<std::string>{"handshake_done"});
  }
  CHECK(c.connector.rec.peer_incarnation == 22);
  CHECK(c.connector.rec.peer_endpoint == "127.0.0.1:2");
  CHECK(c.acceptor.rec.peer_incarnation == 11);
  CHECK(c.acceptor.rec.peer_endpoint == "127.0.0.1:1");
  auto hello = parse_frames(c.connector.sent);
  REQUIRE(hello.size() == 2);
  CHECK(hello[0].hello().version() == 1);
  CHECK(hello[0].hello().nonce().size() == 32);
  CHECK(hello[1].welcome().proof().empty());
}

TEST_CASE("protocol: a handshake with the same secret on both sides proves it both ways") {
  connection c{config(11, "", "s3cret-cookie"), config(22, "unix:/tmp/x", "s3cret-cookie")};
  c.pump();
  CHECK(c.connector.proto.current_state() == state::established);
  CHECK(c.acceptor.proto.current_state() == state::established);
  CHECK(c.connector.rec.peer_endpoint == "unix:/tmp/x");
  CHECK(c.acceptor.rec.peer_endpoint.empty());
  auto to_acceptor = parse_frames(c.connector.sent);
  auto to_connector = parse_frames(c.acceptor.sent);
  CHECK(to_connector.at(0).challenge().proof().size() == 32);
  CHECK(to_acceptor.at(1).welcome().proof().size() == 32);
  // The secret itself never crosses.
  CHECK(c.connector.sent.find("s3cret-cookie") == std::string::npos);
  CHECK(c.acceptor.sent.find("s3cret-cookie") == std::string::npos);
}

TEST_CASE("protocol: a wrong secret is refused with authentication_failed and both sides close") {
  connection c{config(11, "", "alpha"), config(22, "", "bravo")};
  c.pump();
  // The connector checks the acceptor's proof first, refuses it and tells the acceptor.
  check_refused(c.connector, error_code::authentication_failed);
  CHECK(c.connector.rec.events == std::vector<std::string>{"protocol_error authentication_failed"});
  CHECK(c.connector.rec.protocol_error->second ==
        "the peer's proof does not match this node's shared secret");
  CHECK(c.acceptor.closed());
  CHECK(c.acceptor.rec.events == std::vector<std::string>{"peer_error 4 closing"});
  CHECK(c.acceptor.rec.peer_error_texts.at(0) ==
        "the peer's proof does not match this node's shared secret");
}

TEST_CASE("protocol: a secret on only one side is refused with authentication_failed") {
  SUBCASE("the acceptor has one") {
    connection c{config(11), config(22, "", "cookie")};
    c.pump();
    CHECK(c.connector.rec.protocol_error->first == error_code::authentication_failed);
    CHECK(c.connector.rec.protocol_error->second ==
          "the peer proves a shared secret but this node has none configured");
    CHECK(c.acceptor.closed());
  }
  SUBCASE("the connector has one") {
    connection c{config(11, "", "cookie"), config(22)};
    c.pump();
    CHECK(c.connector.rec.protocol_error->first == error_code::authentication_failed);
    CHECK(c.connector.rec.protocol_error->second ==
          "the peer has no shared secret but this node requires one");
    CHECK(c.acceptor.closed());
  }
}

TEST_CASE("protocol: the acceptor checks the connector's proof over its own fresh nonce") {
  auto nonce = *detail::random_bytes(32);
  SUBCASE("a correct proof, computed as documented, is accepted") {
    side acceptor{protocol::role::acceptor, config(22, "", "cookie")};
    acceptor.proto.start(t0);
    auto ch = challenge_for(acceptor, nonce, 11);
    detail::handshake_transcript t{1, nonce, ch.nonce(), 11, 22};
    CHECK(detail::proofs_equal(ch.proof(),
                               detail::handshake_proof("cookie", detail::proof_side::acceptor, t)));
    troupe::wire::Frame w;
    w.mutable_welcome()->set_proof(
      detail::handshake_proof("cookie", detail::proof_side::connector, t));
    CHECK(feed(acceptor.proto, frame_bytes(w), t0));
    CHECK(acceptor.proto.current_state() == state::established);
  }
  SUBCASE("the acceptor's own proof passed back is refused (reflection)") {
    side acceptor{protocol::role::acceptor, config(22, "", "cookie")};
    acceptor.proto.start(t0);
    auto ch = challenge_for(acceptor, nonce, 11);
    troupe::wire::Frame w;
    w.mutable_welcome()->set_proof(ch.proof());
    CHECK_FALSE(feed(acceptor.proto, frame_bytes(w), t0));
    check_refused(acceptor, error_code::authentication_failed);
  }
  SUBCASE("an empty proof is refused") {
    side acceptor{protocol::role::acceptor, config(22, "", "cookie")};
    acceptor.proto.start(t0);
    challenge_for(acceptor, nonce, 11);
    troupe::wire::Frame w;
    w.mutable_welcome();
    CHECK_FALSE(feed(acceptor.proto, frame_bytes(w), t0));
    check_refused(acceptor, error_code::authentication_failed);
  }
}

TEST_CASE("protocol: the handshake proof matches the worked example of docs/wire-protocol.md") {
  std::string cn(32, '\0');
  std::string an(32, '\0');
  for (int i = 0; i < 32; ++i) {
    cn[i] = static_cast<char>(i);        // 00 01 02 ... 1f
    an[i] = static_cast<char>(0x20 + i); // 20 21 22 ... 3f
  }
  detail::handshake_transcript t{1, cn, an, 0x1111111111111111, 0x2222222222222222};
  auto hex = [](const std::string& s) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char ch : s) {
      out.push_back(digits[ch >> 4]);
      out.push_back(digits[ch & 15]);
    }
    return out;
  };
  CHECK(hex(detail::handshake_proof("cookie", detail::proof_side::acceptor, t)) ==
        "a50fc62a7e73bf4672faa2b9fcdba3682f1b010d9175cad0f2952487b5635338");
  CHECK(hex(detail::handshake_proof("cookie", detail::proof_side::connector, t)) ==
        "efa71dac9cb6786255443a9e3fa315efacc0fe4a070d0805d095f7778e386f92");
}

TEST_CASE("protocol: a wrong protocol version is refused with version_mismatch") {
  SUBCASE("in Hello") {
    side acceptor{protocol::role::acceptor, config(22)};
    acceptor.proto.start(t0);
    CHECK_FALSE(feed(acceptor.proto, frame_bytes(hello_frame(11, std::string(32, 'n'), 2)), t0));
    check_refused(acceptor, error_code::version_mismatch);
    CHECK(acceptor.rec.protocol_error->second ==
          "the peer speaks protocol version 2, this node speaks 1");
  }
  SUBCASE("in Challenge") {
    side connector{protocol::role::connector, config(11)};
    connector.proto.start(t0);
    connector.take();
    troupe::wire::Frame f;
    auto* ch = f.mutable_challenge();
    ch->set_version(7);
    ch->set_incarnation(22);
    ch->set_nonce(std::string(32, 'm'));
    CHECK_FALSE(feed(connector.proto, frame_bytes(f), t0));
    check_refused(connector, error_code::version_mismatch);
  }
}

TEST_CASE("protocol: a replayed Hello nonce is refused with replayed_challenge") {
  detail::replay_guard node_guard; // one node, two connections
  side first{protocol::role::acceptor, config(22), &node_guard};
  side second{protocol::role::acceptor, config(22), &node_guard};
  first.proto.start(t0);
  second.proto.start(t0);
  auto hello = frame_bytes(hello_frame(11, *detail::random_bytes(32)));
  CHECK(feed(first.proto, hello, t0));
  CHECK(first.proto.current_state() == state::awaiting_welcome);
  CHECK_FALSE(feed(second.proto, hello, t0));
  check_refused(second, error_code::replayed_challenge);
}

TEST_CASE("protocol: a Challenge that echoes the connector's own nonce is refused") {
  side connector{protocol::role::connector, config(11)};
  connector.proto.start(t0);
  auto hello = parse_frames(connector.take()).at(0).hello();
  troupe::wire::Frame f;
  auto* ch = f.mutable_challenge();
  ch->set_version(1);
  ch->set_incarnation(22);
  ch->set_nonce(hello.nonce());
  CHECK_FALSE(feed(connector.proto, frame_bytes(f), t0));
  check_refused(connector, error_code::replayed_challenge);
}

TEST_CASE("protocol: the replay guard forgets the oldest nonces beyond its capacity") {
  detail::replay_guard guard{2};
  CHECK(guard.admit("a"));
  CHECK(guard.admit("b"));
  CHECK_FALSE(guard.admit("b"));
  CHECK(guard.admit("c")); // forgets "a"
  CHECK(guard.size() == 2);
  CHECK(guard.admit("a"));
  CHECK_FALSE(guard.admit("c"));
}

TEST_CASE("protocol: a Hello with a short nonce or no incarnation fails the handshake") {
  side a{protocol::role::acceptor, config(22)};
  a.proto.start(t0);
  CHECK_FALSE(feed(a.proto, frame_bytes(hello_frame(11, "short")), t0));
  check_refused(a, error_code::handshake_failed);
  side b{protocol::role::acceptor, config(22)};
  b.proto.start(t0);
  CHECK_FALSE(feed(b.proto, frame_bytes(hello_frame(0, std::string(32, 'x'))), t0));
  check_refused(b, error_code::handshake_failed);
}

TEST_CASE("protocol: a length prefix over the limit is refused before any of its body") {
  auto cfg = config(22);
  cfg.max_frame_size = 65536;
  side a{protocol::role::acceptor, cfg};
  a.proto.start(t0);
  std::string prefix{0, 1, 0, 1}; // 65537
  CHECK(feed(a.proto, prefix.substr(0, 3), t0));
  CHECK_FALSE(feed(a.proto, prefix.substr(3), t0));
  check_refused(a, error_code::frame_too_large);
  CHECK(a.rec.protocol_error->second == "a frame length of 65537 bytes exceeds the limit of 65536");
  // Input after the refusal is ignored.
  CHECK_FALSE(feed(a.proto, std::string(70000, 'x'), t0));
  CHECK(a.take().empty());
}

TEST_CASE("protocol: a frame of length 0 is refused with empty_frame") {
  side a{protocol::role::acceptor, config(22)};
  a.proto.start(t0);
  CHECK_FALSE(feed(a.proto, std::string(4, '\0'), t0));
  check_refused(a, error_code::empty_frame);
}

TEST_CASE("protocol: noise bytes are refused and the connection closes") {
  SUBCASE("text that reads as a huge length") {
    side a{protocol::role::acceptor, config(22)};
    a.proto.start(t0);
    CHECK_FALSE(feed(a.proto, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", t0));
    check_refused(a, error_code::frame_too_large);
  }
  SUBCASE("a small length followed by bytes that do not parse") {
    side a{protocol::role::acceptor, config(22)};
    a.proto.start(t0);
    CHECK_FALSE(feed(a.proto, frame_of(std::string(8, '\xff')), t0));
    check_refused(a, error_code::malformed_frame);
  }
  SUBCASE("a truncated field inside a frame") {
    side a{protocol::role::acceptor, config(22)};
    a.proto.start(t0);
    CHECK_FALSE(
      feed(a.proto, frame_of(std::string{"\x0a\x10\x08"}), t0)); // Hello of 16 bytes, 1 there
    check_refused(a, error_code::malformed_frame);
  }
}

TEST_CASE("protocol: a frame of an unknown kind is refused with unknown_frame_kind") {
  SUBCASE("an unknown field number") {
    side a{protocol::role::acceptor, config(22)};
    a.proto.start(t0);
    CHECK_FALSE(feed(a.proto, frame_of(std::string{"\x98\x06\x01", 3}), t0)); // field 99 = 1
    check_refused(a, error_code::unknown_frame_kind);
  }
  SUBCASE("after the handshake too") {
    connection c;
    c.pump();
    CHECK_FALSE(feed(c.acceptor.proto, frame_of(std::string{"\x98\x06\x01", 3}), t0));
    check_refused(c.acceptor, error_code::unknown_frame_kind);
  }
}

TEST_CASE("protocol: data before the handshake is refused with unexpected_frame") {
  SUBCASE("a heartbeat instead of Hello") {
    side a{protocol::role::acceptor, config(22)};
    a.proto.start(t0);
    troupe::wire::Frame f;
    f.mutable_heartbeat();
    CHECK_FALSE(feed(a.proto, frame_bytes(f), t0));
    check_refused(a, error_code::unexpected_frame);
    CHECK(a.rec.protocol_error->second == "Heartbeat before Hello");
  }
  SUBCASE("a batch after Hello, before Welcome") {
    side a{protocol::role::acceptor, config(22)};
    a.proto.start(t0);
    challenge_for(a, *detail::random_bytes(32), 11);
    troupe::wire::Frame f;
    f.mutable_batch()->add_messages()->set_target_id(1);
    CHECK_FALSE(feed(a.proto, frame_bytes(f), t0));
    check_refused(a, error_code::unexpected_frame);
    CHECK(a.rec.events == std::vector<std::string>{"protocol_error unexpected_frame"});
  }
  SUBCASE("a second Hello after the handshake") {
    connection c;
    c.pump();
    CHECK_FALSE(feed(c.acceptor.proto, frame_bytes(hello_frame(11, std::string(32, 'q'))), t0));
    check_refused(c.acceptor, error_code::unexpected_frame);
  }
}

TEST_CASE("protocol: the connector refuses frames before it sent Hello") {
  side c{protocol::role::connector, config(11)};
  troupe::wire::Frame f;
  f.mutable_heartbeat();
  CHECK_FALSE(feed(c.proto, frame_bytes(f), t0));
  check_refused(c, error_code::unexpected_frame);
}
