#include "shared_io_loop.hpp"

#include <pthread.h>

#include <thread>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/settings.hpp>

namespace troupe::net::detail {

namespace {

/// Set on the threads that take turns at a loop (tests ask where actors ran).
thread_local bool io_loop_thread = false;

/// The loop this thread leads a turn of right now, if any: only the leader, inside a turn,
/// keeps an actor, and only it touches `woken_`.
thread_local const shared_io_loop* leading = nullptr;

} // namespace

bool on_io_loop_thread() noexcept {
  return io_loop_thread;
}

shared_io_loop::shared_io_loop(caf::actor_system* sys)
    : default_multiplexer(sys),
      enabled_(!caf::get_or(sys->config(), "troupe.net.deliver-on-workers", false)),
      max_throughput_(caf::get_or(sys->config(), "scheduler.max-throughput", size_t{30})) {
  if (max_throughput_ == 0)
    max_throughput_ = 1;
}

void shared_io_loop::exec_later(caf::resumable* ptr) {
  if (leading == this && woken_ == nullptr && ptr->subtype() == caf::resumable::scheduled_actor &&
      running_woken_.load() == 0) {
    woken_ = ptr;
    return;
  }
  default_multiplexer::exec_later(ptr);
}

void shared_io_loop::run() {
  io_loop_thread = true;
  if (!enabled_) {
    default_multiplexer::run();
    return;
  }
  std::thread standby{[this] {
    pthread_setname_np(pthread_self(), "troupe.io");
    io_loop_thread = true;
    system().thread_started();
    serve();
    system().thread_terminates();
  }};
  serve();
  standby.join();
}

void shared_io_loop::serve() {
  for (;;) {
    std::unique_lock<std::mutex> baton{baton_, std::try_to_lock};
    if (baton.owns_lock()) {
      if (!lead(baton))
        return;
    } else if (!stand_by()) {
      return;
    }
  }
}

bool shared_io_loop::lead(std::unique_lock<std::mutex>& baton) {
  if (done_.load() || num_socket_handlers() == 0) {
    done_ = true;
    baton.unlock();
    std::lock_guard<std::mutex> guard{standby_mutex_};
    standby_cv_.notify_all();
    return false;
  }
  thread_id(std::this_thread::get_id());
  leading = this;
  poll_once(true);
  leading = nullptr;
  auto* job = std::exchange(woken_, nullptr);
  // Counted before the baton goes, so that the next leader keeps no actor of its own.
  if (job != nullptr)
    running_woken_.fetch_add(1);
  // From here on, a post from this thread goes through the pipe like anyone else's.
  thread_id(std::thread::id{});
  baton.unlock();
  if (job != nullptr)
    run_woken(job);
  return true;
}

void shared_io_loop::run_woken(caf::resumable* job) {
  // The actor's own sends find no leader on this thread and go to the scheduler or the pipe.
  switch (job->resume(this, max_throughput_)) {
  case caf::resumable::resume_later:
    system().scheduler().enqueue(job); // keeps the reference
    break;
  case caf::resumable::shutdown_execution_unit:
    break;
  default:
    intrusive_ptr_release(job);
  }
  running_woken_.fetch_sub(1);
}

bool shared_io_loop::stand_by() {
  std::unique_lock<std::mutex> guard{standby_mutex_};
  standby_cv_.wait_for(guard, standby_check, [this] { return done_.load(); });
  return !done_.load();
}

} // namespace troupe::net::detail
