#include "troupe/detail/wait_clock.hpp"

#include <ctime>
#include <type_traits>
#include <typeinfo>

#include <caf/detail/thread_safe_actor_clock.hpp>

namespace troupe::detail {

namespace {

std::chrono::nanoseconds duration_of(const timespec& x) noexcept {
  return std::chrono::seconds{x.tv_sec} + std::chrono::nanoseconds{x.tv_nsec};
}

} // namespace

wait_clock::wait_clock(const caf::actor_clock& clock) noexcept : clock_(&clock) {
  // CAF's real-time clock reads std::chrono::steady_clock, i.e. CLOCK_MONOTONIC.
  static_assert(std::is_same_v<caf::actor_clock::clock_type, std::chrono::steady_clock>);
  if (typeid(clock) != typeid(caf::detail::thread_safe_actor_clock))
    return;
  timespec res{};
  if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0)
    coarse_tick_ = duration_of(res);
}

wait_clock::time_point wait_clock::coarse_now() const noexcept {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return time_point{duration_of(now) + coarse_margin_ticks * coarse_tick_};
}

} // namespace troupe::detail
