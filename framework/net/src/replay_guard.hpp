#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace troupe::net::detail {

/// Remembers the handshake nonces a node has seen, so that a replayed one is refused.
/// One per node, shared by all its connections (thread-safe). It keeps the most recent
/// `capacity` nonces: replay refusal is a second line of defence, the first is that each side
/// proves knowledge of the secret over a nonce the other side has just drawn.
class replay_guard {
public:
  /// Creates a guard that remembers up to `capacity` nonces (oldest forgotten first).
  explicit replay_guard(std::size_t capacity = 65536);

  /// Records `nonce`; returns false if it was recorded before (a replay).
  bool admit(std::string_view nonce);

  /// Returns how many nonces are remembered.
  std::size_t size() const;

private:
  mutable std::mutex mtx_;
  std::size_t capacity_;
  std::unordered_set<std::string> seen_;
  std::deque<std::string> order_;
};

} // namespace troupe::net::detail
