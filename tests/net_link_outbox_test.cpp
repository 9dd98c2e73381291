// A link's outbox on its own: messages encoded on their senders' threads into the open batch,
// control frames after them, batches closed at their bounds with fresh tables, the frame limit
// and UTF-8 checks at the sender, and the senders told about messages that never left.

#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <doctest/doctest.h>

#include "link_outbox.hpp"
#include "net_protocol_harness.hpp"
#include "troupe/net/error.hpp"

using namespace troupe::net;
using namespace troupe::net::test;
using detail::link_outbox;
using detail::message_view;
using detail::outgoing;
using detail::payload_view;

namespace {

constexpr uint32_t limit = 64 * 1024;

/// Everything in `box`, as frames.
std::vector<troupe::wire::Frame> take_frames(link_outbox& box) {
  std::vector<char> out;
  box.take(out);
  return parse_frames(std::string{out.begin(), out.end()});
}

bool has_code(const caf::error& err, error_code code) {
  return err.category() == net_error_category && err.code() == static_cast<uint8_t>(code);
}

} // namespace

TEST_CASE("link outbox: messages become one batch with each table value once, in order") {
  link_outbox box{64 * 1024, 1000, limit};
  std::string forty_two = "\x08\x2a";
  std::string hello = "\x0a\x05hello";
  payload_view ints[] = {{int32_url, forty_two}};
  payload_view mixed[] = {{string_url, hello}, {int32_url, forty_two}};
  REQUIRE(!box.add_message(to_name("counter", ints, 7), nullptr));
  REQUIRE(!box.add_message(to_name("printer", mixed, 8), nullptr));
  REQUIRE(!box.add_message(to_name("counter", mixed, 7), nullptr));
  CHECK(!box.empty());
  CHECK(box.bytes() > 0);
  auto frames = take_frames(box);
  CHECK(box.empty());
  CHECK(box.bytes() == 0);
  REQUIRE(frames.size() == 1);
  REQUIRE(frames[0].has_batch());
  const auto& b = frames[0].batch();
  REQUIRE(b.type_urls_size() == 2);
  CHECK(b.type_urls(0) == int32_url);
  CHECK(b.type_urls(1) == string_url);
  REQUIRE(b.target_names_size() == 2);
  CHECK(b.target_names(0) == "counter");
  CHECK(b.target_names(1) == "printer");
  REQUIRE(b.sender_ids_size() == 2);
  CHECK(b.sender_ids(0) == 7);
  CHECK(b.sender_ids(1) == 8);
  REQUIRE(b.messages_size() == 3);
  CHECK(b.messages(0).target_name() == 1);
  CHECK(b.messages(0).sender() == 1);
  CHECK(b.messages(1).target_name() == 2);
  CHECK(b.messages(1).sender() == 2);
  REQUIRE(b.messages(1).payload_size() == 2);
  CHECK(b.messages(1).payload(0).type() == 1);
  CHECK(b.messages(1).payload(0).value() == hello);
  CHECK(b.messages(1).payload(1).type() == 0);
  CHECK(b.messages(2).target_name() == 1);
  CHECK(b.messages(2).sender() == 1);
}

TEST_CASE("link outbox: its frames are byte for byte those a connection's protocol writes") {
  connection c;
  c.pump();
  c.connector.take();
  link_outbox box{64 * 1024, 1000, limit};
  std::string value = "\x08\x2a";
  payload_view p[] = {{int32_url, value}};
  for (uint64_t i = 0; i < 50; ++i) {
    auto m = to_name(i % 3 == 0 ? "a" : "b", p, 1 + i % 2);
    if (i % 5 == 0)
      m.request_id = i + 1;
    REQUIRE(!box.add_message(m, nullptr));
    REQUIRE(!c.connector.proto.add_message(m));
  }
  c.connector.proto.flush();
  std::vector<char> out;
  box.take(out);
  CHECK(std::string{out.begin(), out.end()} == c.connector.take());
}

