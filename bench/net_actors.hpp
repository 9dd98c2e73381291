#pragma once

/// The server actors of the actor-based network benchmarks, as plain CAF behaviours: CAF's
/// remoting and troupe's nodes serve the very same ones (int64_t and std::string cross both).

#include <cstdint>
#include <memory>
#include <string>

#include <caf/behavior.hpp>

namespace bench::net {

/// The request that ends a one-way stream; the counter answers it with its count.
inline const std::string end_of_stream = "end";

/// rtt's server: answers an int64_t with value + `increment` (the clients use 1).
///
/// Both actors take an argument: CAF 0.17 stores the empty argument tuple of an actor spawned
/// without one as a null pointer and dereferences it, which UBSan reports (a false alarm that
/// .ci/ubsan.supp matches only where that code is not inlined).
inline caf::behavior echo_actor(int64_t increment) {
  return {[increment](int64_t value) { return value + increment; }};
}

/// oneway's and stalled's server: counts an in-order stream first, first + 1, ... (the clients
/// start at 1) and answers `end_of_stream` with the count (negative from the first value out of
/// order on).
inline caf::behavior counter_actor(int64_t first) {
  struct state {
    int64_t count = 0;
    bool in_order = true;
  };
  auto st = std::make_shared<state>();
  return {
    [st, first](int64_t value) {
      st->in_order = st->in_order && value == first + st->count;
      ++st->count;
    },
    [st](const std::string&) -> int64_t { return st->in_order ? st->count : -(st->count + 1); },
  };
}

} // namespace bench::net
