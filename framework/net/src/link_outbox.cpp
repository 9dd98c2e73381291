#include "link_outbox.hpp"

namespace troupe::net::detail {

namespace {

// The buffer of finished frames keeps at most this much capacity once it was taken: a burst
// must not pin its memory for the life of the link.
constexpr std::size_t keep_capacity = 1024 * 1024;

} // namespace

link_outbox::link_outbox(std::size_t max_batch_bytes, std::size_t max_batch_messages,
                         uint32_t frame_limit)
    : batch_(max_batch_bytes, max_batch_messages), limit_(frame_limit) {}

caf::error link_outbox::add_message(const message_view& msg, const caf::strong_actor_ptr& sender) {
  if (auto err = add_checked(batch_, msg, limit_, frames_))
    return err;
  if (sender) {
    // One entry per run of messages from the same sender: a stream costs no reference count.
    if (!senders_.empty() && senders_.back().sender == sender)
      ++senders_.back().messages;
    else
      senders_.push_back(sender_run{sender, 1});
  }
  return caf::none;
}

void link_outbox::add_control(const outgoing& item) {
  batch_.finish(frames_); // after the messages added before, as the protocol orders them
  write_control(item, frames_);
}

void link_outbox::take(std::vector<char>& out) {
  batch_.finish(frames_);
  senders_.clear();
  if (out.empty()) {
    out.swap(frames_);
  } else {
    out.insert(out.end(), frames_.begin(), frames_.end());
  }
  frames_.clear();
  if (frames_.capacity() > keep_capacity)
    std::vector<char>{}.swap(frames_);
}

std::vector<link_outbox::sender_run> link_outbox::take_lost() {
  batch_.finish(frames_);
  std::vector<char>{}.swap(frames_);
  return std::exchange(senders_, {});
}

} // namespace troupe::net::detail
