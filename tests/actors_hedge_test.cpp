// Hedged requests and sequential retry under a deadline, against scripted flaky servers.

#include <random>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "test_helpers.hpp"
#include "troupe/actors/hedge.hpp"

using namespace std::chrono_literals;
using troupe::co_actor;
using troupe::task;
using troupe::actors::hedge;
using troupe::actors::hedge_error;
using troupe::actors::hedge_options;
using troupe::actors::is;
using troupe::test::patience;
using troupe::test::probe;

namespace {

struct test_config : troupe::config {
  test_config() { set("scheduler.max-threads", 4); }
};

/// What a scripted server does with one request.
enum class act { reply, refuse, hold };

/// A server that answers its k-th request (an int key) by `script[k % size]`: a reply
/// "name:key", an error (dropped at a load peak) or no answer until "release" (then
/// "name:late"). "count" answers how many requests came.
task scripted_server(co_actor& self, std::string name, std::vector<act> script) {
  std::vector<caf::response_promise> held;
  int count = 0;
  for (;;) {
    auto msg = co_await self.receive<int, std::string>();
    if (auto* key = std::get_if<int>(&msg)) {
      switch (script[static_cast<size_t>(count++) % script.size()]) {
      case act::reply:
        self.reply(name + ":" + std::to_string(*key));
        break;
      case act::refuse:
        self.reply(caf::make_error(caf::sec::runtime_error, "dropped at a load peak"));
        break;
      case act::hold:
        held.push_back(self.take_reply_promise());
        break;
      }
    } else if (std::get<std::string>(msg) == "count") {
      self.reply(count);
    } else if (std::get<std::string>(msg) == "release") {
      for (auto& p : held)
        p.deliver(name + ":late");
      held.clear();
      self.reply();
    }
  }
}

int count_of(troupe::system& sys, const caf::actor& server) {
  auto n = sys.request<int>(server, patience, std::string{"count"});
  REQUIRE(n);
  return *n;
}

/// One hedged call of `key` from outside any actor, as a plain CAF client would make it.
caf::expected<std::string> call(troupe::system& sys, std::vector<caf::actor> targets,
                                hedge_options opts, int key) {
  auto worker = hedge::spawn(sys, std::move(targets), opts, caf::make_message(key));
  if (!worker)
    return std::move(worker.error());
  return sys.request<std::string>(*worker, opts.deadline + hedge::grace, hedge::run_atom::value);
}

} // namespace

TEST_CASE("hedge: the first success wins, and a slower copy's late reply reaches nobody") {
  test_config cfg;
  troupe::system sys{cfg};
  auto slow = sys.spawn(scripted_server, std::string{"slow"}, std::vector{act::hold});
  auto fast = sys.spawn(scripted_server, std::string{"fast"}, std::vector{act::reply});
  auto both = hedge_options::hedged(5s, 2, 2, caf::timespan{0});
  CHECK(troupe::test::value_or(call(sys, {slow, fast}, both, 1), "") == "fast:1");
  // The slow copy answers now; the call is over, so the next call gets only its own answer.
  CHECK(sys.request<>(slow, patience, std::string{"release"}));
  CHECK(troupe::test::value_or(call(sys, {fast}, hedge_options::sequential(5s, 1), 2), "") ==
        "fast:2");
  CHECK(count_of(sys, slow) == 1);
  CHECK(count_of(sys, fast) == 2);
  sys.shutdown();
}

TEST_CASE("hedge: a staggered copy goes out only when the first is slower than the hedge delay") {
  test_config cfg;
  troupe::system sys{cfg};
  auto fast = sys.spawn(scripted_server, std::string{"fast"}, std::vector{act::reply});
  auto other = sys.spawn(scripted_server, std::string{"other"}, std::vector{act::reply});
  auto staggered = hedge_options::hedged(patience, 2, 2, 2 * patience);
  CHECK(troupe::test::value_or(call(sys, {fast, other}, staggered, 1), "") == "fast:1");
  CHECK(count_of(sys, other) == 0);
  auto slow = sys.spawn(scripted_server, std::string{"slow"}, std::vector{act::hold});
  auto soon = hedge_options::hedged(patience, 2, 2, 20ms);
  CHECK(troupe::test::value_or(call(sys, {slow, other}, soon, 2), "") == "other:2");
  CHECK(count_of(sys, slow) == 1);
  CHECK(count_of(sys, other) == 1);
  sys.shutdown();
}

