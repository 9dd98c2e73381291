#include "replay_guard.hpp"

namespace troupe::net::detail {

replay_guard::replay_guard(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

bool replay_guard::admit(std::string_view nonce) {
  std::lock_guard guard{mtx_};
  auto [pos, added] = seen_.emplace(nonce);
  if (!added)
    return false;
  order_.emplace_back(nonce);
  if (order_.size() > capacity_) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

std::size_t replay_guard::size() const {
  std::lock_guard guard{mtx_};
  return seen_.size();
}

} // namespace troupe::net::detail