TEST_CASE("link outbox: batches close at their bounds and every frame has its own tables") {
  link_outbox box{64 * 1024, 2, limit};
  std::string value = "\x08\x2a";
  payload_view p[] = {{int32_url, value}};
  for (int i = 0; i < 5; ++i)
    REQUIRE(!box.add_message(to_name("counter", p, 7), nullptr));
  auto frames = take_frames(box);
  REQUIRE(frames.size() == 3); // 2 + 2 + the 1 left open, closed by take
  for (const auto& f : frames) {
    REQUIRE(f.has_batch());
    CHECK(f.batch().type_urls_size() == 1);
    CHECK(f.batch().target_names_size() == 1);
    CHECK(f.batch().sender_ids_size() == 1);
  }
  CHECK(frames[0].batch().messages_size() == 2);
  CHECK(frames[1].batch().messages_size() == 2);
  CHECK(frames[2].batch().messages_size() == 1);

  // The byte bound: 10 KiB values, closed once 64 KiB of messages are in.
  link_outbox bytes_box{64 * 1024, 1000, 1024 * 1024};
  std::string big(10 * 1024, 'x');
  payload_view q[] = {{string_url, big}};
  for (int i = 0; i < 8; ++i)
    REQUIRE(!bytes_box.add_message(to_name("sink", q), nullptr));
  auto closed = take_frames(bytes_box);
  REQUIRE(closed.size() == 2);
  CHECK(closed[0].batch().messages_size() == 7);
  CHECK(closed[1].batch().messages_size() == 1);
}

TEST_CASE("link outbox: a message that does not fit next to the open batch starts a new frame") {
  link_outbox box{1024 * 1024, 1000, limit};
  std::string big(40 * 1024, 'x');
  payload_view q[] = {{string_url, big}};
  REQUIRE(!box.add_message(to_name("sink", q), nullptr));
  REQUIRE(!box.add_message(to_name("sink", q), nullptr)); // 80 KiB together: over the limit
  auto frames = take_frames(box);
  REQUIRE(frames.size() == 2);
  for (const auto& f : frames) {
    CHECK(f.batch().messages_size() == 1);
    CHECK(f.ByteSizeLong() <= limit);
  }
}

TEST_CASE("link outbox: control frames follow the messages queued before them") {
  link_outbox box{64 * 1024, 1000, limit};
  std::string value = "\x08\x01";
  payload_view p[] = {{int32_url, value}};
  REQUIRE(!box.add_message(to_name("counter", p), nullptr));
  outgoing monitor;
  monitor.what = outgoing::kind::monitor;
  monitor.name = "counter";
  box.add_control(monitor);
  REQUIRE(!box.add_message(to_name("counter", p), nullptr));
  outgoing lookup;
  lookup.what = outgoing::kind::lookup;
  lookup.name = "printer";
  lookup.request_id = 9;
  box.add_control(lookup);
  box.add_control(detail::down_item(5, {}, caf::make_error(caf::exit_reason::kill)));
  auto frames = take_frames(box);
  REQUIRE(frames.size() == 5);
  CHECK(frames[0].has_batch());
  REQUIRE(frames[1].has_monitor());
  CHECK(frames[1].monitor().name() == "counter");
  CHECK(frames[2].has_batch());
  REQUIRE(frames[3].has_lookup());
  CHECK(frames[3].lookup().name() == "printer");
  CHECK(frames[3].lookup().request_id() == 9);
  REQUIRE(frames[4].has_down());
  CHECK(frames[4].down().actor_id() == 5);
  CHECK(frames[4].down().reason().category() == "exit");
  CHECK(frames[4].down().reason().code() == static_cast<uint32_t>(caf::exit_reason::kill));
}

