// The wire protocol state machine without sockets: batches of messages, their de-duplicated
// tables, their limits, and per-message errors that keep the connection.
#include <doctest/doctest.h>

#include "net_protocol_harness.hpp"

using namespace troupe::net;
using namespace troupe::net::test;
using detail::message_view;
using detail::payload_view;
using detail::protocol;

namespace {

const std::string point_url = "type.googleapis.com/troupe.test.Point";

troupe::wire::Batch only_batch(side& s) {
  auto frames = parse_frames(s.take());
  REQUIRE(frames.size() == 1);
  REQUIRE(frames[0].has_batch());
  return frames[0].batch();
}

} // namespace

TEST_CASE("protocol: a batch of many messages to one target with one type lists each once") {
  connection c;
  c.pump();
  std::string value = "\x08\x2a"; // Int32Value{value: 42}
  payload_view p[] = {{int32_url, value}};
  for (int i = 0; i < 100; ++i)
    REQUIRE(!c.connector.proto.add_message(to_name("counter", p, 7)));
  CHECK(c.connector.proto.output().empty()); // still in the open batch
  c.connector.proto.flush();
  auto bytes = c.connector.take();
  auto frames = parse_frames(bytes);
  REQUIRE(frames.size() == 1);
  const auto& b = frames[0].batch();
  CHECK(b.type_urls_size() == 1);
  CHECK(b.type_urls(0) == int32_url);
  CHECK(b.target_names_size() == 1);
  CHECK(b.target_names(0) == "counter");
  CHECK(b.sender_ids_size() == 1);
  CHECK(b.sender_ids(0) == 7);
  REQUIRE(b.messages_size() == 100);
  for (const auto& m : b.messages()) {
    CHECK(m.target_name() == 1);
    CHECK(m.sender() == 1);
    CHECK(m.payload(0).type() == 0);
  }
  CHECK(feed(c.acceptor.proto, bytes, t0));
  recorded_message expected{0, "counter", 7, 0, 0, {{int32_url, value}}, std::nullopt};
  REQUIRE(c.acceptor.rec.messages.size() == 100);
  for (const auto& m : c.acceptor.rec.messages)
    CHECK(m == expected);
}

TEST_CASE("protocol: a mixed batch arrives in order, each message as it was sent") {
  connection c;
  c.pump();
  std::string empty_value;
  payload_view two[] = {{string_url, "\x0a\x02hi"}, {int32_url, "\x08\x01"}};
  payload_view point[] = {{point_url, "\x08\x03\x10\x04"}};
  payload_view none[] = {{point_url, empty_value}};
  detail::error_view refusal{5, "system", "unexpected message"};
  std::vector<message_view> sent;
  sent.push_back(to_name("say_hello", two, 3));
  message_view by_id;
  by_id.target.id = 42;
  by_id.request_id = 1001;
  by_id.sender_id = 4;
  by_id.payload = point;
  sent.push_back(by_id);
  message_view reply;
  reply.reply_to = 77;
  reply.sender_id = 3;
  reply.payload = none;
  sent.push_back(reply);
  message_view error_reply;
  error_reply.reply_to = 78;
  error_reply.error = &refusal;
  sent.push_back(error_reply);
  sent.push_back(to_name("say_hi", point, 3));
  sent.push_back(to_name("say_hello", point));
  for (const auto& m : sent)
    REQUIRE(!c.connector.proto.add_message(m));
  c.connector.proto.flush();
  auto bytes = c.connector.take();
  auto frames = parse_frames(bytes);
  REQUIRE(frames.size() == 1);
  const auto& b = frames[0].batch();
  CHECK(b.type_urls_size() == 3);
  CHECK(b.target_names_size() == 2);
  CHECK(b.sender_ids_size() == 2);
  CHECK(b.messages(5).sender() == 0);
  CHECK(feed(c.acceptor.proto, bytes, t0));
  REQUIRE(c.acceptor.rec.messages.size() == sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i)
    CHECK(c.acceptor.rec.messages[i] == record(sent[i]));
  CHECK(c.acceptor.rec.events == std::vector<std::string>{"handshake_done", "message", "message",
                                                          "reply 77", "reply 78", "message",
                                                          "message"});
}

TEST_CASE("protocol: every frame has its own tables") {
  connection c;
  c.pump();
  payload_view p[] = {{int32_url, "\x08\x01"}};
  for (int i = 0; i < 2; ++i) {
    REQUIRE(!c.connector.proto.add_message(to_name("counter", p, 9)));
    c.connector.proto.flush();
    auto b = only_batch(c.connector);
    CHECK(b.type_urls_size() == 1);
    CHECK(b.target_names_size() == 1);
    CHECK(b.sender_ids_size() == 1);
  }
}

