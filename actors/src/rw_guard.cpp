#include "troupe/actors/rw_guard.hpp"

#include <algorithm>
#include <deque>
#include <set>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "troupe/actors/error.hpp"
#include "troupe/actors/rw_guard.pb.h"
#include "troupe/system.hpp"

#include "detail/protocol_actor.hpp"
#include "detail/timer.hpp"
#include "detail/waiting.hpp"
#include "remote/pattern_replies.hpp"
#include "remote/replies.hpp"

namespace troupe::actors {

std::string to_string(rw_policy x) {
  switch (x) {
  case rw_policy::readers_preference:
    return "readers_preference";
  case rw_policy::writers_preference:
    return "writers_preference";
  case rw_policy::fair:
    return "fair";
  }
  return "rw_policy(" + std::to_string(static_cast<int>(x)) + ")";
}

namespace {

using rw = rw_guard;

/// An acquire that waits for its lease.
struct lease_request {
  uint64_t id;
  caf::actor_addr who;
  caf::response_promise reply;
  bool write;
  /// Whether it has a wait limit (a timer under `id`).
  bool limited = false;
};

/// One guarded resource: its holders (with their lease ids) and its waiting acquires. Holders
/// are looked up by control block (detail::address_key): the sender of the current message.
struct resource_state {
  std::unordered_map<caf::actor_addr, uint64_t, detail::address_key, detail::address_key> readers;
  std::optional<std::pair<caf::actor_addr, uint64_t>> writer;
  std::deque<lease_request> waiting;

  bool free() const { return !writer && readers.empty(); }
  bool holds(const caf::actor_control_block* who) const {
    return (writer && writer->first.compare(who) == 0) || readers.find(who) != readers.end();
  }
  bool awaits(const caf::actor_control_block* who) const {
    return std::any_of(waiting.begin(), waiting.end(),
                       [&](auto& w) { return w.who.compare(who) == 0; });
  }
  bool unused() const { return free() && waiting.empty(); }
};

/// The guard: resources by name, granted by the policy.
class rw_guard_actor final : public detail::protocol_actor {
public:
  rw_guard_actor(caf::actor_config& cfg, rw_policy policy,
                 std::optional<caf::timespan> lease_timeout)
      : detail::protocol_actor(cfg), policy_(policy), lease_timeout_(lease_timeout) {}

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& x) {
      forget_client(x.source);
      on_down(x.source);
    });
    return {
      [this](rw::acquire_read_atom, std::string& res) { acquire(res, false, std::nullopt); },
      [this](rw::acquire_write_atom, std::string& res) { acquire(res, true, std::nullopt); },
      [this](rw::acquire_within_atom, caf::timespan wait, bool write, std::string& res) {
        acquire(res, write, wait);
      },
      [this](rw::release_atom, const std::string& res) -> caf::result<void> {
        return release(res);
      },
      [this](rw::stats_atom, const std::string& res) { return stats_of(res); },
      [this](detail::timer::expire_atom, uint64_t token) {
        for (auto id : timer_.due(this, token))
          on_timer(id);
      },
      // Protobuf clients (detail/remote_clients.hpp), after the local requests.
      [this](const AcquireLease& x) { serve_acquire(x); },
      [this](const ReleaseLease& x) {
        serve_client(&remote::empty_as<LeaseReleased>,
                     [&] { respond_result(release(x.resource())); });
      },
      [this](const GetRwStats& x) {
        serve_client(&remote::rw_stats_reply, [&] { respond(stats_of(x.resource())); });
      },
    };
  }

