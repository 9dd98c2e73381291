#include "troupe/actors/bounded_buffer.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <unordered_map>
#include <utility>

#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message_view.hpp>
#include <caf/response_promise.hpp>
#include <caf/scheduled_actor.hpp>

#include "troupe/actors/bounded_buffer.pb.h"
#include "troupe/actors/error.hpp"
#include "troupe/detail/wait_clock.hpp"
#include "troupe/system.hpp"

#include "detail/protocol_actor.hpp"
#include "detail/timer.hpp"
#include "detail/waiting.hpp"
#include "remote/buffer_replies.hpp"
#include "remote/replies.hpp"

namespace troupe::actors {

namespace {

using buf = bounded_buffer;
using time_point = caf::actor_clock::time_point;

/// The items a client took and has not marked done yet, oldest first.
using held_items = std::deque<caf::message>;

/// A take that waits for an item.
struct waiting_taker {
  caf::response_promise reply;
  /// Its taker's entry in `buffer_actor::clients_` (what it holds), which outlives its waits
  /// and tells whose wait it is.
  held_items* held;
  /// When it gives up with `timeout`, if it has a wait limit.
  std::optional<time_point> deadline;
};

/// A put that waits for room; its item is not in the buffer yet.
struct waiting_producer {
  caf::response_promise reply;
  caf::message item;
  /// Its producer's entry in `buffer_actor::clients_`.
  held_items* client;
  std::optional<time_point> deadline;
};

/// The buffer. Items handed out are remembered per taker until `task_done`, so that a
/// terminated taker's items go back to the head of the buffer.
class buffer_actor final : public detail::protocol_actor {
public:
  buffer_actor(caf::actor_config& cfg, size_t capacity)
      : detail::protocol_actor(cfg), deadline_clock_(clock()) {
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
    if (stats_.closed) {
      respond(make_error(actors_error::closed, "put on a closed bounded_buffer"));
      return;
    }
    if (producers_.empty() && items_.size() < stats_.capacity) {
      auto reply = make_response_promise();
      accept(reply, std::move(item));
      serve();
      return;
    }
    // Only a producer that waits is monitored: one that terminates then leaves no wait behind.
    auto* entry = client(); // before make_response_promise, which takes the sender out
    ++stats_.put_waits;
    producers_.emplace_back(make_response_promise(), std::move(item), entry, deadline_of(wait));
  }

  void take(std::optional<caf::timespan> wait) {
    auto* held = client(); // before make_response_promise, which takes the sender out
    auto reply = make_response_promise();
    if (takers_.empty() && !items_.empty()) {
      hand_out(reply, *held);
      serve();
      return;
    }
    if (drained_for(held)) {
      reply.deliver(make_error(actors_error::end_of_stream));
      return;
    }
    takers_.emplace_back(std::move(reply), held, deadline_of(wait));
  }

  // -- wait limits ----------------------------------------------------------------------------
  // A wait keeps its deadline itself and the buffer asks for one wake-up, for the earliest:
  // a wait costs a clock reading (a coarse one for a long wait: troupe::detail::wait_clock),
  // nothing to undo when it is served (nearly all are, long before their limit). A wake-up
  // looks at every wait, which are few (one per waiting client), and comes at most once per
  // deadline that was the earliest left.

  /// The deadline of a new wait with limit `wait`, if any; the buffer wakes up by then.
  std::optional<time_point> deadline_of(std::optional<caf::timespan> wait) {
    if (!wait)
      return std::nullopt;
    auto deadline = deadline_clock_.start_of(*wait) + *wait;
    wakeup_.at(this, deadline);
    return deadline;
  }

  /// Answers the waits whose limit passed with `timeout`; wakes up again for the next one.
  void expire_waits() {
    auto now = clock().now();
    auto err = make_error(actors_error::timeout, "bounded_buffer wait limit passed");
    std::optional<time_point> next;
    auto expire = [&](auto& waiters) {
      for (auto i = waiters.begin(); i != waiters.end();) {
        if (i->deadline && *i->deadline <= now) {
          i->reply.deliver(err);
          i = waiters.erase(i);
          continue;
        }
        if (i->deadline && (!next || *i->deadline < *next))
          next = i->deadline;
        ++i;
      }
    };
    expire(takers_);
    expire(producers_);
    if (next)
      wakeup_.at(this, *next);
  }

