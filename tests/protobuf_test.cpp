#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/scoped_actor.hpp>

#include <troupe/protobuf.hpp>
#include <troupe/troupe.hpp>

#include "troupe/test/messages.pb.h"

using namespace std::chrono_literals;

namespace {

troupe::task echo(troupe::co_actor& self) {
  for (;;) {
    auto ping = co_await self.receive<troupe::test::Ping>();
    troupe::test::Pong pong;
    pong.set_text(ping.text() + "!");
    pong.set_seq(ping.seq() + 1);
    self.reply(std::move(pong));
  }
}

troupe::task ask(troupe::co_actor& self, caf::actor reply_to) {
  troupe::test::Ping ping;
  ping.set_text("hello");
  ping.set_seq(41);
  auto pong = co_await self.request<troupe::test::Pong>("echo", 5s, ping);
  self.send(reply_to, pong ? pong->text() + "/" + std::to_string(pong->seq())
                           : "error: " + to_string(pong.error()));
}

} // namespace

TEST_CASE("protobuf: a coroutine actor receives a Protobuf message and replies with one") {
  troupe::system sys;
  REQUIRE(sys.spawn_named("echo", echo));
  std::string got;
  {
    caf::scoped_actor self{sys.engine()};
    sys.spawn(ask, caf::actor{self});
    self->receive([&](std::string& x) { got = x; },
                  caf::after(10s) >> [&] { FAIL("no answer within 10 s"); });
  }
  CHECK(got == "hello!/42");
  sys.shutdown(); // after the scoped_actor is gone: it counts as a running actor
}

TEST_CASE("protobuf: CAF serializes a Protobuf message as its bytes and reads it back") {
  troupe::system sys;
  troupe::test::Ping ping;
  ping.set_text("bytes");
  ping.set_seq(7);
  std::vector<char> buf;
  caf::binary_serializer sink{sys.engine(), buf};
  REQUIRE(!sink(ping));
  troupe::test::Ping back;
  caf::binary_deserializer source{sys.engine(), buf};
  REQUIRE(!source(back));
  CHECK(back.text() == "bytes");
  CHECK(back.seq() == 7);
}

TEST_CASE("protobuf: malformed bytes are refused with an error, not a crash") {
  troupe::system sys;
  std::string garbage = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01";
  std::vector<char> buf;
  caf::binary_serializer sink{sys.engine(), buf};
  REQUIRE(!sink(garbage));
  troupe::test::Ping back;
  caf::binary_deserializer source{sys.engine(), buf};
  CHECK(source(back) == caf::sec::invalid_argument);
}

TEST_CASE("protobuf: to_string of a message holding a Protobuf value shows its fields") {
  troupe::test::Ping ping;
  ping.set_text("shown");
  ping.set_seq(7);
  auto text = caf::to_string(caf::make_message(ping));
  CAPTURE(text);
  // Field names and the number as text: the raw bytes would hold "shown" but neither of these.
  CHECK(text.find("troupe.test.Ping") != std::string::npos);
  CHECK(text.find(R"(text: \"shown\")") != std::string::npos);
  CHECK(text.find("seq: 7") != std::string::npos);
}
