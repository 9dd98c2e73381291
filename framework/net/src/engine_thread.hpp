#pragma once

#include <caf/actor_system.hpp>
#include <caf/thread_hook.hpp>

namespace troupe::net::detail {

/// True on threads that CAF started (workers, clock, I/O): code there must never block.
bool on_engine_thread() noexcept;

/// Marks every thread CAF starts, so that a full send window parks only threads outside CAF
/// (e.g. `main` sending through `system::send`) and never a worker.
class engine_thread_marker : public caf::thread_hook {
public:
  void init(caf::actor_system&) override {}
  void thread_started() override;
  void thread_terminates() override {}
};

} // namespace troupe::net::detail
