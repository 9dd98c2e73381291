#pragma once

// What the suites of remote pattern clients share: nodes whose type registry knows the pattern
// actors' Protobuf protocols (troupe::actors::register_protocols), and a request that returns
// whichever reply came (the Protobuf reply, troupe.actors.Error, or a caf::error).

#include <memory>
#include <string>
#include <utility>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>

#include <doctest/doctest.h>

#include "test_helpers.hpp"
#include "troupe/actors/errors.pb.h"
#include "troupe/actors/protocols.hpp"
#include "troupe/config.hpp"
#include "troupe/net/net.hpp"
#include "troupe/protobuf.hpp"
#include "troupe/system.hpp"

namespace troupe::test {

/// A configuration with the network layer, the patterns' protocols and short failure timers.
inline std::unique_ptr<troupe::config> pattern_node_config() {
  auto cfg = std::make_unique<troupe::config>();
  cfg->set("scheduler.max-threads", size_t{2});
  troupe::net::type_registry types;
  REQUIRE_FALSE(troupe::actors::register_protocols(types));
  troupe::net::enable(*cfg, std::move(types));
  troupe::net::set_option(*cfg, "heartbeat-interval",
                          caf::timespan{std::chrono::milliseconds{200}});
  troupe::net::set_option(*cfg, "peer-timeout", caf::timespan{std::chrono::milliseconds{1500}});
  return cfg;
}

/// A node (a system with the network layer) in this process; `listen` makes it listen on
/// 127.0.0.1 with a port the OS chooses.
struct pattern_node {
  explicit pattern_node(bool listen = false) : cfg(pattern_node_config()), sys(*cfg) {
    if (!listen)
      return;
    auto ep = troupe::net::node_of(sys)->listen("127.0.0.1:0");
    REQUIRE(ep);
    endpoint = *ep;
  }

  /// Stops the named actors (the patterns under test), which ~system alone would wait for.
  ~pattern_node() { sys.shutdown(); }

  /// A handle to the actor registered as `name` on `server`, through this node.
  caf::actor remote(const pattern_node& server, const std::string& name) {
    auto handle = sys.lookup(name + "@" + server.endpoint);
    REQUIRE(handle);
    return *handle;
  }

  std::unique_ptr<troupe::config> cfg;
  troupe::system sys;
  std::string endpoint;
};

/// Sends `x` as a request from `p` and returns the reply's content, or the error (a
/// `caf::error` reply, or a timeout).
template <class T> caf::expected<caf::message> ask_proto(probe& p, const caf::actor& dest, T x) {
  caf::expected<caf::message> result = caf::make_error(caf::sec::request_timeout);
  // A blocking response handler takes one reply type; CAF 0.17 reports any other reply as
  // unexpected_response with the reply as the error's context, which is how it comes back.
  p->request(dest, patience, std::move(x))
    .receive([&](troupe::actors::Error& reply) { result = caf::make_message(std::move(reply)); },
             [&](caf::error& err) {
               if (err == caf::sec::unexpected_response && !err.context().empty())
                 result = err.context();
               else
                 result = std::move(err);
             });
  return result;
}

/// Whether `reply` is exactly one `T`.
template <class T> bool holds(const caf::expected<caf::message>& reply) {
  return reply && reply->match_elements<T>();
}

/// The code of a troupe.actors.Error reply, or ERROR_CODE_UNSPECIFIED if it is none.
inline troupe::actors::ErrorCode error_code_of(const caf::expected<caf::message>& reply) {
  if (!holds<troupe::actors::Error>(reply))
    return troupe::actors::ERROR_CODE_UNSPECIFIED;
  return reply->get_as<troupe::actors::Error>(0).code();
}

} // namespace troupe::test
