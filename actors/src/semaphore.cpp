#include "troupe/actors/semaphore.hpp"

#include <deque>
#include <map>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "troupe/actors/error.hpp"
#include "troupe/actors/semaphore.pb.h"
#include "troupe/system.hpp"

#include "detail/protocol_actor.hpp"
#include "detail/timer.hpp"
#include "detail/waiting.hpp"
#include "remote/pattern_replies.hpp"
#include "remote/replies.hpp"

namespace troupe::actors {

namespace {

using sem = semaphore;

/// An acquire that waits for permits.
struct waiting_acquire {
  uint64_t id;
  caf::actor_addr who;
  caf::response_promise reply;
  int32_t count;
};

/// The semaphore: free permits, permits per holder, and acquires in arrival order.
class semaphore_actor final : public detail::protocol_actor {
public:
  semaphore_actor(caf::actor_config& cfg, int32_t permits) : detail::protocol_actor(cfg) {
    stats_.permits = permits;
    stats_.available = permits;
  }

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& x) {
      forget_client(x.source);
      on_down(x.source);
    });
    return {
      [this](sem::acquire_atom, int32_t n) { acquire(n, std::nullopt); },
      [this](sem::acquire_within_atom, caf::timespan wait, int32_t n) { acquire(n, wait); },
      [this](sem::try_acquire_atom, int32_t n) -> caf::result<bool> { return try_acquire(n); },
      [this](sem::release_atom, int32_t n) -> caf::result<void> { return release(n); },
      [this](sem::stats_atom) { return current_stats(); },
      [this](detail::timer::expire_atom, uint64_t token) {
        for (auto id : timer_.due(this, token))
          detail::expire(waiting_, id, make_error(actors_error::timeout, "semaphore wait limit"));
        grant(); // a large acquire that gave up may unblock smaller ones behind it
      },
      // Protobuf clients (detail/remote_clients.hpp), after the local requests.
      [this](const Acquire& x) {
        serve_client(&remote::empty_as<Acquired>, [&] {
          auto wait = remote::wait_limit_of(x.wait_ns());
          if (!wait)
            return respond(std::move(wait.error()));
          acquire(x.count(), *wait);
        });
      },
      [this](const TryAcquire& x) {
        serve_client(&remote::try_acquired_reply, [&] { respond_result(try_acquire(x.count())); });
      },
      [this](const Release& x) {
        serve_client(&remote::empty_as<Released>, [&] { respond_result(release(x.count())); });
      },
      [this](const GetSemaphoreStats&) {
        serve_client(&remote::semaphore_stats_reply, [this] { respond(current_stats()); });
      },
    };
  }

private:
  semaphore_stats current_stats() const {
    auto result = stats_;
    result.waiting = waiting_.size();
    return result;
  }

  caf::error check_count(int32_t n) const {
    if (n < 1 || n > stats_.permits)
      return make_error(actors_error::invalid_argument, "semaphore count " + std::to_string(n) +
                                                          " not in 1.." +
                                                          std::to_string(stats_.permits));
    return caf::none;
  }

  void acquire(int32_t n, std::optional<caf::timespan> wait) {
    if (auto err = check_count(n)) {
      make_response_promise().deliver(std::move(err));
      return;
    }
    auto who = watched_.watch(this);
    auto reply = make_response_promise();
    if (waiting_.empty() && stats_.available >= n) {
      take(who, n);
      reply.deliver(caf::unit);
      return;
    }
    auto id = ++next_id_;
    waiting_.push_back({id, who, std::move(reply), n});
    if (wait)
      timer_.arm(this, *wait, id);
  }

  caf::result<bool> try_acquire(int32_t n) {
    if (auto err = check_count(n))
      return err;
    if (!waiting_.empty() || stats_.available < n)
      return false;
    take(watched_.watch(this), n);
    return true;
  }

  caf::result<void> release(int32_t n) {
    if (n < 1)
      return make_error(actors_error::invalid_argument, "semaphore release of fewer than 1");
    auto who = caf::actor_cast<caf::actor_addr>(current_sender());
    auto held = holders_.find(who);
    if (held == holders_.end() || held->second < n)
      return make_error(actors_error::not_holder, "release of " + std::to_string(n) +
                                                    " permits by an actor that holds fewer");
    give_back(held, n);
    grant();
    return caf::unit;
  }

  void take(const caf::actor_addr& who, int32_t n) {
    stats_.available -= n;
    holders_[who] += n;
    ++stats_.granted;
  }

  void give_back(std::map<caf::actor_addr, int32_t>::iterator held, int32_t n) {
    stats_.available += n;
    held->second -= n;
    if (held->second == 0)
      holders_.erase(held);
  }

  /// Grants waiting acquires in arrival order while the one at the head fits.
  void grant() {
    while (!waiting_.empty() && waiting_.front().count <= stats_.available) {
      auto w = std::move(waiting_.front());
      waiting_.pop_front();
      timer_.cancel(w.id);
      take(w.who, w.count);
      w.reply.deliver(caf::unit);
    }
  }

  void on_down(const caf::actor_addr& who) {
    watched_.forget(who);
    detail::forget_waiters(waiting_, who);
    if (auto held = holders_.find(who); held != holders_.end()) {
      stats_.reclaimed += static_cast<uint64_t>(held->second);
      give_back(held, held->second);
    }
    grant();
  }

  semaphore_stats stats_;
  std::deque<waiting_acquire> waiting_;
  std::map<caf::actor_addr, int32_t> holders_;
  detail::watch_list watched_;
  uint64_t next_id_ = 0;
  detail::timer timer_;
};

} // namespace

caf::expected<semaphore> semaphore::spawn(troupe::system& sys, int32_t permits) {
  if (permits < 1)
    return make_error(actors_error::invalid_argument, "semaphore permits must be >= 1");
  return semaphore{sys.engine().spawn<semaphore_actor>(permits)};
}

} // namespace troupe::actors
