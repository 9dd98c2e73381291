#include "peer_link.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/make_actor.hpp>
#include <caf/message.hpp>
#include <caf/send.hpp>

#include "broker_messages.hpp"
#include "engine_thread.hpp"
#include "payload_codec.hpp"
#include "remote_proxy.hpp"
#include "troupe/extension.hpp"
#include "troupe/net/error.hpp"

namespace troupe::net::detail {

peer_link::peer_link(caf::actor_system& sys, const type_table& types, caf::actor broker,
                     std::string endpoint, window_config cfg)
    : sys_(sys), types_(types), broker_(caf::actor_cast<caf::weak_actor_ptr>(broker)),
      endpoint_(std::move(endpoint)), cfg_(cfg),
      outbox_(cfg.max_batch_bytes, cfg.max_batch_messages,
              static_cast<uint32_t>(std::max<size_t>(cfg.max_message_size, min_frame_size))) {}

peer_link::~peer_link() = default;

// -- sending --------------------------------------------------------------------------------

void peer_link::bounce(const caf::strong_actor_ptr& sender, caf::message_id mid,
                       const caf::error& err) {
  if (!sender)
    return;
  if (mid.is_request())
    sender->enqueue(nullptr, mid.response_id(), caf::make_message(err), nullptr);
  else if (!mid.is_response())
    sender->enqueue(nullptr, caf::make_message_id(), caf::make_message(err), nullptr);
}

void peer_link::send(uint64_t target_id, const std::string& target_name,
                     const caf::strong_actor_ptr& sender, caf::message_id mid,
                     const caf::type_erased_tuple& content) {
  // Encoded on the sender's thread into buffers it reuses: a stream of messages allocates
  // nothing here once they have grown.
  thread_local encoded_message payload;
  message_view msg;
  error_fields err_fields;
  error_view err_view;
  if (mid.is_response()) {
    // A local actor answers a request that came from the peer: route it back by its id.
    msg.reply_to = mid.request_id().integer_value() & caf::message_id::request_id_mask;
    if (content.match_elements<caf::error>()) {
      err_fields = to_error_fields(content.get_as<caf::error>(0));
      err_view = err_fields.view();
      msg.error = &err_view;
    }
  } else {
    msg.target = actor_target{target_id, target_name};
  }
  if (msg.error == nullptr) {
    if (auto err = encode(types_, content, payload)) {
      bounce(sender, mid, err);
      return;
    }
    msg.payload = payload.payloads();
  }
  std::unique_lock guard{mtx_};
  if (failure_) {
    auto err = failure_;
    guard.unlock();
    bounce(sender, mid, err);
    return;
  }
  if (outbox_.bytes() > cfg_.high_watermark) { // (below it, no error object per message)
    if (auto err = admit(guard)) {
      guard.unlock();
      bounce(sender, mid, err);
      return;
    }
  }
  bool newly_exported = false;
  if (sender && !msg.reply_to) {
    msg.sender_id = sender->id();
    if (!exported_.contains(msg.sender_id)) { // (a stream's sender is exported once)
      exported_.emplace(msg.sender_id, caf::actor_cast<caf::weak_actor_ptr>(sender));
      newly_exported = true;
    }
  }
  bool plain = !mid.is_response();
  if (mid.is_request() && sender) {
    msg.request_id = next_request_id_++;
    pending_.emplace(
      msg.request_id,
      pending_request{caf::actor_cast<caf::weak_actor_ptr>(sender), mid});
    plain = false;
  }
  bool wake = false;
  caf::error failed;
  if (!try_direct(msg, wake, failed)) {
    // A plain message's sender learns if it never leaves (requests fail by their id).
    static const caf::strong_actor_ptr nobody;
    failed = outbox_.add_message(msg, plain ? sender : nobody);
    if (failed && msg.request_id != 0)
      pending_.erase(msg.request_id);
    if (!failed)
      wake = queued_locked();
    queued_bytes_.store(outbox_.bytes(), std::memory_order_release);
  }
  guard.unlock();
  if (wake)
    wake_broker();
  if (failed)
    bounce(sender, mid, failed);
  if (newly_exported) {
    // Outside the lock: attaching to an actor that already exited runs the functor at once.
    auto id = sender->id();
    sender->get()->attach_functor([self = peer_link_ptr{this}, id] { self->unexport(id); });
  }
}

bool peer_link::try_direct(const message_view& msg, bool& wake, caf::error& failed) {
  // Queued frames go first: a message may overtake none of them. The direct writer is idle only
  // while the broker holds no unwritten bytes for the connection and did not take the queue
  // without writing it yet; the broker reports both under this lock.
  if (!outbox_.empty() || !direct_.may_write())
    return false;
  auto done = direct_.write(msg);
  if (!done) {
    // The peer would refuse it (its frame limit is below ours, a name that is not UTF-8): the
    // sender learns it, as when the outbox refuses it.
    if (msg.request_id != 0)
      pending_.erase(msg.request_id);
    failed = std::move(done.error());
    return true;
  }
  switch (*done) {
  case direct_writer::outcome::written:
    return true;
  case direct_writer::outcome::rest_to_broker:
    // The broker appends the rest at its next write: wake it (unless a wake-up is pending).
    wake = !std::exchange(wake_pending_, true);
    return true;
  case direct_writer::outcome::queue_it:
    break;
  }
  return false;
}

void peer_link::unexport(uint64_t id) {
  std::lock_guard guard{mtx_};
  exported_.erase(id);
}

caf::error peer_link::admit(std::unique_lock<std::mutex>& guard) {
  if (outbox_.bytes() <= cfg_.high_watermark)
    return caf::none;
  if (on_engine_thread()) {
    // A CAF thread must never park: actors may queue up to the hard limit, then their sends
    // fail with `overloaded` (memory stays bounded, and the sender learns it).
    if (outbox_.bytes() <= cfg_.high_watermark * window_config::hard_limit_factor)
      return caf::none;
    return make_error(error_code::overloaded, endpoint_ + ": the send window is full");
  }
  // Outside CAF (main, a scoped actor's thread): wait for room like a blocking write.
  room_.wait_for(guard, cfg_.send_timeout,
                 [this] { return failure_ || outbox_.bytes() <= cfg_.low_watermark; });
  if (failure_)
    return failure_;
  if (outbox_.bytes() > cfg_.low_watermark) {
    // Waited its time: this message still goes (one per waiting thread), and sends by
    // address fail as `overloaded` until the backlog drains.
    overloaded_ = true;
  }
  return caf::none;
}

bool peer_link::admit_or_notify(const caf::strong_actor_ptr& waiter) {
  // Without the lock while there is room (every send of a stream asks): a stale value lets
  // one more message pass at most, which `admit` still bounds.
  if (queued_bytes_.load(std::memory_order_relaxed) <= cfg_.high_watermark)
    return true;
  std::lock_guard guard{mtx_};
  if (failure_ || outbox_.bytes() <= cfg_.high_watermark)
    return true;
  room_waiters_.emplace_back(waiter.get()); // weak: a waiter that exits is not kept
  return false;
}

void peer_link::notify_room(std::vector<caf::weak_actor_ptr>& waiters) {
  for (auto& weak : waiters)
    if (auto who = weak.lock())
      who->enqueue(nullptr, caf::make_message_id(), caf::make_message(room_notice{}), nullptr);
  waiters.clear();
}

void peer_link::send_control(outgoing item) {
  std::unique_lock guard{mtx_};
  if (failure_)
    return;
  outbox_.add_control(item);
  queued_bytes_.store(outbox_.bytes(), std::memory_order_release);
  if (!queued_locked())
    return;
  guard.unlock();
  wake_broker();
}

uint64_t peer_link::start_lookup(const std::string& name, caf::strong_actor_ptr requester,
                                 caf::message_id mid) {
  std::unique_lock guard{mtx_};
  if (failure_) {
    auto err = failure_;
    guard.unlock();
    requester->enqueue(nullptr, mid.response_id(), caf::make_message(err), nullptr);
    return 0;
  }
  outgoing item;
  item.what = outgoing::kind::lookup;
  item.name = name;
  item.request_id = next_request_id_++;
  pending_.emplace(item.request_id,
                   pending_request{caf::actor_cast<caf::weak_actor_ptr>(requester), mid});
  auto id = item.request_id;
  outbox_.add_control(item);
  queued_bytes_.store(outbox_.bytes(), std::memory_order_release);
  if (queued_locked()) {
    guard.unlock();
    wake_broker();
  }
  return id;
}

bool peer_link::queued_locked() {
  return !std::exchange(wake_pending_, true);
}

void peer_link::wake_broker() {
  // Outside the lock: the broker must not wait for the lock while this thread makes the
  // system call that wakes the I/O thread. A broker that is gone needs no wake-up.
  if (auto broker = broker_.lock())
    broker->enqueue(nullptr, caf::make_message_id(),
                    caf::make_message(wake_atom::value, peer_link_ptr{this}), nullptr);
}

// -- proxies and exported actors ------------------------------------------------------------

caf::actor peer_link::make_proxy(uint64_t remote_id, const std::string& name) {
  caf::actor_config cfg;
  return caf::make_actor<remote_proxy, caf::actor>(sys_.next_actor_id(), sys_.node(), &sys_, cfg,
                                                   peer_link_ptr{this}, remote_id, name);
}

caf::actor peer_link::proxy_of(uint64_t remote_id) {
  std::unique_lock guard{mtx_};
  auto& slot = proxies_[remote_id];
  if (auto existing = slot.lock())
    return caf::actor_cast<caf::actor>(std::move(existing));
  auto result = make_proxy(remote_id, std::string{});
  slot = caf::actor_cast<caf::weak_actor_ptr>(result);
  auto err = failure_;
  guard.unlock();
  if (err) // A node known down: monitors of this proxy fire at once.
    static_cast<remote_proxy*>(caf::actor_cast<caf::abstract_actor*>(result))->kill(err);
  return result;
}

caf::actor peer_link::route_to(const std::string& name) {
  std::unique_lock guard{mtx_};
  auto& slot = routes_[name];
  if (auto existing = slot.lock())
    return caf::actor_cast<caf::actor>(std::move(existing));
  auto result = make_proxy(0, name);
  slot = caf::actor_cast<caf::weak_actor_ptr>(result);
  auto err = failure_;
  guard.unlock();
  if (err)
    static_cast<remote_proxy*>(caf::actor_cast<caf::abstract_actor*>(result))->kill(err);
  return result;
}

uint64_t peer_link::export_actor(const caf::strong_actor_ptr& who) {
  bool added = false;
  {
    std::lock_guard guard{mtx_};
    added = exported_.emplace(who->id(), caf::actor_cast<caf::weak_actor_ptr>(who)).second;
  }
  auto id = who->id();
  if (added)
    who->get()->attach_functor([self = peer_link_ptr{this}, id] { self->unexport(id); });
  return id;
}

caf::strong_actor_ptr peer_link::exported(uint64_t id) {
  std::lock_guard guard{mtx_};
  if (auto i = exported_.find(id); i != exported_.end())
    return i->second.lock();
  return nullptr;
}

// -- broker side ----------------------------------------------------------------------------

void peer_link::take_queue(std::vector<char>& out, bool writing) {
  std::vector<caf::weak_actor_ptr> waiters;
  {
    std::lock_guard guard{mtx_};
    bool took = !outbox_.empty();
    if (took)
      direct_.mark_busy(); // until the broker has written what it took
    outbox_.take(out);
    queued_bytes_.store(0, std::memory_order_release);
    // While the broker writes, CAF's report of the write makes it drain again: a stream then
    // costs no wake-up of the I/O thread per drain. Once it is idle, the next item wakes it.
    wake_pending_ = took || writing;
    overloaded_ = false;
    waiters.swap(room_waiters_);
  }
  room_.notify_all();
  notify_room(waiters);
}

std::pair<caf::strong_actor_ptr, caf::message_id> peer_link::take_pending(uint64_t id) {
  std::lock_guard guard{mtx_};
  auto i = pending_.find(id);
  if (i == pending_.end())
    return {nullptr, caf::message_id{}};
  auto result = std::pair{i->second.requester.lock(), i->second.mid};
  pending_.erase(i);
  if (!result.first) // The requester exited: nobody to deliver to, but the id was issued.
    return {nullptr, result.second};
  return result;
}

void peer_link::sync_direct(const broker_write_state& state, std::vector<char>& out) {
  std::lock_guard guard{mtx_};
  direct_.sync(state, out);
}

void peer_link::peer_spoke() {
  std::lock_guard guard{mtx_};
  direct_.arm();
}

void peer_link::close_direct() {
  std::lock_guard guard{mtx_}; // waits for a direct write in progress
  direct_.close();
}

std::pair<uint64_t, uint64_t> peer_link::direct_writes() const {
  std::lock_guard guard{mtx_};
  return {direct_.writes(), direct_.partial_writes()};
}

bool peer_link::mark_up(uint64_t incarnation, uint32_t send_limit) {
  std::lock_guard guard{mtx_};
  if (incarnation_ != 0 && incarnation_ != incarnation)
    return false;
  up_ = true;
  incarnation_ = incarnation;
  outbox_.set_frame_limit(send_limit);
  return true;
}

void peer_link::fail(const caf::error& reason) {
  std::unordered_map<uint64_t, pending_request> pending;
  std::unordered_map<uint64_t, caf::weak_actor_ptr> proxies;
  std::unordered_map<std::string, caf::weak_actor_ptr> routes;
  std::vector<link_outbox::sender_run> lost;
  std::vector<caf::weak_actor_ptr> waiters;
  {
    std::lock_guard guard{mtx_};
    if (failure_)
      return;
    failure_ = reason;
    up_ = false;
    direct_.close();
    pending.swap(pending_);
    proxies.swap(proxies_);
    routes.swap(routes_);
    lost = outbox_.take_lost();
    queued_bytes_.store(0, std::memory_order_release);
    exported_.clear();
    waiters.swap(room_waiters_);
  }
  room_.notify_all();
  notify_room(waiters);
  for (auto& [id, req] : pending)
    if (auto who = req.requester.lock())
      who->enqueue(nullptr, req.mid.response_id(), caf::make_message(reason), nullptr);
  // Plain messages that never left: their senders learn it (requests were answered above).
  for (auto& run : lost)
    for (size_t i = 0; i < run.messages; ++i)
      run.sender->enqueue(nullptr, caf::make_message_id(), caf::make_message(reason), nullptr);
  auto kill_all = [&](auto& table) {
    for (auto& [key, weak] : table)
      if (auto proxy = weak.lock())
        static_cast<remote_proxy*>(proxy->get())->kill(reason);
  };
  kill_all(proxies);
  kill_all(routes);
}

void peer_link::on_down(uint64_t remote_id, const std::string& name, const caf::error& reason) {
  caf::strong_actor_ptr proxy;
  {
    std::lock_guard guard{mtx_};
    if (!name.empty()) {
      if (auto i = routes_.find(name); i != routes_.end()) {
        proxy = i->second.lock();
        routes_.erase(i);
      }
    } else if (auto i = proxies_.find(remote_id); i != proxies_.end()) {
      proxy = i->second.lock();
      proxies_.erase(i);
    }
  }
  if (proxy)
    static_cast<remote_proxy*>(proxy->get())->kill(reason);
}

caf::error peer_link::failure() const {
  std::lock_guard guard{mtx_};
  return failure_;
}

bool peer_link::is_up() const {
  std::lock_guard guard{mtx_};
  return up_;
}

size_t peer_link::backlog() const {
  // Set under the lock at every change; the broker learns of new items by their wake-up,
  // after which this shows them.
  return queued_bytes_.load(std::memory_order_acquire);
}

bool peer_link::overloaded() const {
  std::lock_guard guard{mtx_};
  return overloaded_;
}

uint64_t peer_link::incarnation() const {
  std::lock_guard guard{mtx_};
  return incarnation_;
}

} // namespace troupe::net::detail