TEST_CASE("protocol: a batch is closed at its message count and at its byte bound") {
  SUBCASE("count") {
    auto cfg = config(11);
    cfg.max_batch_messages = 10;
    connection c{cfg, config(22)};
    c.pump();
    payload_view p[] = {{int32_url, "\x08\x01"}};
    for (int i = 0; i < 25; ++i)
      REQUIRE(!c.connector.proto.add_message(to_name("counter", p)));
    CHECK(parse_frames(
            std::string{c.connector.proto.output().begin(), c.connector.proto.output().end()})
            .size() == 2);
    c.connector.proto.flush();
    auto frames = parse_frames(c.connector.take());
    REQUIRE(frames.size() == 3);
    CHECK(frames[0].batch().messages_size() == 10);
    CHECK(frames[1].batch().messages_size() == 10);
    CHECK(frames[2].batch().messages_size() == 5);
  }
  SUBCASE("bytes") {
    auto cfg = config(11);
    cfg.max_batch_bytes = 1000;
    connection c{cfg, config(22)};
    c.pump();
    std::string big(300, 'v');
    payload_view p[] = {{string_url, big}};
    for (int i = 0; i < 10; ++i)
      REQUIRE(!c.connector.proto.add_message(to_name("counter", p)));
    c.connector.proto.flush();
    auto bytes = c.connector.take();
    auto frames = parse_frames(bytes);
    CHECK(frames.size() == 3); // 4 + 4 + 2 messages: a batch closes once it reaches 1000 bytes
    for (const auto& f : frames)
      CHECK(f.batch().messages_size() <= 4);
    CHECK(feed(c.acceptor.proto, bytes, t0));
    CHECK(c.acceptor.rec.messages.size() == 10);
  }
}

TEST_CASE("protocol: a message over the peer's frame limit fails at the sender, alone") {
  auto acceptor_cfg = config(22);
  acceptor_cfg.max_frame_size = 65536;
  connection c{config(11), acceptor_cfg};
  c.pump();
  CHECK(c.connector.proto.send_limit() == 65536);
  payload_view small[] = {{int32_url, "\x08\x01"}};
  REQUIRE(!c.connector.proto.add_message(to_name("counter", small)));
  std::string huge(70000, 'h');
  payload_view too_big[] = {{string_url, huge}};
  auto err = c.connector.proto.add_message(to_name("counter", too_big));
  CHECK(err == make_error(error_code::frame_too_large));
  std::string fits(65400, 'f');
  payload_view ok[] = {{string_url, fits}};
  REQUIRE(!c.connector.proto.add_message(to_name("counter", ok)));
  c.connector.proto.flush();
  auto bytes = c.connector.take();
  auto frames = parse_frames(bytes);
  CHECK(frames.size() == 2); // the big one did not fit beside the small one
  for (const auto& f : frames)
    CHECK(f.ByteSizeLong() <= 65536);
  CHECK(feed(c.acceptor.proto, bytes, t0));
  REQUIRE(c.acceptor.rec.messages.size() == 2);
  CHECK(c.acceptor.rec.messages[1].payload[0].second == fits);
  CHECK(c.connector.proto.current_state() == protocol::state::established);
}

TEST_CASE("protocol: a frame limit under 64 KiB is raised to 64 KiB") {
  auto cfg = config(22);
  cfg.max_frame_size = 100;
  connection c{config(11), cfg};
  c.pump();
  CHECK(c.connector.proto.send_limit() == detail::min_frame_size);
  CHECK(c.acceptor.proto.current_state() == protocol::state::established);
}

TEST_CASE("protocol: a peer announcing a frame limit under 64 KiB is refused") {
  side connector{protocol::role::connector, config(11)};
  connector.proto.start(t0);
  connector.take(); // the Hello
  troupe::wire::Frame f;
  auto* ch = f.mutable_challenge();
  ch->set_version(1);
  ch->set_incarnation(22);
  ch->set_nonce(std::string(32, 'c'));
  ch->set_max_frame_size(4096);
  CHECK_FALSE(feed(connector.proto, frame_bytes(f), t0));
  REQUIRE(connector.rec.protocol_error.has_value());
  CHECK(connector.rec.protocol_error->first == error_code::handshake_failed);
  CHECK(connector.rec.protocol_error->second ==
        "Challenge.max_frame_size must be 0 or at least 65536, got 4096");
}

