#pragma once

// What every pattern actor does with requests that must wait: remember who sent them (and
// monitor them once, to notice when they terminate), and answer them later, by id.

#include <algorithm>
#include <cstdint>
#include <functional>
#include <unordered_set>
#include <utility>

#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/error.hpp>
#include <caf/scheduled_actor.hpp>

namespace troupe::actors::detail {

/// Hashes and compares actor addresses and control blocks alike (as `std::hash<actor_addr>` and
/// `actor_addr::compare` do), so that the sender of the current message is looked up by its
/// control block, without building an actor_addr: a weak reference count up and down.
struct address_key {
  using is_transparent = void;
  size_t operator()(const caf::actor_addr& x) const noexcept {
    return std::hash<caf::actor_addr>{}(x);
  }
  size_t operator()(const caf::actor_control_block* x) const noexcept {
    return x != nullptr ? static_cast<size_t>(x->id()) : 0;
  }
  bool operator()(const caf::actor_addr& x, const caf::actor_addr& y) const noexcept {
    return x == y;
  }
  bool operator()(const caf::actor_addr& x, const caf::actor_control_block* y) const noexcept {
    return x.compare(y) == 0;
  }
  bool operator()(const caf::actor_control_block* x, const caf::actor_addr& y) const noexcept {
    return y.compare(x) == 0;
  }
};

/// The address of the actor with control block `x` (null for null).
inline caf::actor_addr address_of(caf::actor_control_block* x) {
  return caf::actor_addr{x, true};
}

/// The actors a pattern actor monitors, each once: a down message then tells it to give
/// back what that actor held and to forget its waiting requests.
class watch_list {
public:
  /// Monitors the sender of the current message unless it is watched already; returns its
  /// address (null for an anonymous sender). Call it before `make_response_promise`, which
  /// moves the sender out of the current message.
  caf::actor_addr watch(caf::scheduled_actor* self) {
    auto who = caf::actor_cast<caf::actor_addr>(self->current_sender());
    if (who && watched_.insert(who).second)
      self->monitor(self->current_sender());
    return who;
  }

  /// `watch` for a sender that is usually watched already: returns its control block (null for
  /// an anonymous sender), which stays valid while the response promise made from the current
  /// message (or the message itself) holds the sender.
  caf::actor_control_block* watch_sender(caf::scheduled_actor* self) {
    const auto& sender = self->current_sender();
    if (sender && watched_.find(sender.get()) == watched_.end()) {
      watched_.insert(caf::actor_cast<caf::actor_addr>(sender));
      self->monitor(sender);
    }
    return sender.get();
  }

  /// Forgets `who` after its down message.
  void forget(const caf::actor_addr& who) { watched_.erase(who); }

private:
  std::unordered_set<caf::actor_addr, address_key, address_key> watched_;
};

/// Answers the waiter with `id` in `waiters` (entries with `id` and `reply`) with `err` and
/// removes it; false if it is not waiting anymore.
template <class Waiters> bool expire(Waiters& waiters, uint64_t id, const caf::error& err) {
  auto i = std::find_if(waiters.begin(), waiters.end(), [id](auto& w) { return w.id == id; });
  if (i == waiters.end())
    return false;
  i->reply.deliver(err);
  waiters.erase(i);
  return true;
}

/// Removes every waiter of `who` from `waiters` (entries with `who`); their replies are not
/// answered, since `who` terminated.
template <class Waiters> void forget_waiters(Waiters& waiters, const caf::actor_addr& who) {
  waiters.erase(
    std::remove_if(waiters.begin(), waiters.end(), [&](auto& w) { return w.who == who; }),
    waiters.end());
}

} // namespace troupe::actors::detail
