#include "troupe/actors/barrier.hpp"

#include <set>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "troupe/actors/barrier.pb.h"
#include "troupe/actors/error.hpp"
#include "troupe/system.hpp"

#include "detail/protocol_actor.hpp"
#include "detail/timer.hpp"
#include "detail/waiting.hpp"
#include "remote/pattern_replies.hpp"
#include "remote/replies.hpp"

namespace troupe::actors {

namespace {

using bar = barrier;

/// A party waiting for its round to fill.
struct waiting_party {
  uint64_t id;
  caf::actor_addr who;
  caf::response_promise reply;
};

/// The barrier: the waiters of the current round and whether it is broken.
class barrier_actor final : public detail::protocol_actor {
public:
  barrier_actor(caf::actor_config& cfg, int32_t parties, std::optional<caf::timespan> timeout)
      : detail::protocol_actor(cfg), parties_(parties), timeout_(timeout) {}

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& x) {
      forget_client(x.source);
      on_down(x.source, x.reason);
    });
    return {
      [this](bar::wait_atom) { arrive(timeout_); },
      [this](bar::wait_within_atom, caf::timespan limit) { arrive(limit); },
      [this](bar::abort_atom) { breaks("barrier aborted"); },
      [this](bar::reset_atom) { reset(); },
      [this](bar::stats_atom) {
        return caf::make_message(static_cast<int32_t>(waiting_.size()), rounds_, !broken_.empty());
      },
      [this](detail::timer::expire_atom, uint64_t token) {
        for (auto id : timer_.due(this, token))
          if (std::find_if(waiting_.begin(), waiting_.end(),
                           [id](auto& w) { return w.id == id; }) != waiting_.end())
            breaks("a barrier wait passed its time limit");
      },
      // Protobuf clients (detail/remote_clients.hpp), after the local requests.
      [this](const ArriveAndWait& x) {
        serve_client(&remote::passed_reply, [&] {
          auto limit = remote::wait_limit_of(x.limit_ns());
          if (!limit)
            return respond(std::move(limit.error()));
          arrive(*limit ? *limit : timeout_); // 0: the barrier's own timeout
        });
      },
      [this](const Abort&) {
        serve_client(&remote::empty_as<BarrierDone>, [this] {
          breaks("barrier aborted");
          respond(caf::unit);
        });
      },
      [this](const Reset&) {
        serve_client(&remote::empty_as<BarrierDone>, [this] {
          reset();
          respond(caf::unit);
        });
      },
    };
  }

private:
  void arrive(std::optional<caf::timespan> limit) {
    auto who = watched_.watch(this);
    auto reply = make_response_promise();
    if (!broken_.empty()) {
      reply.deliver(make_error(actors_error::broken_barrier, broken_));
      return;
    }
    auto index = static_cast<int32_t>(waiting_.size());
    if (index + 1 == parties_) {
      reply.deliver(index);
      for (size_t i = 0; i < waiting_.size(); ++i) {
        waiting_[i].reply.deliver(static_cast<int32_t>(i));
        timer_.cancel(waiting_[i].id);
      }
      waiting_.clear();
      ++rounds_;
      return;
    }
    auto id = ++next_id_;
    waiting_.push_back({id, who, std::move(reply)});
    if (limit)
      timer_.arm(this, *limit, id);
  }

  /// Breaks the current round and makes the barrier usable again.
  void reset() {
    breaks("barrier reset");
    broken_.clear();
  }

  /// Breaks the barrier: every waiter gets `broken_barrier` with `why`.
  void breaks(std::string why) {
    broken_ = std::move(why);
    for (auto& w : waiting_)
      w.reply.deliver(make_error(actors_error::broken_barrier, broken_));
    waiting_.clear();
  }

  /// A party that crashed or was killed, or one that left while waiting, leaves a round that
  /// cannot fill as counted; one that finished normally while not waiting has done its rounds.
  void on_down(const caf::actor_addr& who, const caf::error& reason) {
    watched_.forget(who);
    auto before = waiting_.size();
    detail::forget_waiters(waiting_, who);
    if (reason || waiting_.size() != before)
      breaks("a barrier party terminated");
  }

  int32_t parties_;
  std::optional<caf::timespan> timeout_;
  std::vector<waiting_party> waiting_;
  /// Why the barrier is broken; empty while it is not.
  std::string broken_;
  uint64_t rounds_ = 0;
  detail::watch_list watched_;
  uint64_t next_id_ = 0;
  detail::timer timer_;
};

} // namespace

caf::expected<barrier> barrier::spawn(troupe::system& sys, int32_t parties,
                                      std::optional<caf::timespan> timeout) {
  if (parties < 1)
    return make_error(actors_error::invalid_argument, "barrier parties must be >= 1");
  return barrier{sys.engine().spawn<barrier_actor>(parties, timeout)};
}

} // namespace troupe::actors
