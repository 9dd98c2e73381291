// Remote actors across two real processes, over TCP (127.0.0.1, port 0) and over a Unix
// socket: send, request and reply, error replies, timeouts, monitors and down messages.

#include <string>
#include <vector>

#include <sys/stat.h>

#include <caf/all.hpp>

#include "net/node_fixture.hpp"
#include "test_helpers.hpp"
#include "troupe/net/error.hpp"

using namespace std::chrono_literals;
using troupe::test::error_of;
using troupe::test::net_system;
using troupe::test::next;
using troupe::test::patience;
using troupe::test::probe;
using troupe::test::start_node;

namespace {

/// Both transports: TCP on an OS-chosen port and a fresh Unix socket path.
std::vector<std::string> transports() {
  return {"127.0.0.1:0", troupe::test::unix_endpoint()};
}

caf::error net_error(troupe::net::error_code code) {
  return troupe::net::make_error(code);
}

} // namespace

TEST_CASE("remote: a request by name@endpoint gets the remote actor's reply") {
  for (auto& listen : transports()) {
    CAPTURE(listen);
    auto peer = start_node(listen);
    net_system local;
    auto reply =
      local.sys.request<std::string>("echo@" + peer.endpoint, patience, std::string{"hello"});
    REQUIRE(reply);
    CHECK(*reply == "hello");
    auto number = local.sys.request<int32_t>("echo@" + peer.endpoint, patience, int32_t{42});
    REQUIRE(number);
    CHECK(*number == 42);
  }
}

TEST_CASE("remote: a looked-up handle works with request(...).then and monitor") {
  for (auto& listen : transports()) {
    CAPTURE(listen);
    auto peer = start_node(listen);
    net_system local;
    auto echo = local.sys.lookup("echo@" + peer.endpoint);
    REQUIRE(echo);
    probe p{local.sys};
    auto client =
      local.sys.engine().spawn([echo = *echo, to = p.handle()](caf::event_based_actor* self) {
        self->request(echo, 5s, int64_t{7})
          .then([self, to](int64_t x) { self->send(to, x + 1); },
                [self, to](caf::error& err) { self->send(to, std::move(err)); });
      });
    CHECK(next<int64_t>(p) == 8);
    // A plain message with a sender: the echo sends it back to the sender's proxy.
    p->send(*echo, std::string{"back to me"});
    CHECK(next<std::string>(p) == "back to me");
    caf::anon_send_exit(client, caf::exit_reason::kill);
  }
}

TEST_CASE("remote: a remote error reply arrives as that error") {
  auto peer = start_node("127.0.0.1:0");
  net_system local;
  auto reply = local.sys.request<int32_t>("fail@" + peer.endpoint, patience, int32_t{1});
  REQUIRE(!reply);
  CHECK(reply.error() == caf::make_error(caf::sec::invalid_argument));
  CHECK(troupe::test::context_of(reply.error()) == "refused on purpose");
}

TEST_CASE("remote: a request the remote actor never answers times out") {
  auto peer = start_node("127.0.0.1:0");
  net_system local;
  auto reply = local.sys.request<int32_t>("silent@" + peer.endpoint, 300ms, int32_t{1});
  REQUIRE(!reply);
  CHECK(reply.error() == caf::make_error(caf::sec::request_timeout));
}

TEST_CASE("remote: a name nobody holds on the peer fails with unknown_target") {
  auto peer = start_node("127.0.0.1:0");
  net_system local;
  auto reply = local.sys.request<int32_t>("nobody@" + peer.endpoint, patience, int32_t{1});
  REQUIRE(!reply);
  CHECK(reply.error() == net_error(troupe::net::error_code::unknown_target));
  // A lookup of that name asks the peer and reports the core's unknown_name.
  auto handle = local.sys.lookup("nobody@" + peer.endpoint);
  REQUIRE(!handle);
  CHECK(handle.error() == troupe::make_error(troupe::error_code::unknown_name));
  // The connection lives on: the next request is served.
  auto next_reply = local.sys.request<int32_t>("echo@" + peer.endpoint, patience, int32_t{2});
  CHECK(troupe::test::value_or(next_reply, 0) == 2);
}

TEST_CASE("remote: a value that cannot cross fails at the sender with cannot_cross") {
  auto peer = start_node("127.0.0.1:0");
  net_system local;
  auto reply =
    local.sys.request<int32_t>("echo@" + peer.endpoint, patience, std::vector<int>{1, 2, 3});
  REQUIRE(!reply);
  CHECK(reply.error() == net_error(troupe::net::error_code::cannot_cross));
}

