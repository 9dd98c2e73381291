#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>

#include "troupe/extension.hpp"

namespace troupe {
class system;
} // namespace troupe

namespace troupe::net {

class type_registry;

namespace detail {
class node_state;
struct node_settings;
struct node_access;
} // namespace detail

/// This process's presence on the network: it listens on TCP and Unix sockets, connects to
/// peers on demand (one connection per peer, reconnecting with capped exponential backoff),
/// and gives remote actors ordinary `caf::actor` handles (proxies) on which `send`,
/// `request(...).then(...)` and `monitor` work as on local ones.
///
/// Added to a system by `troupe::net::enable(cfg)`; reach it with `troupe::net::node_of(sys)`.
/// The core reaches it for every `name@host:port` and `name@unix:/path` address.
class node final : public troupe::extension, public troupe::remote_resolver {
public:
  /// @private Created by the extension factory that `enable` installs.
  node(troupe::system& sys, detail::node_settings settings,
       std::shared_ptr<const type_registry> types);
  ~node() override;

  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// Listens on `endpoint` ("127.0.0.1:0", "0.0.0.0:4000", "unix:/run/app.sock") and returns
  /// the endpoint actually bound (port 0 becomes the port the OS chose). A Unix socket file is
  /// created owner-only (0600). Errors: `invalid_endpoint`, `connect_failed` (bind/listen
  /// failed, with the reason), `node_down` (the node is stopped).
  caf::expected<std::string> listen(std::string_view endpoint);

  /// The endpoints this node listens on, in the order they were opened.
  std::vector<std::string> endpoints() const;

  /// This process's incarnation id: random, new at every start, so a restarted peer is never
  /// mistaken for the one that died.
  uint64_t incarnation() const noexcept;

  /// A handle that sends every message to whatever holds `name` on `endpoint` (connecting on
  /// demand). Errors: `invalid_endpoint`; `node_down` while the endpoint is known down (in its
  /// reconnect backoff); `overloaded` while its send window is full.
  caf::expected<caf::actor> route(std::string_view name, std::string_view endpoint) override;

  /// The actor answering `(resolve_atom, name, endpoint)` with a handle bound to the actor
  /// holding `name` there now (monitoring it observes that actor), or an error.
  caf::actor lookup_actor() override;

  /// Sends to the proxy `dest` if its peer's send window has room; if not, `sender` gets a
  /// `troupe::room_notice` once the broker has taken the backlog (or the link failed).
  /// `not_mine` for any other handle. Used by `co_await self.send_paced(...)`.
  paced send_paced(const caf::actor& dest, const caf::strong_actor_ptr& sender,
                   const caf::type_erased_tuple& content) override;

  /// Says goodbye to every peer, closes every connection and socket, fails what is pending.
  void stop() noexcept override;

private:
  friend struct detail::node_access;

  std::shared_ptr<detail::node_state> state_;
  caf::actor lookup_;
  bool stopped_ = false;
};

} // namespace troupe::net
