#include "troupe/actors/supervisor.hpp"

#include <algorithm>
#include <deque>
#include <set>
#include <variant>

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "detail/subtask.hpp"
#include "remote/replies.hpp"
#include "troupe/actors/supervisor.pb.h"
#include "troupe/protobuf.hpp"

namespace troupe::actors {

namespace {

using detail::subtask;
using clock_type = std::chrono::steady_clock;
using sup = supervisor;

/// One child: its spec, its running incarnation (null when stopped) and its restart count.
struct child {
  child_spec spec;
  caf::actor handle;
  uint64_t restarts = 0;
  /// Whether a restart by the strategy starts it: false once it was terminated on request or
  /// a transient child ended normally.
  bool wanted = true;
};

/// Whether a transient child that exited for `reason` stays down.
bool is_normal_exit(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::user_shutdown;
}

caf::error check_spec(const child_spec& spec) {
  if (spec.id.empty())
    return make_error(supervisor_error::invalid_child_spec, "a child id is empty");
  if (!spec.start)
    return make_error(supervisor_error::invalid_child_spec,
                      "child '" + spec.id + "' has no start function");
  if (!spec.name.empty())
    if (auto err = troupe::registry::validate(spec.name))
      return err;
  return caf::none;
}

/// The supervisor's state and its steps; it lives in the coroutine frame of the actor.
class supervision {
public:
  supervision(co_actor& self, supervisor_flags flags, std::vector<child_spec> specs)
      : self_(self), flags_(flags) {
    for (auto& spec : specs)
      children_.push_back(child{std::move(spec), {}, 0, true});
  }

  supervision(const supervision&) = delete;
  supervision& operator=(const supervision&) = delete;

  /// Kills what still runs: reached with running children only when the supervisor itself was
  /// killed (an orderly stop has stopped them all).
  ~supervision() {
    for (auto& c : children_)
      if (c.handle)
        caf::anon_send_exit(c.handle, caf::exit_reason::kill);
  }

  /// Starts the children, then serves requests and exits until it stops; returns the reason
  /// the supervisor exits with.
  subtask<caf::error> run() {
    self_.trap_exit(true);
    for (size_t i = 0; i < children_.size(); ++i) {
      if (auto err = start(children_[i])) {
        co_await stop_from(0);
        co_return err;
      }
    }
    for (;;) {
      if (!deferred_.empty()) {
        auto down = std::move(deferred_.front());
        deferred_.pop_front();
        if (auto err = co_await on_down(down))
          co_return err;
        continue;
      }
      auto msg = co_await self_
                   .receive<caf::down_msg, caf::exit_msg, std::tuple<caf::atom_value, child_spec>,
                            std::tuple<caf::atom_value, std::string>, caf::atom_value,
                            TerminateChild, RestartChild, DeleteChild, WhichChildren>();
      if (auto* down = std::get_if<caf::down_msg>(&msg)) {
        if (auto err = co_await on_down(*down))
          co_return err;
      } else if (auto* exit = std::get_if<caf::exit_msg>(&msg)) {
        if (exit->reason && exit->reason != caf::exit_reason::normal) {
          co_await stop_from(0);
          co_return std::move(exit->reason);
        }
      } else if (auto* add = std::get_if<std::tuple<caf::atom_value, child_spec>>(&msg)) {
        reply_start(std::move(std::get<1>(*add)));
      } else if (auto* cmd = std::get_if<std::tuple<caf::atom_value, std::string>>(&msg)) {
        co_await on_command(std::get<0>(*cmd), std::get<1>(*cmd), false);
      } else if (auto* x = std::get_if<TerminateChild>(&msg)) {
        // Protobuf clients (proto/troupe/actors/supervisor.proto): the same commands.
        co_await on_command(sup::terminate_child_atom::value, x->id(), true);
      } else if (auto* x = std::get_if<RestartChild>(&msg)) {
        co_await on_command(sup::restart_child_atom::value, x->id(), true);
      } else if (auto* x = std::get_if<DeleteChild>(&msg)) {
        co_await on_command(sup::delete_child_atom::value, x->id(), true);
      } else if (std::holds_alternative<WhichChildren>(msg)) {
        self_.reply(children_proto());
      } else if (std::get<caf::atom_value>(msg) == sup::which_children_atom::value) {
        self_.reply(which_children());
      } else if (std::get<caf::atom_value>(msg) == sup::subscribe_atom::value) {
        // The requester is the promise's source: CAF moves a request's sender into it.
        auto promise = self_.take_reply_promise();
        if (auto who = caf::actor_cast<caf::actor>(promise.source()))
          subscribers_.push_back(std::move(who));
        promise.deliver(caf::unit);
      }
    }
  }

private:
  child* find(const std::string& id) {
    auto i = std::find_if(children_.begin(), children_.end(),
                          [&](const child& c) { return c.spec.id == id; });
    return i == children_.end() ? nullptr : &*i;
  }

