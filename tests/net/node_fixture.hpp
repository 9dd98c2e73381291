#pragma once

// What the multi-process network tests share: starting a test node (tests/net/test_node.cpp)
// as a child process and reading back where it listens, and a local system with the network
// layer enabled and short failure-detection timers.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <doctest/doctest.h>

#include "child_process.hpp"
#include "troupe/config.hpp"
#include "troupe/net/net.hpp"
#include "troupe/system.hpp"

namespace troupe::test {

/// Heartbeat interval and silence bound that the failure tests use (the defaults are 1 s and
/// 4 s; shorter ones keep the suite fast and still leave a loaded machine plenty of slack).
inline constexpr auto test_heartbeat = std::chrono::milliseconds{200};
inline constexpr auto test_peer_timeout = std::chrono::milliseconds{1500};

/// A test node running as a child process.
struct remote_node {
  std::unique_ptr<child_process> process;
  std::string endpoint;
  std::string incarnation;
};

/// A fresh Unix socket path for this test process.
inline std::string unix_endpoint() {
  static std::atomic<int> counter{0};
  return "unix:/tmp/troupe-net-test-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter++) + ".sock";
}

/// Starts the test node listening on `listen` with `extra` options; fails the test unless it
/// reports its endpoint within a few seconds.
inline remote_node start_node(std::string listen, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{TROUPE_NET_TEST_NODE, "--troupe.net.listen=" + listen,
                                "--troupe.net.heartbeat-interval=200ms",
                                "--troupe.net.peer-timeout=1500ms"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  remote_node result;
  result.process = std::make_unique<child_process>(argv);
  auto incarnation = result.process->expect_line("incarnation ", std::chrono::seconds{10});
  auto endpoint = result.process->expect_line("endpoint ", std::chrono::seconds{10});
  REQUIRE_MESSAGE(endpoint.has_value(), "the test node did not report its endpoint");
  result.endpoint = *endpoint;
  result.incarnation = incarnation.value_or("");
  return result;
}

/// A configuration with the network layer and the tests' short timers.
inline void enable_net(troupe::config& cfg) {
  troupe::net::enable(cfg);
  troupe::net::set_option(cfg, "heartbeat-interval", caf::timespan{test_heartbeat});
  troupe::net::set_option(cfg, "peer-timeout", caf::timespan{test_peer_timeout});
}

/// Reconnecting waits 10 s: a lost peer stays known down for the rest of a test.
inline void slow_reconnect(troupe::config& cfg) {
  troupe::net::set_option(cfg, "reconnect-delay", caf::timespan{std::chrono::seconds{10}});
}

/// A system with the network layer enabled (and its configuration, which must outlive it).
struct net_system {
  explicit net_system(void (*adjust)(troupe::config&) = nullptr) : cfg(make(adjust)), sys(*cfg) {}

  static std::unique_ptr<troupe::config> make(void (*adjust)(troupe::config&)) {
    auto result = std::make_unique<troupe::config>();
    enable_net(*result);
    if (adjust != nullptr)
      adjust(*result);
    return result;
  }

  troupe::net::node& node() {
    auto* result = troupe::net::node_of(sys);
    REQUIRE(result != nullptr);
    return *result;
  }

  std::unique_ptr<troupe::config> cfg;
  troupe::system sys;
};

} // namespace troupe::test
