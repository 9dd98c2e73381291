#pragma once

#include <atomic>
#include <cstddef>

#include <caf/actor_control_block.hpp>
#include <caf/detail/tuple_vals.hpp>
#include <caf/io/connection_handle.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message.hpp>
#include <caf/ref_counted.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include "delivery_pool.hpp"

namespace troupe::net::detail {

/// Counts what one connection delivered to local mailboxes and was not consumed yet, so that
/// the broker stops reading the connection while local actors lag (above the high watermark)
/// and reads again once they caught up (at the low watermark). Thread-safe: deliveries are
/// counted on the broker's thread, consumptions on whatever thread destroys the message.
class inbox_gate : public caf::ref_counted {
public:
  /// A gate for the connection `hdl` of `broker` (which gets `(resume_atom, hdl)`).
  inbox_gate(const caf::actor& broker, caf::io::connection_handle hdl, size_t high, size_t low);

  /// One more delivery is waiting in a local mailbox.
  void delivered() noexcept;

  /// A delivery was consumed; tells the broker to read again if it halted and the count fell to
  /// the low watermark.
  void consumed() noexcept;

  /// After a read: true if the broker must halt reading (deliveries waiting above the high
  /// watermark); a consumer that caught up meanwhile makes it false, or sends the resume.
  bool must_halt() noexcept;

  /// Deliveries waiting now.
  size_t waiting() const noexcept { return waiting_.load(std::memory_order_relaxed); }

  /// The most deliveries that were waiting at once.
  size_t peak() const noexcept { return peak_.load(std::memory_order_relaxed); }

  /// True while reading is halted.
  bool halted() const noexcept { return halted_.load(std::memory_order_acquire); }

  /// The blocks of this connection's `counted_value` elements.
  delivery_pool& pool() noexcept { return pool_; }

private:
  void resume() noexcept;

  std::atomic<size_t> waiting_{0};
  std::atomic<size_t> peak_{0};
  std::atomic<bool> halted_{false};
  caf::weak_actor_ptr broker_;
  caf::io::connection_handle hdl_;
  size_t high_;
  size_t low_;
  delivery_pool pool_;
};

/// A message delivered from a peer that tells its connection's gate when it is consumed (CAF
/// destroys a mailbox element once its actor has handled it).
class counted_delivery final : public caf::mailbox_element {
public:
  counted_delivery(caf::strong_actor_ptr sender, caf::message_id mid, caf::message content,
                   caf::intrusive_ptr<inbox_gate> gate);
  ~counted_delivery() override;

  caf::type_erased_tuple& content() override { return msg_.content(); }
  const caf::type_erased_tuple& content() const override { return msg_.content(); }
  caf::message move_content_to_message() override { return std::move(msg_); }
  caf::message copy_content_to_message() const override { return msg_; }

private:
  caf::message msg_;
  caf::intrusive_ptr<inbox_gate> gate_;
};

/// Who sent a message from a peer (a proxy, or null), its message id, and the gate of the
/// connection it came on.
struct delivery_header {
  caf::strong_actor_ptr sender;
  caf::message_id mid;
  caf::intrusive_ptr<inbox_gate> gate;
};

/// A one-element message from a peer that holds its value in the mailbox element itself (as
/// CAF's own `mailbox_element_vals`), in a block of its connection's `delivery_pool`, and tells
/// its connection's gate when it is consumed, as `counted_delivery` does. Made by `make`.
template <class T>
class counted_value final : public caf::mailbox_element,
                            public caf::detail::tuple_vals_impl<caf::type_erased_tuple, T> {
public:
  static_assert(sizeof(T) <= 32, "a counted_value must fit a delivery_pool block");

  /// A new element in a block of `header.gate`'s pool (on the broker's thread).
  static caf::mailbox_element_ptr make(delivery_header&& header, T&& value) {
    auto* block = header.gate->pool().take();
    return caf::mailbox_element_ptr{::new (block)
                                      counted_value(std::move(header), std::move(value))};
  }

  /// Unsized: a block is returned to the allocator whatever the type it held (only if an
  /// element is deleted other than by `request_deletion`).
  static void operator delete(void* block) noexcept { ::operator delete(block); }

  ~counted_value() override {
    if (gate_) // (null when request_deletion took it)
      gate_->consumed();
  }

  caf::type_erased_tuple& content() override { return *this; }
  const caf::type_erased_tuple& content() const override { return *this; }
  caf::message move_content_to_message() override {
    return caf::make_message(std::move(std::get<0>(this->data())));
  }
  caf::message copy_content_to_message() const override {
    return caf::make_message(std::get<0>(this->data()));
  }

  /// How CAF disposes of a mailbox element: destroys it and gives its block back to the pool.
  void request_deletion(bool) const noexcept override {
    auto* self = const_cast<counted_value*>(this);
    auto gate = std::move(self->gate_); // keeps the pool alive past the destructor
    self->~counted_value();
    gate->consumed();
    gate->pool().give(self);
  }

private:
  counted_value(delivery_header&& header, T&& value)
      : caf::mailbox_element(std::move(header.sender), header.mid, {}),
        caf::detail::tuple_vals_impl<caf::type_erased_tuple, T>(std::move(value)),
        gate_(std::move(header.gate)) {
    static_assert(sizeof(counted_value) <= delivery_pool::block_size);
    gate_->delivered();
  }

  caf::intrusive_ptr<inbox_gate> gate_;
};

} // namespace troupe::net::detail
