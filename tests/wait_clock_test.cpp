// detail::wait_clock, where deadlines start: a wait of ten seconds or more on CAF's real-time
// clock starts from the kernel's coarse clock, moved on so that it is not earlier than the
// steady clock and at most its margin of coarse ticks later; a shorter wait, and every wait on
// the deterministic kit's virtual clock, starts at the clock's own now().

#include <chrono>
#include <ctime>

#include <caf/actor_clock.hpp>

#include "troupe/detail/wait_clock.hpp"
#include "troupe/system.hpp"
#include "troupe/testing/deterministic_system.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using troupe::detail::wait_clock;
using troupe::testing::deterministic_system;
using steady = std::chrono::steady_clock;

namespace {

std::chrono::nanoseconds coarse_tick() {
  timespec res{};
  REQUIRE(clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0);
  return std::chrono::seconds{res.tv_sec} + std::chrono::nanoseconds{res.tv_nsec};
}

} // namespace

TEST_CASE("wait_clock: a long wait starts no earlier than now and at most its margin later") {
  troupe::system sys;
  wait_clock clock{sys.engine().clock()};
  auto tick = coarse_tick();
  for (int i = 0; i < 10'000; ++i) {
    auto before = steady::now();
    auto start = clock.start_of(wait_clock::coarse_from);
    auto after = steady::now();
    REQUIRE(start >= before);
    REQUIRE(start <= after + wait_clock::coarse_margin_ticks * tick);
  }
}

TEST_CASE("wait_clock: a short wait starts at the steady clock's now") {
  troupe::system sys;
  wait_clock clock{sys.engine().clock()};
  for (int i = 0; i < 1'000; ++i) {
    auto before = steady::now();
    auto start = clock.start_of(wait_clock::coarse_from - 1ns);
    auto after = steady::now();
    REQUIRE(start >= before);
    REQUIRE(start <= after);
  }
}

TEST_CASE("wait_clock: on the deterministic kit every wait starts at the virtual now") {
  deterministic_system sys;
  auto& virtual_clock = sys.engine().clock();
  wait_clock clock{virtual_clock};
  auto t0 = virtual_clock.now();
  CHECK(clock.start_of(10min) == t0);
  CHECK(clock.start_of(1ms) == t0);
  sys.advance_time(5s);
  CHECK(clock.start_of(10min) == t0 + 5s);
}