private:
  // -- requests -------------------------------------------------------------------------------

  void serve_acquire(const AcquireLease& x) {
    serve_client(&remote::empty_as<LeaseGranted>, [&] {
      auto wait = remote::wait_limit_of(x.wait_ns());
      if (!wait)
        return respond(std::move(wait.error()));
      if (x.kind() != READ && x.kind() != WRITE)
        return respond(
          make_error(actors_error::invalid_argument, "a lease kind must be READ or WRITE"));
      acquire(x.resource(), x.kind() == WRITE, *wait);
    });
  }

  void acquire(const std::string& res, bool write, std::optional<caf::timespan> wait) {
    // The sender's control block stays valid while `reply` holds the sender.
    auto* who = watched_.watch_sender(this);
    auto reply = make_response_promise();
    if (res.empty()) {
      reply.deliver(make_error(actors_error::invalid_argument, "rw_guard resource name is empty"));
      return;
    }
    auto& rs = resources_[res];
    if (rs.holds(who) || rs.awaits(who)) {
      // Waiting for a second lease on a resource it holds would deadlock the holder itself.
      reply.deliver(make_error(actors_error::invalid_argument,
                               "the sender holds or awaits a lease on '" + res + "' already"));
      return;
    }
    if (!expired_.empty())
      expired_.erase({detail::address_of(who), res});
    // With nobody waiting, every policy grants what the resource allows now.
    if (rs.waiting.empty() && (write ? rs.free() : !rs.writer)) {
      give_lease(res, rs, detail::address_of(who), write, reply);
      return;
    }
    auto id = ++next_id_;
    rs.waiting.push_back({id, detail::address_of(who), std::move(reply), write});
    grant(res, rs);
    // Granted at once (the resource is then in use and still there): no wait limit to keep.
    if (wait && !rs.waiting.empty() && rs.waiting.back().id == id) {
      rs.waiting.back().limited = true;
      timers_.emplace(id, res);
      timer_.arm(this, *wait, id);
    }
  }

  caf::result<void> release(const std::string& res) {
    auto* who = current_sender().get();
    auto i = resources_.find(res);
    if (i == resources_.end() || !drop_lease(i->second, who)) {
      if (expired_.erase({detail::address_of(who), res}) > 0)
        return make_error(actors_error::lease_expired,
                          "the lease on '" + res + "' passed its timeout and was revoked");
      return make_error(actors_error::not_holder, "the sender holds no lease on '" + res + "'");
    }
    grant(res, i->second);
    return caf::unit;
  }

  rw_stats stats_of(const std::string& res) const {
    auto result = counters_;
    if (auto i = resources_.find(res); i != resources_.end()) {
      result.readers = static_cast<int32_t>(i->second.readers.size());
      result.writer = i->second.writer.has_value();
      result.waiting = i->second.waiting.size();
    }
    return result;
  }

  // -- granting -------------------------------------------------------------------------------

  /// Grants what the policy allows now, then forgets the resource if nothing refers to it.
  void grant(const std::string& res, resource_state& rs) {
    switch (policy_) {
    case rw_policy::fair:
      while (!rs.waiting.empty() && (rs.waiting.front().write ? rs.free() : !rs.writer))
        grant_at(res, rs, rs.waiting.begin());
      break;
    case rw_policy::readers_preference:
      if (!rs.writer)
        grant_reads(res, rs);
      grant_first_write(res, rs);
      break;
    case rw_policy::writers_preference:
      if (std::any_of(rs.waiting.begin(), rs.waiting.end(), [](auto& w) { return w.write; }))
        grant_first_write(res, rs);
      else if (!rs.writer)
        grant_reads(res, rs);
      break;
    }
    // An idle resource keeps its entry while there are few: building one (a std::deque) and
    // dropping it on every lease of an uncontended resource cost more than granting it.
    if (rs.unused() && resources_.size() > max_idle_resources)
      resources_.erase(res);
  }

  void grant_reads(const std::string& res, resource_state& rs) {
    for (auto i = rs.waiting.begin(); i != rs.waiting.end();)
      i = i->write ? std::next(i) : grant_at(res, rs, i);
  }

  void grant_first_write(const std::string& res, resource_state& rs) {
    auto i = std::find_if(rs.waiting.begin(), rs.waiting.end(), [](auto& w) { return w.write; });
    if (i != rs.waiting.end() && rs.free())
      grant_at(res, rs, i);
  }

  /// Grants the waiting acquire at `i`; returns the position after it.
  std::deque<lease_request>::iterator grant_at(const std::string& res, resource_state& rs,
                                               std::deque<lease_request>::iterator i) {
    // The entry goes below: its address can move into the lease.
    give_lease(res, rs, std::move(i->who), i->write, i->reply);
    if (i->limited) { // its wait limit no longer matters
      timers_.erase(i->id);
      timer_.cancel(i->id);
    }
    return rs.waiting.erase(i);
  }

  /// Gives `who` a lease on `rs` and answers its acquire.
  void give_lease(const std::string& res, resource_state& rs, caf::actor_addr who, bool write,
                  caf::response_promise& reply) {
    auto lease = ++next_id_;
    if (write)
      rs.writer.emplace(std::move(who), lease);
    else
      rs.readers.emplace(std::move(who), lease);
    ++counters_.granted;
    if (lease_timeout_) {
      timers_.emplace(lease, res);
      timer_.arm(this, *lease_timeout_, lease);
    }
    reply.deliver(caf::unit);
  }

  /// Ends `who`'s lease on `rs`, and its lease timeout with it; false if it holds none.
  bool drop_lease(resource_state& rs, const caf::actor_control_block* who) {
    uint64_t lease = 0;
    if (rs.writer && rs.writer->first.compare(who) == 0) {
      lease = rs.writer->second;
      rs.writer.reset();
    } else if (auto i = rs.readers.find(who); i != rs.readers.end()) {
      lease = i->second;
      rs.readers.erase(i);
    } else {
      return false;
    }
    if (lease_timeout_) {
      timers_.erase(lease);
      timer_.cancel(lease);
    }
    return true;
  }

  // -- timers and terminated holders ----------------------------------------------------------

  /// A wait limit or a lease timeout passed.
  void on_timer(uint64_t id) {
    auto t = timers_.find(id);
    if (t == timers_.end())
      return;
    auto res = std::move(t->second);
    timers_.erase(t);
    auto i = resources_.find(res);
    if (i == resources_.end())
      return;
    auto& rs = i->second;
    if (!detail::expire(rs.waiting, id, make_error(actors_error::timeout, "rw_guard wait limit")))
      revoke(res, rs, id);
    grant(res, rs);
  }

  void revoke(const std::string& res, resource_state& rs, uint64_t lease) {
    if (rs.writer && rs.writer->second == lease) {
      expired_.insert({rs.writer->first, res});
      rs.writer.reset();
      ++counters_.expired;
      return;
    }
    auto i = std::find_if(rs.readers.begin(), rs.readers.end(),
                          [&](auto& kv) { return kv.second == lease; });
    if (i != rs.readers.end()) {
      expired_.insert({i->first, res});
      rs.readers.erase(i);
      ++counters_.expired;
    }
  }

  void on_down(const caf::actor_addr& who) {
    watched_.forget(who);
    std::erase_if(expired_, [&](auto& x) { return x.first == who; });
    std::vector<std::string> touched;
    for (auto& [res, rs] : resources_) {
      detail::forget_waiters(rs.waiting, who);
      if (drop_lease(rs, who.get()))
        ++counters_.reclaimed;
      touched.push_back(res);
    }
    for (auto& res : touched)
      if (auto i = resources_.find(res); i != resources_.end())
        grant(res, i->second);
  }

  /// Up to this many resources keep their entry when nobody holds or awaits them.
  static constexpr size_t max_idle_resources = 64;

  rw_policy policy_;
  std::optional<caf::timespan> lease_timeout_;
  std::unordered_map<std::string, resource_state> resources_;
  /// Leases revoked by their timeout, until their holder's release learns of it.
  std::set<std::pair<caf::actor_addr, std::string>> expired_;
  /// The resource of each pending wait limit or lease timeout, by its id.
  std::unordered_map<uint64_t, std::string> timers_;
  rw_stats counters_;
  detail::watch_list watched_;
  uint64_t next_id_ = 0;
  detail::timer timer_;
};

} // namespace

caf::expected<rw_guard> rw_guard::spawn(troupe::system& sys, rw_policy policy,
                                        std::optional<caf::timespan> lease_timeout) {
  if (lease_timeout && lease_timeout->count() <= 0)
    return make_error(actors_error::invalid_argument, "rw_guard lease timeout must be positive");
  return rw_guard{sys.engine().spawn<rw_guard_actor>(policy, lease_timeout)};
}

} // namespace troupe::actors