  /// The running child whose incarnation is `who`, as an index, or children_.size().
  size_t index_of(const caf::actor_addr& who) const {
    for (size_t i = 0; i < children_.size(); ++i)
      if (children_[i].handle && children_[i].handle.address() == who)
        return i;
    return children_.size();
  }

  /// Starts one incarnation of `c`: spawns it, watches it and binds its name to it.
  caf::error start(child& c) {
    auto& sys = self_.system();
    auto& name = c.spec.name;
    if (!name.empty())
      release_stale_name(name);
    auto started = c.spec.start(sys, name);
    if (!started)
      return make_error(supervisor_error::start_failed,
                        "child '" + c.spec.id + "': " + caf::to_string(started.error()));
    if (!*started)
      return make_error(supervisor_error::start_failed,
                        "child '" + c.spec.id + "': the start function returned no actor");
    c.handle = std::move(*started);
    self_.monitor(c.handle);
    if (!name.empty() &&
        sys.registry().find(name) != caf::actor_cast<caf::strong_actor_ptr>(c.handle)) {
      if (auto err = sys.register_name(name, c.handle)) {
        caf::anon_send_exit(c.handle, caf::exit_reason::kill);
        return make_error(supervisor_error::start_failed,
                          "child '" + c.spec.id + "': " + caf::to_string(err));
      }
    }
    return caf::none;
  }

  /// Frees `name` if it still refers to a dead incarnation: the registry frees a name in the
  /// exiting actor's cleanup, which may run just after the supervisor got the down message.
  void release_stale_name(const std::string& name) {
    auto& reg = self_.system().registry();
    auto holder = reg.find(name);
    if (!holder)
      return;
    auto addr = caf::actor_cast<caf::actor_addr>(holder);
    if (dead_.count(addr) > 0)
      reg.remove(name);
  }

  /// Stops `c` (user_shutdown, then kill after its shutdown time) and awaits its exit.
  subtask<> stop(child& c) {
    auto who = c.handle.address();
    // It may have exited already, its down message set aside while another child was being
    // stopped (system::shutdown tells every actor to stop, children included): waiting for a
    // second one would take its shutdown time twice, for nothing.
    auto early = std::find_if(deferred_.begin(), deferred_.end(),
                              [&](const caf::down_msg& down) { return down.source == who; });
    if (early != deferred_.end()) {
      deferred_.erase(early);
      forget(c);
      co_return;
    }
    caf::anon_send_exit(c.handle, caf::exit_reason::user_shutdown);
    bool killed = false;
    for (;;) {
      auto down = co_await self_.receive<caf::down_msg>(c.spec.shutdown);
      if (!down) {
        if (killed)
          break; // it does not even process a kill (a detached actor stuck in a call): give up
        caf::anon_send_exit(c.handle, caf::exit_reason::kill);
        killed = true;
        continue;
      }
      if (down->source == who)
        break;
      deferred_.push_back(std::move(*down)); // another child's: handled once this stop is done
    }
    forget(c);
  }

  /// Stops the children from index `first` on, last started first.
  subtask<> stop_from(size_t first) {
    for (size_t i = children_.size(); i > first; --i)
      if (children_[i - 1].handle)
        co_await stop(children_[i - 1]);
  }

  /// Drops the running incarnation of `c`, remembering it as dead for its name's sake.
  void forget(child& c) {
    if (!c.handle)
      return;
    dead_.insert(c.handle.address());
    if (dead_.size() > max_dead_remembered)
      dead_.erase(dead_.begin());
    c.handle = nullptr;
  }

  /// Records one restart; false if it exceeds the intensity.
  bool count_restart() {
    auto now = clock_type::now();
    restarts_.push_back(now);
    while (!restarts_.empty() && now - restarts_.front() > flags_.period)
      restarts_.pop_front();
    return restarts_.size() <= flags_.intensity;
  }

