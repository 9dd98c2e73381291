// Coroutine actors: selective receive, timeouts, request/response and its errors, monitors,
// links, exceptions, and many actors at once.

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include <caf/all.hpp>

#include "test_helpers.hpp"
#include "troupe/system.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::error_code;
using troupe::make_error;
using troupe::task;
using troupe::test::ask;
using troupe::test::context_of;
using troupe::test::error_of;
using troupe::test::next;
using troupe::test::next_down;
using troupe::test::patience;
using troupe::test::probe;
using troupe::test::value_or;

namespace {

/// Waits for `true`, so that everything the test sent before it is already in the stash.
auto wait_for_go(co_actor& self) {
  return self.receive<bool>();
}

/// Answers each int request with twice its value, forever.
task doubler(co_actor& self) {
  for (;;) {
    auto n = co_await self.receive<int>();
    (void)self.reply(n * 2);
  }
}

/// Waits for an int forever; only an exit message ends it.
task waiter(co_actor& self) {
  (void)co_await self.receive<int>();
}

/// Exits as soon as it starts.
task short_lived(co_actor&) {
  co_return;
}

} // namespace

// -- request and reply ------------------------------------------------------------------------

namespace {

/// A plain CAF actor that adds `offset`, swaps pairs, and fails on negative numbers.
caf::behavior calculator(caf::event_based_actor*, int offset) {
  return {
    [offset](int x) -> caf::result<int> {
      if (x < 0)
        return caf::make_error(caf::sec::invalid_argument, "negative");
      return x + offset;
    },
    [](int a, int b) { return caf::make_message(b, a); },
  };
}

} // namespace

TEST_CASE("co_actor: a request returns the reply by name and by handle") {
  troupe::test::parallel_system sys;
  probe p{sys};
  REQUIRE(sys.spawn_named("doubler", doubler));
  auto calc = sys.engine().spawn(calculator, 100);
  auto acker = sys.spawn([](co_actor& self) -> task {
    (void)co_await self.receive<std::string>();
    (void)self.reply();
  });
  auto requester = sys.spawn(
    [](co_actor& self, caf::actor calc, caf::actor acker, caf::actor reporter) -> task {
      auto by_name = co_await self.request<int>("doubler", patience, 21);
      self.send(reporter, std::string{"by name"}, value_or(by_name, -1));
      auto by_default_timeout = co_await self.request<int>("doubler", 5);
      self.send(reporter, std::string{"default timeout"}, value_or(by_default_timeout, -1));
      auto by_handle = co_await self.request<int>(calc, patience, 1);
      self.send(reporter, std::string{"by handle"}, value_or(by_handle, -1));
      auto swapped = co_await self.request<int, int>(calc, patience, 1, 2);
      self.send(reporter, std::string{"swapped"},
                swapped ? std::get<0>(*swapped) * 10 + std::get<1>(*swapped) : -1);
      auto acked = co_await self.request<>(acker, patience, std::string{"done?"});
      self.send(reporter, std::string{"acked"}, acked ? 1 : -1);
    },
    calc, acker, p.handle());
  using report = std::tuple<std::string, int>;
  CHECK(next<report>(p) == report{"by name", 42});
  CHECK(next<report>(p) == report{"default timeout", 10});
  CHECK(next<report>(p) == report{"by handle", 101});
  CHECK(next<report>(p) == report{"swapped", 21});
  CHECK(next<report>(p) == report{"acked", 1});
  caf::anon_send_exit(calc, caf::exit_reason::kill);
  sys.shutdown();
}

TEST_CASE("co_actor: a request returns the error that the receiver replies") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto refuser = sys.spawn([](co_actor& self) -> task {
    (void)co_await self.receive<int>();
    (void)self.reply(caf::make_error(caf::sec::invalid_argument, "no, thanks"));
  });
  auto calc = sys.engine().spawn(calculator, 0);
  auto requester = sys.spawn(
    [](co_actor& self, caf::actor refuser, caf::actor calc, caf::actor reporter) -> task {
      auto from_coroutine = co_await self.request<int>(refuser, patience, 1);
      self.send(reporter, error_of(from_coroutine));
      auto from_caf_actor = co_await self.request<int>(calc, patience, -1);
      self.send(reporter, error_of(from_caf_actor));
    },
    refuser, calc, p.handle());
  auto err = next<caf::error>(p);
  CHECK(err == caf::sec::invalid_argument);
  CHECK(context_of(err) == "no, thanks");
  err = next<caf::error>(p);
  CHECK(err == caf::sec::invalid_argument);
  CHECK(context_of(err) == "negative");
  caf::anon_send_exit(calc, caf::exit_reason::kill);
}

