#pragma once

/// The core's seams for layers built on top of it (the network layer is one): an `extension`
/// lives as long as its system, and a `remote_resolver` answers for `name@endpoint`.

#include <optional>
#include <string_view>

#include <caf/actor.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

namespace troupe {

/// A layer added to a system, created by the factory given to `config::add_extension`.
class extension {
public:
  virtual ~extension() = default;

  /// Stops the layer: called once, by `system::shutdown()` or `~system`, after every user
  /// actor is done and before CAF's actor system goes. Fail pending work with errors, close
  /// connections, stop the layer's own actors.
  virtual void stop() noexcept = 0;
};

/// Tags the request that `remote_resolver::lookup_actor()` answers.
using resolve_atom = caf::atom_constant<caf::atom("resolve")>;

/// Told to an actor whose `remote_resolver::send_paced` found no room, once there is room.
struct room_notice {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, room_notice&) {
  return f(caf::meta::type_name("troupe.room_notice"));
}

/// The core's one seam for addresses it does not hold: `name@endpoint`, where `endpoint` is
/// `host:port` or `unix:/path`. An extension that derives from it resolves for its system.
class remote_resolver {
public:
  virtual ~remote_resolver() = default;

  /// A handle that forwards each message to whatever holds `name` on `endpoint` when the
  /// message arrives there. Never blocks (connects on demand). The handle terminates when
  /// that node is lost, so that caches drop it. Errors: a malformed endpoint, a lost node.
  virtual caf::expected<caf::actor> route(std::string_view name, std::string_view endpoint) = 0;

  /// An actor that answers the request `(resolve_atom, std::string name, std::string endpoint)`
  /// with a `caf::actor` bound to the actor holding `name` there now (monitoring it observes
  /// that incarnation), or with an error such as `unknown_name`.
  virtual caf::actor lookup_actor() = 0;

  /// What `send_paced` did with a message.
  enum class paced { not_mine, sent, no_room };

  /// A coroutine's paced send, without a mailbox element: `sent` when `dest` is a handle this
  /// resolver made and its send window had room (a failure reaches `sender` as an error
  /// message, as after `enqueue`); `no_room` when it had none (nothing was sent; `sender`
  /// receives one `room_notice` once there is room, or once the node is lost, so that its next
  /// send fails with why); `not_mine` for other handles (nothing done: enqueue it as usual).
  virtual paced send_paced(const caf::actor& dest, const caf::strong_actor_ptr& sender,
                           const caf::type_erased_tuple& content) {
    (void) dest;
    (void) sender;
    (void) content;
    return paced::not_mine;
  }
};

/// A name and the endpoint of the node that holds it, split out of `name@endpoint`.
struct remote_address {
  std::string_view name;
  std::string_view endpoint;
};

/// Splits `name@endpoint` at its '@' (names never contain one); nothing for a local name.
constexpr std::optional<remote_address> split_address(std::string_view address) noexcept {
  auto at = address.find('@');
  if (at == std::string_view::npos)
    return std::nullopt;
  return remote_address{address.substr(0, at), address.substr(at + 1)};
}

} // namespace troupe
