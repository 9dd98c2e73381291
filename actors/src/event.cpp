#include "troupe/actors/event.hpp"

#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "troupe/actors/error.hpp"
#include "troupe/actors/event.pb.h"
#include "troupe/system.hpp"

#include "detail/protocol_actor.hpp"
#include "detail/timer.hpp"
#include "detail/waiting.hpp"
#include "remote/pattern_replies.hpp"
#include "remote/replies.hpp"

namespace troupe::actors {

namespace {

using ev = event;

/// A wait for the flag.
struct waiting_for_flag {
  uint64_t id;
  caf::response_promise reply;
};

/// The event: a flag and the waits for it.
class event_actor final : public detail::protocol_actor {
public:
  using detail::protocol_actor::protocol_actor;

  caf::behavior make_behavior() override {
    return {
      [this](ev::wait_atom) { wait(std::nullopt); },
      [this](ev::wait_within_atom, caf::timespan limit) { wait(limit); },
      [this](ev::set_atom) { set(); },
      [this](ev::clear_atom) { flag_ = false; },
      [this](ev::is_set_atom) { return flag_; },
      [this](detail::timer::expire_atom, uint64_t token) {
        for (auto id : timer_.due(this, token))
          detail::expire(waiting_, id, make_error(actors_error::timeout, "event wait limit"));
      },
      // Protobuf clients (detail/remote_clients.hpp), after the local requests. The event
      // keeps nothing per client; the stand-ins only translate the replies.
      [this](const WaitEvent& x) {
        serve_client(&remote::empty_as<EventDone>, [&] {
          auto limit = remote::wait_limit_of(x.wait_ns());
          if (!limit)
            return respond(std::move(limit.error()));
          wait(*limit);
        });
      },
      [this](const SetEvent&) {
        serve_client(&remote::empty_as<EventDone>, [this] {
          set();
          respond(caf::unit);
        });
      },
      [this](const ClearEvent&) {
        serve_client(&remote::empty_as<EventDone>, [this] {
          flag_ = false;
          respond(caf::unit);
        });
      },
      [this](const IsSet&) {
        serve_client(&remote::event_state_reply, [this] { respond(flag_); });
      },
    };
  }

private:
  /// Sets the flag and answers every waiter.
  void set() {
    flag_ = true;
    for (auto& w : waiting_) {
      w.reply.deliver(caf::unit);
      timer_.cancel(w.id);
    }
    waiting_.clear();
  }

  void wait(std::optional<caf::timespan> limit) {
    auto reply = make_response_promise();
    if (flag_) {
      reply.deliver(caf::unit);
      return;
    }
    auto id = ++next_id_;
    waiting_.push_back({id, std::move(reply)});
    if (limit)
      timer_.arm(this, *limit, id);
  }

  bool flag_ = false;
  std::vector<waiting_for_flag> waiting_;
  uint64_t next_id_ = 0;
  detail::timer timer_;
};

} // namespace

event event::spawn(troupe::system& sys) {
  return event{sys.engine().spawn<event_actor>()};
}

} // namespace troupe::actors
