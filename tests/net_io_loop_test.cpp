// The shared I/O loop (shared_io_loop.hpp): an idle actor that a network message wakes runs on
// the thread that read the message, unless that is turned off; and a handler that runs long
// there does not stall the network, because the other thread takes the loop over.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <string>

#include <caf/all.hpp>

#include "net/node_fixture.hpp"
#include "shared_io_loop.hpp"
#include "test_helpers.hpp"

using namespace std::chrono_literals;
using troupe::test::net_system;
using troupe::test::patience;

namespace {

/// Where a handler runs: "io" on one of the I/O loop's threads, "worker" elsewhere.
std::string thread_kind() {
  return troupe::net::detail::on_io_loop_thread() ? "io" : "worker";
}

bool on_io_thread(const std::string& kind) {
  return kind == "io";
}

/// Replies with the kind of thread its handler runs on.
caf::behavior where(caf::event_based_actor*) {
  return {[](const std::string&) { return thread_kind(); }};
}

caf::behavior echo(caf::event_based_actor*) {
  return {[](int32_t x) { return x; }};
}

/// What a slow actor tells the test: how often it ran on a worker (and returned at once), and
/// whether it started on an I/O thread (where it then holds that thread).
struct slow_report {
  std::mutex mtx;
  std::condition_variable cv;
  int on_worker = 0;
  bool started_on_io = false;

  /// Records where the handler runs; true on an I/O thread.
  bool record() {
    bool on_io = troupe::net::detail::on_io_loop_thread();
    {
      std::lock_guard<std::mutex> guard{mtx};
      if (on_io)
        started_on_io = true;
      else
        ++on_worker;
    }
    cv.notify_all();
    return on_io;
  }
};

/// A long handler: runs `hold` when it runs on an I/O thread. On a worker it returns at once, or
/// it would take the only worker away from the actors the test needs.
caf::behavior slow(caf::event_based_actor*, std::shared_ptr<slow_report> report,
                   std::function<void()> hold) {
  return {[report, hold](const std::string&) {
    if (report->record())
      hold();
  }};
}

/// Sends to `address` until its slow actor starts on an I/O thread: a message can find the I/O
/// thread still finishing an earlier turn and go to the worker instead.
bool start_on_io_thread(troupe::system& client, const std::string& address, slow_report& report) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    client.send(address, std::string{"take your time"});
    std::unique_lock<std::mutex> guard{report.mtx};
    REQUIRE(report.cv.wait_for(guard, patience,
                               [&] { return report.started_on_io || report.on_worker > attempt; }));
    if (report.started_on_io)
      return true;
  }
  return false;
}

void deliver_on_workers(troupe::config& cfg) {
  troupe::net::set_option(cfg, "deliver-on-workers", true);
}

/// How many of `n` requests to `where@endpoint` ran on one of the I/O loop's threads.
int count_on_io_thread(troupe::system& client, const std::string& endpoint, int n) {
  int result = 0;
  for (int i = 0; i < n; ++i) {
    auto name = client.request<std::string>("where@" + endpoint, patience, std::string{"?"});
    REQUIRE(name);
    if (on_io_thread(*name))
      ++result;
  }
  return result;
}

} // namespace

TEST_CASE("io loop: an idle actor that a network message wakes runs on the thread that read it") {
  net_system server;
  auto endpoint = server.node().listen("127.0.0.1:0");
  REQUIRE(endpoint);
  auto where_actor = server.sys.engine().spawn(where);
  REQUIRE(!server.sys.register_name("where", where_actor));
  net_system client;
  // Each request finds the actor idle: it runs where the request was read. (All 20 would be
  // too strict: a request can arrive while the actor still finishes its previous turn.)
  CHECK(count_on_io_thread(client.sys, *endpoint, 20) >= 10);
  caf::anon_send_exit(where_actor, caf::exit_reason::kill);
}

