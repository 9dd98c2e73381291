#include "troupe/actors/hedge.hpp"

#include <algorithm>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/make_message.hpp>

namespace troupe::actors::detail {

/// What one copy reports to the hedge actor: its reply or its error.
struct attempt_result {
  caf::expected<caf::message> reply;
};

} // namespace troupe::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::actors::detail::attempt_result)

namespace troupe::actors {

namespace {

using clock_type = std::chrono::steady_clock;
using detail::attempt_result;

/// One copy: asks `target` with a timeout at the deadline and reports to `owner`. It outlives
/// a call that ended early, so its late reply lands in a dead actor's mailbox, nowhere else.
task attempt(co_actor& self, caf::actor owner, caf::actor target, caf::timespan timeout,
             caf::message msg) {
  auto reply = co_await self.request<caf::message>(target, timeout, std::move(msg));
  self.send(owner, attempt_result{std::move(reply)});
}

std::string copies(uint32_t n) {
  return std::to_string(n) + (n == 1 ? " copy" : " copies");
}

/// The hedge actor of one call: sends copies by the options, answers with the first success.
task hedging(co_actor& self, std::vector<caf::actor> targets, hedge_options opts,
             caf::message msg) {
  for (;;) {
    auto cmd = co_await self.receive<caf::atom_value>();
    if (cmd == hedge::run_atom::value)
      break;
    (void)self.reply(make_error(hedge_error::invalid_argument, "a hedge actor takes run_atom"));
  }
  auto promise = self.take_reply_promise();
  auto deadline = clock_type::now() + opts.deadline;
  uint32_t sent = 0;
  uint32_t in_flight = 0;
  caf::error last_error;
  auto next_copy = clock_type::now();
  auto send_copy = [&] {
    auto& target = targets[sent % targets.size()];
    auto left = std::chrono::duration_cast<caf::timespan>(deadline - clock_type::now());
    self.spawn(attempt, self.handle(), target, std::max(left, caf::timespan{1}), msg);
    ++sent;
    ++in_flight;
    next_copy = clock_type::now() + opts.hedge_delay;
  };
  auto may_send = [&] { return sent < opts.max_attempts && in_flight < opts.max_in_flight; };
  for (;;) {
    while (may_send() && clock_type::now() >= next_copy)
      send_copy();
    if (sent == opts.max_attempts && in_flight == 0) {
      promise.deliver(
        make_error(hedge_error::attempts_exhausted,
                   "all " + copies(sent) + " failed; the last with " + caf::to_string(last_error)));
      co_return;
    }
    auto now = clock_type::now();
    if (now >= deadline)
      break;
    auto wake = may_send() ? std::min(next_copy, deadline) : deadline;
    auto result = co_await self.receive<attempt_result>(wake - now);
    if (!result)
      continue; // a copy is due, or the deadline passed
    --in_flight;
    if (result->reply) {
      promise.deliver(std::move(*result->reply));
      co_return;
    }
    last_error = std::move(result->reply.error());
    // Every copy's own timeout is the deadline: a copy that timed out means the deadline has
    // come, even if this actor's clock reads a hair before it. No copy goes out after that.
    if (last_error == caf::sec::request_timeout)
      break;
    if (opts.replace_failed)
      next_copy = clock_type::now();
  }
  promise.deliver(make_error(hedge_error::deadline_exceeded,
                             "no success within the deadline after " + copies(sent)));
}

} // namespace

std::string to_string(hedge_error x) {
  switch (x) {
  case hedge_error::deadline_exceeded:
    return "deadline_exceeded";
  case hedge_error::attempts_exhausted:
    return "attempts_exhausted";
  case hedge_error::invalid_argument:
    return "invalid_argument";
  }
  return "hedge_error(" + std::to_string(static_cast<int>(x)) + ")";
}

caf::error make_error(hedge_error x) {
  return caf::error{static_cast<uint8_t>(x), hedge_error_category};
}

caf::error make_error(hedge_error x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), hedge_error_category,
                    caf::make_message(std::move(context))};
}

bool is(const caf::error& err, hedge_error x) noexcept {
  return err.category() == hedge_error_category && err.code() == static_cast<uint8_t>(x);
}

caf::error hedge::check(const std::vector<caf::actor>& targets, const hedge_options& opts) {
  if (targets.empty())
    return make_error(hedge_error::invalid_argument, "no targets");
  if (std::any_of(targets.begin(), targets.end(), [](const caf::actor& x) { return !x; }))
    return make_error(hedge_error::invalid_argument, "a target is a null handle");
  if (opts.max_attempts == 0 || opts.max_in_flight == 0)
    return make_error(hedge_error::invalid_argument, "max_attempts and max_in_flight must be > 0");
  if (opts.deadline <= caf::timespan{0} || opts.hedge_delay < caf::timespan{0})
    return make_error(hedge_error::invalid_argument,
                      "the deadline must be > 0 and the hedge delay >= 0");
  return caf::none;
}

caf::expected<caf::actor> hedge::spawn(troupe::system& sys, std::vector<caf::actor> targets,
                                       hedge_options opts, caf::message msg) {
  if (auto err = check(targets, opts))
    return err;
  return sys.spawn(hedging, std::move(targets), opts, std::move(msg));
}

} // namespace troupe::actors