TEST_CASE("hedge: without a success the call ends at the deadline with deadline_exceeded") {
  test_config cfg;
  troupe::system sys{cfg};
  auto silent = sys.spawn(scripted_server, std::string{"silent"}, std::vector{act::hold});
  auto opts = hedge_options::hedged(200ms, 3, 3, 50ms);
  auto start = std::chrono::steady_clock::now();
  auto result = call(sys, {silent}, opts, 1);
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(result);
  CHECK(is(result.error(), hedge_error::deadline_exceeded));
  CHECK(troupe::test::context_of(result.error()).find("3 copies") != std::string::npos);
  CHECK(took >= 200ms); // never early
  CHECK(count_of(sys, silent) == 3);
  sys.shutdown();
}

TEST_CASE("hedge: when every allowed copy failed the call ends at once with the last error") {
  test_config cfg;
  troupe::system sys{cfg};
  auto refusing = sys.spawn(scripted_server, std::string{"refusing"}, std::vector{act::refuse});
  // A deadline far beyond the test's patience: the answer must come without waiting for it.
  auto opts = hedge_options::sequential(10 * patience, 3);
  auto result = call(sys, {refusing}, opts, 1);
  REQUIRE_FALSE(result);
  CHECK(is(result.error(), hedge_error::attempts_exhausted));
  CHECK(troupe::test::context_of(result.error()).find("dropped at a load peak") !=
        std::string::npos);
  CHECK(count_of(sys, refusing) == 3);
  sys.shutdown();
}

TEST_CASE("hedge: sequential retry waits for a failure before the next copy, hedging does not") {
  test_config cfg;
  troupe::system sys{cfg};
  auto stuck = sys.spawn(scripted_server, std::string{"stuck"}, std::vector{act::hold});
  auto good = sys.spawn(scripted_server, std::string{"good"}, std::vector{act::reply});
  // Sequential: the first copy hangs until the deadline, so the second is never sent.
  auto seq = call(sys, {stuck, good}, hedge_options::sequential(200ms, 2), 1);
  REQUIRE_FALSE(seq);
  CHECK(is(seq.error(), hedge_error::deadline_exceeded));
  CHECK(count_of(sys, good) == 0);
  // Hedged with the same deadline: the second copy goes out after 20 ms and wins.
  auto hedged = call(sys, {stuck, good}, hedge_options::hedged(200ms, 2, 2, 20ms), 2);
  CHECK(troupe::test::value_or(hedged, "") == "good:2");
  // Sequential retry after refusals: one copy after another until one succeeds.
  auto flaky = sys.spawn(scripted_server, std::string{"flaky"},
                         std::vector{act::refuse, act::refuse, act::reply});
  CHECK(troupe::test::value_or(call(sys, {flaky}, hedge_options::sequential(patience, 5), 3), "") ==
        "flaky:3");
  CHECK(count_of(sys, flaky) == 3);
  sys.shutdown();
}

