#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "troupe/actors/supervisor_error.hpp"
#include "troupe/co_actor.hpp"
#include "troupe/system.hpp"

namespace troupe::actors {

/// Which children a supervisor restarts when one of them fails (Erlang/OTP's strategies).
enum class restart_strategy : uint8_t {
  /// Only the failed child.
  one_for_one,
  /// Every child: the others are terminated (in reverse start order), then all restarted.
  one_for_all,
  /// The failed child and every child started after it.
  rest_for_one,
};

/// When a child is restarted (Erlang/OTP's restart types).
enum class restart_type : uint8_t {
  /// Always.
  permanent,
  /// Only after an abnormal exit (not `normal`, not `user_shutdown`).
  transient,
  /// Never; its spec is removed when it exits.
  temporary,
};

/// How a supervisor starts one child, and what it does when the child exits.
struct child_spec {
  /// Starts the child (the supervisor spawns it through this): `name` is `child_spec::name`,
  /// empty for an unnamed child. A child started without the name gets it registered by the
  /// supervisor right after. Returns the new actor or why it could not start.
  using start_function =
    std::function<caf::expected<caf::actor>(troupe::system& sys, std::string_view name)>;

  /// Unique among the supervisor's children.
  std::string id;
  /// Starts one incarnation.
  start_function start;
  /// When the child is restarted.
  restart_type restart = restart_type::permanent;
  /// The name the child is registered under, bound again to each new incarnation (optional).
  std::string name;
  /// How long a child may take to stop after `user_shutdown` before it is killed.
  caf::timespan shutdown = std::chrono::seconds{5};
};

/// A child spec for a coroutine actor running `fun(self, xs...)` (see `system::spawn`).
template <class F, class... Ts> child_spec worker_spec(std::string id, F fun, Ts... xs) {
  child_spec spec;
  spec.id = std::move(id);
  spec.start = [fun = std::move(fun), ... xs = std::move(xs)](
                 troupe::system& sys, std::string_view name) -> caf::expected<caf::actor> {
    if (name.empty())
      return sys.spawn(fun, xs...);
    return sys.spawn_named(name, fun, xs...);
  };
  return spec;
}

/// A supervisor's restart policy: its strategy and how many restarts it tolerates.
struct supervisor_flags {
  /// Which children are restarted when one fails.
  restart_strategy strategy = restart_strategy::one_for_one;
  /// At most this many restarts within `period`; one more and the supervisor terminates all
  /// its children and exits with `restart_intensity_exceeded`.
  uint32_t intensity = 3;
  /// The sliding window of `intensity`.
  caf::timespan period = std::chrono::seconds{5};
};

/// One child as `which_children` reports it.
struct child_info {
  /// The child's id.
  std::string id;
  /// The running incarnation, or a null handle if the child is not running.
  caf::actor handle;
  /// Its restart type.
  restart_type restart = restart_type::permanent;
  /// Its registered name, or "".
  std::string name;
  /// How often the supervisor restarted it.
  uint64_t restarts = 0;
};

/// What a supervisor tells its subscribers each time a child exits on its own.
struct child_exit {
  /// The child's id.
  std::string id;
  /// Why it exited.
  caf::error reason;
  /// Whether the supervisor restarted it (false: it stays down, or the supervisor gave up).
  bool restarted = false;
};

/// An Erlang/OTP-style supervisor actor: it starts its children in order, restarts them by
/// its strategy when they exit (within its restart intensity), and stops them in reverse
/// order when it stops. Supervisors nest: a supervisor is a child like any other
/// (`supervisor::spec`).
///
/// A named child gets its name back on each restart, so a sender by name reaches the new
/// incarnation. Between a crash and the restart (one message turn of the supervisor) the name
/// is unbound or still refers to the dead actor: a send by name then fails with
/// `unknown_name` or is dropped, and a request fails with `request_receiver_down`; a caller
/// that retries reaches the new incarnation.
///
/// Stopping: an exit message with a reason other than `normal` (from a parent supervisor,
/// `system::shutdown` or anyone) makes it stop its children in reverse start order, each with
/// `user_shutdown` and then `kill` after the child's `shutdown` time, and exit with that
/// reason. If it is killed outright, its running children are killed with it.
///
/// Plain CAF clients send `(start_child_atom, child_spec)` (reply: the child's `caf::actor`),
/// `(terminate_child_atom, id)`, `(restart_child_atom, id)` (reply: `caf::actor`),
/// `(delete_child_atom, id)`, `which_children_atom` (reply: `std::vector<child_info>`) and
/// `subscribe_atom` (reply: empty; then a `child_exit` message for each child that exits).
///
/// Remote clients (other processes, other languages) send the Protobuf requests of
/// proto/troupe/actors/supervisor.proto instead, through troupe::net (see
/// `troupe::actors::register_protocols`); local clients never pay for that.
class supervisor {
public:
  /// `(start_child_atom, child_spec)`: adds and starts a child. Errors: `invalid_child_spec`,
  /// `duplicate_child`, `start_failed`.
  using start_child_atom = caf::atom_constant<caf::atom("sup_start")>;
  /// `(terminate_child_atom, id)`: stops a child; its spec stays (a temporary's is removed).
  /// Error: `unknown_child`.
  using terminate_child_atom = caf::atom_constant<caf::atom("sup_term")>;
  /// `(restart_child_atom, id)`: starts a terminated child again. Errors: `unknown_child`,
  /// `child_running`, `start_failed`.
  using restart_child_atom = caf::atom_constant<caf::atom("sup_rest")>;
  /// `(delete_child_atom, id)`: removes a terminated child's spec. Errors: `unknown_child`,
  /// `child_running`.
  using delete_child_atom = caf::atom_constant<caf::atom("sup_del")>;
  /// `which_children_atom`: replies with `std::vector<child_info>`, in start order.
  using which_children_atom = caf::atom_constant<caf::atom("sup_which")>;