TEST_CASE("io loop: with deliver-on-workers every actor runs on CAF's workers") {
  net_system server{deliver_on_workers};
  auto endpoint = server.node().listen("127.0.0.1:0");
  REQUIRE(endpoint);
  auto where_actor = server.sys.engine().spawn(where);
  REQUIRE(!server.sys.register_name("where", where_actor));
  net_system client;
  CHECK(count_on_io_thread(client.sys, *endpoint, 20) == 0);
  caf::anon_send_exit(where_actor, caf::exit_reason::kill);
}

TEST_CASE("io loop: a handler that runs long on the I/O thread does not stall the network") {
  net_system server;
  auto endpoint = server.node().listen("127.0.0.1:0");
  REQUIRE(endpoint);
  auto report = std::make_shared<slow_report>();
  std::promise<void> release;
  auto slow_actor = server.sys.engine().spawn(
    slow, report, std::function<void()>{[done = release.get_future().share()] { done.wait(); }});
  REQUIRE(!server.sys.register_name("slow", slow_actor));
  auto echo_actor = server.sys.engine().spawn(echo);
  REQUIRE(!server.sys.register_name("echo", echo_actor));
  net_system client;
  // Released on every way out of the test (first of all), or shutdown would wait for it.
  auto release_on_exit = std::shared_ptr<void>{nullptr, [&](void*) { release.set_value(); }};
  REQUIRE(client.sys.request<int32_t>("echo@" + *endpoint, patience, int32_t{0}));
  REQUIRE_MESSAGE(start_on_io_thread(client.sys, "slow@" + *endpoint, *report),
                  "the slow handler never ran on an I/O thread");
  // It holds the thread that read its message; the other one serves the rest, after at most
  // one standby check (10 ms) plus what a loaded machine adds.
  auto worst = std::chrono::steady_clock::duration::zero();
  for (int32_t i = 1; i <= 50; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto reply = client.sys.request<int32_t>("echo@" + *endpoint, 3s, i);
    worst = std::max(worst, std::chrono::steady_clock::now() - start);
    REQUIRE_MESSAGE(reply, "request " << i << " while the slow handler runs: "
                                      << client.sys.engine().render(reply.error()));
    CHECK(*reply == i);
  }
  auto worst_ms = std::chrono::duration_cast<std::chrono::milliseconds>(worst).count();
  MESSAGE("slowest echo while the handler ran: " << worst_ms << " ms");
  CHECK(worst < 1s);
  caf::anon_send_exit(echo_actor, caf::exit_reason::kill);
  caf::anon_send_exit(slow_actor, caf::exit_reason::kill);
}

TEST_CASE("io loop: a node shuts down cleanly while an actor runs on its I/O thread") {
  auto server = std::make_unique<net_system>();
  auto endpoint = server->node().listen("127.0.0.1:0");
  REQUIRE(endpoint);
  auto report = std::make_shared<slow_report>();
  // Computes for 200 ms when it runs on an I/O thread (a long handler, not a wait).
  auto busy = server->sys.engine().spawn(slow, report, std::function<void()>{[] {
                                           auto until = std::chrono::steady_clock::now() + 200ms;
                                           while (std::chrono::steady_clock::now() < until) {
                                           }
                                         }});
  REQUIRE(!server->sys.register_name("busy", busy));
  busy = nullptr;
  net_system client;
  // Connected first (a request to a name nobody has fails, over the connection it made).
  REQUIRE(client.sys.request<int32_t>("nobody@" + *endpoint, patience, int32_t{0}).error());
  REQUIRE_MESSAGE(start_on_io_thread(client.sys, "busy@" + *endpoint, *report),
                  "the handler never ran on an I/O thread");
  // Stop the node while the handler still computes: the loop ends, both threads leave it, and
  // nothing is left behind (the sanitizer build checks for leaks).
  auto start = std::chrono::steady_clock::now();
  server->sys.shutdown();
  server.reset();
  CHECK(std::chrono::steady_clock::now() - start < patience);
}
