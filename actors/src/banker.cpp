#include "troupe/actors/banker.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "troupe/actors/banker.pb.h"
#include "troupe/actors/error.hpp"
#include "troupe/system.hpp"

#include "detail/protocol_actor.hpp"
#include "detail/timer.hpp"
#include "detail/waiting.hpp"
#include "remote/pattern_replies.hpp"
#include "remote/replies.hpp"

namespace troupe::actors {

namespace {

/// A client's claim and allocation.
struct client_state {
  uint32_t index;
  resource_vector max;
  resource_vector allocation;
};

/// A request that would leave the state unsafe (or needs more than is free) for now.
struct deferred_request {
  uint64_t id;
  caf::actor_addr who;
  caf::response_promise reply;
  resource_vector amounts;
};

/// Whether `a[j] <= b[j]` for every j.
bool all_le(const resource_vector& a, const resource_vector& b) {
  for (size_t j = 0; j < a.size(); ++j)
    if (a[j] > b[j])
      return false;
  return true;
}

void add(resource_vector& to, const resource_vector& x, int sign) {
  for (size_t j = 0; j < to.size(); ++j)
    to[j] += sign * x[j];
}

/// The banker: clients by address, deferred requests in arrival order.
class banker_actor final : public detail::protocol_actor {
public:
  banker_actor(caf::actor_config& cfg, resource_vector total)
      : detail::protocol_actor(cfg), total_(total), available_(std::move(total)) {}

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& x) {
      forget_client(x.source);
      on_down(x.source);
    });
    return {
      [this](banker::claim_atom, resource_vector& max) -> caf::result<void> { return claim(max); },
      [this](banker::request_atom, resource_vector& amounts) {
        request(std::move(amounts), std::nullopt);
      },
      [this](banker::request_within_atom, caf::timespan wait, resource_vector& amounts) {
        request(std::move(amounts), wait);
      },
      [this](banker::release_atom, const resource_vector& amounts) -> caf::result<void> {
        return release(amounts);
      },
      [this](banker::leave_atom) {
        leave(caf::actor_cast<caf::actor_addr>(current_sender()));
        reexamine();
      },
      [this](banker::snapshot_atom) { return snapshot(); },
      [this](detail::timer::expire_atom, uint64_t token) {
        for (auto id : timer_.due(this, token))
          detail::expire(deferred_, id, make_error(actors_error::timeout, "banker wait limit"));
      },
      // Protobuf clients (detail/remote_clients.hpp), after the local requests.
      [this](const Claim& x) {
        serve_client(&remote::empty_as<BankerDone>, [&] {
          respond_result(claim(resource_vector(x.max().begin(), x.max().end())));
        });
      },
      [this](const RequestResources& x) { serve_request(x); },
      [this](const ReleaseResources& x) {
        serve_client(&remote::empty_as<BankerDone>, [&] {
          respond_result(release(resource_vector(x.amounts().begin(), x.amounts().end())));
        });
      },
      [this](const Leave&) {
        serve_client(&remote::empty_as<BankerDone>, [this] {
          leave(caf::actor_cast<caf::actor_addr>(current_sender()));
          reexamine();
          respond(caf::unit);
        });
      },
      [this](const GetSnapshot&) {
        serve_client(&remote::banker_snapshot_reply, [this] { respond(snapshot()); });
      },
    };
  }

