#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

#include <caf/io/network/default_multiplexer.hpp>

namespace troupe::net::detail {

/// True on the threads that take turns at a `shared_io_loop` (tests check where actors ran).
bool on_io_loop_thread() noexcept;

/// CAF's I/O loop (epoll and the brokers on it), run by two threads in turn, so that the
/// thread which read a message can also run the actor that it wakes.
///
/// With CAF's own loop, a message from the network costs two wake-ups on the receiving side:
/// the I/O thread's (epoll) and then a worker's (the scheduler's condition variable), 20-30
/// µs each on this kind of machine. Here the loop's leader, after a turn in which it woke an
/// idle actor, hands the loop back and runs that actor itself before leading again: the
/// actor runs on the thread the kernel already woke. That halves a round trip's wake-ups.
///
/// A handler that runs long must not stall the network, so:
/// - at most one actor per turn runs on the loop's thread, and none while the other thread is
///   still running one; every other wake goes to CAF's scheduler as before;
/// - the other thread stands by and takes the loop over when it finds it unattended on one of
///   its checks (every `standby_check`): the network stalls for at most that long, whatever
///   an actor does;
/// - an actor that still has messages after `scheduler.max-throughput` of them goes to the
///   scheduler.
///
/// The loop's state belongs to whichever thread holds the baton: CAF's `thread_id()` names
/// it while it leads (so brokers posted from it stay in the loop) and names no thread while
/// nobody leads, so that an actor running outside the baton posts to the loop's pipe.
///
/// The flag `troupe.net.deliver-on-workers` turns this off: CAF's loop runs as it would alone.
class shared_io_loop final : public caf::io::network::default_multiplexer {
public:
  /// How often the standing-by thread checks whether the loop is unattended.
  static constexpr std::chrono::milliseconds standby_check{10};

  explicit shared_io_loop(caf::actor_system* sys);

  void exec_later(caf::resumable* ptr) override;

  void run() override;

private:
  /// What each of the two threads does until the loop ends.
  void serve();

  /// One turn of the loop as its leader; false once the loop has ended.
  bool lead(std::unique_lock<std::mutex>& baton);

  /// Runs the actor a turn woke, outside the baton.
  void run_woken(caf::resumable* job);

  /// Waits up to `standby_check` while another thread leads; false once the loop has ended.
  bool stand_by();

  bool enabled_;
  size_t max_throughput_;
  std::mutex baton_;
  /// The actor this turn woke that the leader runs after the turn (guarded by `baton_`).
  caf::resumable* woken_ = nullptr;
  /// Threads running a woken actor right now (0 or 1).
  std::atomic<int> running_woken_{0};
  std::atomic<bool> done_{false};
  std::mutex standby_mutex_;
  std::condition_variable standby_cv_;
};

} // namespace troupe::net::detail
