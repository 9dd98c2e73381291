#include "inbox_gate.hpp"

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>

#include "broker_messages.hpp"

namespace troupe::net::detail {

inbox_gate::inbox_gate(const caf::actor& broker, caf::io::connection_handle hdl, size_t high,
                       size_t low)
    : broker_(caf::actor_cast<caf::weak_actor_ptr>(broker)), hdl_(hdl), high_(high),
      low_(std::min(low, high)) {}

void inbox_gate::delivered() noexcept {
  auto now = waiting_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (now > peak_.load(std::memory_order_relaxed))
    peak_.store(now, std::memory_order_relaxed); // only the broker's thread delivers
}

void inbox_gate::consumed() noexcept {
  auto left = waiting_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  if (left <= low_ && halted_.load(std::memory_order_acquire) &&
      halted_.exchange(false, std::memory_order_acq_rel))
    resume();
}

bool inbox_gate::must_halt() noexcept {
  if (waiting_.load(std::memory_order_acquire) <= high_)
    return false;
  halted_.store(true, std::memory_order_release);
  // A consumer that fell to the low watermark before it saw the flag would never resume: check
  // again; whoever clears the flag first decides (here: do not halt; there: the resume comes).
  if (waiting_.load(std::memory_order_acquire) <= low_ &&
      halted_.exchange(false, std::memory_order_acq_rel))
    return false;
  return true;
}

void inbox_gate::resume() noexcept {
  if (auto broker = broker_.lock())
    broker->enqueue(nullptr, caf::make_message_id(), caf::make_message(resume_atom::value, hdl_),
                    nullptr);
}

counted_delivery::counted_delivery(caf::strong_actor_ptr sender, caf::message_id mid,
                                   caf::message content, caf::intrusive_ptr<inbox_gate> gate)
    : caf::mailbox_element(std::move(sender), mid, {}), msg_(std::move(content)),
      gate_(std::move(gate)) {
  gate_->delivered();
}

counted_delivery::~counted_delivery() {
  gate_->consumed();
}

} // namespace troupe::net::detail
