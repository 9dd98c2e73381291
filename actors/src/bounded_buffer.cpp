#include "troupe/actors/bounded_buffer.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/message_view.hpp>
#include <caf/response_promise.hpp>
#include <caf/scheduled_actor.hpp>

#include "troupe/actors/bounded_buffer.pb.h"
#include "troupe/actors/error.hpp"
#include "troupe/system.hpp"

#include "detail/deadline_queue.hpp"
#include "detail/protocol_actor.hpp"
#include "detail/timer.hpp"
#include "detail/waiting.hpp"
#include "remote/buffer_replies.hpp"
#include "remote/replies.hpp"

namespace troupe::actors {

namespace {

using buf = bounded_buffer;

/// A take that waits for an item; `seq` orders all waits and names the wait's deadline.
struct waiting_taker {
  uint64_t seq;
  caf::actor_addr who;
  caf::response_promise reply;
};

/// A put that waits for room; its item is not in the buffer yet.
struct waiting_producer {
  uint64_t seq;
  caf::actor_addr who;
  caf::response_promise reply;
  caf::message item;
};

/// The waiter with `seq` in `waiters` (kept in the order of their `seq`), or their end.
template <class Waiters> auto find_waiter(Waiters& waiters, uint64_t seq) {
  // Most waits that are asked about were served from the front long ago: no search for those.
  if (waiters.empty() || seq < waiters.front().seq || seq > waiters.back().seq)
    return waiters.end();
  auto i = std::lower_bound(waiters.begin(), waiters.end(), seq,
                            [](const auto& w, uint64_t x) { return w.seq < x; });
  return i != waiters.end() && i->seq == seq ? i : waiters.end();
}

/// The buffer. Items handed out are remembered per taker until `task_done`, so that a
/// terminated taker's items go back to the head of the buffer.
class buffer_actor final : public detail::protocol_actor {
public:
  buffer_actor(caf::actor_config& cfg, size_t capacity) : detail::protocol_actor(cfg) {
    stats_.capacity = capacity;
  }

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& x) {
      forget_client(x.source);
      on_down(x.source);
    });
    // Puts carry any values after the atom, so they are matched here rather than by a
    // behavior clause, which needs the types.
    set_default_handler(
      [this](caf::scheduled_actor*, caf::message_view& x) { return on_other(x); });
    return {
      [this](buf::put_message_atom, caf::timespan wait, caf::message& item) {
        put(std::move(item), wait);
      },
      [this](buf::take_atom) { take(std::nullopt); },
      [this](buf::take_within_atom, caf::timespan wait) { take(wait); },
      [this](buf::task_done_atom) -> caf::result<void> { return task_done(); },
      [this](buf::join_atom) { join(); },
      [this](buf::close_atom) { close(); },
      [this](buf::stats_atom) { return current_stats(); },
      [this](detail::wakeup::expire_atom, uint64_t token) {
        if (wakeup_.take(token))
          expire_waits();
      },
      // Protobuf clients (remote ones, through troupe::net): after every local request, so
      // that local clients match first and pay nothing for them.
      [this](Put& x) { serve_put(x); },
      [this](const Take& x) { serve_take(x); },
      [this](const TaskDone&) {
        serve_client(&remote::empty_as<Done>, [this] { respond_result(task_done()); });
      },
      [this](const Join&) { serve_client(&remote::empty_as<Done>, [this] { join(); }); },
      [this](const Close&) {
        serve_client(&remote::empty_as<Done>, [this] {
          close();
          respond(caf::unit);
        });
      },
      [this](const GetStats&) {
        serve_client(&remote::buffer_stats_reply, [this] { respond(current_stats()); });
      },
    };
  }

