#pragma once

// What the pattern actor suites share: a system whose workers really run in parallel, and
// requests from a probe that return the reply or the error.

#include <cstddef>
#include <utility>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "test_helpers.hpp"
#include "troupe/actors/error.hpp"
#include "troupe/config.hpp"

namespace troupe::test {

/// A configuration with a fixed number of workers, so that actors run in parallel even on a
/// 2-core machine (troupe's default is one worker there).
struct parallel_config : troupe::config {
  explicit parallel_config(size_t workers = 4) { set("scheduler.max-threads", workers); }
};

/// Sends a request whose reply is empty and waits for it: no error, or the error reply.
template <class... Ts> caf::error call(probe& p, const caf::actor& dest, Ts&&... xs) {
  caf::error result = caf::make_error(caf::sec::request_timeout);
  p->request(dest, patience, std::forward<Ts>(xs)...)
    .receive([&] { result = caf::none; }, [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// Sends a request whose reply is one `R` and waits for it.
template <class R, class... Ts>
caf::expected<R> call_for(probe& p, const caf::actor& dest, Ts&&... xs) {
  caf::expected<R> result = caf::make_error(caf::sec::request_timeout);
  p->request(dest, patience, std::forward<Ts>(xs)...)
    .receive([&](R& x) { result = std::move(x); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// Whether `err` is the pattern error `x`.
inline bool is_error(const caf::error& err, troupe::actors::actors_error x) {
  return troupe::actors::is(err, x);
}

} // namespace troupe::test
