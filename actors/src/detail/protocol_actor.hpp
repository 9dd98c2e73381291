#pragma once

// The base of the pattern actors that serve Protobuf clients besides local ones: an ordinary
// event-based actor with the few members that their Protobuf handlers share.

#include <type_traits>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/result.hpp>

#include "detail/remote_clients.hpp"

namespace troupe::actors::detail {

/// An event-based actor whose Protobuf handlers run its local operations for a client's
/// stand-in (see remote_clients.hpp).
class protocol_actor : public caf::event_based_actor {
public:
  using caf::event_based_actor::event_based_actor;

protected:
  /// Runs `op` for the current message's stand-in; `translate` makes its reply Protobuf.
  template <class Op> void serve_client(reply_translator translate, Op&& op) {
    remote_.serve(system(), current_element_, translate, std::forward<Op>(op));
  }

  /// Answers the current request with `x` (a value or an error).
  template <class T> void respond(T&& x) { make_response_promise().deliver(std::forward<T>(x)); }

  /// Answers the current request with the outcome of an operation that returns a result.
  template <class... Ts> void respond_result(caf::result<Ts...> x) {
    auto reply = make_response_promise();
    if (x.flag == caf::rt_error)
      reply.deliver(std::move(x.err));
    else if constexpr (sizeof...(Ts) == 0 || (std::is_void_v<Ts> && ...))
      reply.deliver(caf::unit);
    else
      reply.deliver(std::move(x.value));
  }

  /// Call from the down handler: a stand-in that went down is forgotten.
  void forget_client(const caf::actor_addr& who) { remote_.forget(who); }

private:
  remote_clients remote_;
};

} // namespace troupe::actors::detail
