#pragma once

// Traffic for the test node's "sequence" actor that mixes requests (request/response: direct
// writes) and plain sends (a stream: queued and batched), and the link it travels on.

#include <cstdint>
#include <string>
#include <tuple>

#include <caf/all.hpp>
#include <doctest/doctest.h>

#include "remote_proxy.hpp"
#include "test_helpers.hpp"
#include "troupe/co_actor.hpp"
#include "troupe/system.hpp"

namespace troupe::test {

/// The link behind a proxy: its counters tell whether direct writes happened.
inline troupe::net::detail::peer_link& link_of(const caf::actor& proxy) {
  auto* raw =
    dynamic_cast<troupe::net::detail::remote_proxy*>(caf::actor_cast<caf::abstract_actor*>(proxy));
  REQUIRE(raw != nullptr);
  return raw->link();
}

/// Sends `n` numbered messages to the remote "sequence" actor as sender `id`: every third a
/// request awaited before the next message (request/response: direct writes), the others plain
/// sends (a stream: queued and batched). Reports `(id, replies that were missing or wrong)`.
inline troupe::task mixed_sender(troupe::co_actor& self, caf::actor dest, int32_t id, int32_t n,
                                 caf::actor report) {
  int32_t wrong = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (i % 3 == 0) {
      auto reply = co_await self.request<int32_t>(dest, patience, std::string{"ack"}, id, i);
      if (!reply || *reply != i)
        ++wrong;
    } else {
      self.send(dest, id, i);
    }
  }
  self.send(report, id, wrong);
}

/// Asks the remote "sequence" actor for its verdict (count, or minus the messages out of order).
inline int64_t sequence_verdict(probe& p, const caf::actor& seq) {
  int64_t verdict = 0;
  p->request(seq, patience, std::string{"check"})
    .receive([&](int64_t x) { verdict = x; },
             [&](caf::error& err) { FAIL("check failed: " << caf::to_string(err)); });
  return verdict;
}

/// Runs `senders` mixed senders of `n` messages each to `seq` (see `mixed_sender`) and checks
/// that every reply came back, each the right one, and that every message arrived, each
/// sender's in the order sent (a negative verdict counts the messages out of order).
inline void run_mixed_senders(troupe::system& sys, probe& p, const caf::actor& seq, int32_t senders,
                              int32_t n) {
  for (int32_t id = 0; id < senders; ++id)
    sys.spawn(mixed_sender, seq, id, n, p.handle());
  for (int32_t i = 0; i < senders; ++i) {
    auto [id, wrong] = next<std::tuple<int32_t, int32_t>>(p);
    CAPTURE(id);
    CHECK(wrong == 0);
  }
  CHECK(sequence_verdict(p, seq) == int64_t{senders} * n);
}

} // namespace troupe::test