TEST_CASE("link outbox: a message over the frame limit fails at the sender and adds nothing") {
  link_outbox box{64 * 1024, 1000, 1024 * 1024}; // this node's limit, before the handshake
  std::string small = "\x08\x01";
  payload_view p[] = {{int32_url, small}};
  REQUIRE(!box.add_message(to_name("counter", p), nullptr));
  std::string huge(1024 * 1024, 'x');
  payload_view q[] = {{string_url, huge}};
  auto err = box.add_message(to_name("counter", q), nullptr);
  CHECK(has_code(err, error_code::frame_too_large));
  CHECK(box.bytes() < 1024); // the open batch may be closed into a frame, nothing more
  // The peer's smaller limit, learnt in the handshake, applies from the next message on.
  box.set_frame_limit(limit);
  CHECK(box.frame_limit() == limit);
  std::string over(100 * 1024, 'y');
  payload_view r[] = {{string_url, over}};
  CHECK(has_code(box.add_message(to_name("counter", r), nullptr), error_code::frame_too_large));
  std::string fits(limit / 2, 'z');
  payload_view s[] = {{string_url, fits}};
  REQUIRE(!box.add_message(to_name("counter", s), nullptr));
  auto frames = take_frames(box);
  REQUIRE(frames.size() == 2); // the small message alone, then the one of half the limit
  CHECK(frames[0].batch().messages_size() == 1);
  CHECK(frames[0].batch().messages(0).payload(0).value() == small);
  CHECK(frames[1].batch().messages_size() == 1);
  CHECK(frames[1].batch().messages(0).payload(0).value() == fits);
}

TEST_CASE("link outbox: a target name or type URL that is not UTF-8 fails alone at the sender") {
  link_outbox box{64 * 1024, 1000, limit};
  std::string value = "\x08\x01";
  payload_view p[] = {{int32_url, value}};
  CHECK(has_code(box.add_message(to_name("bad\xff", p), nullptr), error_code::cannot_cross));
  payload_view bad_url[] = {{"type.googleapis.com/\xc3", value}};
  CHECK(has_code(box.add_message(to_name("counter", bad_url), nullptr), error_code::cannot_cross));
  CHECK(box.empty());
  REQUIRE(!box.add_message(to_name("counter", p), nullptr));
  auto frames = take_frames(box);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].batch().target_names_size() == 1);
  CHECK(frames[0].batch().type_urls_size() == 1);
}

TEST_CASE("link outbox: take appends to the caller's bytes") {
  link_outbox box{64 * 1024, 1000, limit};
  std::string value = "\x08\x01";
  payload_view p[] = {{int32_url, value}};
  std::vector<char> out{'x', 'y'};
  box.take(out); // nothing queued: nothing added
  CHECK(out.size() == 2);
  REQUIRE(!box.add_message(to_name("counter", p), nullptr));
  box.take(out);
  REQUIRE(out.size() > 2);
  CHECK(out[0] == 'x');
  CHECK(out[1] == 'y');
  auto frames = parse_frames(std::string{out.begin() + 2, out.end()});
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].batch().messages_size() == 1);
}

TEST_CASE("link outbox: the senders of messages that never left are returned in runs") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto idle = [](caf::event_based_actor*) -> caf::behavior { return {[](int32_t) {}}; };
  auto a = caf::actor_cast<caf::strong_actor_ptr>(sys.spawn(idle));
  auto b = caf::actor_cast<caf::strong_actor_ptr>(sys.spawn(idle));
  link_outbox box{64 * 1024, 1000, limit};
  std::string value = "\x08\x01";
  payload_view p[] = {{int32_url, value}};
  for (auto* who : {&a, &a, &b, &a, &a, &a})
    REQUIRE(!box.add_message(to_name("counter", p), *who));
  REQUIRE(!box.add_message(to_name("counter", p), nullptr)); // a request, or no sender
  auto lost = box.take_lost();
  REQUIRE(lost.size() == 3);
  CHECK(lost[0].sender == a);
  CHECK(lost[0].messages == 2);
  CHECK(lost[1].sender == b);
  CHECK(lost[1].messages == 1);
  CHECK(lost[2].sender == a);
  CHECK(lost[2].messages == 3);
  CHECK(box.empty());
  CHECK(box.take_lost().empty());

  // Messages the broker took have left: nobody is told about them.
  REQUIRE(!box.add_message(to_name("counter", p), a));
  std::vector<char> out;
  box.take(out);
  CHECK(box.take_lost().empty());
  caf::anon_send_exit(a, caf::exit_reason::kill);
  caf::anon_send_exit(b, caf::exit_reason::kill);
}
