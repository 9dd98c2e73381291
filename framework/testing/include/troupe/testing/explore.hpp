#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>

#include "troupe/testing/deterministic_system.hpp"

namespace troupe::testing {

/// What running one scenario under many seeds found.
struct exploration {
  /// How many seeds ran (up to and including the failing one).
  uint64_t runs = 0;
  /// The first seed whose run failed, if any.
  std::optional<uint64_t> failing_seed;
  /// What the failing run reported.
  std::string failure;

  /// Whether every run passed.
  bool passed() const noexcept { return !failing_seed.has_value(); }

  /// A one-line summary that names the failing seed and how to replay it.
  std::string report() const;
};

/// One run's verdict: empty if the scenario's invariants held, else what broke.
using verdict = std::string;

/// The environment variable that replays one seed: `TROUPE_SEED=17 ./my_tests`.
inline constexpr const char* replay_variable = "TROUPE_SEED";

/// Runs `scenario` under `count` seeds (`first`, `first + 1`, ...), each on a fresh
/// `deterministic_system` of that seed, and stops at the first run that fails. A run fails
/// when the scenario returns a non-empty `verdict` (or `false`) or throws. If the environment
/// sets `TROUPE_SEED`, only that seed runs. Errors: an unparsable `TROUPE_SEED` counts as a
/// failure of run 0.
exploration explore(uint64_t count, const std::function<verdict(deterministic_system&)>& scenario,
                    uint64_t first = 1);

/// `explore` for a scenario that returns whether its invariants held.
template <class Scenario>
  requires std::is_invocable_r_v<bool, Scenario&, deterministic_system&>
           && (!std::is_convertible_v<std::invoke_result_t<Scenario&, deterministic_system&>,
                                      verdict>)
exploration explore(uint64_t count, Scenario scenario, uint64_t first = 1) {
  return explore(
    count,
    [&scenario](deterministic_system& sys) -> verdict {
      return scenario(sys) ? verdict{} : verdict{"the scenario returned false"};
    },
    first);
}

} // namespace troupe::testing