TEST_CASE("protocol: a target name or type URL that is not UTF-8 fails alone at the sender") {
  connection c;
  c.pump();
  payload_view good[] = {{int32_url, "\x08\x01"}};
  payload_view bad_type[] = {{"type.googleapis.com/\xff", "\x08\x01"}};
  REQUIRE(!c.connector.proto.add_message(to_name("counter", good)));
  CHECK(c.connector.proto.add_message(to_name("caf\xc3(", good)) ==
        make_error(error_code::cannot_cross));
  CHECK(c.connector.proto.add_message(to_name("counter", bad_type)) ==
        make_error(error_code::cannot_cross));
  REQUIRE(!c.connector.proto.add_message(to_name("counter", good)));
  c.connector.proto.flush();
  auto bytes = c.connector.take();
  auto b = parse_frames(bytes).at(0).batch();
  CHECK(b.messages_size() == 2);
  CHECK(b.type_urls_size() == 1);
  CHECK(b.target_names_size() == 1);
  CHECK(feed(c.acceptor.proto, bytes, t0));
  CHECK(c.acceptor.rec.messages.size() == 2);
}

TEST_CASE(
  "protocol: texts that are not UTF-8 or too long are repaired, never refused by the peer") {
  connection c;
  c.pump();
  std::string bad = "caf\xc3(\xed\xa0\x80!"; // a cut sequence, a surrogate
  std::string repaired = "caf\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!";
  detail::error_view refusal{5, "system", bad};
  message_view reply;
  reply.reply_to = 3;
  reply.error = &refusal;
  REQUIRE(!c.connector.proto.add_message(reply));
  c.connector.proto.send_error(error_code::unknown_type, bad, 4, 0);
  std::string long_text(5000, 'x');
  long_text.replace(4094, 3, "\xe2\x82\xac"); // a 3-byte character across the 4096 mark
  c.connector.proto.send_down({7, {}}, {1, "exit", long_text});
  c.connector.proto.send_goodbye(bad);
  c.pump();
  REQUIRE(c.acceptor.rec.messages.size() == 1);
  CHECK(c.acceptor.rec.messages[0].error->text == repaired);
  CHECK(c.acceptor.rec.peer_error_texts.at(0) == repaired);
  CHECK(c.acceptor.rec.events.at(3) == "down 7  1 exit " + long_text.substr(0, 4094));
  CHECK(c.acceptor.rec.events.at(4) == "goodbye " + repaired);
}

TEST_CASE("protocol: messages added before the handshake is done are held, then delivered") {
  connection c;
  payload_view p[] = {{int32_url, "\x08\x05"}};
  REQUIRE(!c.connector.proto.add_message(to_name("counter", p)));
  c.connector.proto.flush();
  CHECK(c.connector.proto.held_bytes() > 0);
  auto hello = c.connector.take();
  CHECK(parse_frames(hello).size() == 1); // only the Hello
  CHECK(feed(c.acceptor.proto, hello, t0));
  c.pump();
  CHECK(c.connector.proto.held_bytes() == 0);
  CHECK(c.acceptor.rec.events == std::vector<std::string>{"handshake_done", "message"});
}

TEST_CASE("protocol: an undeliverable message is rejected alone and the connection lives") {
  connection c;
  c.pump();
  c.acceptor.rec.known_names = std::set<std::string>{"counter"};
  payload_view p[] = {{int32_url, "\x08\x05"}};
  REQUIRE(!c.connector.proto.add_message(to_name("counter", p, 9)));
  auto ghost = to_name("ghost", p, 9);
  ghost.request_id = 5;
  REQUIRE(!c.connector.proto.add_message(ghost));
  REQUIRE(!c.connector.proto.add_message(to_name("counter", p, 9)));
  c.connector.proto.flush();
  c.pump();
  CHECK(c.acceptor.rec.events ==
        std::vector<std::string>{"handshake_done", "message", "rejected ghost", "message"});
  REQUIRE(c.connector.rec.peer_errors.size() == 1);
  const auto& e = c.connector.rec.peer_errors[0];
  CHECK(e.code == static_cast<uint32_t>(error_code::unknown_target));
  CHECK_FALSE(e.closing);
  CHECK(e.request_id == 5);
  CHECK(e.actor_id == 9);
  CHECK(c.connector.rec.peer_error_texts[0] == "no actor named ghost");
  CHECK(c.connector.proto.current_state() == protocol::state::established);
  CHECK(c.acceptor.proto.current_state() == protocol::state::established);
}

TEST_CASE("protocol: a malformed batch closes the connection before any message is delivered") {
  auto check_malformed = [](auto&& shape) {
    connection c;
    c.pump();
    troupe::wire::Frame f;
    auto* b = f.mutable_batch();
    b->add_messages()->set_target_id(1); // a good message first: it must not be delivered
    shape(*b, *b->add_messages());
    CHECK_FALSE(feed(c.acceptor.proto, frame_bytes(f), t0));
    CHECK(c.acceptor.rec.protocol_error->first == error_code::malformed_frame);
    CHECK(c.acceptor.rec.messages.empty());
  };
  using batch = troupe::wire::Batch;
  using msg = troupe::wire::Message;
  check_malformed([](batch&, msg& m) { m.set_target_name(1); });
  check_malformed([](batch&, msg& m) {
    m.set_target_id(1);
    m.set_sender(1);
  });
  check_malformed([](batch& b, msg& m) {
    b.add_type_urls(int32_url);
    m.set_target_id(1);
    m.add_payload()->set_type(1);
  });
  check_malformed([](batch&, msg&) {}); // neither target nor reply_to
  check_malformed([](batch&, msg& m) {
    m.set_reply_to(3);
    m.set_request_id(4);
  });
  check_malformed([](batch&, msg& m) {
    m.set_target_id(1);
    m.mutable_error()->set_code(1);
  });
}

