// Coroutine actors on the deterministic kit: replies that do not fit the request, and requests
// that are consumed but left unanswered.

#include <string>
#include <tuple>
#include <vector>

#include <caf/all.hpp>

#include "test_helpers.hpp"
#include "troupe/testing/deterministic_system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::error_code;
using troupe::make_error;
using troupe::task;
using troupe::test::error_of;
using troupe::testing::deterministic_system;

namespace {

/// A plain CAF actor that answers an int with a string and a string with an int.
caf::behavior mismatched_replier(caf::event_based_actor* self) {
  self->set_default_handler(caf::drop);
  return {
    [](int x) { return std::to_string(x); },
    [](const std::string& s) { return static_cast<int>(s.size()); },
  };
}

} // namespace

TEST_CASE("co_actor reply: a reply of another type than requested is sec::unexpected_response") {
  deterministic_system sys;
  auto out = sys.sink();
  auto caf_replier = sys.engine().spawn(mismatched_replier);
  auto co_replier = sys.spawn([](co_actor& self) -> task {
    for (;;) {
      auto n = co_await self.receive<int>();
      (void)self.reply(n); // one int, whatever the requester wanted
    }
  });
  sys.spawn(
    [](co_actor& self, caf::actor caf_replier, caf::actor co_replier, caf::actor out) -> task {
      auto wants_int = co_await self.request<int>(caf_replier, 1h, 1);
      self.send(out, std::string{"int from string"}, error_of(wants_int));
      auto wants_nothing = co_await self.request<>(co_replier, 1h, 2);
      self.send(out, std::string{"nothing from int"}, error_of(wants_nothing));
      auto wants_pair = co_await self.request<int, int>(co_replier, 1h, 3);
      self.send(out, std::string{"pair from int"}, error_of(wants_pair));
      auto fits = co_await self.request<std::string>(caf_replier, 1h, 4);
      self.send(out, std::string{"fits"}, error_of(fits));
    },
    caf_replier, co_replier, out);
  sys.run();
  using report = std::tuple<std::string, caf::error>;
  auto unexpected = caf::make_error(caf::sec::unexpected_response);
  CHECK(sys.received_of<report>(out) == std::vector<report>{{"int from string", unexpected},
                                                            {"nothing from int", unexpected},
                                                            {"pair from int", unexpected},
                                                            {"fits", caf::error{}}});
  caf::anon_send_exit(caf_replier, caf::exit_reason::kill);
}

TEST_CASE("co_actor reply: a request left unanswered is settled when the actor next requests") {
  deterministic_system sys;
  auto out = sys.sink();
  // Answers an int request only once a string arrives.
  auto slow = sys.spawn([](co_actor& self) -> task {
    auto n = co_await self.receive<int>();
    auto promise = self.take_reply_promise();
    (void)co_await self.receive<std::string>();
    promise.deliver(n);
  });
  auto middle = sys.spawn(
    [](co_actor& self, caf::actor slow, caf::actor out) -> task {
      auto n = co_await self.receive<int>(); // a request, never replied to
      auto r = co_await self.request<int>(slow, 1h, n);
      self.send(out, std::string{"middle got"}, troupe::test::value_or(r, -1));
    },
    slow, out);
  sys.spawn(
    [](co_actor& self, caf::actor middle, caf::actor out) -> task {
      auto r = co_await self.request<int>(middle, 1h, 5);
      self.send(out, std::string{"client"}, error_of(r));
    },
    middle, out);
  sys.run();
  // The client is answered while the middle actor still waits for its own reply.
  using error_report = std::tuple<std::string, caf::error>;
  CHECK(sys.received_of<error_report>(out) ==
        std::vector<error_report>{{"client", make_error(error_code::unanswered_request)}});
  using int_report = std::tuple<std::string, int>;
  CHECK(sys.received_of<int_report>(out).empty());
  caf::anon_send(slow, std::string{"now"});
  sys.run();
  CHECK(sys.received_of<int_report>(out) == std::vector<int_report>{{"middle got", 5}});
}

TEST_CASE("co_actor reply: an unanswered request times out and its late reply is dropped") {
  deterministic_system sys;
  auto out = sys.sink();
  auto keeper = sys.spawn(
    [](co_actor& self, caf::actor out) -> task {
      auto n = co_await self.receive<int>();
      auto promise = self.take_reply_promise(); // keeps the request open without answering
      (void)co_await self.receive<std::string>();
      promise.deliver(n * 100);
      self.send(out, std::string{"delivered"});
    },
    out);
  auto requester = sys.spawn(
    [](co_actor& self, caf::actor keeper, caf::actor out) -> task {
      auto r = co_await self.request<int>(keeper, 50ms, 1);
      self.send(out, error_of(r));
      // The late reply (100) arrives before the test's 7 but is no message for receive.
      self.send(out, co_await self.receive<int>());
    },
    keeper, out);
  sys.run();
  CHECK(sys.advance_time(50ms) == 1);
  sys.run();
  CHECK(sys.received_of<caf::error>(out) == std::vector<caf::error>{caf::sec::request_timeout});
  caf::anon_send(keeper, std::string{"reply now"});
  sys.run();
  CHECK(sys.received_of<std::string>(out) == std::vector<std::string>{"delivered"});
  caf::anon_send(requester, 7);
  sys.run();
  CHECK(sys.received_of<int>(out) == std::vector<int>{7});
}

TEST_CASE("co_actor reply: sender() names the requester of a request, received at once or from the stash") {
  deterministic_system sys;
  auto out = sys.sink();
  auto server = sys.spawn([](co_actor& self, caf::actor out) -> task {
    auto first = co_await self.receive<int>(); // a request, taken as it arrives
    self.send(out, std::string{"first"}, self.sender() == nullptr ? 0 : 1);
    self.reply(first);
    (void) co_await self.receive<double>();    // meanwhile the next int request is stashed
    auto second = co_await self.receive<int>();
    self.send(out, std::string{"stashed"}, self.sender() == nullptr ? 0 : 1);
    self.reply(second);
  }, out);
  sys.spawn([](co_actor& self, caf::actor server) -> task {
    (void) co_await self.request<int>(server, 1s, 1);
    self.send(server, 0.5);
  }, server);
  sys.spawn([](co_actor& self, caf::actor server) -> task {
    (void) co_await self.request<int>(server, 1s, 2);
  }, server);
  sys.run();
  auto seen = sys.received_of<std::tuple<std::string, int>>(out);
  REQUIRE(seen.size() == 2);
  CHECK(std::get<1>(seen[0]) == 1);
  CHECK(std::get<1>(seen[1]) == 1);
}
