// Two "hosts" with their own addresses: this process in the root network namespace and a test
// node in a namespace of its own, joined by a veth pair. They talk across it; cutting the link
// (ip link set ... down) makes the node lost (down messages, failed requests) within the
// heartbeat bound. Skipped, with a message, where namespaces cannot be created (no root, no
// `ip`, a container without CAP_NET_ADMIN).

#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include <caf/all.hpp>

#include "net/node_fixture.hpp"
#include "test_helpers.hpp"
#include "troupe/net/error.hpp"

using namespace std::chrono_literals;
using troupe::test::net_system;
using troupe::test::next;
using troupe::test::patience;
using troupe::test::probe;

namespace {

/// Runs a shell command quietly; true if it succeeded.
bool run(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

/// A 10.213.N. prefix no interface uses yet: one left by a killed test run would otherwise
/// take this test's packets.
std::string free_subnet() {
  std::string used;
  if (FILE* out = ::popen("ip -4 -o addr show 2>/dev/null", "r")) {
    char buf[4096];
    while (auto got = std::fread(buf, 1, sizeof(buf), out))
      used.append(buf, got);
    ::pclose(out);
  }
  for (int k = 0; k < 250; ++k) {
    auto subnet = "10.213." + std::to_string((::getpid() + k) % 250) + ".";
    if (used.find(" " + subnet) == std::string::npos)
      return subnet;
  }
  return "10.213." + std::to_string(::getpid() % 250) + ".";
}

/// A network namespace with one end of a veth pair (10.213.N.2), the other end in the root
/// namespace (10.213.N.1). Everything is removed again when it goes away.
class namespace_host {
public:
  namespace_host() {
    auto id = std::to_string(::getpid() % 100000);
    auto subnet = free_subnet();
    name = "troupe" + id;
    outer_ = "tro" + id;
    inner_ = "tri" + id;
    local_address = subnet + "1";
    address = subnet + "2";
    ok = run("ip netns add " + name) &&
         run("ip link add " + outer_ + " type veth peer name " + inner_) &&
         run("ip link set " + inner_ + " netns " + name) &&
         run("ip addr add " + local_address + "/24 dev " + outer_) &&
         run("ip link set " + outer_ + " up") &&
         run("ip netns exec " + name + " ip addr add " + address + "/24 dev " + inner_) &&
         run("ip netns exec " + name + " ip link set " + inner_ + " up") &&
         run("ip netns exec " + name + " ip link set lo up");
  }

  ~namespace_host() {
    run("ip link del " + outer_);
    run("ip netns del " + name);
  }

  /// Cuts the link: the root namespace's end goes down, packets stop both ways.
  bool cut() { return run("ip link set " + outer_ + " down"); }

  bool ok = false;
  std::string name;
  std::string address;
  std::string local_address;

private:
  std::string outer_;
  std::string inner_;
};

} // namespace

TEST_CASE("netns: nodes on two hosts talk, and cutting the link makes the peer lost") {
  if (::geteuid() != 0 || !run("command -v ip")) {
    MESSAGE("skipped: network namespaces need root and the ip tool");
    return;
  }
  namespace_host host;
  if (!host.ok) {
    MESSAGE("skipped: cannot create a network namespace with a veth pair here");
    return;
  }
  std::vector<std::string> argv{"/usr/bin/env",
                                "ip",
                                "netns",
                                "exec",
                                host.name,
                                TROUPE_NET_TEST_NODE,
                                "--troupe.net.listen=" + host.address + ":0",
                                "--troupe.net.heartbeat-interval=200ms",
                                "--troupe.net.peer-timeout=1500ms"};
  troupe::test::child_process child{argv};
  auto endpoint = child.expect_line("endpoint ", 10s);
  REQUIRE(endpoint.has_value());
  CHECK(endpoint->starts_with(host.address + ":"));
  net_system local;
  auto reply = local.sys.request<int32_t>("echo@" + *endpoint, patience, int32_t{3});
  REQUIRE(reply);
  CHECK(*reply == 3);
  auto echo = local.sys.lookup("echo@" + *endpoint);
  auto silent = local.sys.lookup("silent@" + *endpoint);
  REQUIRE(echo);
  REQUIRE(silent);
  probe p{local.sys};
  p->monitor(*echo);
  REQUIRE(troupe::test::ask(p, *echo, 4) == 4);
  auto pending = p->request(*silent, 60s, int32_t{1});
  REQUIRE(host.cut());
  auto node_down = troupe::net::make_error(troupe::net::error_code::node_down);
  caf::error request_error;
  pending.receive([](int32_t) { FAIL("the silent actor answered"); },
                  [&](caf::error& err) { request_error = std::move(err); });
  CHECK(request_error == node_down);
  auto down = next<caf::down_msg>(p);
  CHECK(down.source == echo->address());
  CHECK(down.reason == node_down);
}