TEST_CASE("co_actor: a request to an actor that has exited fails with request_receiver_down") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto gone = sys.spawn(short_lived);
  p->monitor(gone);
  CHECK(next_down(p, gone.address()) == caf::exit_reason::normal);
  auto requester = sys.spawn(
    [](co_actor& self, caf::actor gone, caf::actor reporter) -> task {
      auto r = co_await self.request<int>(gone, patience, 1);
      self.send(reporter, error_of(r));
    },
    gone, p.handle());
  CHECK(next<caf::error>(p) == caf::sec::request_receiver_down);
}

TEST_CASE("co_actor: a request to an unknown name fails with unknown_name") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto requester = sys.spawn(
    [](co_actor& self, caf::actor reporter) -> task {
      auto timed = co_await self.request<int>("nobody", patience, 1);
      self.send(reporter, error_of(timed));
      auto untimed = co_await self.request<int>("nobody-either", 1);
      self.send(reporter, error_of(untimed));
    },
    p.handle());
  auto err = next<caf::error>(p);
  CHECK(err == make_error(error_code::unknown_name));
  CHECK(context_of(err) == "nobody");
  err = next<caf::error>(p);
  CHECK(err == make_error(error_code::unknown_name));
  CHECK(context_of(err) == "nobody-either");
}

TEST_CASE("co_actor: a request consumed without a reply is answered with unanswered_request") {
  troupe::test::parallel_system sys;
  probe p{sys};
  // One receiver moves on to its next receive, the other finishes, neither replies.
  auto moves_on = sys.spawn([](co_actor& self) -> task {
    (void)co_await self.receive<int>();
    (void)co_await self.receive<std::string>();
  });
  auto finishes = sys.spawn([](co_actor& self) -> task { (void)co_await self.receive<int>(); });
  auto requester = sys.spawn(
    [](co_actor& self, caf::actor moves_on, caf::actor finishes, caf::actor reporter) -> task {
      auto r1 = co_await self.request<int>(moves_on, patience, 1);
      self.send(reporter, error_of(r1));
      auto r2 = co_await self.request<int>(finishes, patience, 2);
      self.send(reporter, error_of(r2));
    },
    moves_on, finishes, p.handle());
  CHECK(next<caf::error>(p) == make_error(error_code::unanswered_request));
  CHECK(next<caf::error>(p) == make_error(error_code::unanswered_request));
  // The first receiver answered while it was still waiting: it is alive until told otherwise.
  p->monitor(moves_on);
  p->send(moves_on, std::string{"bye"});
  CHECK(next_down(p, moves_on.address()) == caf::exit_reason::normal);
}

TEST_CASE("co_actor: take_reply_promise lets an actor answer a request later") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto server = sys.spawn(
    [](co_actor& self, caf::actor reporter) -> task {
      auto n = co_await self.receive<int>();
      auto later = self.take_reply_promise();
      self.send(reporter, self.reply(0)); // the reply now belongs to `later`
      // Meanwhile the actor serves another request.
      auto s = co_await self.receive<std::string>();
      (void)self.reply(s + "!");
      co_await wait_for_go(self);
      later.deliver(n * 10);
    },
    p.handle());
  auto first = sys.spawn(
    [](co_actor& self, caf::actor server, caf::actor reporter) -> task {
      auto r = co_await self.request<int>(server, patience, 4);
      self.send(reporter, std::string{"first"}, value_or(r, -1));
    },
    server, p.handle());
  CHECK(next<caf::error>(p) == make_error(error_code::not_a_request));
  auto second = sys.spawn(
    [](co_actor& self, caf::actor server, caf::actor reporter) -> task {
      auto r = co_await self.request<std::string>(server, patience, std::string{"hi"});
      self.send(reporter, std::string{"second"}, value_or(r, "error"));
    },
    server, p.handle());
  using text_report = std::tuple<std::string, std::string>;
  CHECK(next<text_report>(p) == text_report{"second", "hi!"});
  p->send(server, true);
  using int_report = std::tuple<std::string, int>;
  CHECK(next<int_report>(p) == int_report{"first", 40});
}

