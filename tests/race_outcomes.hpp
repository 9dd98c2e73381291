#pragma once

// What the co_actor race tests share: explore a two-way race under many seeds and count which
// side won each run, so that a test can check that both sides really occur.

#include <cstdint>
#include <string>

#include "troupe/testing/deterministic_system.hpp"
#include "troupe/testing/explore.hpp"

namespace troupe::test {

/// How one run of a race ended: either side won, or the observed reports match neither.
enum class race_outcome { in_time, too_late, broken };

/// What exploring a race found: the exploration and how often each side won.
struct race_tally {
  /// The exploration itself; it fails at the first run whose outcome is `broken`.
  troupe::testing::exploration result;
  /// How many runs ended `in_time`.
  int in_time = 0;
  /// How many runs ended `too_late`.
  int too_late = 0;
};

/// Runs `race` (a `race_outcome(deterministic_system&)`) under `count` seeds and counts the
/// outcomes; a `broken` run fails the exploration with the verdict `mismatch`.
template <class Race>
race_tally explore_race(uint64_t count, Race race, const std::string& mismatch) {
  race_tally tally;
  tally.result = troupe::testing::explore(
    count, [&](troupe::testing::deterministic_system& sys) -> troupe::testing::verdict {
      switch (race(sys)) {
      case race_outcome::in_time:
        ++tally.in_time;
        return {};
      case race_outcome::too_late:
        ++tally.too_late;
        return {};
      default:
        return mismatch;
      }
    });
  return tally;
}

} // namespace troupe::test
