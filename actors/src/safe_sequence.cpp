#include "troupe/actors/banker.hpp"

namespace troupe::actors {

namespace {

/// Whether `need[j] <= work[j]` for every resource j.
bool fits(const resource_vector& need, const resource_vector& work) {
  for (size_t j = 0; j < work.size(); ++j)
    if (need[j] > work[j])
      return false;
  return true;
}

} // namespace

std::optional<std::vector<size_t>>
find_safe_sequence(const resource_vector& available, const std::vector<resource_vector>& max,
                   const std::vector<resource_vector>& allocation) {
  const auto m = available.size();
  const auto n = max.size();
  if (allocation.size() != n)
    return std::nullopt;
  std::vector<resource_vector> need(n, resource_vector(m));
  for (size_t i = 0; i < n; ++i) {
    if (max[i].size() != m || allocation[i].size() != m)
      return std::nullopt;
    for (size_t j = 0; j < m; ++j)
      need[i][j] = max[i][j] - allocation[i][j];
  }
  auto work = available;
  std::vector<bool> finished(n, false);
  std::vector<size_t> sequence;
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t i = 0; i < n; ++i) {
      if (finished[i] || !fits(need[i], work))
        continue;
      for (size_t j = 0; j < m; ++j)
        work[j] += allocation[i][j];
      finished[i] = true;
      sequence.push_back(i);
      progress = true;
    }
  }
  if (sequence.size() != n)
    return std::nullopt;
  return sequence;
}

} // namespace troupe::actors