TEST_CASE("co_actor: reply to a message that is no request returns not_a_request") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto replier = sys.spawn(
    [](co_actor& self, caf::actor reporter) -> task {
      auto sent = co_await self.receive<int>();
      self.send(reporter, self.reply(sent));
      auto requested = co_await self.receive<int>();
      self.send(reporter, self.reply(requested));
      self.send(reporter, self.reply(requested)); // already answered
    },
    p.handle());
  p->send(replier, 1);
  CHECK(ask(p, replier, 2) == 2);
  CHECK(next<caf::error>(p) == make_error(error_code::not_a_request));
  CHECK(next<caf::error>(p) == caf::error{});
  CHECK(next<caf::error>(p) == make_error(error_code::not_a_request));
}

// -- monitors, links, exceptions --------------------------------------------------------------

TEST_CASE("co_actor: a monitor delivers a down_msg with the source and the exit reason") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto killed = sys.spawn(waiter);
  auto finished = sys.spawn(waiter);
  auto watcher = sys.spawn(
    [](co_actor& self, caf::actor killed, caf::actor finished, caf::actor reporter) -> task {
      self.monitor(killed);
      self.monitor(finished);
      self.send(reporter, std::string{"monitoring"});
      for (int i = 0; i < 2; ++i) {
        auto down = co_await self.receive<caf::down_msg>();
        auto which = down.source == killed.address()     ? "killed"
                     : down.source == finished.address() ? "finished"
                                                         : "unknown";
        self.send(reporter, std::string{which}, down.reason);
      }
    },
    killed, finished, p.handle());
  REQUIRE(next<std::string>(p) == "monitoring");
  using report = std::tuple<std::string, caf::error>;
  caf::anon_send_exit(killed, caf::exit_reason::user_shutdown);
  CHECK(next<report>(p) == report{"killed", caf::exit_reason::user_shutdown});
  p->send(finished, 1);
  CHECK(next<report>(p) == report{"finished", caf::exit_reason::normal});
}

namespace {

/// Links itself to `peer` and traps exits: reports the exit message, then doubles one int.
task trapper(co_actor& self, caf::actor peer, caf::actor reporter) {
  self.link_to(peer);
  self.trap_exit(true);
  self.send(reporter, std::string{"linked"});
  auto exit = co_await self.receive<caf::exit_msg>();
  self.send(reporter, exit.source == peer.address(), exit.reason);
  auto n = co_await self.receive<int>();
  (void)self.reply(n * 2);
}

/// Links itself to `peer` without trapping exits, then waits forever.
task linked_waiter(co_actor& self, caf::actor peer, caf::actor reporter) {
  self.link_to(peer);
  self.send(reporter, std::string{"linked"});
  (void)co_await self.receive<int>();
}

} // namespace

TEST_CASE("co_actor: an escaping exception ends the actor with coroutine_exception") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto thrower = sys.spawn([](co_actor& self) -> task {
    auto n = co_await self.receive<int>();
    throw std::runtime_error("boom " + std::to_string(n));
  });
  auto bystander = sys.spawn_named("bystander", doubler);
  auto trapping = sys.spawn(trapper, thrower, p.handle());
  auto linked = sys.spawn(linked_waiter, thrower, p.handle());
  REQUIRE(next<std::string>(p) == "linked");
  REQUIRE(next<std::string>(p) == "linked");
  p->monitor(thrower);
  p->monitor(linked);
  p->send(thrower, 7);
  std::map<caf::actor_addr, caf::error> reasons;
  for (int i = 0; i < 2; ++i) {
    auto down = next<caf::down_msg>(p);
    reasons[down.source] = down.reason;
  }
  REQUIRE(reasons.size() == 2);
  auto thrown = reasons[thrower.address()];
  CHECK(thrown == make_error(error_code::coroutine_exception));
  CHECK(context_of(thrown) == "boom 7");
  // A linked actor that does not trap exits dies of the same reason; one that traps lives on.
  CHECK(reasons[linked.address()] == make_error(error_code::coroutine_exception));
  using report = std::tuple<bool, caf::error>;
  auto [from_thrower, reason] = next<report>(p);
  CHECK(from_thrower);
  CHECK(reason == make_error(error_code::coroutine_exception));
  CHECK(ask(p, trapping, 4) == 8);
  CHECK(ask(p, *bystander, 5) == 10);
  auto early = sys.spawn([](co_actor&) -> task {
    throw std::logic_error("before the first co_await");
    co_return;
  });
  p->monitor(early);
  auto early_reason = next_down(p, early.address());
  CHECK(early_reason == make_error(error_code::coroutine_exception));
  CHECK(context_of(early_reason) == "before the first co_await");
  sys.shutdown();
}