private:
  // -- requests -------------------------------------------------------------------------------

  void serve_request(const RequestResources& x) {
    serve_client(&remote::empty_as<BankerDone>, [&] {
      auto wait = remote::wait_limit_of(x.wait_ns());
      if (!wait)
        return respond(std::move(wait.error()));
      request(resource_vector(x.amounts().begin(), x.amounts().end()), *wait);
    });
  }

  /// An error if `x` is not m non-negative amounts.
  caf::error check_amounts(const resource_vector& x, const char* what) const {
    bool ok = x.size() == total_.size() &&
              std::all_of(x.begin(), x.end(), [](int32_t v) { return v >= 0; });
    if (ok)
      return caf::none;
    return make_error(actors_error::invalid_argument, std::string{what} + " needs " +
                                                        std::to_string(total_.size()) +
                                                        " non-negative amounts");
  }

  caf::result<void> claim(const resource_vector& max) {
    if (auto err = check_amounts(max, "a claim"))
      return err;
    if (!all_le(max, total_))
      return make_error(actors_error::over_total, "the claim exceeds the banker's total");
    auto who = watched_.watch(this);
    auto i = clients_.find(who);
    if (i == clients_.end()) {
      clients_.emplace(who, client_state{next_index_++, max, resource_vector(total_.size(), 0)});
      return caf::unit;
    }
    if (!all_le(i->second.allocation, max))
      return make_error(actors_error::invalid_argument, "a new claim below what the client holds");
    i->second.max = max;
    reexamine(); // a smaller claim can make deferred requests safe
    return caf::unit;
  }

  void request(resource_vector amounts, std::optional<caf::timespan> wait) {
    auto who = watched_.watch(this);
    auto reply = make_response_promise();
    if (auto err = check_amounts(amounts, "a request")) {
      reply.deliver(std::move(err));
      return;
    }
    auto i = clients_.find(who);
    if (i == clients_.end()) {
      reply.deliver(make_error(actors_error::unknown_client, "request before a claim"));
      return;
    }
    auto after = i->second.allocation;
    add(after, amounts, +1);
    if (!all_le(after, i->second.max)) {
      reply.deliver(make_error(actors_error::over_claim, "the request exceeds the claim"));
      return;
    }
    if (try_grant(i->second, amounts)) {
      reply.deliver(caf::unit);
      return;
    }
    ++deferred_count_;
    auto id = ++next_id_;
    deferred_.push_back({id, who, std::move(reply), std::move(amounts)});
    if (wait)
      timer_.arm(this, *wait, id);
  }

  caf::result<void> release(const resource_vector& amounts) {
    if (auto err = check_amounts(amounts, "a release"))
      return err;
    auto i = clients_.find(caf::actor_cast<caf::actor_addr>(current_sender()));
    if (i == clients_.end())
      return make_error(actors_error::unknown_client, "release before a claim");
    if (!all_le(amounts, i->second.allocation))
      return make_error(actors_error::not_holder, "the release exceeds the allocation");
    add(i->second.allocation, amounts, -1);
    add(available_, amounts, +1);
    reexamine();
    return caf::unit;
  }

  /// Gives back everything `who` holds and forgets it; true if it held anything.
  bool leave(const caf::actor_addr& who) {
    for (auto& d : deferred_)
      if (d.who == who)
        d.reply.deliver(make_error(actors_error::unknown_client, "the client left"));
    detail::forget_waiters(deferred_, who);
    auto i = clients_.find(who);
    if (i == clients_.end())
      return false;
    bool held = std::any_of(i->second.allocation.begin(), i->second.allocation.end(),
                            [](int32_t v) { return v > 0; });
    add(available_, i->second.allocation, +1);
    clients_.erase(i);
    return held;
  }

  // -- safety ---------------------------------------------------------------------------------

  /// Grants `amounts` to `c` if they are free and the state after it is safe.
  bool try_grant(client_state& c, const resource_vector& amounts) {
    if (!all_le(amounts, available_))
      return false;
    add(c.allocation, amounts, +1);
    add(available_, amounts, -1);
    if (safe_sequence()) {
      ++granted_;
      return true;
    }
    add(c.allocation, amounts, -1);
    add(available_, amounts, +1);
    return false;
  }

  /// Grants deferred requests that became safe, oldest first, until none does.
  void reexamine() {
    for (bool granted = true; granted;) {
      granted = false;
      for (auto i = deferred_.begin(); i != deferred_.end(); ++i) {
        if (try_grant(clients_.at(i->who), i->amounts)) {
          i->reply.deliver(caf::unit);
          timer_.cancel(i->id);
          deferred_.erase(i);
          granted = true;
          break;
        }
      }
    }
  }

  /// The clients in declaration order.
  std::vector<const std::pair<const caf::actor_addr, client_state>*> ordered() const {
    std::vector<const std::pair<const caf::actor_addr, client_state>*> result;
    for (auto& kv : clients_)
      result.push_back(&kv);
    std::sort(result.begin(), result.end(),
              [](auto* a, auto* b) { return a->second.index < b->second.index; });
    return result;
  }

  /// A safe sequence of the current state, as client indices, or nullopt.
  std::optional<std::vector<uint32_t>> safe_sequence() const {
    std::vector<resource_vector> max;
    std::vector<resource_vector> allocation;
    auto clients = ordered();
    for (auto* c : clients) {
      max.push_back(c->second.max);
      allocation.push_back(c->second.allocation);
    }
    auto seq = find_safe_sequence(available_, max, allocation);
    if (!seq)
      return std::nullopt;
    std::vector<uint32_t> result;
    for (auto i : *seq)
      result.push_back(clients[i]->second.index);
    return result;
  }

  banker_snapshot snapshot() const {
    banker_snapshot result;
    result.total = total_;
    result.available = available_;
    for (auto* c : ordered()) {
      bool waiting =
        std::any_of(deferred_.begin(), deferred_.end(), [&](auto& d) { return d.who == c->first; });
      result.clients.push_back({c->second.index, c->second.max, c->second.allocation, waiting});
    }
    if (auto seq = safe_sequence())
      result.safe_sequence = std::move(*seq);
    result.granted = granted_;
    result.deferred = deferred_count_;
    result.reclaimed = reclaimed_;
    return result;
  }

  void on_down(const caf::actor_addr& who) {
    watched_.forget(who);
    if (leave(who))
      ++reclaimed_;
    reexamine();
  }

  resource_vector total_;
  resource_vector available_;
  std::map<caf::actor_addr, client_state> clients_;
  std::deque<deferred_request> deferred_;
  uint32_t next_index_ = 0;
  uint64_t granted_ = 0;
  uint64_t deferred_count_ = 0;
  uint64_t reclaimed_ = 0;
  detail::watch_list watched_;
  uint64_t next_id_ = 0;
  detail::timer timer_;
};

} // namespace

caf::expected<banker> banker::spawn(troupe::system& sys, resource_vector total) {
  if (total.empty() || std::any_of(total.begin(), total.end(), [](int32_t v) { return v < 0; }))
    return make_error(actors_error::invalid_argument,
                      "a banker needs at least one resource type and non-negative totals");
  return banker{sys.engine().spawn<banker_actor>(std::move(total))};
}

} // namespace troupe::actors
