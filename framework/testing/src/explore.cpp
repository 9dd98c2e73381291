#include "troupe/testing/explore.hpp"

#include <cstdlib>
#include <string>

namespace troupe::testing {

namespace {

/// Runs one seed; the verdict, with an escaping exception turned into one.
verdict run_seed(uint64_t seed, const std::function<verdict(deterministic_system&)>& scenario) {
  try {
    deterministic_system sys{seed};
    return scenario(sys);
  } catch (const std::exception& e) {
    return std::string{"exception: "} + e.what();
  } catch (...) {
    return "an exception that is no std::exception";
  }
}

/// The seed that `TROUPE_SEED` asks to replay, 0 with an error text if it is malformed.
std::optional<uint64_t> replay_seed(std::string& error) {
  const char* text = std::getenv(replay_variable);
  if (text == nullptr || *text == '\0')
    return std::nullopt;
  char* end = nullptr;
  auto value = std::strtoull(text, &end, 10);
  if (*end != '\0' || *text == '-') {
    error = std::string{replay_variable} + "='" + text + "' is not a seed (a number)";
    return std::nullopt;
  }
  return value;
}

} // namespace

std::string exploration::report() const {
  if (passed())
    return std::to_string(runs) + " seeds passed";
  return "seed " + std::to_string(*failing_seed) + " failed (run " + std::to_string(runs) +
         "): " + failure + "; replay with " + replay_variable + "=" + std::to_string(*failing_seed);
}

exploration explore(uint64_t count, const std::function<verdict(deterministic_system&)>& scenario,
                    uint64_t first) {
  exploration result;
  std::string env_error;
  auto replay = replay_seed(env_error);
  if (!env_error.empty()) {
    result.failing_seed = 0;
    result.failure = env_error;
    return result;
  }
  if (replay) {
    first = *replay;
    count = 1;
  }
  for (uint64_t seed = first; seed - first < count; ++seed) {
    ++result.runs;
    if (auto v = run_seed(seed, scenario); !v.empty()) {
      result.failing_seed = seed;
      result.failure = std::move(v);
      break;
    }
  }
  return result;
}

} // namespace troupe::testing