  /// A child exited: restarts by the strategy, or returns why the supervisor must exit.
  subtask<caf::error> on_down(caf::down_msg& down) {
    auto i = index_of(down.source);
    if (i == children_.size())
      co_return caf::none; // an incarnation already stopped or replaced
    auto& c = children_[i];
    auto id = c.spec.id;
    forget(c);
    if (c.spec.restart == restart_type::temporary) {
      children_.erase(children_.begin() + static_cast<ptrdiff_t>(i));
      notify(id, down.reason, false);
      co_return caf::none;
    }
    if (c.spec.restart == restart_type::transient && is_normal_exit(down.reason)) {
      c.wanted = false;
      notify(id, down.reason, false);
      co_return caf::none;
    }
    auto why = "child '" + id + "' exited with " + caf::to_string(down.reason);
    auto err = co_await restart(i, std::move(why));
    notify(id, down.reason, !err);
    co_return err;
  }

  /// Tells the subscribers that child `id` exited for `reason`.
  void notify(const std::string& id, const caf::error& reason, bool restarted) {
    for (auto& who : subscribers_)
      self_.send(who, child_exit{id, reason, restarted});
  }

  /// Restarts child `i` and, by the strategy, its siblings; a start that fails counts as one
  /// more crash of that child.
  subtask<caf::error> restart(size_t i, std::string why) {
    for (;;) {
      if (!count_restart()) {
        co_await stop_from(0);
        co_return make_error(
          supervisor_error::restart_intensity_exceeded,
          why + "; more than " + std::to_string(flags_.intensity) + " restarts within " +
            std::to_string(
              std::chrono::duration_cast<std::chrono::milliseconds>(flags_.period).count()) +
            " ms");
      }
      size_t first = i;
      if (flags_.strategy == restart_strategy::one_for_all)
        first = 0;
      if (flags_.strategy != restart_strategy::one_for_one)
        co_await stop_from(first);
      size_t last = flags_.strategy == restart_strategy::one_for_one ? i + 1 : children_.size();
      auto failed = restart_range(first, last, i);
      if (!failed)
        co_return caf::none;
      i = failed->first;
      why = std::move(failed->second);
    }
  }

  /// Starts the stopped children in [first, last) (temporaries among them are dropped, as
  /// their exit ends them); the failed one and why, if a start fails.
  std::optional<std::pair<size_t, std::string>> restart_range(size_t first, size_t last,
                                                              size_t crashed) {
    for (size_t j = first; j < last && j < children_.size(); ++j) {
      auto& c = children_[j];
      if (c.handle || !c.wanted)
        continue;
      if (j != crashed && c.spec.restart == restart_type::temporary) {
        children_.erase(children_.begin() + static_cast<ptrdiff_t>(j));
        --j;
        --last;
        if (crashed > j)
          --crashed;
        continue;
      }
      ++c.restarts;
      if (auto err = start(c))
        return std::pair{j, caf::to_string(err)};
    }
    return std::nullopt;
  }

  void reply_start(child_spec spec) {
    if (auto err = check_spec(spec)) {
      self_.reply(std::move(err));
      return;
    }
    if (find(spec.id) != nullptr) {
      self_.reply(make_error(supervisor_error::duplicate_child, spec.id));
      return;
    }
    children_.push_back(child{std::move(spec), {}, 0, true});
    if (auto err = start(children_.back())) {
      children_.pop_back();
      self_.reply(std::move(err));
      return;
    }
    self_.reply(children_.back().handle);
  }