TEST_CASE("protocol: add_message refuses a message without target, or both request and reply") {
  connection c;
  c.pump();
  message_view m;
  CHECK(c.connector.proto.add_message(m) == make_error(error_code::malformed_frame));
  m.reply_to = 1;
  m.request_id = 2;
  CHECK(c.connector.proto.add_message(m) == make_error(error_code::malformed_frame));
  c.connector.proto.flush();
  CHECK(c.connector.take().empty());
}

TEST_CASE("protocol: control frames keep their order with the messages sent before them") {
  connection c;
  c.pump();
  payload_view p[] = {{int32_url, "\x08\x05"}};
  REQUIRE(!c.connector.proto.add_message(to_name("counter", p)));
  c.connector.proto.send_down({12, {}}, {0, "exit", ""});
  REQUIRE(!c.connector.proto.add_message(to_name("counter", p)));
  c.connector.proto.send_goodbye("shutdown");
  CHECK(c.connector.closed());
  CHECK(c.connector.proto.add_message(to_name("counter", p)) ==
        make_error(error_code::unexpected_frame));
  c.pump();
  CHECK(c.acceptor.rec.events == std::vector<std::string>{"handshake_done", "message",
                                                          "down 12  0 exit ", "message",
                                                          "goodbye shutdown"});
  CHECK(c.acceptor.closed());
}

TEST_CASE("protocol: alternating and empty type URLs get the right table entries") {
  connection c;
  c.pump();
  std::vector<std::string> urls{"a", "b", "a", "", "b", "", "a"};
  std::vector<std::string> values;
  for (std::size_t i = 0; i < urls.size(); ++i)
    values.emplace_back(1, static_cast<char>('0' + i));
  for (std::size_t i = 0; i < urls.size(); ++i) {
    payload_view p[] = {{urls[i], values[i]}};
    REQUIRE(!c.connector.proto.add_message(to_name("counter", p)));
  }
  c.connector.proto.flush();
  auto bytes = c.connector.take();
  CHECK(parse_frames(bytes).at(0).batch().type_urls_size() == 3);
  CHECK(feed(c.acceptor.proto, bytes, t0));
  REQUIRE(c.acceptor.rec.messages.size() == urls.size());
  for (std::size_t i = 0; i < urls.size(); ++i) {
    CHECK(c.acceptor.rec.messages[i].payload.at(0).first == urls[i]);
    CHECK(c.acceptor.rec.messages[i].payload.at(0).second == values[i]);
  }
}

TEST_CASE("protocol: a goodbye sent from a callback stops the rest of the batch") {
  connection c;
  c.pump();
  payload_view p[] = {{int32_url, "\x08\x05"}};
  for (int i = 0; i < 3; ++i)
    REQUIRE(!c.connector.proto.add_message(to_name("counter", p)));
  c.connector.proto.flush();
  c.acceptor.rec.after_message = [&] { c.acceptor.proto.send_goodbye("enough"); };
  CHECK_FALSE(feed(c.acceptor.proto, c.connector.take(), t0));
  CHECK(c.acceptor.rec.messages.size() == 1);
  CHECK(c.acceptor.closed());
  c.pump();
  CHECK(c.connector.rec.events.back() == "goodbye enough");
}

TEST_CASE("protocol: a callback may feed another connection while a frame is being read") {
  connection first;
  connection second;
  first.pump();
  second.pump();
  payload_view p[] = {{int32_url, "\x08\x05"}};
  REQUIRE(!first.connector.proto.add_message(to_name("counter", p)));
  REQUIRE(!first.connector.proto.add_message(to_name("counter", p)));
  first.connector.proto.flush();
  REQUIRE(!second.connector.proto.add_message(to_name("other", p)));
  second.connector.proto.flush();
  auto inner = second.connector.take();
  first.acceptor.rec.after_message = [&] {
    if (!inner.empty())
      CHECK(feed(second.acceptor.proto, std::exchange(inner, {}), t0));
  };
  CHECK(feed(first.acceptor.proto, first.connector.take(), t0));
  CHECK(first.acceptor.rec.messages.size() == 2);
  CHECK(first.acceptor.rec.messages[1].target_name == "counter");
  REQUIRE(second.acceptor.rec.messages.size() == 1);
  CHECK(second.acceptor.rec.messages[0].target_name == "other");
}