TEST_CASE("remote: a message over the frame limit fails at the sender and nothing is sent") {
  auto peer = start_node("127.0.0.1:0");
  net_system local;
  std::string huge(17 * 1024 * 1024, 'x'); // The default limit is 16 MiB.
  auto reply = local.sys.request<std::string>("echo@" + peer.endpoint, patience, huge);
  REQUIRE(!reply);
  CHECK(reply.error() == net_error(troupe::net::error_code::frame_too_large));
  // The connection was not touched: the next request is served.
  auto next_reply = local.sys.request<int32_t>("echo@" + peer.endpoint, patience, int32_t{3});
  CHECK(troupe::test::value_or(next_reply, 0) == 3);
}

TEST_CASE("remote: a monitored remote actor's down message follows every message it sent") {
  for (auto& listen : transports()) {
    CAPTURE(listen);
    auto peer = start_node(listen);
    net_system local;
    auto mortal = local.sys.lookup("mortal@" + peer.endpoint);
    REQUIRE(mortal);
    probe p{local.sys};
    p->monitor(*mortal);
    p->send(*mortal, std::string{"burst"}, int32_t{1000});
    for (int32_t i = 0; i < 1000; ++i)
      REQUIRE(next<int32_t>(p) == i);
    auto down = next<caf::down_msg>(p);
    CHECK(down.source == mortal->address());
    CHECK(down.reason == caf::make_error(caf::sec::runtime_error));
  }
}

TEST_CASE("remote: FIFO order per pair of actors holds across batches") {
  auto peer = start_node(troupe::test::unix_endpoint());
  net_system local;
  auto order = local.sys.lookup("order@" + peer.endpoint);
  REQUIRE(order);
  probe p{local.sys};
  constexpr int32_t n = 100'000;
  for (int32_t i = 0; i < n; ++i)
    p->send(*order, i);
  // The check travels from the same sender to the same actor: it comes after all of them.
  caf::expected<int64_t> count = caf::make_error(caf::sec::request_timeout);
  p->request(*order, patience, std::string{"check"})
    .receive([&](int64_t x) { count = x; }, [&](caf::error& err) { count = std::move(err); });
  REQUIRE(count);
  CHECK(*count == n);
}

TEST_CASE("remote: a node listens on TCP port 0 and on an owner-only Unix socket") {
  net_system local;
  auto tcp = local.node().listen("127.0.0.1:0");
  REQUIRE(tcp);
  CHECK(tcp->starts_with("127.0.0.1:"));
  CHECK(*tcp != "127.0.0.1:0");
  auto path = troupe::test::unix_endpoint();
  auto unix_ep = local.node().listen(path);
  REQUIRE(unix_ep);
  CHECK(*unix_ep == path);
  struct stat st {};
  REQUIRE(::stat(path.substr(5).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(local.node().endpoints() == std::vector<std::string>{*tcp, *unix_ep});
  auto bad = local.node().listen("no-port-here");
  REQUIRE(!bad);
  CHECK(bad.error() == net_error(troupe::net::error_code::invalid_endpoint));
}

TEST_CASE("remote: a coroutine's paced send crosses with the values it was given") {
  for (auto& listen : transports()) {
    CAPTURE(listen);
    auto peer = start_node(listen);
    net_system local;
    probe p{local.sys};
    // 1,000 numbers in order to "order", then a string literal and an lvalue string to "echo",
    // which sends plain messages back to their sender: they crossed as std::string values, the
    // lvalue copied, not moved from.
    local.sys.spawn(
      [](troupe::co_actor& self, std::string endpoint, caf::actor report) -> troupe::task {
        caf::error failed;
        for (int32_t i = 0; i < 1000 && !failed; ++i)
          failed = co_await self.send_paced("order@" + endpoint, i);
        auto in_order = co_await self.request<int64_t>("order@" + endpoint, std::string{"check"});
        std::string kept{"kept"};
        if (!failed)
          failed = co_await self.send_paced("echo@" + endpoint, "paced text");
        auto first_got = co_await self.receive<std::string>(std::chrono::seconds{3});
        auto first = first_got ? *first_got : std::string{"none"};
        if (!failed)
          failed = co_await self.send_paced("echo@" + endpoint, kept);
        std::string second;
        do { // (the echo may send a value back more than once)
          auto got = co_await self.receive<std::string>(std::chrono::seconds{3});
          second = got ? *got : std::string{"none"};
        } while (second == first);
        self.send(report, in_order ? *in_order : int64_t{-1}, first + "|" + second + "|" + kept,
                  failed);
      },
      peer.endpoint, p.handle());
    CHECK(next<std::tuple<int64_t, std::string, caf::error>>(p) ==
          std::tuple{int64_t{1000}, std::string{"paced text|kept|kept"}, caf::error{}});
  }
}