  caf::result<void> task_done() {
    auto held = clients_.find(current_sender().get());
    if (held == clients_.end() || held->second.empty())
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
  void accept(caf::response_promise& reply, caf::message item) {
    reply.deliver(caf::unit);
    items_.push_back(std::move(item));
    ++stats_.puts;
    ++stats_.unfinished;
    stats_.high_water = std::max<uint64_t>(stats_.high_water, items_.size());
  }

  void hand_out(caf::response_promise& reply, held_items& held) {
    auto item = std::move(items_.front());
    items_.pop_front();
    ++stats_.takes;
    held.push_back(item);
    reply.deliver(std::move(item));
  }

  /// Moves items to waiting takers and waiting producers' items into the buffer, in arrival
  /// order, until neither can move. Each wait is answered where it is queued, then dropped:
  /// moving a response promise out first costs as much again as answering it.
  void serve() {
    bool moved = true;
    while (moved) {
      moved = false;
      while (!items_.empty() && !takers_.empty()) {
        hand_out(takers_.front().reply, *takers_.front().held);
        takers_.pop_front();
        moved = true;
      }
      while (!producers_.empty() && items_.size() < stats_.capacity) {
        auto& producer = producers_.front();
        accept(producer.reply, std::move(producer.item));
        producers_.pop_front();
        moved = true;
      }
    }
    end_streams();
  }

  /// Whether a take by the client with entry `own` finds the stream ended: closed, empty, and
  /// no item held by another taker that could still come back (its own come back only if it
  /// dies).
  bool drained_for(const held_items* own) const {
    if (!stats_.closed || !items_.empty())
      return false;
    return std::all_of(clients_.begin(), clients_.end(),
                       [&](const auto& kv) { return &kv.second == own || kv.second.empty(); });
  }

  void end_streams() {
    if (!stats_.closed)
      return;
    for (auto i = takers_.begin(); i != takers_.end();) {
      if (drained_for(i->held)) {
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

  /// What the current sender holds: its entry, made on first use, when the sender is also
  /// monitored, so that its items come back and its waits go if it terminates. Call it before
  /// `make_response_promise`, which takes the sender out.
  held_items* client() {
    const auto& sender = current_sender();
    if (auto entry = clients_.find(sender.get()); entry != clients_.end())
      return &entry->second;
    auto entry = clients_.try_emplace(caf::actor_cast<caf::actor_addr>(sender)).first;
    if (sender)
      monitor(sender);
    return &entry->second;
  }

  void on_down(const caf::actor_addr& who) {
    auto held = clients_.find(who);
    if (held != clients_.end()) {
      auto* entry = &held->second;
      std::erase_if(takers_, [&](const auto& w) { return w.held == entry; });
      std::erase_if(producers_, [&](const auto& w) { return w.client == entry; });
      auto& lost = held->second;
      stats_.redelivered += lost.size();
      items_.insert(items_.begin(), std::make_move_iterator(lost.begin()),
                    std::make_move_iterator(lost.end()));
      stats_.high_water = std::max<uint64_t>(stats_.high_water, items_.size());
      clients_.erase(held); // after its waits, which point to it
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
  /// What each client holds, by its address: takers and producers that waited, each monitored.
  std::unordered_map<caf::actor_addr, held_items, detail::address_key, detail::address_key>
    clients_;
  troupe::detail::wait_clock deadline_clock_;
  detail::wakeup wakeup_;
};

} // namespace

caf::expected<bounded_buffer> bounded_buffer::spawn(troupe::system& sys, size_t capacity) {
  if (capacity == 0)
    return make_error(actors_error::invalid_argument, "bounded_buffer capacity must be >= 1");
  return bounded_buffer{sys.engine().spawn<buffer_actor>(capacity)};
}

} // namespace troupe::actors