  /// `subscribe_atom`: the sender gets a `child_exit` message whenever a child exits on its own
  /// (not when stopped by the supervisor), after the supervisor has acted on it.
  using subscribe_atom = caf::atom_constant<caf::atom("sup_subs")>;

  /// Spawns a supervisor (registered as `name` unless empty) that starts `children` in order.
  /// A child that fails to start stops the ones started before it, and the supervisor exits
  /// with `start_failed`. Errors: `invalid_child_spec` (an empty or repeated id, no start
  /// function, zero period), `invalid_name`, `duplicate_name`.
  static caf::expected<supervisor> spawn(troupe::system& sys, supervisor_flags flags,
                                         std::vector<child_spec> children,
                                         std::string_view name = {});

  /// A child spec for a nested supervisor; it may take as long as it needs to stop.
  static child_spec spec(std::string id, supervisor_flags flags, std::vector<child_spec> children);

  /// A client for an existing supervisor actor.
  explicit supervisor(caf::actor handle) noexcept : handle_(std::move(handle)) {}

  /// The supervisor actor.
  const caf::actor& handle() const noexcept { return handle_; }

  /// Adds and starts a child: `expected<caf::actor>`.
  auto start_child(co_actor& self, child_spec spec) const {
    return self.request<caf::actor>(handle_, start_child_atom::value, std::move(spec));
  }

  /// Stops a child: `expected<void>`.
  auto terminate_child(co_actor& self, std::string id) const {
    return self.request<>(handle_, terminate_child_atom::value, std::move(id));
  }

  /// Starts a terminated child again: `expected<caf::actor>`.
  auto restart_child(co_actor& self, std::string id) const {
    return self.request<caf::actor>(handle_, restart_child_atom::value, std::move(id));
  }

  /// Removes a terminated child: `expected<void>`.
  auto delete_child(co_actor& self, std::string id) const {
    return self.request<>(handle_, delete_child_atom::value, std::move(id));
  }

  /// The children in start order: `expected<std::vector<child_info>>`.
  auto which_children(co_actor& self) const {
    return self.request<std::vector<child_info>>(handle_, which_children_atom::value);
  }

  /// Makes this actor receive `child_exit` messages: `expected<void>`.
  auto subscribe(co_actor& self) const { return self.request<>(handle_, subscribe_atom::value); }

private:
  caf::actor handle_;
};

} // namespace troupe::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::child_spec)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::child_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::child_exit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<troupe::actors::child_info>)