TEST_CASE("hedge: on a seeded drop pattern both strategies succeed exactly where a copy got "
          "through") {
  test_config cfg;
  troupe::system sys{cfg};
  std::mt19937 rng{20261130};
  std::bernoulli_distribution drop{0.6};
  constexpr int calls = 40;
  constexpr uint32_t attempts = 3;
  // One server per call and strategy, each with the same script: calls are independent of how
  // copies of earlier calls interleave.
  std::vector<std::vector<act>> scripts;
  std::vector<bool> expected;
  for (int i = 0; i < calls; ++i) {
    std::vector<act> script;
    bool any = false;
    for (uint32_t k = 0; k < attempts; ++k) {
      auto a = drop(rng) ? act::refuse : act::reply;
      any = any || a == act::reply;
      script.push_back(a);
    }
    script.push_back(act::refuse); // never reached: at most `attempts` copies per call
    scripts.push_back(std::move(script));
    expected.push_back(any);
  }
  for (auto opts : {hedge_options::sequential(patience, attempts),
                    hedge_options::hedged(patience, attempts, attempts, caf::timespan{0})}) {
    int successes = 0;
    for (int i = 0; i < calls; ++i) {
      auto server = sys.spawn(scripted_server, std::string{"s"}, scripts[static_cast<size_t>(i)]);
      auto result = call(sys, {server}, opts, i);
      CHECK(static_cast<bool>(result) == expected[static_cast<size_t>(i)]);
      if (!result)
        CHECK(is(result.error(), hedge_error::attempts_exhausted));
      successes += result ? 1 : 0;
      CHECK(count_of(sys, server) <= static_cast<int>(attempts));
      caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
    }
    CHECK(successes == std::count(expected.begin(), expected.end(), true));
  }
  sys.shutdown();
}

namespace {

/// Makes one hedged call from a coroutine actor and reports the result (or error) to `log`.
task hedging_client(co_actor& self, std::vector<caf::actor> targets, hedge_options opts,
                    caf::actor log) {
  auto result = co_await hedge::request<std::string>(self, std::move(targets), opts, 7);
  if (result)
    self.send(log, *result);
  else
    self.send(log, std::move(result.error()));
}

} // namespace

TEST_CASE("hedge: a coroutine actor awaits a hedged request, bad options are refused at once") {
  test_config cfg;
  troupe::system sys{cfg};
  probe p{sys};
  auto good = sys.spawn(scripted_server, std::string{"good"}, std::vector{act::reply});
  auto opts = hedge_options::hedged(patience, 2, 2, 10ms);
  sys.spawn(hedging_client, std::vector{good}, opts, p.handle());
  CHECK(troupe::test::next<std::string>(p) == "good:7");
  // Each bad input is refused with invalid_argument, by the client call and by spawn.
  auto zero = opts;
  zero.max_attempts = 0;
  auto no_deadline = opts;
  no_deadline.deadline = caf::timespan{0};
  auto negative_delay = opts;
  negative_delay.hedge_delay = -1ms;
  std::vector<std::pair<std::vector<caf::actor>, hedge_options>> bad{{{}, opts},
                                                                     {{caf::actor{}}, opts},
                                                                     {{good}, zero},
                                                                     {{good}, no_deadline},
                                                                     {{good}, negative_delay}};
  for (auto& [targets, o] : bad) {
    sys.spawn(hedging_client, targets, o, p.handle());
    CHECK(is(troupe::test::next<caf::error>(p), hedge_error::invalid_argument));
    CHECK(is(troupe::test::error_of(hedge::spawn(sys, targets, o, caf::make_message(1))),
             hedge_error::invalid_argument));
  }
  // A dead target fails its copy like a refusal; the next copy goes to the next target.
  auto dead = sys.spawn(scripted_server, std::string{"dead"}, std::vector{act::reply});
  caf::anon_send_exit(dead, caf::exit_reason::kill);
  (*p)->monitor(dead);
  (void)troupe::test::next<caf::down_msg>(p);
  CHECK(troupe::test::value_or(call(sys, {dead, good}, hedge_options::sequential(patience, 2), 3),
                               "") == "good:3");
  // Anything but run_atom is refused, and the hedge actor still serves its call after it.
  auto worker = hedge::spawn(sys, {good}, opts, caf::make_message(4));
  REQUIRE(worker);
  auto wrong = sys.request<std::string>(*worker, patience, caf::atom("nonsense"));
  CHECK(is(troupe::test::error_of(wrong), hedge_error::invalid_argument));
  CHECK(troupe::test::value_or(sys.request<std::string>(*worker, patience, hedge::run_atom::value),
                               "") == "good:4");
  sys.shutdown();
}
