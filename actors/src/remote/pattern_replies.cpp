#include "remote/pattern_replies.hpp"

#include "remote/replies.hpp"
#include "troupe/actors/banker.hpp"
#include "troupe/actors/banker.pb.h"
#include "troupe/actors/barrier.pb.h"
#include "troupe/actors/event.pb.h"
#include "troupe/actors/rw_guard.hpp"
#include "troupe/actors/rw_guard.pb.h"
#include "troupe/actors/semaphore.hpp"
#include "troupe/actors/semaphore.pb.h"

namespace troupe::actors::remote {

namespace {

// The replies of one field: `Set` stores the local value into a fresh `Reply`.
template <class Reply, class T, void (Reply::*Set)(T)> Reply one_field(const T& x) {
  Reply out;
  (out.*Set)(x);
  return out;
}

SemaphoreStats to_semaphore_stats(const semaphore_stats& x) {
  SemaphoreStats out;
  out.set_permits(x.permits);
  out.set_available(x.available);
  out.set_waiting(x.waiting);
  out.set_granted(x.granted);
  out.set_reclaimed(x.reclaimed);
  return out;
}

RwStats to_rw_stats(const rw_stats& x) {
  RwStats out;
  out.set_readers(x.readers);
  out.set_writer(x.writer);
  out.set_waiting(x.waiting);
  out.set_granted(x.granted);
  out.set_expired(x.expired);
  out.set_reclaimed(x.reclaimed);
  return out;
}

BankerSnapshot to_banker_snapshot(const banker_snapshot& x) {
  BankerSnapshot out;
  out.mutable_total()->Add(x.total.begin(), x.total.end());
  out.mutable_available()->Add(x.available.begin(), x.available.end());
  for (auto& c : x.clients) {
    auto* client = out.add_clients();
    client->set_index(c.index);
    client->mutable_max()->Add(c.max.begin(), c.max.end());
    client->mutable_allocation()->Add(c.allocation.begin(), c.allocation.end());
    client->set_waiting(c.waiting);
  }
  out.mutable_safe_sequence()->Add(x.safe_sequence.begin(), x.safe_sequence.end());
  out.set_granted(x.granted);
  out.set_deferred(x.deferred);
  out.set_reclaimed(x.reclaimed);
  return out;
}

} // namespace

detail::translated_reply try_acquired_reply(caf::message& local_reply) {
  return value_as<bool, &one_field<TryAcquired, bool, &TryAcquired::set_acquired>>(local_reply);
}

detail::translated_reply semaphore_stats_reply(caf::message& local_reply) {
  return value_as<semaphore_stats, &to_semaphore_stats>(local_reply);
}

detail::translated_reply passed_reply(caf::message& local_reply) {
  return value_as<int32_t, &one_field<Passed, int32_t, &Passed::set_index>>(local_reply);
}

detail::translated_reply event_state_reply(caf::message& local_reply) {
  return value_as<bool, &one_field<EventState, bool, &EventState::set_set>>(local_reply);
}

detail::translated_reply rw_stats_reply(caf::message& local_reply) {
  return value_as<rw_stats, &to_rw_stats>(local_reply);
}

detail::translated_reply banker_snapshot_reply(caf::message& local_reply) {
  return value_as<banker_snapshot, &to_banker_snapshot>(local_reply);
}

} // namespace troupe::actors::remote