private:
  // -- requests -------------------------------------------------------------------------------

  caf::result<caf::message> on_other(caf::message_view& x) {
    auto& xs = x.content();
    if (xs.size() >= 1 && xs.match_element<buf::put_atom>(0)) {
      put(x.move_content_to_message().drop(1), std::nullopt);
      return caf::delegated<caf::message>{};
    }
    if (xs.size() >= 2 && xs.match_element<buf::put_within_atom>(0) &&
        xs.match_element<caf::timespan>(1)) {
      auto wait = xs.get_as<caf::timespan>(1);
      put(x.move_content_to_message().drop(2), wait);
      return caf::delegated<caf::message>{};
    }
    return caf::make_error(caf::sec::unexpected_message);
  }

  void put(caf::message item, std::optional<caf::timespan> wait) {
    auto who = watch(); // before make_response_promise, which takes the sender out
    auto reply = make_response_promise();
    if (stats_.closed) {
      reply.deliver(make_error(actors_error::closed, "put on a closed bounded_buffer"));
      return;
    }
    if (producers_.empty() && items_.size() < stats_.capacity) {
      accept(std::move(reply), std::move(item));
      serve();
      return;
    }
    ++stats_.put_waits;
    producers_.push_back({next_seq(wait), who, std::move(reply), std::move(item)});
  }

  void take(std::optional<caf::timespan> wait) {
    auto who = watch(); // before make_response_promise, which takes the sender out
    auto reply = make_response_promise();
    if (takers_.empty() && !items_.empty()) {
      hand_out(reply, who);
      serve();
      return;
    }
    if (drained_for(who)) {
      reply.deliver(make_error(actors_error::end_of_stream));
      return;
    }
    takers_.push_back({next_seq(wait), who, std::move(reply)});
  }

  // -- wait limits ----------------------------------------------------------------------------

  /// The sequence number of a new wait, whose deadline, with a limit, is now + `wait`.
  uint64_t next_seq(std::optional<caf::timespan> wait) {
    auto seq = ++last_seq_;
    if (wait) {
      auto deadline = clock().now() + *wait;
      deadlines_.push(deadline, seq, takers_.size() + producers_.size(),
                      [this](uint64_t x) { return waits(x); });
      wakeup_.at(this, deadline);
    }
    return seq;
  }

  /// Whether the wait `seq` still waits (a take or a put).
  bool waits(uint64_t seq) {
    return find_waiter(takers_, seq) != takers_.end()
           || find_waiter(producers_, seq) != producers_.end();
  }

  /// Answers the waits whose limit passed with `timeout`; wakes up again for the next one.
  void expire_waits() {
    auto err = make_error(actors_error::timeout, "bounded_buffer wait limit passed");
    auto expire = [&](uint64_t seq) {
      if (auto t = find_waiter(takers_, seq); t != takers_.end()) {
        t->reply.deliver(err);
        takers_.erase(t);
      } else if (auto p = find_waiter(producers_, seq); p != producers_.end()) {
        p->reply.deliver(err);
        producers_.erase(p);
      }
    };
    auto next = deadlines_.expire_due(clock().now(), expire,
                                      [this](uint64_t x) { return waits(x); });
    if (next)
      wakeup_.at(this, *next);
  }

  caf::result<void> task_done() {
    auto held = held_.find(current_sender_addr());
    if (held == held_.end() || held->second.empty())
      return make_error(actors_error::nothing_taken,
                        "task_done from an actor that holds no item of this bounded_buffer");
    held->second.pop_front(); // the entry stays until its taker is down: a consumer that holds
                              // one item at a time would otherwise build a deque per item
    --stats_.unfinished;
    if (stats_.unfinished == 0)
      finish_joins();
    end_streams();
    return caf::unit;
  }

  void join() {
    auto reply = make_response_promise();
    if (stats_.unfinished == 0)
      reply.deliver(caf::unit);
    else
      joiners_.push_back(std::move(reply));
  }

  void close() {
    stats_.closed = true;
    for (auto& p : producers_)
      p.reply.deliver(make_error(actors_error::closed, "bounded_buffer closed before the put"));
    producers_.clear();
    end_streams();
  }

  buffer_stats current_stats() const {
    auto result = stats_;
    result.size = items_.size();
    return result;
  }

  // -- moving items ---------------------------------------------------------------------------

  /// Acknowledges the put before the item moves on, as asyncio's `put` returns before a
  /// waiting `get` runs.
  void accept(caf::response_promise reply, caf::message item) {
    reply.deliver(caf::unit);
    items_.push_back(std::move(item));
    ++stats_.puts;
    ++stats_.unfinished;
    stats_.high_water = std::max<uint64_t>(stats_.high_water, items_.size());
  }

  void hand_out(caf::response_promise& reply, const caf::actor_addr& who) {
    auto item = std::move(items_.front());
    items_.pop_front();
    ++stats_.takes;
    held_[who].push_back(item);
    reply.deliver(std::move(item));
  }

  /// Moves items to waiting takers and waiting producers' items into the buffer, in arrival
  /// order, until neither can move.
  void serve() {
    bool moved = true;
    while (moved) {
      moved = false;
      while (!items_.empty() && !takers_.empty()) {
        auto taker = std::move(takers_.front());
        takers_.pop_front();
        hand_out(taker.reply, taker.who);
        moved = true;
      }
      while (!producers_.empty() && items_.size() < stats_.capacity) {
        auto producer = std::move(producers_.front());
        producers_.pop_front();
        accept(std::move(producer.reply), std::move(producer.item));
        moved = true;
      }
    }
    end_streams();
  }

  /// Whether a take by `who` finds the stream ended: closed, empty, and no item held by
  /// another taker that could still come back (its own items come back only if it dies).
  bool drained_for(const caf::actor_addr& who) const {
    if (!stats_.closed || !items_.empty())
      return false;
    return std::all_of(held_.begin(), held_.end(),
                       [&](const auto& kv) { return kv.first == who || kv.second.empty(); });
  }

  void end_streams() {
    if (!stats_.closed)
      return;
    for (auto i = takers_.begin(); i != takers_.end();) {
      if (drained_for(i->who)) {
        i->reply.deliver(make_error(actors_error::end_of_stream));
        i = takers_.erase(i);
      } else {
        ++i;
      }
    }
  }

  void finish_joins() {
    for (auto& j : joiners_)
      j.deliver(caf::unit);
    joiners_.clear();
  }

  // -- takers that terminate ------------------------------------------------------------------

  caf::actor_addr current_sender_addr() {
    return caf::actor_cast<caf::actor_addr>(current_sender());
  }

  /// The sender's address; monitors it once, so that its items come back if it terminates.
  caf::actor_addr watch() { return watched_.watch(this); }

  void on_down(const caf::actor_addr& who) {
    watched_.forget(who);
    detail::forget_waiters(takers_, who);
    detail::forget_waiters(producers_, who);
    auto held = held_.find(who);
    if (held != held_.end()) {
      auto& lost = held->second;
      stats_.redelivered += lost.size();
      items_.insert(items_.begin(), std::make_move_iterator(lost.begin()),
                    std::make_move_iterator(lost.end()));
      stats_.high_water = std::max<uint64_t>(stats_.high_water, items_.size());
      held_.erase(held);
    }
    serve();
  }

  // -- Protobuf clients -----------------------------------------------------------------------
  // Each runs the local operation as its client's stand-in (detail/remote_clients.hpp); the
  // item of a remote put is kept as the google.protobuf.Any it came as (items are opaque).

  void serve_put(Put& x) {
    serve_client(&remote::empty_as<PutDone>, [&] {
      auto wait = remote::wait_limit_of(x.wait_ns());
      if (!wait)
        return respond(std::move(wait.error()));
      put(caf::make_message(std::move(*x.mutable_item())), *wait);
    });
  }

  void serve_take(const Take& x) {
    serve_client(&remote::item_reply, [&] {
      auto wait = remote::wait_limit_of(x.wait_ns());
      if (!wait)
        return respond(std::move(wait.error()));
      take(*wait);
    });
  }

  buffer_stats stats_;
  std::deque<caf::message> items_;
  std::deque<waiting_taker> takers_;
  std::deque<waiting_producer> producers_;
  std::vector<caf::response_promise> joiners_;
  /// Items taken and not yet marked done, per taker, oldest first.
  std::unordered_map<caf::actor_addr, std::deque<caf::message>> held_;
  detail::watch_list watched_;
  /// Numbers the waits, in arrival order (takers_ and producers_ stay sorted by it).
  uint64_t last_seq_ = 0;
  detail::deadline_queue deadlines_;
  detail::wakeup wakeup_;
};

} // namespace

caf::expected<bounded_buffer> bounded_buffer::spawn(troupe::system& sys, size_t capacity) {
  if (capacity == 0)
    return make_error(actors_error::invalid_argument, "bounded_buffer capacity must be >= 1");
  return bounded_buffer{sys.engine().spawn<buffer_actor>(capacity)};
}

} // namespace troupe::actors