TEST_CASE("co_actor: with trap_exit a linked actor's exit arrives as exit_msg for receive") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto parent = sys.spawn(
    [](co_actor& self, caf::actor reporter) -> task {
      self.trap_exit(true);
      auto child = self.spawn(waiter);
      self.link_to(child);
      self.send(reporter, child);
      auto exit = co_await self.receive<caf::exit_msg>();
      self.send(reporter, exit.source == child.address(), exit.reason);
      self.send(reporter, co_await self.receive<int>());
    },
    p.handle());
  auto child = next<caf::actor>(p);
  caf::anon_send_exit(child, caf::exit_reason::user_shutdown);
  using report = std::tuple<bool, caf::error>;
  CHECK(next<report>(p) == report{true, caf::exit_reason::user_shutdown});
  p->send(parent, 5);
  CHECK(next<int>(p) == 5);
}

// -- lifetime ---------------------------------------------------------------------------------

TEST_CASE("co_actor: a hundred thousand actors each receive one message and all finish") {
  constexpr int count = 100'000;
  troupe::test::parallel_system sys;
  probe p{sys};
  auto one_shot = [](co_actor& self, caf::actor reporter) -> task {
    self.send(reporter, co_await self.receive<int>());
  };
  for (int i = 0; i < count; ++i)
    p->send(sys.spawn(one_shot, p.handle()), i);
  std::vector<bool> seen(count, false);
  int distinct = 0;
  for (int i = 0; i < count; ++i) {
    auto n = next<int>(p);
    if (n >= 0 && n < count && !seen[n]) {
      seen[n] = true;
      ++distinct;
    }
  }
  CHECK(distinct == count);
  sys.await_all_actors_done(); // returns only once every one of them has exited
}

TEST_CASE("co_actor: a stashed request is answered with request_receiver_down when its actor exits") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto string_waiter = [](co_actor& self) -> task { (void)co_await self.receive<std::string>(); };
  auto finishes = sys.spawn(string_waiter);
  auto killed = sys.spawn(string_waiter);
  caf::error finished_err;
  caf::error killed_err;
  auto h1 = p->request(finishes, patience, 1); // stashed: the actor waits for a string
  p->send(finishes, std::string{"stop"});
  h1.receive([](int) {}, [&](caf::error& err) { finished_err = std::move(err); });
  CHECK(finished_err == caf::sec::request_receiver_down);
  auto h2 = p->request(killed, patience, 2);
  p->send(killed, 3); // stashed too
  p->monitor(killed);
  caf::anon_send_exit(killed, caf::exit_reason::kill);
  h2.receive([](int) {}, [&](caf::error& err) { killed_err = std::move(err); });
  CHECK(killed_err == caf::sec::request_receiver_down);
  CHECK(next_down(p, killed.address()) == caf::exit_reason::kill);
}

namespace {

/// Tells `to` "destroyed" when the actor that holds it is destroyed.
struct farewell {
  explicit farewell(caf::actor x) : to(std::move(x)) {}
  farewell(farewell&&) noexcept = default;
  farewell& operator=(farewell&&) noexcept = default;
  ~farewell() {
    if (to)
      caf::anon_send(to, std::string{"destroyed"});
  }
  caf::actor to;
};

} // namespace

TEST_CASE("co_actor: a pending receive timeout does not keep a killed actor alive") {
  troupe::test::parallel_system sys;
  probe p{sys};
  auto sleeper = sys.spawn(
    [](co_actor& self, farewell&, caf::actor reporter) -> task {
      self.send(reporter, std::string{"waiting"});
      (void)co_await self.receive<int>(1h);
    },
    farewell{p.handle()}, p.handle());
  // The deadline is armed in the same activation that sent "waiting", before the kill is read.
  REQUIRE(next<std::string>(p) == "waiting");
  p->monitor(sleeper);
  caf::anon_send_exit(sleeper, caf::exit_reason::kill);
  CHECK(next_down(p, sleeper.address()) == caf::exit_reason::kill);
  sleeper = nullptr;
  CHECK(next<std::string>(p) == "destroyed");
  sys.await_all_actors_done();
}