  /// Runs a child command; a Protobuf client (`protobuf`) gets ChildDone or SupervisorError
  /// where a local one gets the empty reply, the new handle or the error.
  subtask<> on_command(caf::atom_value op, const std::string& id, bool protobuf) {
    auto promise = self_.take_reply_promise();
    auto answer = [&](caf::message local) {
      if (!protobuf)
        promise.deliver(std::move(local));
      else if (auto* err = remote::error_in(local))
        promise.deliver(
          remote::coded_error_reply<SupervisorError>(*err, supervisor_error_category));
      else
        promise.deliver(ChildDone{});
    };
    auto* c = find(id);
    if (c == nullptr) {
      answer(caf::make_message(make_error(supervisor_error::unknown_child, id)));
      co_return;
    }
    if (op == sup::terminate_child_atom::value) {
      if (c->handle)
        co_await stop(*c);
      c->wanted = false;
      if (c->spec.restart == restart_type::temporary)
        children_.erase(children_.begin() + (c - children_.data()));
      answer(caf::message{});
    } else if (c->handle) {
      answer(caf::make_message(make_error(supervisor_error::child_running, id)));
    } else if (op == sup::restart_child_atom::value) {
      c->wanted = true;
      if (auto err = start(*c))
        answer(caf::make_message(std::move(err)));
      else
        answer(caf::make_message(c->handle));
    } else if (op == sup::delete_child_atom::value) {
      children_.erase(children_.begin() + (c - children_.data()));
      answer(caf::message{});
    }
  }

  /// WhichChildren's reply to a Protobuf client.
  Children children_proto() const {
    Children result;
    for (auto& c : children_) {
      auto* info = result.add_children();
      info->set_id(c.spec.id);
      info->set_running(static_cast<bool>(c.handle));
      info->set_restart(static_cast<RestartType>(c.spec.restart));
      info->set_name(c.spec.name);
      info->set_restarts(c.restarts);
    }
    return result;
  }

  std::vector<child_info> which_children() const {
    std::vector<child_info> result;
    for (auto& c : children_)
      result.push_back(child_info{c.spec.id, c.handle, c.spec.restart, c.spec.name, c.restarts});
    return result;
  }

  /// How many dead incarnations are remembered for freeing their names: far more than can
  /// die between a crash and its restart.
  static constexpr size_t max_dead_remembered = 64;

  co_actor& self_;
  supervisor_flags flags_;
  std::vector<child> children_;
  std::deque<clock_type::time_point> restarts_;
  /// Down messages of other children that arrived while one child was being stopped.
  std::deque<caf::down_msg> deferred_;
  std::set<caf::actor_addr> dead_;
  std::vector<caf::actor> subscribers_;
};

task supervisor_body(co_actor& self, supervisor_flags flags, std::vector<child_spec> specs) {
  caf::error reason;
  {
    supervision sup{self, flags, std::move(specs)};
    reason = co_await sup.run();
  }
  if (!reason)
    co_return;
  // A coroutine actor ends normally or with an exception: to exit with this reason, it sends
  // itself the exit message (no longer trapped) that ends it.
  self.trap_exit(false);
  caf::anon_send(self.handle(), caf::exit_msg{self.handle().address(), std::move(reason)});
  // The exit message ends the actor while it waits here; nothing else is received.
  for (;;)
    (void)co_await self.receive<caf::exit_msg>();
}

caf::error check_flags(const supervisor_flags& flags) {
  if (flags.period <= caf::timespan{0})
    return make_error(supervisor_error::invalid_child_spec, "the restart period must be > 0");
  return caf::none;
}

caf::error check_specs(const std::vector<child_spec>& specs) {
  std::set<std::string_view> ids;
  for (auto& spec : specs) {
    if (auto err = check_spec(spec))
      return err;
    if (!ids.insert(spec.id).second)
      return make_error(supervisor_error::invalid_child_spec,
                        "child id '" + spec.id + "' appears twice");
  }
  return caf::none;
}

} // namespace

caf::expected<supervisor> supervisor::spawn(troupe::system& sys, supervisor_flags flags,
                                            std::vector<child_spec> children,
                                            std::string_view name) {
  if (auto err = check_flags(flags))
    return err;
  if (auto err = check_specs(children))
    return err;
  if (name.empty())
    return supervisor{sys.spawn(supervisor_body, flags, std::move(children))};
  auto handle = sys.spawn_named(name, supervisor_body, flags, std::move(children));
  if (!handle)
    return std::move(handle.error());
  return supervisor{std::move(*handle)};
}

child_spec supervisor::spec(std::string id, supervisor_flags flags,
                            std::vector<child_spec> children) {
  child_spec result;
  result.id = std::move(id);
  result.start = [flags, children = std::move(children)](
                   troupe::system& sys, std::string_view name) -> caf::expected<caf::actor> {
    auto sup = supervisor::spawn(sys, flags, children, name);
    if (!sup)
      return std::move(sup.error());
    return sup->handle();
  };
  result.shutdown = std::chrono::hours{24};
  return result;
}

} // namespace troupe::actors
