// The shared I/O loop (shared_io_loop.hpp): an idle actor that a network message wakes runs on
// the thread that read the message, unless that is turned off; and a handler that runs long
// there does not stall the network, because the other thread takes the loop over.

#include <chrono>
#include <future>
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

/// Tells `started` the kind of thread it runs on, then runs until `release` is ready: a long handler.
caf::behavior slow(caf::event_based_actor*, std::shared_ptr<std::promise<std::string>> started,
                   std::shared_future<void> release) {
  return {[started, release](const std::string&) {
    started->set_value(thread_kind());
    release.wait();
  }};
}

void no_inline_delivery(troupe::config& cfg) {
  troupe::net::set_option(cfg, "inline-delivery", false);
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

TEST_CASE("io loop: with inline-delivery=false every actor runs on CAF's workers") {
  net_system server{no_inline_delivery};
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
  auto started = std::make_shared<std::promise<std::string>>();
  auto started_name = started->get_future();
  std::promise<void> release;
  auto slow_actor = server.sys.engine().spawn(slow, started, release.get_future().share());
  REQUIRE(!server.sys.register_name("slow", slow_actor));
  auto echo_actor = server.sys.engine().spawn(echo);
  REQUIRE(!server.sys.register_name("echo", echo_actor));
  net_system client;
  // Released on every way out of the test (first of all), or shutdown would wait for it.
  auto release_on_exit = std::shared_ptr<void>{nullptr, [&](void*) { release.set_value(); }};
  // Connect first, so that the slow message is the only thing its turn wakes.
  REQUIRE(client.sys.request<int32_t>("echo@" + *endpoint, patience, int32_t{0}));
  client.sys.send("slow@" + *endpoint, std::string{"take your time"});
  REQUIRE(started_name.wait_for(patience) == std::future_status::ready);
  auto name = started_name.get();
  CHECK_MESSAGE(on_io_thread(name), "the slow handler ran on " << name);
  // The slow handler holds the thread that read its message; the other one serves the rest.
  for (int32_t i = 1; i <= 50; ++i) {
    auto reply = client.sys.request<int32_t>("echo@" + *endpoint, 3s, i);
    REQUIRE_MESSAGE(reply, "request " << i << " while the slow handler runs: "
                                      << client.sys.engine().render(reply.error()));
    CHECK(*reply == i);
  }
  caf::anon_send_exit(echo_actor, caf::exit_reason::kill);
  caf::anon_send_exit(slow_actor, caf::exit_reason::kill);
}

