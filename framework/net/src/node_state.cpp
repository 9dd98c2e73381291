#include "node_state.hpp"

#include <algorithm>

#include <caf/send.hpp>

#include "broker_messages.hpp"
#include "troupe/net/error.hpp"
#include "troupe/system.hpp"

namespace troupe::net::detail {

node_state::node_state(troupe::system& sys, node_settings settings,
                       std::shared_ptr<const type_registry> types)
    : sys(sys), settings(std::move(settings)), types(std::move(types)),
      jitter_(std::random_device{}()) {}

peer_link_ptr node_state::make_link(std::string endpoint) {
  return caf::make_counted<peer_link>(sys.engine(), types->table(), broker, std::move(endpoint),
                                      settings.window);
}

caf::expected<peer_link_ptr> node_state::link_for(const std::string& endpoint) {
  std::unique_lock guard{mtx_};
  auto& entry = peers_[endpoint];
  if (entry.link && !entry.link->failure())
    return entry.link;
  auto now = std::chrono::steady_clock::now();
  if (now < entry.next_attempt) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(entry.next_attempt - now);
    return make_error(error_code::node_down,
                      endpoint + " is down (" + sys.engine().render(entry.last_error) +
                        "); next attempt in " + std::to_string(wait.count()) + " ms");
  }
  if (!broker)
    return make_error(error_code::node_down, "this node has stopped");
  entry.link = make_link(endpoint);
  entry.opened_here = true;
  auto link = entry.link;
  auto target = broker;
  guard.unlock();
  caf::anon_send(target, connect_atom::value, link);
  return link;
}

peer_link_ptr node_state::adopt_inbound(const std::string& endpoint, uint64_t incarnation) {
  if (endpoint.empty())
    return make_link(endpoint);
  std::lock_guard guard{mtx_};
  if (incarnation != settings.protocol.incarnation) {
    // This node's own live link to the same peer, found by its incarnation when the peer
    // announces another endpoint text than this node dialed.
    for (auto& [where, other] : peers_)
      if (where != endpoint && other.opened_here && other.link && !other.link->failure() &&
          other.link->incarnation() == incarnation)
        return other.link;
  }
  auto& entry = peers_[endpoint];
  if (entry.link && !entry.link->failure()) {
    // Both nodes connected to each other at once: one link for the peer, whichever connection
    // carries it (never for a node that connected to itself).
    auto known = entry.link->incarnation();
    if (entry.opened_here && incarnation != settings.protocol.incarnation &&
        (known == 0 || known == incarnation))
      return entry.link;
    return make_link(endpoint);
  }
  entry.link = make_link(endpoint);
  entry.opened_here = false;
  entry.failures = 0;
  entry.next_attempt = {};
  return entry.link;
}

void node_state::on_link_failed(const peer_link_ptr& link, bool was_up, const caf::error& reason) {
  if (link->endpoint().empty())
    return;
  std::lock_guard guard{mtx_};
  auto i = peers_.find(link->endpoint());
  if (i == peers_.end() || i->second.link != link)
    return;
  auto& entry = i->second;
  entry.failures = was_up ? 0 : entry.failures + 1;
  entry.last_error = reason;
  // Capped exponential backoff with jitter (50-100% of the delay): peers that lost the same
  // node do not all come back at once, and a dead endpoint never sees a tight loop.
  auto delay = std::chrono::milliseconds{settings.reconnect_delay.count() *
                                         (int64_t{1} << std::min<uint32_t>(entry.failures, 16))};
  delay = std::min(delay, settings.reconnect_cap);
  std::uniform_real_distribution<double> factor{0.5, 1.0};
  entry.next_attempt =
    std::chrono::steady_clock::now() + std::chrono::milliseconds{static_cast<int64_t>(
                                         static_cast<double>(delay.count()) * factor(jitter_))};
}

void node_state::clear() {
  std::unordered_map<std::string, peer_entry> peers;
  {
    std::lock_guard guard{mtx_};
    peers.swap(peers_);
    gates_.clear();
    broker = nullptr;
  }
  // A link whose connect never reached the broker was never failed by it: its queued messages
  // (which hold their senders) are failed here, so nothing waits on a node that stopped.
  auto why = make_error(error_code::node_down, "this node shut down");
  for (auto& [endpoint, entry] : peers)
    if (entry.link)
      entry.link->fail(why);
}

void node_state::add_gate(caf::intrusive_ptr<inbox_gate> gate) {
  std::lock_guard guard{mtx_};
  gates_.push_back(std::move(gate));
}

void node_state::remove_gate(const inbox_gate* gate) {
  std::lock_guard guard{mtx_};
  std::erase_if(gates_, [gate](const auto& x) { return x.get() == gate; });
}

inbox_report node_state::inbox() const {
  std::lock_guard guard{mtx_};
  inbox_report result;
  for (auto& gate : gates_) {
    result.waiting += gate->waiting();
    result.peak = std::max(result.peak, gate->peak());
    result.halted = result.halted || gate->halted();
  }
  return result;
}

void node_state::add_endpoint(std::string endpoint) {
  std::lock_guard guard{mtx_};
  endpoints_.push_back(std::move(endpoint));
}

std::vector<std::string> node_state::endpoints() const {
  std::lock_guard guard{mtx_};
  return endpoints_;
}

} // namespace troupe::net::detail
